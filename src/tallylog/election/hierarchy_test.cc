#include "tallylog/election/hierarchy.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace tallylog::election {
namespace {

Election three_levels() {
  Election e;
  e.levels = {{"state", "State"}, {"municipality", "Municipality"}, {"table", "Table"}};
  return e;
}

Station station(std::string state, std::string muni, std::string muni_name, std::string table) {
  Station s;
  s.code = table;
  s.areas = {{state, "S" + state}, {muni, muni_name}, {table, ""}};
  return s;
}

TEST(AreaHierarchy, AcceptsATree) {
  AreaHierarchy h(three_levels());
  EXPECT_FALSE(h.add(station("01", "0101", "A", "t1"), "f:2"));
  EXPECT_FALSE(h.add(station("01", "0101", "A", "t2"), "f:3"));
  EXPECT_FALSE(h.add(station("02", "0201", "B", "t3"), "f:4"));
}

TEST(AreaHierarchy, AMunicipalityCodeReusedInTwoStatesHasTwoParents) {
  // The trap of the Venezuelan table: COD_MUN is numbered within each state.
  AreaHierarchy h(three_levels());
  EXPECT_FALSE(h.add(station("01", "01", "A", "t1"), "f.csv:2"));
  auto e = h.add(station("02", "01", "A", "t2"), "f.csv:57");
  ASSERT_TRUE(e);
  EXPECT_EQ(*e, "area \"01\" (municipality) has two parents: state \"01\" (f.csv:2) and state \"02\" (f.csv:57)");
  // Nothing of the refused station was recorded: state 02 is still unknown, so this is fine.
  EXPECT_FALSE(h.add(station("02", "0201", "B", "t3"), "f.csv:58"));
}

TEST(AreaHierarchy, ACodeWithTwoNamesIsRefused) {
  AreaHierarchy h(three_levels());
  EXPECT_FALSE(h.add(station("01", "0101", "A", "t1"), "f:2"));
  auto e = h.add(station("01", "0101", "Other", "t2"), "f:3");
  ASSERT_TRUE(e);
  EXPECT_NE(e->find("has two names: \"A\" (f:2) and \"Other\" (f:3)"), std::string::npos) << *e;
}

TEST(NaturalLess, NumbersInCodesSortByValue) {
  std::vector<std::string> codes = {"10", "2", "1", "R10/1", "R2/9", "R2/10", "01", "a", "b2", "b10", ""};
  std::sort(codes.begin(), codes.end(), natural_less);
  EXPECT_EQ(codes, (std::vector<std::string>{"", "01", "1", "2", "10", "R2/9", "R2/10", "R10/1", "a", "b2", "b10"}));
  EXPECT_FALSE(natural_less("5", "5"));
  EXPECT_TRUE(natural_less("010113042.01", "010113042.02"));
  EXPECT_TRUE(natural_less("9", "010"));
}

}  // namespace
}  // namespace tallylog::election
