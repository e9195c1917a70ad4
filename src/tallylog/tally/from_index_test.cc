#include "tallylog/tally/from_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "tallylog/base/testing.h"
#include "tallylog/election/entry.h"
#include "tallylog/index/open.h"
#include "tallylog/ingest/derive.h"
#include "tallylog/tally/bound.h"
#include "tallylog/tally/flags.h"
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

TEST_F(FromIndexTest, APrefixNoSourceHasTabulatesNothingAndOneSomeSourceHasEverySheet) {
  // The index filters a rule's sources itself (by prefix for "observer:*"): the report must be
  // what a tabulation that reads every sheet and keeps the rule's gives, at every level.
  log_sheets({sheet(0, "T1", "official", 1, 2, 3), sheet(0, "T2", "observer:eu", 4, 5, 6),
              sheet(0, "T3", "observer:oas", 7, 8, 9)});
  auto geo = geography_from_index(*idx_).value();
  for (const char* text : {"witness:*", "observer:*", "observer:eu", "*"}) {
    const SourceRule rule = *SourceRule::parse(text);
    auto tab = tabulate_index(*idx_, geo, rule).value();
    Tabulation read_all(geo, rule);
    ASSERT_TRUE(idx_->for_each_current_count("", [&](const index::CountRecord& r) {
      ASSERT_TRUE(read_all.add_deferred(r));
    }));
    read_all.recompute_totals();
    for (int depth = 0; depth < geo->depth_count(); ++depth)
      EXPECT_EQ(tally_to_json(tab, depth), tally_to_json(read_all, depth)) << text << " " << depth;
  }
  EXPECT_EQ(tabulate_index(*idx_, geo, *SourceRule::parse("witness:*"))->totals(0).tables_reported, 0);
  EXPECT_EQ(tabulate_index(*idx_, geo, *SourceRule::parse("observer:*"))->totals(0).candidates,
            (std::vector<int64_t>{11, 13, 15}));
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


// Issue 13: stations whose registered voters are unknown count as tables; registered voters are
// summed over the known ones; turnout leaves the unknown ones out (votes and voters) and every
// output says how many; stored totals, a tabulation and a rebuilt index agree; a rule on
// `registered` is not checked there but listed; the bound gives them the per-table cap.
TEST(UnknownRegisteredVoters, TurnoutLeavesThemOutAndEveryReportSaysHowMany) {
  election::Election e = testing::small_election();
  e.rules = {"valid + null <= registered"};
  e.flags = {{"null <= 5", ""}};
  std::vector<election::Station> stations = testing::small_stations();  // T1..T5: 100..500
  election::Station t6 = testing::station("S2", "C3", "T6", 0), t7 = testing::station("S1", "C1", "T7", 0);
  t6.registered.reset();
  t7.registered.reset();
  stations.push_back(t6);
  stations.push_back(t7);
  // Counted: T1 (known), T4 (known), T6 (unknown; 893 ballots, more than any known table holds).
  const std::vector<index::SheetRecord> sheets = {sheet(0, "T1", "official", 40, 30, 10, 2),
                                                  sheet(0, "T4", "official", 100, 150, 50, 9),
                                                  sheet(0, "T6", "official", 500, 300, 90, 3)};
  std::vector<std::string> entries = {election::encode_entry(e)};
  for (const auto& st : stations) entries.push_back(election::encode_entry(st));
  for (const auto& r : sheets) entries.push_back(election::encode_entry(r.sheet));

  auto build = [&](const std::string& dir) {
    auto idx = index::open_index(dir).value();
    ingest::Deriver d;
    auto tx = idx->begin().value();
    for (const auto& en : entries) EXPECT_TRUE(d.apply_entry(*tx, en));
    EXPECT_TRUE(d.finish(*tx));
    EXPECT_TRUE(tx->commit());
    return idx;
  };
  ::tallylog::testing::TempDir dir, again;
  auto idx = build(dir.path());
  auto geo = geography_from_index(*idx).value();
  auto tab = tabulate_index(*idx, geo, SourceRule()).value();

  // Independent: turnout over the counted tables whose registered voters are known.
  int64_t cast_known = 0, registered_known = 0;
  uint64_t excluded = 0;
  for (const auto& r : sheets) {
    const auto it = std::find_if(stations.begin(), stations.end(),
                                 [&](const election::Station& st) { return st.code == r.sheet.station; });
    if (!it->registered) {
      ++excluded;
      continue;
    }
    cast_known += r.sheet.fields.at("valid") + r.sheet.fields.at("null");
    registered_known += static_cast<int64_t>(*it->registered);
  }
  ASSERT_EQ(excluded, 1u);
  const AreaTotals n = tab.totals(geo->national());
  EXPECT_EQ(n.tables_reported, 3);
  EXPECT_EQ(n.registered_covered, registered_known);
  EXPECT_EQ(n.tables_registered_unknown, 1);
  EXPECT_EQ(geo->area(geo->national()).tables_registered, 7u);
  EXPECT_EQ(geo->area(geo->national()).tables_registered_unknown, 2u);
  EXPECT_EQ(geo->area(geo->national()).registered_voters, 1500u);

  const std::string json = tally_to_json(tab, 0);
  char turnout[64];
  std::snprintf(turnout, sizeof turnout, "\"turnout\":%g", std::round(double(cast_known) / registered_known * 1e6) / 1e6);
  EXPECT_NE(json.find(turnout), std::string::npos) << turnout << " in " << json;
  EXPECT_NE(json.find(R"("registered_voters":1500,"registered_covered":500,"tables_registered_unknown":2,)"
                      R"("turnout_excluded_tables":1,"coverage")"),
            std::string::npos)
      << json;
  const std::string csv = tally_to_csv(tab, 1);
  EXPECT_NE(csv.find("registered_covered,tables_registered_unknown,turnout_excluded_tables,valid"), std::string::npos) << csv;
  EXPECT_NE(csv.find("state,S2,State S2,2,3,0,900,400,1,1,"), std::string::npos) << csv;
  EXPECT_NE(tally_to_text(tab, 1).find("2 tables of the registry have unknown registered voters; 1 of them are counted "
                                       "and left out of turnout"),
            std::string::npos);

  // The stored totals print the same bytes at every level above the table.
  for (int depth = 0; depth < geo->table_depth(); ++depth) {
    auto upper = upper_geography_from_index(*idx, depth).value();
    ASSERT_TRUE(upper.has_value());
    auto stored = stored_tally(*idx, *upper, SourceRule()).value();
    ASSERT_TRUE(stored.has_value());
    EXPECT_EQ(tally_to_json(*stored, depth), tally_to_json(tab, depth)) << depth;
    EXPECT_EQ(tally_to_csv(*stored, depth), tally_to_csv(tab, depth)) << depth;
    EXPECT_EQ(tally_to_text(*stored, depth), tally_to_text(tab, depth)) << depth;
  }
  // Rebuilt from the same entries (reindex): the same index.
  EXPECT_EQ(build(again.path())->dump().value(), idx->dump().value());

  // The rule on `registered` was not checked at T6: listed, not a flag and not a rejection.
  auto flags = find_flags(*idx, *geo, SourceRule()).value();
  EXPECT_EQ(flags.sheets_checked, 3u);
  EXPECT_EQ(flags.sheets_registered_unknown, 1u);
  ASSERT_EQ(flags.not_checked.size(), 1u);
  EXPECT_EQ(flags.not_checked[0].rule, "valid + null <= registered");
  EXPECT_FALSE(flags.not_checked[0].flag);
  EXPECT_EQ(flags.not_checked[0].sheets, 1u);
  EXPECT_EQ(flags.sheets.size(), 1u);  // T4: null 9 > 5
  EXPECT_NE(flags_to_json(flags, *geo).find(R"("not_checked":[{"rule":"valid + null <= registered","kind":"reject",)"
                                            R"("sheets":1,"reason":"registered voters unknown"}])"),
            std::string::npos);

  // Bound: T7 (uncounted, unknown) is capped like a table absent from the registry: the largest
  // known figure (T5's 500), at its area's highest observed turnout (S1: T1's 82/100).
  BoundOptions by_state;
  by_state.turnout_depth = 1;
  auto b = outcome_bound(tab, by_state).value();
  EXPECT_EQ(b.registered_unknown_tables, 1u);
  EXPECT_EQ(b.unregistered_table_cap, 500u);
  EXPECT_EQ(b.registered_unknown_voters, 500u);
  EXPECT_EQ(b.registered_unknown_observed, 410u);  // ceil(500 x 0.82)
  EXPECT_EQ(b.registered_unreported, 200u + 300u + 500u);
  EXPECT_EQ(b.max_full, 200u + 300u + 500u + 500u);
}

}  // namespace
}  // namespace tallylog::tally
