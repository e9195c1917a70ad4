// AreaAggregator against a direct computation: every area's change is the sum of the row changes
// (tally/table_row.h) of the tables beneath it, for every materialised rule.
#include "tallylog/tally/aggregates.h"

#include <gtest/gtest.h>

#include <map>

namespace tallylog::tally {
namespace {

constexpr size_t kWidth = 3;
// The areas: nation 0; states 1 and 2; 3 under 1; 4 under 3; 5 under 2.
const std::map<uint32_t, uint32_t> kParent = {{0, UINT32_MAX}, {1, 0}, {2, 0},
                                              {3, 1},          {4, 3}, {5, 2}};
uint32_t parent_of(uint32_t a) { return kParent.at(a); }

struct Sheet {
  std::string source;
  std::array<int32_t, kWidth> counts;
};
struct Change {
  uint32_t parent;  // the table's parent area
  std::vector<Sheet> before, after;
};

std::vector<SourcedSheet> sourced(const std::vector<Sheet>& sheets) {
  std::vector<SourcedSheet> out;
  uint64_t i = 1;
  for (const Sheet& s : sheets) out.push_back({s.source, TableSheet{i++, s.counts.data(), false}});
  return out;
}

// The row of the table for the rule, computed directly.
std::vector<int64_t> direct_row(const SourceRule& rule, const std::vector<Sheet>& sheets) {
  std::vector<TableSheet> matching;
  uint64_t i = 1;
  for (const Sheet& s : sheets)
    if (rule.matches(s.source)) matching.push_back(TableSheet{i++, s.counts.data(), false});
  std::vector<int64_t> row(kRowHeader + kWidth);
  table_row(matching, select_representative(matching, kWidth), 100, kWidth, row.data());
  return row;
}

using Totals =
    std::map<std::pair<uint32_t, uint32_t>, std::vector<int64_t>>;  // (rule, area) -> change

void add(Totals& t, uint32_t rule, uint32_t area, std::span<const int64_t> row) {
  auto& dst = t[{rule, area}];
  dst.resize(row.size());
  for (size_t i = 0; i < row.size(); ++i) dst[i] += row[i];
}

void drop_zero_rows(Totals& t) {
  std::erase_if(t, [](const auto& kv) {
    return std::all_of(kv.second.begin(), kv.second.end(), [](int64_t v) { return v == 0; });
  });
}

Totals expected(MaterialisedRules& rules, const std::vector<Change>& changes) {
  Totals t;
  for (const Change& c : changes) {
    for (uint32_t id = 0; id < rules.size(); ++id) {
      std::vector<int64_t> d = direct_row(rules.rule(id), c.after);
      const std::vector<int64_t> old = direct_row(rules.rule(id), c.before);
      for (size_t i = 0; i < d.size(); ++i) d[i] -= old[i];
      for (uint32_t a = c.parent; a != UINT32_MAX; a = parent_of(a)) add(t, id, a, d);
    }
  }
  drop_zero_rows(t);
  return t;
}

void feed(AreaAggregator& agg, MaterialisedRules& rules, const Change& c) {
  const auto before = sourced(c.before), after = sourced(c.after);
  std::vector<std::string_view> changed;
  for (const auto* side : {&c.before, &c.after})
    for (const Sheet& s : *side) changed.push_back(s.source);
  agg.table_changed(rules, c.parent, 100, before, after, changed);
}

Totals collected(AreaAggregator& agg) {
  Totals t;
  agg.take_deltas(
      [&](uint32_t rule, uint32_t area, std::span<const int64_t> row) { add(t, rule, area, row); });
  drop_zero_rows(t);
  return t;
}

MaterialisedRules test_rules() {
  election::Election e;
  e.sources = {"official", "witness:*"};
  MaterialisedRules rules = MaterialisedRules::for_election(e);  // "*", "witness:*"
  bool added = false;
  rules.exact("official", added);
  rules.exact("witness:a", added);
  return rules;
}

// Tables at several depths (under 4, 3, 5 and 1), a replaced sheet, a conflict, a table that
// empties, and two tables whose changes cancel out in their common parent.
const std::vector<Change> kChanges = {
    {4, {}, {{"official", {10, 5, 5}}}},
    {4, {}, {{"witness:a", {3, 1, 2}}}},
    {5, {{"official", {7, 7, 0}}}, {{"official", {7, 6, 1}}}},
    {3, {}, {{"official", {4, 4, 0}}, {"witness:a", {4, 3, 1}}}},  // conflicted under "*"
    {1, {{"witness:a", {9, 9, 0}}}, {}},
    {5, {}, {{"witness:a", {2, 2, 0}}}},
    {5, {{"witness:a", {2, 2, 0}}}, {}},
};

TEST(AreaAggregator, AddsEveryTablesChangeToEveryAncestorForEveryRule) {
  MaterialisedRules rules = test_rules();
  AreaAggregator agg(kWidth, kWidth, parent_of);
  for (const Change& c : kChanges) feed(agg, rules, c);
  const Totals want = expected(rules, kChanges);
  ASSERT_FALSE(want.empty());
  EXPECT_TRUE(want.contains({0, 0}) && want.contains({2, 2}) &&
              want.contains({2, 4}));  // nation, a state, a centre
  EXPECT_EQ(collected(agg), want);
}

TEST(AreaAggregator, EachTakeHandsOverTheChangesSinceThePreviousOne) {
  MaterialisedRules rules = test_rules();
  AreaAggregator agg(kWidth, kWidth, parent_of);
  const std::vector<Change> first(kChanges.begin(), kChanges.begin() + 3);
  const std::vector<Change> rest(kChanges.begin() + 3, kChanges.end());
  for (const Change& c : first) feed(agg, rules, c);
  EXPECT_EQ(collected(agg), expected(rules, first));
  for (const Change& c : rest) feed(agg, rules, c);
  const Totals want = expected(rules, rest);
  ASSERT_FALSE(want.empty());
  EXPECT_EQ(collected(agg), want);
  EXPECT_TRUE(collected(agg).empty());  // taken: nothing left
  for (const Change& c : rest) feed(agg, rules, c);
  agg.clear();  // a transaction whose totals are not kept exact
  EXPECT_TRUE(collected(agg).empty());
}

}  // namespace
}  // namespace tallylog::tally
