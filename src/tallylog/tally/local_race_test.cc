// Local races (tally/local_race.h): which reports are refused and which candidates an area lists.
#include "tallylog/tally/local_race.h"

#include <gtest/gtest.h>

#include "tallylog/election/validate.h"

namespace tallylog::tally {
namespace {

// A mayor's race in two municipalities of one state: ML and MN stand in 0101, PQ in 0102.
election::Election mayors() {
  election::Election e;
  e.id = "mayors";
  e.name = "Alcaldías";
  e.date = "2026-05-10";
  e.contest = "mayor";
  e.decided_at = "municipality";
  e.levels = {{"state", "Estado"}, {"municipality", "Municipio"}, {"table", "Mesa"}};
  e.candidates = {{"ML", "Marta López", "0101"}, {"MN", "Mario Nieto", "0101"}, {"PQ", "Paula Quintero", "0102"}};
  e.fields = {"valid"};
  e.sources = {"official"};
  return e;
}

std::vector<election::Station> stations() {
  auto st = [](std::string mun, std::string code) {
    election::Station s;
    s.code = code;
    s.areas = {{"01", "Norte"}, {mun, "M" + mun}, {code, ""}};
    s.registered = 100;
    return s;
  };
  return {st("0101", "0101.01"), st("0101", "0101.02"), st("0102", "0102.01")};
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
  const AreaId m1 = geo.find(2, "0101"), m2 = geo.find(2, "0102"), t2 = geo.find(3, "0102.01");
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
  EXPECT_TRUE(stands_in(geo, geo.find(1, "01"), 2));
}

}  // namespace
}  // namespace tallylog::tally
