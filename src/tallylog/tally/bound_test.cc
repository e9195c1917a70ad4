#include "tallylog/tally/bound.h"

#include <gtest/gtest.h>

#include "tallylog/tally/test_election.h"

namespace tallylog::tally {
namespace {

using testing::sheet;

// Registered: S1 {C1 {T1 100, T2 200}, C2 {T3 300}}, S2 {C3 {T4 400, T5 500}}.
Tabulation tabulate(const election::Election& e, const std::vector<index::SheetRecord>& records) {
  auto stations = testing::small_stations();
  Tabulation tab(*Geography::build(e, stations), {});
  for (const auto& r : records) EXPECT_TRUE(tab.add(r).has_value());
  return tab;
}

TEST(OutcomeBound, LeadLargerThanEveryUnreportedVoteIsDecided) {
  auto tab = tabulate(testing::small_election(),
                      {sheet(1, "T1", "o", 90, 5, 0), sheet(2, "T2", "o", 180, 10, 0), sheet(3, "T3", "o", 280, 10, 0),
                       sheet(4, "T4", "o", 380, 10, 0)});
  auto b = outcome_bound(tab);
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->leader, "A");
  EXPECT_EQ(b->leader_votes, 930);
  EXPECT_FALSE(b->tied);
  ASSERT_EQ(b->rivals.size(), 2u);
  EXPECT_EQ(b->rivals[0].candidate, "B");
  EXPECT_EQ(b->rivals[0].lead, 895);
  EXPECT_EQ(b->rivals[1].candidate, "C");
  EXPECT_EQ(b->tables_unreported, 1);
  EXPECT_EQ(b->max_full, 500u);
  EXPECT_EQ(b->turnout_level, "state");
  // T5 is in S2, whose highest observed turnout is T4's 390/400: ceil(500 * 0.975) = 488.
  EXPECT_EQ(b->max_observed, 488u);
  EXPECT_TRUE(b->decided_full);
  EXPECT_TRUE(b->decided_observed);
}

TEST(OutcomeBound, LeadEqualToTheFullBoundIsNotDecidedButObservedTurnoutDecides) {
  // Turnout 50 % everywhere; T5 (500 voters) unreported; A leads B by exactly 500.
  auto tab = tabulate(testing::small_election(),
                      {sheet(1, "T1", "o", 50, 0, 0), sheet(2, "T2", "o", 100, 0, 0), sheet(3, "T3", "o", 150, 0, 0),
                       sheet(4, "T4", "o", 200, 0, 0)});
  auto b = *outcome_bound(tab);
  EXPECT_EQ(b.rivals[0].lead, 500);
  EXPECT_EQ(b.max_full, 500u);
  EXPECT_FALSE(b.decided_full) << "B could still tie, and a tie is not decided";
  EXPECT_EQ(b.max_observed, 250u);
  EXPECT_TRUE(b.decided_observed);
}

TEST(OutcomeBound, LeadSmallerThanBothBoundsIsNotDecided) {
  auto tab = tabulate(testing::small_election(), {sheet(1, "T1", "o", 60, 30, 0)});
  auto b = *outcome_bound(tab);
  EXPECT_EQ(b.rivals[0].lead, 30);
  EXPECT_EQ(b.tables_unreported, 4);
  EXPECT_EQ(b.max_full, 1400u);
  // Observed turnout 0.9 in S1 (from T1) and, falling back to national, 0.9 in S2.
  EXPECT_EQ(b.max_observed, 180u + 270u + 360u + 450u);
  EXPECT_EQ(b.tables_fallback, 2);
  EXPECT_FALSE(b.decided_full);
  EXPECT_FALSE(b.decided_observed);
}

TEST(OutcomeBound, TieForFirstPlaceIsNeverDecided) {
  auto tab = tabulate(testing::small_election(),
                      {sheet(1, "T1", "o", 40, 40, 0), sheet(2, "T2", "o", 1, 1, 0), sheet(3, "T3", "o", 0, 0, 0),
                       sheet(4, "T4", "o", 0, 0, 0), sheet(5, "T5", "o", 0, 0, 0)});
  auto b = *outcome_bound(tab);
  EXPECT_EQ(b.tables_unreported, 0);
  EXPECT_EQ(b.max_full, 0u);
  EXPECT_TRUE(b.tied);
  EXPECT_EQ(b.rivals[0].lead, 0);
  EXPECT_FALSE(b.decided_full);
  EXPECT_FALSE(b.decided_observed);
}

TEST(OutcomeBound, ConflictedTablesAndUnregisteredVotersCountAsUnreported) {
  auto e = testing::small_election();
  e.unregistered_voters = {{"S2", 100}, {"nowhere", 10}};
  auto tab = tabulate(e, {sheet(1, "T1", "official", 50, 0, 0), sheet(2, "T2", "official", 100, 0, 0),
                          sheet(3, "T3", "official", 150, 0, 0), sheet(4, "T4", "official", 200, 0, 0),
                          sheet(5, "T5", "official", 1, 0, 0), sheet(6, "T5", "qr", 2, 0, 0)});
  auto b = *outcome_bound(tab);
  EXPECT_EQ(b.tables_conflicted, 1);
  EXPECT_EQ(b.tables_unreported, 1);
  EXPECT_EQ(b.unregistered_voters, 110u);
  EXPECT_EQ(b.max_full, 610u);
  // 50 % observed: T5 250, S2's unregistered 50, the unknown area falls back to national: 5.
  EXPECT_EQ(b.max_observed, 305u);
}

// Every registered table counted: A 1,410, B 45 (lead 1,365); turnouts 95 %, 95 %, 96.7 %,
// 97.5 %, 98 % (T5, the largest table, 500 voters).
std::vector<index::SheetRecord> all_counted() {
  return {sheet(1, "T1", "o", 90, 5, 0), sheet(2, "T2", "o", 180, 10, 0), sheet(3, "T3", "o", 280, 10, 0),
          sheet(4, "T4", "o", 380, 10, 0), sheet(5, "T5", "o", 480, 10, 0)};
}

TEST(OutcomeBound, TablesAbsentFromTheRegistryCanTurnADecidedOutcomeUndecided) {
  auto before = *outcome_bound(tabulate(testing::small_election(), all_counted()));
  EXPECT_EQ(before.rivals[0].lead, 1365);
  EXPECT_EQ(before.max_full, 0u);
  EXPECT_EQ(before.unregistered_tables, 0u);
  EXPECT_EQ(before.unregistered_tables_voters, 0u);
  EXPECT_TRUE(before.decided_full);
  EXPECT_TRUE(before.decided_observed);

  auto e = testing::small_election();
  e.unregistered_tables.count = 3;
  auto b = *outcome_bound(tabulate(e, all_counted()));
  EXPECT_EQ(b.tables_unreported, 0);
  EXPECT_EQ(b.unregistered_tables, 3u);
  // No cap in the election: the largest registered figure in the registry, T5's 500.
  EXPECT_EQ(b.unregistered_table_cap, 500u);
  EXPECT_EQ(b.unregistered_table_cap_source, CapSource::kRegistryLargest);
  EXPECT_EQ(b.unregistered_table_cap_table, "T5");
  EXPECT_EQ(b.unregistered_tables_voters, 1500u);
  EXPECT_EQ(b.max_full, 1500u);
  // Highest turnout observed nationally: T5's 490/500; ceil(500 * 0.98) = 490 per table.
  EXPECT_EQ(b.national_turnout_cast, 490u);
  EXPECT_EQ(b.national_turnout_registered, 500u);
  EXPECT_EQ(b.unregistered_tables_observed, 1470u);
  EXPECT_EQ(b.max_observed, 1470u);
  EXPECT_FALSE(b.decided_full);
  EXPECT_FALSE(b.decided_observed);
  EXPECT_FALSE(b.rivals[0].decided_full);
  EXPECT_FALSE(b.rivals[1].decided_full) << "C (no votes) trails by 1,410 < 1,500";
}

TEST(OutcomeBound, AGivenCapPerTableReplacesTheRegistryMaximum) {
  auto e = testing::small_election();
  e.unregistered_tables.count = 3;
  e.unregistered_tables.max_voters_per_table = 400;
  auto b = *outcome_bound(tabulate(e, all_counted()));
  EXPECT_EQ(b.unregistered_table_cap, 400u);
  EXPECT_EQ(b.unregistered_table_cap_source, CapSource::kElection);
  EXPECT_EQ(b.unregistered_table_cap_table, "");
  EXPECT_EQ(b.max_full, 1200u);       // < lead 1,365
  EXPECT_EQ(b.max_observed, 1176u);   // 3 x ceil(400 * 0.98)
  EXPECT_TRUE(b.decided_full);
  EXPECT_TRUE(b.decided_observed);

  // One more table of that size reaches the lead: 4 x 400 = 1,600 > 1,365, 4 x 392 = 1,568.
  e.unregistered_tables.count = 4;
  auto c = *outcome_bound(tabulate(e, all_counted()));
  EXPECT_FALSE(c.decided_full);
  EXPECT_FALSE(c.decided_observed);
}

TEST(OutcomeBound, UnregisteredTablesAddToUnreportedTablesAndUnregisteredVoters) {
  auto e = testing::small_election();
  e.unregistered_voters = {{"S2", 100}};
  e.unregistered_tables.count = 2;
  e.unregistered_tables.max_voters_per_table = 10;
  // Turnout 50 % everywhere; T5 (500) unreported.
  auto b = *outcome_bound(tabulate(e, {sheet(1, "T1", "o", 50, 0, 0), sheet(2, "T2", "o", 100, 0, 0),
                                       sheet(3, "T3", "o", 150, 0, 0), sheet(4, "T4", "o", 200, 0, 0)}));
  EXPECT_EQ(b.max_full, 500u + 100u + 20u);
  EXPECT_EQ(b.max_observed, 250u + 50u + 10u);
}

TEST(OutcomeBound, UnregisteredTablesGivenPerAreaUseThatAreasHighestTurnout) {
  // S1 tables at 50 %, S2 at 50 % (T4) and 90 % (T5): national best 90 %, S1 50 %, S2 90 %.
  auto e = testing::small_election();
  e.unregistered_tables.count = 1;                         // national: 90 %
  e.unregistered_tables.areas = {{"S1", 2}, {"C3", 1}, {"nowhere", 1}};  // 50 %, 90 % (S2), national
  e.unregistered_tables.max_voters_per_table = 1000;
  auto b = *outcome_bound(tabulate(e, {sheet(1, "T1", "o", 50, 0, 0), sheet(2, "T2", "o", 100, 0, 0),
                                       sheet(3, "T3", "o", 150, 0, 0), sheet(4, "T4", "o", 200, 0, 0),
                                       sheet(5, "T5", "o", 450, 0, 0)}));
  EXPECT_EQ(b.unregistered_tables, 5u);
  EXPECT_EQ(b.unregistered_tables_in_areas, 4u);
  EXPECT_EQ(b.max_full, 5000u);
  EXPECT_EQ(b.max_observed, 900u + 2 * 500u + 900u + 900u);
  EXPECT_EQ(b.rivals[0].lead, 950);
  EXPECT_FALSE(b.decided_observed);
}

TEST(OutcomeBound, UnregisteredTablesUseFullTurnoutWhenNothingIsCounted) {
  auto e = testing::small_election();
  e.unregistered_tables.count = 2;
  auto b = *outcome_bound(tabulate(e, {}));
  EXPECT_EQ(b.national_turnout_registered, 0u);
  EXPECT_EQ(b.unregistered_tables_observed, 1000u);
  EXPECT_EQ(b.max_full, 1500u + 1000u);
  EXPECT_EQ(b.max_observed, 1500u + 1000u);
}

TEST(OutcomeBound, TurnoutLevelFallsBackToTheParentWhenTheAreaHasNoCountedTable) {
  auto tab = tabulate(testing::small_election(),
                      {sheet(1, "T1", "o", 100, 0, 0), sheet(2, "T2", "o", 20, 0, 0), sheet(4, "T4", "o", 40, 0, 0)});
  BoundOptions opt;
  opt.turnout_depth = 2;  // centre
  auto b = *outcome_bound(tab, opt);
  EXPECT_EQ(b.turnout_level, "centre");
  // T3 (C2, nothing counted) falls back to S1's 100 %; T5 uses C3's 10 %.
  EXPECT_EQ(b.max_observed, 300u + 50u);
  EXPECT_EQ(b.tables_fallback, 1);
  BoundOptions too_deep;
  too_deep.turnout_depth = 7;
  EXPECT_FALSE(outcome_bound(tab, too_deep).has_value());
}

}  // namespace
}  // namespace tallylog::tally
