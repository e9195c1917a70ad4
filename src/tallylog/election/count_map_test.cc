#include "tallylog/election/count_map.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

namespace tallylog::election {
namespace {

std::vector<std::pair<std::string, int64_t>> items(const CountMap& m) { return {m.begin(), m.end()}; }

TEST(CountMap, KeepsItsKeysSortedAndUniqueWhateverTheInsertionOrder) {
  CountMap m;
  EXPECT_TRUE(m.emplace("valid", 3).second);
  EXPECT_TRUE(m.try_emplace("EG", 1).second);
  m["NM"] = 2;
  EXPECT_FALSE(m.emplace("EG", 99).second);  // present: unchanged, as std::map
  m["null"] += 4;
  using V = std::vector<std::pair<std::string, int64_t>>;
  EXPECT_EQ(items(m), (V{{"EG", 1}, {"NM", 2}, {"null", 4}, {"valid", 3}}));
  EXPECT_EQ(m.size(), 4u);
  EXPECT_EQ(m.at("NM"), 2);
  EXPECT_THROW((void)m.at("LM"), std::out_of_range);
  EXPECT_TRUE(m.contains("null"));
  EXPECT_FALSE(m.contains("LM"));
  EXPECT_EQ(m.find("LM"), m.end());
  EXPECT_EQ(m.erase("NM"), 1u);
  EXPECT_EQ(m.erase("NM"), 0u);
  EXPECT_EQ(items(m), (V{{"EG", 1}, {"null", 4}, {"valid", 3}}));
}

TEST(CountMap, AHintOutOfOrderStillInsertsInOrder) {
  CountMap m;
  m.emplace_hint(m.end(), "b", 2);
  m.emplace_hint(m.end(), "c", 3);
  m.emplace_hint(m.end(), "a", 1);    // wrong hint: searched
  m.emplace_hint(m.begin(), "d", 4);  // wrong hint: searched
  m.emplace_hint(m.end(), "c", 30);   // present: ignored
  using V = std::vector<std::pair<std::string, int64_t>>;
  EXPECT_EQ(items(m), (V{{"a", 1}, {"b", 2}, {"c", 3}, {"d", 4}}));
}

// Against std::map, the type it replaces: the same operations in the same random order give the
// same contents, in the same order, and the same answers to lookups.
TEST(CountMap, BehavesAsStdMapUnderRandomOperations) {
  std::mt19937 rng(20261204);
  for (int round = 0; round < 200; ++round) {
    CountMap m;
    std::map<std::string, int64_t> ref;
    for (int op = 0; op < 60; ++op) {
      const std::string k(1 + rng() % 3, static_cast<char>('a' + rng() % 6));
      const int64_t v = static_cast<int64_t>(rng() % 1000) - 500;
      switch (rng() % 5) {
        case 0: EXPECT_EQ(m.emplace(k, v).second, ref.emplace(k, v).second); break;
        case 1: m[k] += v; ref[k] += v; break;
        case 2: EXPECT_EQ(m.erase(k), ref.erase(k)); break;
        case 3: m.emplace_hint(m.end(), k, v); ref.emplace_hint(ref.end(), k, v); break;
        default: EXPECT_EQ(m.contains(k), ref.contains(k));
      }
    }
    ASSERT_EQ(items(m), (std::vector<std::pair<std::string, int64_t>>(ref.begin(), ref.end())));
  }
}

TEST(CountMap, EqualityComparesContents) {
  EXPECT_EQ((CountMap{{"a", 1}, {"b", 2}}), (CountMap{{"b", 2}, {"a", 1}}));
  EXPECT_NE((CountMap{{"a", 1}}), (CountMap{{"a", 2}}));
  EXPECT_NE((CountMap{{"a", 1}}), (CountMap{{"a", 1}, {"b", 0}}));
}

}  // namespace
}  // namespace tallylog::election
