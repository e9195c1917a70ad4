#include "tallylog/ingest/ingestor.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <set>
#include <thread>

#include "tallylog/base/testing.h"
#include "tallylog/election/entry.h"
#include "tallylog/election/toml.h"
#include "tallylog/ingest/derive.h"
#include "tallylog/ingest/csv_import.h"

namespace tallylog::ingest {
namespace {

std::string src(const std::string& rel) { return testing::source_dir() + "/" + rel; }

class IngestorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto e = election::load_election_toml(src("elections/ve2024/election.toml"));
    ASSERT_TRUE(e) << e.error().to_string();
    election_ = *e;
    data_ = dir_.path() + "/data";
    ASSERT_TRUE(Ingestor::init(data_, election_, "")) << "init";
    mapping_ = Mapping::load(Env::posix(), src("elections/ve2024/convzla-v1.mapping.toml")).value();
    open();
    auto text = Env::posix().read_file(src("tests/fixtures/ingest/stations.csv")).value();
    ImportOptions o;
    auto sum = import_stations_csv(*ing_, text, "stations.csv", mapping_, o);
    ASSERT_TRUE(sum) << sum.error().to_string();
    ASSERT_EQ(sum->summary_line(), "accepted 5, duplicates 0, conflicts 0, rejected 0");
  }
  void open() {
    ing_.reset();
    auto r = Ingestor::open(data_);
    ASSERT_TRUE(r) << r.error().to_string();
    ing_ = std::move(*r);
  }
  ImportSummary import_file(const std::string& rel, const std::string& source) {
    auto text = Env::posix().read_file(src(rel)).value();
    ImportOptions o;
    o.source = source;
    auto sum = import_sheets_csv(*ing_, text, rel, mapping_, o);
    EXPECT_TRUE(sum) << sum.error().to_string();
    return sum.value_or(ImportSummary{});
  }
  election::Sheet sheet(const std::string& station, int64_t eg, int64_t nm, const std::string& source = "official") {
    election::Sheet s;
    s.station = station;
    s.source = source;
    for (const auto& c : election_.candidates) s.candidates[c.code] = 0;
    s.candidates["EG"] = eg;
    s.candidates["NM"] = nm;
    s.fields["valid"] = eg + nm;
    s.fields["null"] = 0;
    return s;
  }
  // The log once a checkpoint covers every entry the index holds (checkpoints follow appends).
  log::LogReader& settled_log() {
    auto& lg = ing_->log();
    EXPECT_TRUE(lg.await_checkpoint(ing_->index().indexed_size().value()));
    return lg;
  }
  // Every entry of the log, decoded.
  std::vector<election::Entry> log_entries() {
    std::vector<election::Entry> out;
    auto& lg = settled_log();
    auto st = lg.for_each_entry(0, lg.size(), [&](uint64_t, std::string_view e) -> Status {
      TL_ASSIGN_OR_RETURN(auto d, election::decode_entry(e));
      out.push_back(std::move(d));
      return {};
    });
    EXPECT_TRUE(st) << st.error().to_string();
    return out;
  }

  testing::TempDir dir_;
  std::string data_;
  election::Election election_;
  Mapping mapping_;
  std::unique_ptr<Ingestor> ing_;
};

TEST_F(IngestorTest, HostileCsvGivesExactCountsAndReasonsAndNothingRejectedIsLogged) {
  ImportSummary sum = import_file("tests/fixtures/ingest/hostile.csv", "witness:convzla");
  EXPECT_EQ(sum.summary_line(), "accepted 3, duplicates 2, conflicts 1, rejected 8");
  EXPECT_EQ(sum.rows, 14u);
  std::map<uint64_t, std::string> by_line;
  for (const auto& r : sum.rejects) by_line[r.line] = r.field + ": " + r.reason;
  ASSERT_EQ(by_line.size(), 8u);
  EXPECT_EQ(by_line[6].substr(0, 4), "row:");
  EXPECT_NE(by_line[6].find("9 fields"), std::string::npos) << by_line[6];
  EXPECT_EQ(by_line[7].substr(0, 13), "candidates.NM") << by_line[7];
  EXPECT_EQ(by_line[8], "EG: 'abc' is not a whole number");
  EXPECT_EQ(by_line[9].substr(0, 8), "station:") << by_line[9];
  EXPECT_NE(by_line[9].find("unknown station"), std::string::npos) << by_line[9];
  EXPECT_EQ(by_line[10].substr(0, 6), "rules:") << by_line[10];
  EXPECT_NE(by_line[11].find("longer than"), std::string::npos) << by_line[11];
  EXPECT_NE(by_line[12].find("invalid UTF-8"), std::string::npos) << by_line[12];
  EXPECT_EQ(by_line[14].substr(0, 6), "rules:") << by_line[14];
  EXPECT_NE(by_line[14].find("registered"), std::string::npos) << by_line[14];

  // The log holds the election, 5 stations and exactly the 4 logged sheets.
  auto entries = log_entries();
  ASSERT_EQ(entries.size(), 1u + 5u + 4u);
  std::multiset<std::pair<std::string, int64_t>> logged;
  for (const auto& e : entries)
    if (auto* s = std::get_if<election::Sheet>(&e.record)) logged.emplace(s->station, s->candidates.at("EG"));
  EXPECT_EQ(logged, (std::multiset<std::pair<std::string, int64_t>>{
                        {"010113042.01", 232}, {"010113042.01", 233}, {"240111018.01", 260}, {"030101007.01", 100}}));

  // The index flags the conflict and keeps the rejects apart.
  auto conflicts = ing_->index().conflicts().value();
  ASSERT_EQ(conflicts.size(), 1u);
  EXPECT_EQ(conflicts[0].station, "010113042.01");
  EXPECT_EQ(conflicts[0].log_indexes, (std::vector<uint64_t>{6, 8}));
  auto rejects = ing_->index().rejects(100).value();
  EXPECT_EQ(rejects.size(), 8u);
  // Re-importing the same file logs nothing new.
  ImportSummary again = import_file("tests/fixtures/ingest/hostile.csv", "witness:convzla");
  EXPECT_EQ(again.summary_line(), "accepted 0, duplicates 6, conflicts 0, rejected 8");
  EXPECT_EQ(settled_log().size(), 10u);
}

TEST_F(IngestorTest, UnknownSourceIsRejected) {
  auto o = ing_->submit(sheet("010113042.01", 10, 5, "rumour")).value();
  EXPECT_EQ(o.verdict, Verdict::kRejected);
  EXPECT_EQ(o.field, "source");
}

TEST_F(IngestorTest, CorrectionSupersedesAndResolvesTheConflict) {
  auto a = ing_->submit(sheet("010113042.01", 10, 5)).value();
  ASSERT_EQ(a.verdict, Verdict::kAccepted);
  auto b = ing_->submit(sheet("010113042.01", 11, 5)).value();
  ASSERT_EQ(b.verdict, Verdict::kConflict);
  EXPECT_EQ(b.conflicts_with, a.log_index);
  ASSERT_EQ(ing_->index().conflicts().value().size(), 1u);

  // A correction of `a` that agrees with `b` ends the conflict.
  auto fix = sheet("010113042.01", 11, 5);
  fix.supersedes = a.log_index;
  auto c = ing_->submit(fix).value();
  EXPECT_EQ(c.verdict, Verdict::kAccepted) << c.reason;
  EXPECT_TRUE(ing_->index().conflicts().value().empty());
  auto recs = ing_->index().sheets_for_station("010113042.01").value();
  ASSERT_EQ(recs.size(), 3u);
  EXPECT_TRUE(recs[0].superseded);
  EXPECT_FALSE(recs[1].superseded);
  EXPECT_FALSE(recs[1].conflicted);
  EXPECT_FALSE(recs[2].superseded);
  EXPECT_EQ(recs[2].sheet.supersedes, a.log_index);

  // Resubmitting the correction is a duplicate; a second correction of `a` is refused.
  EXPECT_EQ(ing_->submit(fix).value().verdict, Verdict::kDuplicate);
  auto again = sheet("010113042.01", 12, 5);
  again.supersedes = a.log_index;
  auto r = ing_->submit(again).value();
  EXPECT_EQ(r.verdict, Verdict::kRejected);
  EXPECT_EQ(r.field, "supersedes");
  EXPECT_NE(r.reason.find("already superseded"), std::string::npos);
  // A correction must name a sheet of the same station.
  auto other = sheet("010113042.02", 1, 1);
  other.supersedes = c.log_index;
  r = ing_->submit(other).value();
  EXPECT_EQ(r.verdict, Verdict::kRejected);
  EXPECT_EQ(r.field, "supersedes");
  // A correction that disagrees with the other current sheet is a conflict again.
  auto wrong = sheet("010113042.01", 13, 5);
  wrong.supersedes = c.log_index;
  auto w = ing_->submit(wrong).value();
  EXPECT_EQ(w.verdict, Verdict::kConflict);
  EXPECT_EQ(w.conflicts_with, b.log_index);
  auto conflicts = ing_->index().conflicts().value();
  ASSERT_EQ(conflicts.size(), 1u);
  EXPECT_EQ(conflicts[0].log_indexes, (std::vector<uint64_t>{*b.log_index, *w.log_index}));
}

// Regression, issue 10 finding 1: a sheet of `witness:x` naming the official sheet of the same
// station in `supersedes` was accepted and the official sheet left the official tally.
TEST_F(IngestorTest, CorrectionFromAnotherSourceIsRejectedAndTheOfficialSheetStaysCurrent) {
  auto official = ing_->submit(sheet("010113042.01", 10, 5)).value();
  ASSERT_EQ(official.verdict, Verdict::kAccepted);
  const uint64_t size = settled_log().size();
  auto forged = sheet("010113042.01", 0, 15, "witness:x");
  forged.supersedes = official.log_index;
  auto r = ing_->submit(forged).value();
  EXPECT_EQ(r.verdict, Verdict::kRejected);
  EXPECT_EQ(r.field, "supersedes");
  EXPECT_NE(r.reason.find("another source"), std::string::npos) << r.reason;
  EXPECT_EQ(settled_log().size(), size) << "nothing rejected reaches the log";
  auto recs = ing_->index().sheets_for_station("010113042.01").value();
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_FALSE(recs[0].superseded);
  // The same witness may still correct its own sheet.
  auto own = ing_->submit(sheet("010113042.01", 1, 15, "witness:x")).value();
  ASSERT_EQ(own.verdict, Verdict::kAccepted);
  auto fix = sheet("010113042.01", 10, 5, "witness:x");
  fix.supersedes = own.log_index;
  EXPECT_EQ(ing_->submit(fix).value().verdict, Verdict::kAccepted);
  EXPECT_FALSE(ing_->index().sheet_at(*official.log_index).value()->superseded);
}

// A log written before the fix may hold a cross-source `supersedes`: opening and reindexing it
// index the sheet, and the sheet it names stays current and counted.
TEST_F(IngestorTest, LoggedCrossSourceCorrectionDoesNotSupersedeOnCatchUpOrReindex) {
  auto official = ing_->submit(sheet("010113042.01", 10, 5)).value();
  ASSERT_TRUE(ing_->close());
  ing_.reset();
  uint64_t forged_at = 0;
  {
    auto lg = log::Log::open(data_).value();
    auto forged = sheet("010113042.01", 0, 15, "witness:x");
    forged.supersedes = official.log_index;
    forged.submitted_at = "2024-07-28T20:00:00Z";
    forged_at = lg->append(election::encode_entry(forged)).value();
    ASSERT_TRUE(lg->close());
  }
  open();  // catches up
  auto check = [&](index::IndexReader& idx) {
    EXPECT_FALSE(idx.sheet_at(*official.log_index).value()->superseded);
    auto rec = idx.sheet_at(forged_at).value();
    ASSERT_TRUE(rec);
    EXPECT_EQ(rec->sheet.supersedes, official.log_index);
    EXPECT_FALSE(rec->corrects.has_value());
    std::vector<uint64_t> official_counts;
    ASSERT_TRUE(idx.for_each_current_count("official", [&](const index::CountRecord& r) {
      official_counts.push_back(r.log_index);
    }));
    EXPECT_EQ(official_counts, (std::vector<uint64_t>{*official.log_index}));
  };
  check(ing_->index());
  const std::string caught_up = ing_->index().dump().value();
  ASSERT_TRUE(ing_->close());
  ing_.reset();
  auto lg = log::Log::open(data_).value();
  auto rebuilt = rebuild_index(data_, *lg);
  ASSERT_TRUE(rebuilt) << rebuilt.error().to_string();
  auto& idx = *rebuilt;
  check(*idx);
  EXPECT_EQ(idx->dump().value(), caught_up);
  ASSERT_TRUE(lg->close());
}

TEST_F(IngestorTest, DuplicateInsideOneBatchIsRecognised) {
  std::vector<election::Sheet> batch = {sheet("010113042.03", 1, 2), sheet("010113042.03", 1, 2)};
  auto out = ing_->submit_batch(batch).value();
  EXPECT_EQ(out[0].verdict, Verdict::kAccepted);
  EXPECT_EQ(out[1].verdict, Verdict::kDuplicate);
  EXPECT_EQ(out[1].log_index, out[0].log_index);
}

TEST_F(IngestorTest, ReindexRebuildsExactlyTheSameStateAndKeepsRejects) {
  import_file("tests/fixtures/ingest/hostile.csv", "witness:convzla");
  auto a = ing_->submit(sheet("010113042.02", 10, 5)).value();
  auto fix = sheet("010113042.02", 9, 5);
  fix.supersedes = a.log_index;
  ASSERT_EQ(ing_->submit(fix).value().verdict, Verdict::kAccepted);
  std::string before = ing_->index().dump().value();
  ASSERT_TRUE(ing_->close());
  ing_.reset();
  {
    auto lg = log::Log::open(data_).value();
    auto idx = rebuild_index(data_, *lg);
    ASSERT_TRUE(idx) << idx.error().to_string();
    EXPECT_EQ((*idx)->dump().value(), before);
    EXPECT_EQ((*idx)->rejects(100).value().size(), 8u);
    ASSERT_TRUE(lg->close());
  }
  open();
  EXPECT_EQ(ing_->index().dump().value(), before);
}

election::Declaration bulletin(const std::string& title, int64_t eg) {
  election::Declaration d;
  d.source = "official";
  d.title = title;
  d.announced_at = "2024-07-29T00:10:00-04:00";
  d.coverage_percent = "80";
  election::DeclaredArea national;
  national.level = "national";
  national.candidates = {{"EG", eg}, {"NM", 100}};
  election::DeclaredArea state;
  state.level = "state";
  state.area = "01";
  state.candidates = {{"EG", eg / 2}};
  d.areas = {national, state};
  return d;
}

TEST_F(IngestorTest, DeclarationsAreLoggedIndexedAndRebuiltByReindexInLogOrder) {
  auto first = ing_->add_declaration(bulletin("one", 10));
  ASSERT_TRUE(first) << first.error().to_string();
  auto s = ing_->submit(sheet("010113042.01", 10, 5)).value();
  ASSERT_EQ(s.verdict, Verdict::kAccepted);
  EXPECT_EQ(s.log_index, *first + 1);
  auto second = ing_->add_declaration(bulletin("two", 20));
  ASSERT_TRUE(second) << second.error().to_string();
  EXPECT_EQ(*second, *first + 2);
  auto decls = ing_->index().declarations().value();
  ASSERT_EQ(decls.size(), 2u);
  EXPECT_EQ(decls[0].log_index, *first);
  EXPECT_EQ(decls[0].declaration.title, "one");
  EXPECT_FALSE(decls[0].declaration.submitted_at.empty());  // set from the clock
  EXPECT_EQ(decls[1].declaration.areas[1].candidates.at("EG"), 10);
  // The log holds the declaration entries; the index is a view of them.
  auto entries = log_entries();
  ASSERT_EQ(entries[*first].type, election::EntryType::kDeclaration);
  EXPECT_EQ(std::get<election::Declaration>(entries[*first].record), decls[0].declaration);
  const std::string before = ing_->index().dump().value();
  EXPECT_NE(before.find("declaration|"), std::string::npos);
  ASSERT_TRUE(ing_->close());
  ing_.reset();
  {
    auto lg = log::Log::open(data_).value();
    auto idx = rebuild_index(data_, *lg);
    ASSERT_TRUE(idx) << idx.error().to_string();
    EXPECT_EQ((*idx)->dump().value(), before);
    EXPECT_EQ((*idx)->declarations().value().size(), 2u);
    ASSERT_TRUE(lg->close());
  }
  open();
  EXPECT_EQ(ing_->index().dump().value(), before);
}

TEST_F(IngestorTest, DeclarationNamingAnUnknownAreaCandidateOrFieldIsRejectedWithTheFieldAndNotLogged) {
  const uint64_t size = ing_->index().indexed_size().value();
  auto area = bulletin("x", 1);
  area.areas[1].area = "99";
  auto r = ing_->add_declaration(area);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(r.error().to_string().find("areas[1].area"), std::string::npos) << r.error().to_string();
  auto cand = bulletin("x", 1);
  cand.areas[0].candidates["ZZ"] = 1;
  r = ing_->add_declaration(cand);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().to_string().find("areas[0].candidates.ZZ"), std::string::npos) << r.error().to_string();
  auto field = bulletin("x", 1);
  field.areas[0].fields["bogus"] = 1;
  r = ing_->add_declaration(field);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().to_string().find("areas[0].fields.bogus"), std::string::npos) << r.error().to_string();
  EXPECT_EQ(ing_->index().indexed_size().value(), size);
  EXPECT_EQ(settled_log().size(), size);
  EXPECT_TRUE(ing_->index().declarations().value().empty());
  // The ingestor is still usable.
  EXPECT_TRUE(ing_->add_declaration(bulletin("ok", 1)));
}

// Issue 16: the import's memory grew with the file (1.6 GB for 1,000,000 sheets) because a
// deferred batch waited only for the previous LOG append: when the index was the slower stage,
// every batch of the file queued behind it with its sheets and entries. With an index made slow
// on purpose, at most two batches (one checked, one appended and indexed) are ever held.
TEST_F(IngestorTest, DeferredBatchesWaitForASlowIndexInsteadOfPilingUpInMemory) {
  ing_.reset();
  IngestorOptions o;
  o.before_index_commit = [] { std::this_thread::sleep_for(std::chrono::milliseconds(20)); };
  auto opened = Ingestor::open(data_, o);
  ASSERT_TRUE(opened) << opened.error().to_string();
  ing_ = std::move(*opened);
  for (int i = 0; i < 8; ++i) {
    std::vector<election::Sheet> b = {sheet("010113042.01", 10 + i, 5)};
    auto r = ing_->submit_batch_deferred(std::move(b));
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_NE((*r)[0].verdict, Verdict::kRejected) << (*r)[0].reason;
    EXPECT_NE((*r)[0].verdict, Verdict::kDuplicate);
  }
  ASSERT_TRUE(ing_->sync_index());
  EXPECT_EQ(ing_->index().indexed_size().value(), settled_log().size());
  EXPECT_EQ(ing_->stats().logged, 8u);
  EXPECT_LE(ing_->stats().max_batches_held, 2u);
}

TEST_F(IngestorTest, ADurableBatchIsAnsweredOnceLoggedWhileItsIndexCommitIsStillPending) {
  // A server's bulk route (submit_batch_durable): the answer waits for the log, not the index.
  ing_.reset();
  std::promise<void> gate;
  std::shared_future<void> open_gate = gate.get_future().share();
  std::atomic<int> commits{0};
  IngestorOptions o;
  o.before_index_commit = [open_gate] { open_gate.wait(); };
  o.after_index_commit = [&commits] { ++commits; };
  auto opened = Ingestor::open(data_, o);
  ASSERT_TRUE(opened) << opened.error().to_string();
  ing_ = std::move(*opened);
  const uint64_t before = ing_->index().indexed_size().value();
  std::vector<election::Sheet> b = {sheet("010113042.01", 10, 5), sheet("010113042.02", 3, 4)};
  auto r = ing_->submit_batch_durable(std::move(b));
  ASSERT_TRUE(r) << r.error().to_string();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].verdict, Verdict::kAccepted) << (*r)[0].reason;
  EXPECT_EQ((*r)[1].verdict, Verdict::kAccepted) << (*r)[1].reason;
  EXPECT_EQ((*r)[1].log_index, before + 1);
  // Answered while the index commit is held back: the entries are in the log, not yet indexed.
  EXPECT_TRUE(ing_->log().await_checkpoint(before + 2));
  EXPECT_EQ(ing_->index().indexed_size().value(), before);
  EXPECT_EQ(commits.load(), 0);
  gate.set_value();
  ASSERT_TRUE(ing_->sync_index());
  EXPECT_EQ(ing_->index().indexed_size().value(), before + 2);
  EXPECT_EQ(commits.load(), 1);
  // A resubmission is decided against the ledger, whatever the index has committed.
  std::vector<election::Sheet> again = {sheet("010113042.01", 10, 5)};
  auto dup = ing_->submit_batch_durable(std::move(again));
  ASSERT_TRUE(dup) << dup.error().to_string();
  EXPECT_EQ((*dup)[0].verdict, Verdict::kDuplicate);
  EXPECT_EQ((*dup)[0].log_index, before);
}

TEST_F(IngestorTest, DeferredBatchesGiveTheSameVerdictsAndIndexAsSynchronousOnes) {
  // The same batches (duplicates within and across batches, a conflict, a correction of a sheet
  // whose index commit is still in flight, a reject) through submit_batch in a second data
  // directory and through submit_batch_deferred here.
  auto batches = [&]() {
    std::vector<std::vector<election::Sheet>> b(3);
    b[0] = {sheet("010113042.01", 10, 5), sheet("010113042.02", 3, 4), sheet("010113042.02", 3, 4)};
    b[1] = {sheet("010113042.01", 10, 5), sheet("010113042.01", 11, 5), sheet("999999999.99", 1, 1),
            sheet("010113042.03", 1, 1)};
    b[2] = {sheet("010113042.02", 3, 5), sheet("010113042.03", 2, 1)};
    b[2][0].supersedes = 7;  // the sheet of station .02 logged in the first batch
    for (auto& batch : b)
      for (auto& s : batch) s.submitted_at = "2026-11-29T00:00:00Z";
    return b;
  };
  std::string other = dir_.path() + "/sync";
  ASSERT_TRUE(Ingestor::init(other, election_, ""));
  auto sync = Ingestor::open(other).value();
  {
    auto text = Env::posix().read_file(src("tests/fixtures/ingest/stations.csv")).value();
    ASSERT_TRUE(import_stations_csv(*sync, text, "stations.csv", mapping_, ImportOptions{}));
  }
  auto sync_batches = batches();
  auto deferred_batches = batches();
  for (size_t i = 0; i < sync_batches.size(); ++i) {
    auto a = sync->submit_batch(sync_batches[i]);
    auto b = ing_->submit_batch_deferred(std::move(deferred_batches[i]));
    ASSERT_TRUE(a) << a.error().to_string();
    ASSERT_TRUE(b) << b.error().to_string();
    ASSERT_EQ(a->size(), b->size());
    for (size_t k = 0; k < a->size(); ++k) {
      EXPECT_EQ((*a)[k].verdict, (*b)[k].verdict) << "batch " << i << " sheet " << k;
      EXPECT_EQ((*a)[k].log_index, (*b)[k].log_index) << "batch " << i << " sheet " << k;
      EXPECT_EQ((*a)[k].conflicts_with, (*b)[k].conflicts_with) << "batch " << i << " sheet " << k;
      EXPECT_EQ((*a)[k].field, (*b)[k].field) << "batch " << i << " sheet " << k;
    }
    if (i == 1) {
      EXPECT_EQ((*b)[0].verdict, Verdict::kDuplicate);
      EXPECT_EQ((*b)[1].verdict, Verdict::kConflict);
      EXPECT_EQ((*b)[2].verdict, Verdict::kRejected);
    }
    if (i == 2) {
      EXPECT_EQ((*b)[0].verdict, Verdict::kAccepted) << (*b)[0].reason;
    }
  }
  ASSERT_TRUE(ing_->sync_index());
  EXPECT_EQ(ing_->index().indexed_size().value(), settled_log().size());
  std::string deferred_dump = ing_->index().dump().value();
  EXPECT_EQ(deferred_dump, sync->index().dump().value());
  EXPECT_FALSE(ing_->index().conflicts().value().empty()) << "a conflicted sheet is in the index";
  ASSERT_TRUE(ing_->close());
  ASSERT_TRUE(sync->close());
  ing_.reset();
  auto lg = log::Log::open(data_).value();
  auto idx = rebuild_index(data_, *lg);
  ASSERT_TRUE(idx) << idx.error().to_string();
  EXPECT_EQ((*idx)->dump().value(), deferred_dump);
  ASSERT_TRUE(lg->close());
}

TEST_F(IngestorTest, IndexCatchesUpWithEntriesLoggedBeforeACrash) {
  ASSERT_TRUE(ing_->close());
  ing_.reset();
  uint64_t first = 0;
  {
    // Simulate a crash between the log append and the index update.
    auto lg = log::Log::open(data_).value();
    auto s = sheet("030101007.01", 7, 3);
    s.submitted_at = "2024-07-28T20:00:00Z";
    first = lg->append(election::encode_entry(s)).value();
    ASSERT_TRUE(lg->close());
  }
  open();
  EXPECT_EQ(ing_->index().indexed_size().value(), first + 1);
  auto rec = ing_->index().sheet_at(first).value();
  ASSERT_TRUE(rec.has_value());
  EXPECT_EQ(rec->sheet.candidates.at("EG"), 7);
  // ... and the in-memory state knows it: resubmitting is a duplicate.
  auto o = ing_->submit(sheet("030101007.01", 7, 3)).value();
  EXPECT_EQ(o.verdict, Verdict::kDuplicate);
  EXPECT_EQ(o.log_index, first);
}

TEST_F(IngestorTest, ConcurrentSubmittersLogEachSheetExactlyOnce) {
  const std::vector<std::string> stations = {"010113042.01", "010113042.02", "010113042.03", "240111018.01"};
  std::vector<std::thread> threads;
  std::atomic<int> logged{0}, duplicates{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      // Every thread submits the same 20 sheets; exactly one copy of each is logged.
      for (int i = 0; i < 20; ++i) {
        auto o = ing_->submit(sheet(stations[i % 4], i, 0, "observer:x")).value();
        (o.verdict == Verdict::kDuplicate ? duplicates : logged)++;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(logged, 20);
  EXPECT_EQ(duplicates, 60);
  EXPECT_EQ(settled_log().size(), 6u + 20u);
  EXPECT_EQ(ing_->index().indexed_size().value(), 6u + 20u);
}

TEST_F(IngestorTest, StationsImportTwiceIsAllDuplicatesAndChangedStationIsRejected) {
  auto text = Env::posix().read_file(src("tests/fixtures/ingest/stations.csv")).value();
  auto sum = import_stations_csv(*ing_, text, "stations.csv", mapping_, ImportOptions{}).value();
  EXPECT_EQ(sum.summary_line(), "accepted 0, duplicates 5, conflicts 0, rejected 0");
  election::Station s = ing_->index().station("010113042.01").value().value();
  s.registered = *s.registered + 1;
  auto out = ing_->add_stations(std::span<const election::Station>(&s, 1)).value();
  EXPECT_EQ(out[0].verdict, Verdict::kRejected);
  EXPECT_EQ(out[0].field, "code");
}

}  // namespace
}  // namespace tallylog::ingest
