// Local races (tally/local_race.h): which reports are refused and which candidates an area lists.
#include "tallylog/tally/local_race.h"

#include <gtest/gtest.h>

#include "tallylog/election/test_fixtures.h"
#include "tallylog/election/validate.h"

namespace tallylog::tally {
namespace {

// LG and MN stand in municipality 0101 (state 01), AV in 0203 (state 02).
election::Election mayors() { return election::testing::local_race_election(); }

std::vector<election::Station> stations() {
  using election::testing::local_race_table;
  return {local_race_table("0101", "0101.01"), local_race_table("0101", "0101.02"), local_race_table("0203", "0203.01")};
}

TEST(LocalRace, ReportsAboveTheDecidedLevelAreRefusedNamingTheLevel) {
  const election::Election e = mayors();
  EXPECT_EQ(decided_depth(e), 2);
  auto national = check_report_depth(e, 0);
  ASSERT_FALSE(national);
  EXPECT_EQ(national.error().field, "level");
  EXPECT_NE(national.error().message.find("decided per municipality"), std::string::npos) << national.error().message;
  EXPECT_FALSE(check_report_depth(e, 1));
  EXPECT_TRUE(check_report_depth(e, 2));
  EXPECT_TRUE(check_report_depth(e, 3));
}

TEST(LocalRace, ANationalContestRefusesNoLevel) {
  election::Election e = mayors();
  e.decided_at.clear();
  for (auto& c : e.candidates) c.area.clear();
  EXPECT_EQ(decided_depth(e), 0);
  EXPECT_TRUE(check_report_depth(e, 0));
}

TEST(LocalRace, AnAreaListsOnlyTheCandidatesStandingThere) {
  auto g = Geography::build(mayors(), stations());
  ASSERT_TRUE(g) << g.error().to_string();
  const Geography& geo = **g;
  const AreaId m1 = geo.find(2, "0101"), m2 = geo.find(2, "0203"), t2 = geo.find(3, "0203.01");
  ASSERT_NE(m1, kNoArea);
  EXPECT_TRUE(stands_in(geo, m1, 0));
  EXPECT_TRUE(stands_in(geo, m1, 1));
  EXPECT_FALSE(stands_in(geo, m1, 2));
  EXPECT_FALSE(stands_in(geo, m2, 0));
  EXPECT_TRUE(stands_in(geo, m2, 2));
  EXPECT_TRUE(stands_in(geo, t2, 2));
  EXPECT_FALSE(stands_in(geo, t2, 1));
  // The national total row and an area containing the candidate's list them.
  EXPECT_TRUE(stands_in(geo, geo.national(), 0));
  EXPECT_TRUE(stands_in(geo, geo.find(1, "02"), 2));
  EXPECT_FALSE(stands_in(geo, geo.find(1, "01"), 2));
}

}  // namespace
}  // namespace tallylog::tally
