// Several contests in one log (issue 13, point 4): each contest's ingestor and index, the verdict
// rule per (station, source, contest), and sheets of another contest refused.
#include "tallylog/ingest/contest.h"

#include <gtest/gtest.h>

#include "tallylog/base/testing.h"
#include "tallylog/election/entry.h"
#include "tallylog/election/toml.h"
#include "tallylog/index/open.h"
#include "tallylog/ingest/csv_import.h"
#include "tallylog/ingest/derive.h"
#include "tallylog/ingest/ingestor.h"
#include "tallylog/ingest/mapping.h"

namespace tallylog::ingest {
namespace {

std::string src(const std::string& rel) { return testing::source_dir() + "/" + rel; }

class ContestsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    election_ = election::load_election_toml(src("elections/twocontests/election.toml")).value();
    data_ = dir_.path() + "/data";
    ASSERT_TRUE(Ingestor::init(data_, election_, ""));
    IngestorOptions o;
    o.first_contest_if_unnamed = true;
    auto ing = Ingestor::open(data_, o);
    ASSERT_TRUE(ing) << ing.error().to_string();
    auto mapping = Mapping::load(Env::posix(), src("elections/twocontests/mesas.mapping.toml")).value();
    auto text = Env::posix().read_file(src("elections/twocontests/data/mesas.csv")).value();
    auto sum = import_stations_csv(**ing, text, "mesas.csv", mapping, ImportOptions{});
    ASSERT_TRUE(sum);
    ASSERT_EQ(sum->accepted, 20u);
    ASSERT_TRUE((*ing)->close());
  }
  std::unique_ptr<Ingestor> open(const std::string& contest) {
    IngestorOptions o;
    o.contest = contest;
    auto r = Ingestor::open(data_, o);
    EXPECT_TRUE(r) << r.error().to_string();
    return r ? std::move(*r) : nullptr;
  }
  static election::Sheet president(int64_t ar, std::string contest = "") {
    election::Sheet s;
    s.station = "0101.01";
    s.source = "official";
    s.contest = std::move(contest);
    s.candidates = {{"AR", ar}, {"BM", 10}, {"CS", 5}};
    s.fields = {{"valid", ar + 15}, {"null", 1}};
    return s;
  }
  static election::Sheet assembly(int64_t un) {
    election::Sheet s;
    s.station = "0101.01";
    s.source = "official";
    s.cards = {un, 20, 3};
    s.fields = {{"valid", un + 23}, {"blank", 2}};
    return s;
  }

  testing::TempDir dir_;
  std::string data_;
  election::Election election_;
};

TEST_F(ContestsTest, AnIngestorNeedsAContestWhenTheElectionHasSeveral) {
  auto r = Ingestor::open(data_);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("choose one with --contest"), std::string::npos) << r.error().message;
}

TEST_F(ContestsTest, TheSameStationAndSourceInTwoContestsIsNoConflict) {
  {
    auto p = open("president");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->election().contest, "president");
    auto o = p->submit(president(100));
    ASSERT_TRUE(o);
    EXPECT_EQ(o->verdict, Verdict::kAccepted) << o->field << ": " << o->reason;
    ASSERT_TRUE(p->close());
  }
  {
    auto a = open("assembly");
    ASSERT_TRUE(a);
    auto o = a->submit(assembly(70));
    ASSERT_TRUE(o);
    EXPECT_EQ(o->verdict, Verdict::kAccepted) << o->field << ": " << o->reason;
    // Within one contest the rule is as before: different counts, same station and source.
    auto c = a->submit(assembly(71));
    ASSERT_TRUE(c);
    EXPECT_EQ(c->verdict, Verdict::kConflict);
    ASSERT_TRUE(a->close());
  }
  auto p = open("president");
  ASSERT_TRUE(p);
  auto dup = p->submit(president(100));
  ASSERT_TRUE(dup);
  EXPECT_EQ(dup->verdict, Verdict::kDuplicate);
  // The logged sheets name their contest.
  auto entry = p->log().entry(*dup->log_index);
  ASSERT_TRUE(entry);
  EXPECT_NE(entry->find("\"contest\":\"president\""), std::string::npos) << *entry;
  auto recs = p->index().sheets_for_station("0101.01", "");
  ASSERT_TRUE(recs);
  ASSERT_EQ(recs->size(), 1u);  // the president's index holds no assembly sheet
  EXPECT_EQ((*recs)[0].sheet.candidates.at("AR"), 100);
}

TEST_F(ContestsTest, ASheetOfAnotherContestIsRejectedNamingTheField) {
  auto p = open("president");
  ASSERT_TRUE(p);
  auto o = p->submit(president(100, "assembly"));
  ASSERT_TRUE(o);
  EXPECT_EQ(o->verdict, Verdict::kRejected);
  EXPECT_EQ(o->field, "contest");
  EXPECT_NE(o->reason.find("\"assembly\" is not the contest being submitted to (\"president\")"), std::string::npos)
      << o->reason;
}

TEST_F(ContestsTest, ADeclarationBelongsToItsContestsIndexOnlyAndReindexKeepsItThere) {
  election::Declaration d;
  d.source = "official";
  d.title = "mayor-free bulletin";
  d.areas = {election::DeclaredArea{"national", "", {{"AR", 100}}, {}}};
  uint64_t logged_at = 0;
  {
    auto p = open("president");
    ASSERT_TRUE(p);
    auto at = p->add_declaration(d);
    ASSERT_TRUE(at) << at.error().to_string();
    logged_at = *at;
    ASSERT_EQ(p->index().declarations().value().size(), 1u);
    // One naming another contest is refused, naming the field.
    election::Declaration other = d;
    other.contest = "assembly";
    auto r = p->add_declaration(other);
    ASSERT_FALSE(r);
    EXPECT_TRUE(r.error().message.starts_with("contest: \"assembly\" is not the contest")) << r.error().message;
    ASSERT_TRUE(p->close());
  }
  {
    auto a = open("assembly");
    ASSERT_TRUE(a);
    EXPECT_TRUE(a->index().declarations().value().empty());  // not held against the assembly's totals
    ASSERT_TRUE(a->close());
  }
  auto reader = log::open_reader(data_).value();
  auto entry = reader->entry(logged_at);
  ASSERT_TRUE(entry);
  EXPECT_NE(entry->find("\"contest\":\"president\""), std::string::npos) << *entry;
  for (const std::string contest : {"president", "assembly"}) {
    auto idx = rebuild_index("memory:", *reader, {}, contest);
    ASSERT_TRUE(idx) << idx.error().to_string();
    EXPECT_EQ(idx->get()->declarations().value().size(), contest == "president" ? 1u : 0u) << contest;
  }
}

TEST_F(ContestsTest, EveryBackendDerivesTheSameContestIndexFromTheLog) {
  {
    auto p = open("president");
    ASSERT_TRUE(p->submit(president(100)));
    ASSERT_TRUE(p->close());
    auto a = open("assembly");
    ASSERT_TRUE(a->submit(assembly(70)));
    ASSERT_TRUE(a->close());
  }
  auto reader = log::open_reader(data_).value();
  for (const std::string contest : {"president", "assembly"}) {
    auto sqlite = rebuild_index(contest_index_url(data_, contest), *reader, {}, contest);
    ASSERT_TRUE(sqlite) << sqlite.error().to_string();
    auto memory = rebuild_index("memory:", *reader, {}, contest);
    ASSERT_TRUE(memory) << memory.error().to_string();
    for (index::Index* idx : {sqlite->get(), memory->get()}) {
      EXPECT_EQ(idx->indexed_size().value(), reader->size());
      EXPECT_EQ(idx->election().value().contest, contest);
      EXPECT_EQ(idx->station_count().value(), 20u);
      auto recs = idx->sheets_for_station("0101.01", "").value();
      ASSERT_EQ(recs.size(), 1u) << contest;
      EXPECT_EQ(recs[0].sheet.contest, contest);
    }
  }
  // A deriver for "the only contest" refuses this log, naming the contests.
  auto none = rebuild_index("memory:", *reader, {}, "");
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message.find("president (Presidencia), assembly"), std::string::npos) << none.error().message;
}

TEST_F(ContestsTest, OneIngestorTakesEveryContestsSheetsIntoOneLogAndKeepsEachIndex) {
  IngestorOptions o;
  o.every_contest = true;  // `tallylog serve`
  auto ing = Ingestor::open(data_, o);
  ASSERT_TRUE(ing) << ing.error().to_string();
  EXPECT_EQ((*ing)->contests(), (std::vector<std::string>{"president", "assembly"}));
  const uint64_t before = (*ing)->log().size();
  election::Sheet a = assembly(70);
  a.contest = "assembly";
  std::vector<election::Sheet> batch = {president(100, "president"), a, president(1, "senate"), president(2)};
  auto out = (*ing)->submit_batch(batch);
  ASSERT_TRUE(out) << out.error().to_string();
  ASSERT_EQ(out->size(), 4u);
  EXPECT_EQ((*out)[0].verdict, Verdict::kAccepted) << (*out)[0].field << ": " << (*out)[0].reason;
  EXPECT_EQ((*out)[1].verdict, Verdict::kAccepted) << (*out)[1].field << ": " << (*out)[1].reason;
  EXPECT_EQ((*out)[0].log_index, before);  // one append, in order
  EXPECT_EQ((*out)[1].log_index, before + 1);
  EXPECT_EQ((*out)[2].verdict, Verdict::kRejected);
  EXPECT_EQ((*out)[2].field, "contest");
  EXPECT_NE((*out)[2].reason.find("\"senate\" is not a contest of this election (it has president, assembly)"),
            std::string::npos)
      << (*out)[2].reason;
  EXPECT_EQ((*out)[3].verdict, Verdict::kRejected);  // several contests and no default: name one
  EXPECT_EQ((*out)[3].field, "contest");
  // Each contest's index holds its own sheet and is at the log's size.
  for (const std::string contest : {"president", "assembly"}) {
    index::IndexReader* idx = (*ing)->index(contest);
    ASSERT_NE(idx, nullptr) << contest;
    EXPECT_EQ(idx->indexed_size().value(), before + 2) << contest;
    auto recs = idx->sheets_for_station("0101.01", "").value();
    ASSERT_EQ(recs.size(), 1u) << contest;
    EXPECT_EQ(recs[0].sheet.contest, contest);
  }
  EXPECT_EQ((*ing)->index("president")->sheets_for_station("0101.01", "").value()[0].sheet.candidates.at("AR"), 100);
  EXPECT_EQ((*ing)->index("assembly")->sheets_for_station("0101.01", "").value()[0].sheet.candidates.at("UN"), 70);
  // A declaration goes to the contest it names.
  election::Declaration d;
  d.source = "official";
  d.title = "assembly bulletin";
  d.contest = "assembly";
  d.areas = {election::DeclaredArea{"national", "", {{"UN", 70}}, {}}};
  ASSERT_TRUE((*ing)->add_declaration(d));
  EXPECT_EQ((*ing)->index("assembly")->declarations().value().size(), 1u);
  EXPECT_TRUE((*ing)->index("president")->declarations().value().empty());
  ASSERT_TRUE((*ing)->close());
  // What the ingestor wrote is what reindex derives from the log alone, contest by contest.
  auto reader = log::open_reader(data_).value();
  EXPECT_EQ(reader->size(), before + 3);  // the two sheets and the declaration, nothing rejected
  for (const std::string contest : {"president", "assembly"}) {
    auto live = index::open_index(contest_index_url(data_, contest)).value();
    auto rebuilt = rebuild_index("sqlite:" + dir_.path() + "/rebuilt." + contest + ".sqlite", *reader, {}, contest);
    ASSERT_TRUE(rebuilt) << rebuilt.error().to_string();
    EXPECT_EQ(live->dump().value(), rebuilt->get()->dump().value()) << contest;
  }
}

TEST_F(ContestsTest, EveryContestIngestorGivesUnnamedSheetsToTheNamedDefault) {
  IngestorOptions o;
  o.every_contest = true;
  o.contest = "assembly";  // serve --contest assembly
  auto ing = Ingestor::open(data_, o);
  ASSERT_TRUE(ing) << ing.error().to_string();
  EXPECT_EQ((*ing)->contest(), "assembly");
  auto un = (*ing)->submit(assembly(70));
  ASSERT_TRUE(un);
  EXPECT_EQ(un->verdict, Verdict::kAccepted) << un->field << ": " << un->reason;
  auto p = (*ing)->submit(president(100, "president"));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->verdict, Verdict::kAccepted) << p->field << ": " << p->reason;
  ASSERT_TRUE((*ing)->close());
}

TEST(SingleContest, ItsOwnContestNameIsAcceptedAndLeavesTheEntryUntagged) {
  testing::TempDir dir;
  auto e = election::load_election_toml(src("elections/ve2024/election.toml")).value();
  const std::string data = dir.path() + "/d";
  ASSERT_TRUE(Ingestor::init(data, e, ""));
  auto reader_before = log::open_reader(data).value();
  auto ci = contest_index(data, *reader_before, "");
  ASSERT_TRUE(ci);
  EXPECT_EQ(ci->tag, "");
  EXPECT_EQ(ci->url, data);  // <data>/index.sqlite, as before
  auto named = contest_index(data, *reader_before, e.contest);
  ASSERT_TRUE(named);
  EXPECT_EQ(named->tag, "");
  EXPECT_FALSE(contest_index(data, *reader_before, "mayor"));
}

}  // namespace
}  // namespace tallylog::ingest
