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
  EXPECT_FALSE(outcome_bound(tab, BoundOptions{7}).has_value());
}

}  // namespace
}  // namespace tallylog::tally
