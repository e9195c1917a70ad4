#include "tallylog/tally/compare.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "tallylog/tally/test_election.h"

namespace tallylog::tally {
namespace {

using testing::sheet;

std::shared_ptr<const Geography> small_geography() {
  auto stations = testing::small_stations();
  return *Geography::build(testing::small_election(), stations);
}

TEST(Compare, ReportsMatchingDifferingAndOneSidedTablesExactly) {
  auto g = small_geography();
  Tabulation a(g, *SourceRule::parse("official"));
  Tabulation b(g, *SourceRule::parse("witness:*"));
  // T1, T4 identical; T2 differs in B and null; T3 only in A; T5 only in B.
  for (auto r : {sheet(1, "T1", "official", 10, 20, 30), sheet(2, "T2", "official", 1, 5, 0),
                 sheet(3, "T3", "official", 7, 7, 7), sheet(4, "T4", "official", 0, 0, 9)}) {
    ASSERT_TRUE(a.add(r).has_value());
  }
  for (auto r : {sheet(11, "T1", "witness:x", 10, 20, 30), sheet(12, "T2", "witness:x", 1, 7, 0, 3),
                 sheet(14, "T4", "witness:y", 0, 0, 9), sheet(15, "T5", "witness:x", 4, 4, 4)}) {
    ASSERT_TRUE(b.add(r).has_value());
  }
  auto c = compare(a, b, 1);
  ASSERT_TRUE(c.has_value()) << c.error().to_string();
  EXPECT_EQ(c->matching, 2);
  EXPECT_EQ(c->only_a, 1);
  EXPECT_EQ(c->only_b, 1);
  EXPECT_EQ(c->only_a_tables, (std::vector<std::string>{"T3"}));
  EXPECT_EQ(c->only_b_tables, (std::vector<std::string>{"T5"}));
  ASSERT_EQ(c->differing.size(), 1u);
  const TableDifference& d = c->differing[0];
  EXPECT_EQ(d.code, "T2");
  EXPECT_EQ(d.log_index_a, 2u);
  EXPECT_EQ(d.log_index_b, 12u);
  ASSERT_EQ(d.fields.size(), 3u);
  EXPECT_EQ(d.fields[0].name, "valid");
  EXPECT_EQ(d.fields[0].a, 6);
  EXPECT_EQ(d.fields[0].b, 8);
  EXPECT_EQ(d.fields[1].name, "null");
  EXPECT_EQ(d.fields[1].b, 3);
  EXPECT_EQ(d.fields[2].name, "B");
  EXPECT_EQ(d.fields[2].a, 5);
  EXPECT_EQ(d.fields[2].b, 7);
  EXPECT_EQ(d.size, 2 + 3 + 2);
  // S1 holds the differing table, so it sorts first.
  ASSERT_EQ(c->areas.size(), 2u);
  EXPECT_EQ(g->area(c->areas[0].area).code, "S1");
  EXPECT_EQ(c->areas[0].difference, 7);
  EXPECT_EQ(c->areas[0].only_a, 1);
  EXPECT_EQ(c->areas[1].only_b, 1);
  EXPECT_EQ(c->areas[1].valid_only_b, 12);
}

TEST(Compare, ConflictedTablesAreReportedApart) {
  auto g = small_geography();
  Tabulation a(g, *SourceRule::parse("official"));
  Tabulation b(g, *SourceRule::parse("qr"));
  ASSERT_TRUE(a.add(sheet(1, "T1", "official", 1, 0, 0)).has_value());
  ASSERT_TRUE(a.add(sheet(2, "T1", "official", 2, 0, 0)).has_value());
  ASSERT_TRUE(b.add(sheet(3, "T1", "qr", 1, 0, 0)).has_value());
  auto c = compare(a, b, 1);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->conflicted_tables, (std::vector<std::string>{"T1"}));
  EXPECT_EQ(c->matching + c->only_a + c->only_b + static_cast<int64_t>(c->differing.size()), 0);
}

TEST(Compare, RefusesTabulationsOverDifferentRegistries) {
  Tabulation a(small_geography(), {});
  Tabulation b(small_geography(), {});
  EXPECT_FALSE(compare(a, b, 1).has_value());
  Tabulation c(a.shared_geography(), {});
  EXPECT_FALSE(compare(a, c, 9).has_value());
}

// A second source built by altering a known random set of sheets is reported exactly.
TEST(Compare, AlteredCopyOfALargeSourceIsReportedExactly) {
  auto e = testing::small_election();
  std::vector<election::Station> stations;
  for (int i = 0; i < 600; ++i) {
    const std::string t = "T" + std::to_string(1000 + i);
    stations.push_back(testing::station("S" + std::to_string(i % 7), "C" + std::to_string(i % 50), t, 300 + i % 17));
  }
  // Centres must keep one state: C(i%50) and S(i%7) only agree when 50 and 7 line up, so compose.
  for (auto& s : stations) s.areas[1].code = s.areas[0].code + "/" + s.areas[1].code;
  auto g = *Geography::build(e, stations);
  std::mt19937 rng(42);
  Tabulation a(g, *SourceRule::parse("official"));
  Tabulation b(g, *SourceRule::parse("witness:copy"));
  std::set<std::string> removed, extra;
  std::map<std::string, std::map<std::string, std::pair<int64_t, int64_t>>> changed;
  uint64_t li = 0;
  for (size_t i = 0; i < stations.size(); ++i) {
    const std::string& t = stations[i].code;
    auto ra = sheet(li++, t, "official", rng() % 200, rng() % 200, rng() % 20, rng() % 5);
    const int kind = static_cast<int>(rng() % 10);
    if (kind == 0) {  // only in B
      extra.insert(t);
      ASSERT_TRUE(b.add(sheet(li++, t, "witness:copy", 1, 2, 3)).has_value());
      continue;
    }
    ASSERT_TRUE(a.add(ra).has_value());
    if (kind == 1) {  // removed from B
      removed.insert(t);
      continue;
    }
    auto rb = ra;
    rb.log_index = li++;
    rb.sheet.source = "witness:copy";
    if (kind == 2) {  // B count changed (and valid with it)
      rb.sheet.candidates["B"] += 1 + static_cast<int64_t>(rng() % 9);
      changed[t]["B"] = {ra.sheet.candidates["B"], rb.sheet.candidates["B"]};
      rb.sheet.fields["valid"] = rb.sheet.candidates["A"] + rb.sheet.candidates["B"] + rb.sheet.candidates["C"];
      changed[t]["valid"] = {ra.sheet.fields["valid"], rb.sheet.fields["valid"]};
    } else if (kind == 3) {  // null changed
      rb.sheet.fields["null"] += 10;
      changed[t]["null"] = {ra.sheet.fields["null"], rb.sheet.fields["null"]};
    }
    ASSERT_TRUE(b.add(rb).has_value());
  }
  auto c = compare(a, b, 1);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(std::set<std::string>(c->only_a_tables.begin(), c->only_a_tables.end()), removed);
  EXPECT_EQ(std::set<std::string>(c->only_b_tables.begin(), c->only_b_tables.end()), extra);
  ASSERT_EQ(c->differing.size(), changed.size());
  for (const TableDifference& d : c->differing) {
    ASSERT_TRUE(changed.count(d.code)) << d.code;
    std::map<std::string, std::pair<int64_t, int64_t>> got;
    for (const auto& f : d.fields) got[f.name] = {f.a, f.b};
    EXPECT_EQ(got, changed[d.code]) << d.code;
  }
  EXPECT_EQ(c->matching, static_cast<int64_t>(stations.size() - removed.size() - extra.size() - changed.size()));
  int64_t sum = 0;
  for (size_t i = 0; i < c->areas.size(); ++i) {
    sum += c->areas[i].matching + c->areas[i].differing + c->areas[i].only_a + c->areas[i].only_b;
    if (i) {
      EXPECT_GE(c->areas[i - 1].difference, c->areas[i].difference);
    }
  }
  EXPECT_EQ(sum, static_cast<int64_t>(stations.size()));
}

// Issue 13: a source that does not report an optional field (Election::optional) is unknown
// there, never a difference; the tally of that source says the figure is unknown, not 0.
std::shared_ptr<const Geography> optional_null_geography() {
  auto e = testing::small_election();
  e.optional = {"null"};
  auto stations = testing::small_stations();
  return *Geography::build(e, stations);
}

index::SheetRecord without_null(index::SheetRecord r) {
  r.sheet.fields.erase("null");
  return r;
}

TEST(Compare, AFieldOneSourceDoesNotReportIsNeverADifference) {
  auto g = optional_null_geography();
  Tabulation a(g, *SourceRule::parse("official"));
  Tabulation b(g, *SourceRule::parse("witness:*"));
  ASSERT_TRUE(a.add(sheet(1, "T1", "official", 10, 20, 30, 4)).has_value());
  ASSERT_TRUE(a.add(sheet(2, "T2", "official", 1, 5, 0, 2)).has_value());
  ASSERT_TRUE(b.add(without_null(sheet(11, "T1", "witness:x", 10, 20, 30))).has_value());
  ASSERT_TRUE(b.add(without_null(sheet(12, "T2", "witness:x", 1, 6, 0))).has_value());
  auto c = compare(a, b, 1);
  ASSERT_TRUE(c.has_value()) << c.error().to_string();
  EXPECT_EQ(c->matching, 1);  // T1: null 4 vs unknown is no difference
  ASSERT_EQ(c->differing.size(), 1u);
  ASSERT_EQ(c->differing[0].fields.size(), 2u);  // T2: valid and B, not null
  EXPECT_EQ(c->differing[0].fields[0].name, "valid");
  EXPECT_EQ(c->differing[0].fields[1].name, "B");
}

TEST(Compare, TwoSheetsOfOneRuleAgreeWhenOneLeavesOutAnOptionalFieldAndTheCompleteOneCounts) {
  auto g = optional_null_geography();
  Tabulation t(g, *SourceRule::parse("witness:*"));
  ASSERT_TRUE(t.add(sheet(1, "T1", "witness:x", 10, 20, 30, 4)).has_value());
  ASSERT_TRUE(t.add(without_null(sheet(2, "T1", "witness:y", 10, 20, 30))).has_value());
  EXPECT_EQ(t.table_status(g->find_table("T1")), TableStatus::kCounted);
  EXPECT_EQ(t.table_log_index(g->find_table("T1")), 1u);  // reports null: more complete than the later one
  EXPECT_EQ(t.totals(g->national()).fields[1], 4);
  EXPECT_EQ(t.totals(g->national()).reported[1], 1);
  // A third sheet with another null disagrees with the first: conflicted, though it agrees with the second.
  ASSERT_TRUE(t.add(sheet(3, "T1", "witness:z", 10, 20, 30, 5)).has_value());
  EXPECT_EQ(t.table_status(g->find_table("T1")), TableStatus::kConflicted);
}

TEST(Compare, ATotalOverTablesThatLeaveOutAFieldSaysTheFigureIsUnknown) {
  auto g = optional_null_geography();
  Tabulation t(g, *SourceRule::parse("*"));
  ASSERT_TRUE(t.add(sheet(1, "T1", "official", 10, 20, 30, 4)).has_value());
  ASSERT_TRUE(t.add(without_null(sheet(2, "T2", "official", 1, 5, 0))).has_value());
  const AreaTotals n = t.totals(g->national());
  EXPECT_EQ(n.reported, (std::vector<int64_t>{2, 1}));  // valid by both, null by one
  std::string why;
  EXPECT_EQ(FigureSet::value(g->figures().valid(), n.fields, n.candidates, n.reported, n.tables_reported, g->fields(), &why),
            66);
  EXPECT_FALSE(FigureSet::value(g->figures().invalid(), n.fields, n.candidates, n.reported, n.tables_reported,
                                g->fields(), &why));
  EXPECT_NE(why.find("'null' is reported by 1 of the 2 counted tables"), std::string::npos) << why;
  // Per table: known where the sheet reports it.
  EXPECT_EQ(FigureSet::value(g->figures().invalid(), t.table_counts(g->find_table("T1"))), 4);
  EXPECT_FALSE(FigureSet::value(g->figures().invalid(), t.table_counts(g->find_table("T2"))));
}

}  // namespace
}  // namespace tallylog::tally
