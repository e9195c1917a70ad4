#include "tallylog/tally/figures.h"

#include <gtest/gtest.h>

#include "tallylog/election/test_fixtures.h"

namespace tallylog::tally {
namespace {

using election::testing::small_election;

// small_election(): fields valid, null; candidates A, B. Totals: valid 35, null 2, A 15, B 20.
const std::vector<int64_t> kFields = {35, 2};
const std::vector<int64_t> kCandidates = {15, 20};

std::optional<int64_t> value(const Figure& f) { return FigureSet::value(f, kFields, kCandidates); }

TEST(Figures, NothingDeclaredMeansEveryFigureIsUnknownWithAReason) {
  // Today's reports print "valid" and "null" for any election with fields so named, and 0 for an
  // election without them. Without a declaration nothing is assumed.
  auto s = FigureSet::compile(small_election());
  ASSERT_TRUE(s) << s.error().to_string();
  EXPECT_FALSE(value(s->valid()));
  EXPECT_NE(s->valid().why_unknown.find("[figures] valid"), std::string::npos);
  EXPECT_FALSE(value(s->cast()));
  EXPECT_FALSE(value(s->turnout()));
  EXPECT_FALSE(value(s->share_base()));
  EXPECT_NE(s->share_base().why_unknown.find("shares are of valid votes"), std::string::npos);
}

TEST(Figures, DeclaredFiguresAddUpTheirCounts) {
  auto e = small_election();
  e.figures = {"valid", "null", "", "", ""};
  auto s = FigureSet::compile(e).value();
  EXPECT_EQ(value(s.valid()), 35);
  EXPECT_EQ(value(s.invalid()), 2);
  EXPECT_EQ(value(s.cast()), 37);  // valid + invalid when cast is not declared
  EXPECT_EQ(value(s.turnout()), 37);
  EXPECT_EQ(value(s.share_base()), 35);
}

TEST(Figures, NoValidColumnSharesOfCandidatesTurnoutOfItsOwnCount) {
  auto e = small_election();
  e.figures = {"candidates", "", "candidates + null", "candidate.A + candidate.B + null", "candidates"};
  auto s = FigureSet::compile(e).value();
  EXPECT_EQ(value(s.valid()), 35);
  EXPECT_FALSE(value(s.invalid()));
  EXPECT_EQ(value(s.cast()), 37);
  EXPECT_EQ(value(s.turnout()), 37);
  EXPECT_EQ(value(s.share_base()), 35);
  std::vector<int32_t> table = {35, 2, 15, 20, 9, 9, 9};  // fields, candidates, cards
  EXPECT_EQ(FigureSet::value(s.cast(), table), 37);
}

TEST(Figures, ConstantsAndRegisteredAreNotCounts) {
  auto e = small_election();
  e.figures.valid = "valid + 1";
  EXPECT_FALSE(FigureSet::compile(e));
  e.figures.valid = "registered - null";
  EXPECT_FALSE(FigureSet::compile(e));
}

}  // namespace
}  // namespace tallylog::tally
