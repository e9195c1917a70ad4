#include "tallylog/audit/json_diff.h"

#include <gtest/gtest.h>

#include <random>

namespace tallylog::audit {
namespace {

std::vector<Difference> diff(std::string_view a, std::string_view b) {
  std::vector<Difference> out;
  diff_json("/r", a, b, out, 100);
  return out;
}

TEST(JsonDiff, EqualBytesHaveNoDifference) {
  EXPECT_TRUE(diff(R"({"a":1})", R"({"a":1})").empty());
}

TEST(JsonDiff, NamesTheAreaAndFieldOfAChangedVote) {
  std::string pub = R"({"level":"table","areas":[{"code":"T1","valid":10,"candidates":{"A":6,"B":4}},{"code":"T2","valid":5,"candidates":{"A":5,"B":0}}],"total":{"code":"national","valid":15,"candidates":{"A":11,"B":4}}})";
  std::string der = R"({"level":"table","areas":[{"code":"T1","valid":10,"candidates":{"A":6,"B":4}},{"code":"T2","valid":5,"candidates":{"A":4,"B":1}}],"total":{"code":"national","valid":15,"candidates":{"A":10,"B":5}}})";
  auto d = diff(pub, der);
  ASSERT_EQ(d.size(), 4u);
  EXPECT_EQ(d[0].route, "/r");
  EXPECT_EQ(d[0].area, "T2");
  EXPECT_EQ(d[0].field, "candidates.A");
  EXPECT_EQ(d[0].published, "5");
  EXPECT_EQ(d[0].derived, "4");
  EXPECT_EQ(d[2].area, "national");
  EXPECT_EQ(d[2].field, "candidates.A");
}

TEST(JsonDiff, MatchesAreasByCodeNotPosition) {
  // One area missing: one difference, not a cascade.
  auto d = diff(R"({"areas":[{"code":"A","v":1},{"code":"B","v":2},{"code":"C","v":3}]})",
                R"({"areas":[{"code":"A","v":1},{"code":"C","v":3}]})");
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].area, "B");
  EXPECT_EQ(d[0].published, "listed");
  EXPECT_EQ(d[0].derived, "(absent)");
}

TEST(JsonDiff, ComparesTableListsAsSetsAndComparePairsByIndex) {
  auto d = diff(R"({"only_a_tables":["T1","T2"],"differing":[{"table":"T3","fields":{"EG":[5,6]}}]})",
                R"({"only_a_tables":["T1","T4"],"differing":[{"table":"T3","fields":{"EG":[5,7]}}]})");
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d[0].area, "T2");
  EXPECT_EQ(d[0].field, "only_a_tables");
  EXPECT_EQ(d[1].area, "T4");
  EXPECT_EQ(d[2].area, "T3");
  EXPECT_EQ(d[2].field, "fields.EG[1]");
}

TEST(JsonDiff, ReportsBytesThatDifferOnlyInSpellingAndBodiesThatAreNotJson) {
  auto d = diff(R"({"a":1,"b":2})", R"({"a":1, "b":2})");
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].field, "(bytes)");
  auto e = diff("<html>", R"({"a":1})");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].field, "(body)");
}

TEST(JsonDiff, CountsTheNumbersOutsideStrings) {
  EXPECT_EQ(count_figures(R"({"code":"0101","a":1,"b":-2.5,"c":[3,4e5],"d":"x12","e":null})"), 4u);
  EXPECT_EQ(count_figures(R"(["a\"1",2])"), 1u);
}

// A straightforward reference, one byte at a time with explicit string and escape states.
uint64_t reference_count(std::string_view json) {
  uint64_t n = 0;
  bool in_string = false, escaped = false, in_number = false;
  for (char c : json) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if ((c >= '0' && c <= '9') || c == '-') {
      if (!in_number) ++n;
      in_number = true;
    } else if (c == '"') {
      in_string = true;
      in_number = false;
    } else if (c != '.' && c != 'e' && c != 'E' && c != '+') {
      in_number = false;
    }
  }
  return n;
}

// Random texts over JSON's characters (strings, escapes, numbers with '.', 'e', '+' runs, an
// unterminated string or escape at the end, bytes >= 0x80) count what the reference counts.
TEST(JsonDiff, CountsFiguresAsTheReferenceDoesOnAnyText) {
  std::mt19937 rng(9);
  const std::string alphabet = "0123456789-.eE+\"\\,:[]{} tn\xc3\xa9\x80";
  for (int round = 0; round < 3000; ++round) {
    std::string json;
    const size_t len = rng() % 200;
    for (size_t i = 0; i < len; ++i) json.push_back(alphabet[rng() % alphabet.size()]);
    ASSERT_EQ(count_figures(json), reference_count(json)) << json;
  }
}

}  // namespace
}  // namespace tallylog::audit
