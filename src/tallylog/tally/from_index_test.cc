#include "tallylog/tally/from_index.h"

#include <gtest/gtest.h>

#include "tallylog/base/testing.h"
#include "tallylog/election/entry.h"
#include "tallylog/index/open.h"
#include "tallylog/ingest/derive.h"
#include "tallylog/tally/format.h"
#include "tallylog/tally/test_election.h"

namespace tallylog::tally {
namespace {

using testing::sheet;

// A real index written from log entries through the deriver (as `reindex` does).
class FromIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    idx_ = index::open_index(dir_.path()).value();
    std::vector<std::string> entries = {election::encode_entry(testing::small_election())};
    for (const auto& s : testing::small_stations()) entries.push_back(election::encode_entry(s));
    apply(entries);
  }
  void apply(const std::vector<std::string>& entries) {
    auto tx = idx_->begin().value();
    for (const auto& e : entries) ASSERT_TRUE(deriver_.apply_entry(*tx, e));
    ASSERT_TRUE(deriver_.finish(*tx));
    ASSERT_TRUE(tx->commit());
  }
  // Logs sheets at the next log indexes (their own log_index is ignored).
  void log_sheets(const std::vector<index::SheetRecord>& records) {
    std::vector<std::string> entries;
    for (const auto& r : records) entries.push_back(election::encode_entry(r.sheet));
    apply(entries);
  }

  ::tallylog::testing::TempDir dir_;
  std::unique_ptr<index::Index> idx_;
  ingest::Deriver deriver_;
};

TEST_F(FromIndexTest, TabulatesTheCurrentSheetsOfTheIndexUnderARule) {
  log_sheets({sheet(0, "T1", "official", 1, 2, 3), sheet(0, "T2", "witness:a", 4, 5, 6), sheet(0, "T3", "qr", 7, 8, 9)});
  auto geo = geography_from_index(*idx_);
  ASSERT_TRUE(geo.has_value()) << geo.error().to_string();
  EXPECT_EQ((*geo)->table_count(), 5u);
  auto tab = tabulate_index(*idx_, *geo, *SourceRule::parse("witness:*"));
  ASSERT_TRUE(tab.has_value());
  EXPECT_EQ(tab->totals(0).candidates, (std::vector<int64_t>{4, 5, 6}));
  auto exact = tabulate_index(*idx_, *geo, *SourceRule::parse("official"));
  EXPECT_EQ(exact->totals(0).candidates, (std::vector<int64_t>{1, 2, 3}));
}

TEST_F(FromIndexTest, StoredTotalsPrintTheSameTallyAsATabulationAtEveryLevelAboveTheTable) {
  log_sheets({sheet(0, "T1", "official", 1, 2, 3), sheet(0, "T1", "witness:a", 1, 2, 3),
              sheet(0, "T2", "witness:a", 4, 5, 6), sheet(0, "T2", "witness:b", 4, 5, 7),
              sheet(0, "T4", "qr", 7, 8, 9, 2)});
  auto geo = geography_from_index(*idx_).value();
  for (std::string rule_text : {"*", "official", "witness:*", "witness:b", "qr", "nobody"}) {
    const SourceRule rule = *SourceRule::parse(rule_text);
    auto tab = tabulate_index(*idx_, geo, rule).value();
    for (int depth = 0; depth < geo->table_depth(); ++depth) {
      auto upper = upper_geography_from_index(*idx_, depth).value();
      ASSERT_TRUE(upper.has_value());
      auto stored = stored_tally(*idx_, *upper, rule).value();
      ASSERT_TRUE(stored.has_value()) << rule_text;
      EXPECT_EQ(tally_to_json(*stored, depth, 11), tally_to_json(tab, depth, 11)) << rule_text << " " << depth;
      EXPECT_EQ(tally_to_text(*stored, depth), tally_to_text(tab, depth)) << rule_text << " " << depth;
      EXPECT_EQ(tally_to_csv(*stored, depth), tally_to_csv(tab, depth)) << rule_text << " " << depth;
    }
  }
  // A prefix the election does not declare has no stored totals: tabulate instead.
  auto upper = upper_geography_from_index(*idx_, 1).value();
  EXPECT_FALSE(stored_tally(*idx_, *upper, *SourceRule::parse("witn*")).value().has_value());
}

TEST_F(FromIndexTest, TallyJsonStatesTheLogSizeItReflectsAfterTheSource) {
  log_sheets({sheet(0, "T1", "official", 1, 2, 3)});
  auto upper = *upper_geography_from_index(*idx_, 1).value();
  auto stored = *stored_tally(*idx_, upper, SourceRule()).value();
  const std::string json = tally_to_json(stored, 1, idx_->indexed_size().value());
  EXPECT_NE(json.find(R"({"level":"state","source":"*","log_size":7,"areas":)"), std::string::npos) << json;
  EXPECT_EQ(tally_to_json(stored, 1).find("log_size"), std::string::npos);
}

TEST_F(FromIndexTest, ASheetTheElectionCannotHoldFailsTheTallyAndStopsTheStoredTotals) {
  auto bad = sheet(0, "T1", "official", 1, 1, 1);
  bad.sheet.fields["turnout"] = 3;
  log_sheets({bad});
  EXPECT_NE(idx_->aggregates_state().value().find("turnout"), std::string::npos);
  EXPECT_FALSE(upper_geography_from_index(*idx_, 1).value().has_value());
  auto geo = geography_from_index(*idx_).value();
  auto r = tabulate_index(*idx_, geo, {});
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("turnout"), std::string::npos);
}

}  // namespace
}  // namespace tallylog::tally
