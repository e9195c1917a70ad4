#include "tallylog/audit/derive.h"

#include <gtest/gtest.h>

#include "tallylog/audit/json_diff.h"
#include "tallylog/base/testing.h"
#include "tallylog/election/test_fixtures.h"
#include "tallylog/index/open.h"
#include "tallylog/ingest/ingestor.h"
#include "tallylog/tally/bound.h"
#include "tallylog/tally/compare.h"
#include "tallylog/tally/format.h"
#include "tallylog/tally/from_index.h"

namespace tallylog::audit {
namespace {

using namespace election::testing;

election::Sheet sheet(const std::string& station, const std::string& source, int64_t a1, int64_t a2, int64_t b) {
  election::Sheet s = small_sheet(station);
  s.source = source;
  s.cards = {a1, a2, b};
  s.fields = {{"valid", a1 + a2 + b}, {"null", 1}};
  return s;
}

// A small election with every kind of sheet: agreeing and disagreeing sources, a conflict, a
// correction, and a sheet for a station missing from the registry.
struct Data {
  tallylog::testing::TempDir tmp;
  std::string dir = tmp.file("data");
  Data() {
    EXPECT_TRUE(ingest::Ingestor::init(dir, small_election(), ""));
    auto in = ingest::Ingestor::open(dir).value();
    std::vector<election::Station> st;
    for (int r = 1; r <= 3; ++r) {
      for (int t = 1; t <= 4; ++t) {
        election::Station s = small_station("R" + std::to_string(r) + ".0" + std::to_string(t), 100 + 10 * t);
        s.areas[0] = {"R" + std::to_string(r), "Region " + std::to_string(r)};
        st.push_back(s);
      }
    }
    EXPECT_TRUE(in->add_stations(st));
    std::vector<election::Sheet> sheets = {
        sheet("R1.01", "official", 10, 5, 20), sheet("R1.01", "witness:x", 10, 5, 20),  // agree
        sheet("R1.02", "official", 3, 3, 30), sheet("R1.02", "witness:x", 3, 4, 30),    // differ
        sheet("R2.01", "official", 1, 1, 1), sheet("R2.01", "official", 2, 1, 1),      // conflict
        sheet("R3.04", "witness:y", 7, 0, 9), sheet("R9.99", "official", 1, 1, 1),      // unplaced
    };
    auto out = in->submit_batch(sheets).value();
    // A correction of the R1.02 official sheet.
    election::Sheet fix = sheet("R1.02", "official", 3, 4, 30);
    fix.supersedes = out[2].log_index;
    EXPECT_TRUE(in->submit(fix));
  }
};

TEST(Derivation, ReproducesEveryAnswerTheIndexGivesByteForByte) {
  Data d;
  auto index = index::open_index(d.dir).value();
  auto geo = tally::geography_from_index(*index).value();
  auto reader = log::open_reader(d.dir).value();
  auto der = Derivation::build(*reader, reader->size()).value();
  std::vector<std::string> rules = {"*", "official", "witness:*", "qr"};
  for (const auto& r : rules) {
    auto rule = tally::SourceRule::parse(r).value();
    auto tab = tally::tabulate_index(*index, geo, rule).value();
    for (int depth = 0; depth < geo->depth_count(); ++depth) {
      std::string level(geo->depth_name(depth));
      EXPECT_EQ(der->answer("/api/v1/tally", {{"level", level}, {"source", r}}).value(), tally::tally_to_json(tab, depth) + "\n")
          << r << " " << level;
    }
    EXPECT_EQ(der->answer("/api/v1/bound", {{"source", r}}).value(),
              tally::bound_to_json(tally::outcome_bound(tab).value(), *geo) + "\n");
    // An answer that states its log size, as the server's do (tally/format.h).
    EXPECT_EQ(der->answer("/api/v1/tally", {{"level", "region"}, {"source", r}}, reader->size()).value(),
              tally::tally_to_json(tab, 1, reader->size()) + "\n");
    for (const auto& s : rules) {
      auto tab_b = tally::tabulate_index(*index, geo, tally::SourceRule::parse(s).value()).value();
      EXPECT_EQ(der->answer("/api/v1/compare", {{"a", r}, {"b", s}, {"level", "region"}}).value(),
                tally::compare_to_json(tally::compare(tab, tab_b, 1).value(), *geo) + "\n");
    }
  }
}

TEST(Derivation, AnswersEveryLevelOfAPairFromOneComparisonAsComparedAtThatLevel) {
  // The derivation compares a pair once and answers each level from it: every level, with and
  // without a stated log size, pairs asked in turn (each must get its own comparison), is what
  // compare() at that level gives.
  Data d;
  auto index = index::open_index(d.dir).value();
  auto geo = tally::geography_from_index(*index).value();
  auto reader = log::open_reader(d.dir).value();
  auto der = Derivation::build(*reader, reader->size()).value();
  auto tab = [&](const char* r) { return tally::tabulate_index(*index, geo, tally::SourceRule::parse(r).value()).value(); };
  const auto official = tab("official"), witness = tab("witness:*"), all = tab("*");
  for (int round = 0; round < 2; ++round) {
    for (int depth = 0; depth < geo->depth_count(); ++depth) {
      std::string level(geo->depth_name(depth));
      for (std::optional<uint64_t> size : {std::optional<uint64_t>(), std::optional<uint64_t>(reader->size())}) {
        EXPECT_EQ(der->answer("/api/v1/compare", {{"a", "official"}, {"b", "witness:*"}, {"level", level}}, size).value(),
                  tally::compare_to_json(tally::compare(official, witness, depth).value(), *geo, size) + "\n")
            << level;
        EXPECT_EQ(der->answer("/api/v1/compare", {{"a", "witness:*"}, {"b", "*"}, {"level", level}}, size).value(),
                  tally::compare_to_json(tally::compare(witness, all, depth).value(), *geo, size) + "\n")
            << level;
      }
    }
  }
}

TEST(Derivation, CountsTheFiguresOfEachAnswerAsItFormatsIt) {
  // The audit counts an answer's figures as the derivation formats it (answer_streamed's result)
  // instead of scanning the published body when both are equal: the count must be what
  // count_figures finds in the text, for every kind of answer (ratios, nulls of unknown figures,
  // compare heads listing tables, answers stating their size or not).
  Data d;
  auto reader = log::open_reader(d.dir).value();
  auto der = Derivation::build(*reader, reader->size()).value();
  const std::vector<std::string> rules = {"*", "official", "witness:*", "qr"};
  size_t answers = 0;
  auto check = [&](const std::string& path, const std::map<std::string, std::string>& q, std::optional<uint64_t> size) {
    std::string text;
    auto n = der->answer_streamed(path, q, size, [&](std::string_view piece) { text += piece; });
    ASSERT_TRUE(n.has_value()) << path;
    EXPECT_EQ(*n, count_figures(text)) << path << " " << text;
    EXPECT_EQ(text, der->answer(path, q, size).value());
    ++answers;
  };
  for (std::optional<uint64_t> size : {std::optional<uint64_t>(), std::optional<uint64_t>(reader->size())}) {
    for (const auto& r : rules) {
      check("/api/v1/bound", {{"source", r}}, size);
      for (const char* level : {"national", "region", "table"}) {
        check("/api/v1/tally", {{"level", level}, {"source", r}}, size);
        for (const auto& s : rules) check("/api/v1/compare", {{"a", r}, {"b", s}, {"level", level}}, size);
      }
    }
  }
  EXPECT_EQ(answers, 2u * 4 * (1 + 3 * (1 + 4)));
}

TEST(Derivation, RulesTabulatedAheadOnSeveralThreadsGiveTheSameAnswers) {
  Data d;
  auto reader = log::open_reader(d.dir).value();
  auto lazy = Derivation::build(*reader, reader->size()).value();
  auto ahead = Derivation::build(*reader, reader->size()).value();
  const std::vector<std::string> rules = {"*", "official", "witness:*", "qr", "official"};
  ASSERT_TRUE(ahead->prepare(rules));
  for (const auto& r : rules) {
    for (const char* level : {"national", "region", "table"}) {
      EXPECT_EQ(ahead->answer("/api/v1/tally", {{"level", level}, {"source", r}}).value(),
                lazy->answer("/api/v1/tally", {{"level", level}, {"source", r}}).value());
      EXPECT_EQ(ahead->answer("/api/v1/compare", {{"a", r}, {"b", "*"}, {"level", level}}).value(),
                lazy->answer("/api/v1/compare", {{"a", r}, {"b", "*"}, {"level", level}}).value());
    }
  }
  // A rule that does not parse fails the preparation; the others are still tabulated.
  auto mixed = Derivation::build(*reader, reader->size()).value();
  auto failed = mixed->prepare({"witness:*", "wit*ness"});
  ASSERT_FALSE(failed);
  EXPECT_EQ(mixed->answer("/api/v1/tally", {{"level", "table"}, {"source", "witness:*"}}).value(),
            lazy->answer("/api/v1/tally", {{"level", "table"}, {"source", "witness:*"}}).value());
}

TEST(Derivation, AnswersAtAnEarlierSizeAsTheLogWasThen) {
  Data d;
  auto reader = log::open_reader(d.dir).value();
  // Before the correction (the last entry) the official R1.02 sheet still says A = 6.
  auto before = Derivation::build(*reader, reader->size() - 1).value();
  auto after = Derivation::build(*reader, reader->size()).value();
  std::string b = before->answer("/api/v1/tally", {{"level", "table"}, {"source", "official"}}).value();
  std::string a = after->answer("/api/v1/tally", {{"level", "table"}, {"source", "official"}}).value();
  EXPECT_NE(a, b);
  EXPECT_NE(b.find(R"("code":"R1.02")"), std::string::npos);
}

TEST(Derivation, RefusesALogWithoutElectionAndUnknownRoutes) {
  tallylog::testing::TempDir tmp;
  auto log = log::Log::create(tmp.file("d"), {.origin = "x.example/log"}).value();
  ASSERT_TRUE(log->append("raw line"));
  ASSERT_TRUE(log->close());
  auto reader = log::open_reader(tmp.file("d")).value();
  auto r = Derivation::build(*reader, 1);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("no election entry"), std::string::npos);
  Data d;
  auto rd = log::open_reader(d.dir).value();
  EXPECT_FALSE(Derivation::build(*rd, rd->size()).value()->answer("/api/v1/sheets", {}));
}

}  // namespace
}  // namespace tallylog::audit
