#include "tallylog/tally/tabulation.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "tallylog/tally/test_election.h"

namespace tallylog::tally {
namespace {

using testing::sheet;
using testing::small_election;
using testing::small_stations;

std::shared_ptr<const Geography> small_geography() {
  auto stations = small_stations();
  auto g = Geography::build(small_election(), stations);
  EXPECT_TRUE(g.has_value()) << g.error().to_string();
  return *g;
}

Tabulation tabulate(std::shared_ptr<const Geography> g, std::string_view rule,
                    const std::vector<index::SheetRecord>& records) {
  Tabulation tab(std::move(g), *SourceRule::parse(rule));
  for (const auto& r : records) EXPECT_TRUE(tab.add(r).has_value());
  return tab;
}

AreaTotals at(const Tabulation& tab, int depth, std::string_view code) {
  AreaId id = tab.geography().find(depth, code);
  EXPECT_NE(id, kNoArea) << code;
  return tab.totals(id);
}

TEST(SourceRule, ParsesExactPrefixAndAllForms) {
  EXPECT_EQ(SourceRule::parse("")->kind(), SourceRule::Kind::kAll);
  EXPECT_EQ(SourceRule::parse("*")->kind(), SourceRule::Kind::kAll);
  auto exact = *SourceRule::parse("official");
  EXPECT_TRUE(exact.matches("official"));
  EXPECT_FALSE(exact.matches("official2"));
  auto prefix = *SourceRule::parse("witness:*");
  EXPECT_TRUE(prefix.matches("witness:mud"));
  EXPECT_FALSE(prefix.matches("official"));
  EXPECT_EQ(prefix.to_string(), "witness:*");
}

TEST(SourceRule, RejectsStarInTheMiddleAndWhitespace) {
  EXPECT_FALSE(SourceRule::parse("wit*ness").has_value());
  EXPECT_FALSE(SourceRule::parse("a b").has_value());
  EXPECT_FALSE(SourceRule::parse(std::string("a\0b", 3)).has_value());
}

TEST(SourceRule, SurvivesRandomInput) {
  std::mt19937 rng(7);
  for (int i = 0; i < 5000; ++i) {
    std::string s(rng() % 12, '\0');
    for (char& c : s) c = static_cast<char>(rng() % 256);
    auto r = SourceRule::parse(s);
    if (r) {
      EXPECT_EQ(SourceRule::parse(r->to_string())->to_string(), r->to_string());
    }
  }
}

TEST(Geography, NumbersAreasLevelByLevelWithRegistryTotals) {
  auto g = small_geography();
  EXPECT_EQ(g->depth_count(), 4);
  EXPECT_EQ(g->depth_name(0), "national");
  EXPECT_EQ(g->depth_name(3), "table");
  EXPECT_EQ(g->table_count(), 5u);
  EXPECT_EQ(g->area(g->national()).registered_voters, 1500u);
  EXPECT_EQ(g->area(g->national()).tables_registered, 5u);
  AreaId s1 = g->find(1, "S1");
  EXPECT_EQ(g->area(s1).registered_voters, 600u);
  EXPECT_EQ(g->area(s1).tables_registered, 3u);
  AreaId t4 = g->find_table("T4");
  EXPECT_EQ(g->area(g->ancestor(t4, 1)).code, "S2");
  EXPECT_EQ(g->depth_of("centre"), 2);
  EXPECT_FALSE(g->depth_of("parish").has_value());
}

TEST(Geography, RejectsDuplicateStationsWrongAreaCountsAndTwoParents) {
  auto e = small_election();
  auto dup = small_stations();
  dup.push_back(testing::station("S1", "C1", "T1", 5));
  EXPECT_FALSE(Geography::build(e, dup).has_value());

  auto short_areas = small_stations();
  short_areas[0].areas.pop_back();
  auto r = Geography::build(e, short_areas);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("T1"), std::string::npos);

  auto two_parents = small_stations();
  two_parents.push_back(testing::station("S2", "C1", "T9", 5));  // C1 already belongs to S1
  r = Geography::build(e, two_parents);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("two parents"), std::string::npos);
}

TEST(Tabulation, TotalsAtEveryLevelAreTheSumsOfCountedSheets) {
  auto tab = tabulate(small_geography(), "official",
                      {sheet(1, "T1", "official", 10, 20, 30, 1), sheet(2, "T2", "official", 5, 5, 5, 2),
                       sheet(3, "T4", "official", 100, 0, 1, 3)});
  auto n = tab.totals(0);
  EXPECT_EQ(n.candidates, (std::vector<int64_t>{115, 25, 36}));
  EXPECT_EQ(n.valid(tab.geography()), 176);
  EXPECT_EQ(n.null(tab.geography()), 6);
  auto s1 = at(tab, 1, "S1");
  EXPECT_EQ(s1.candidates, (std::vector<int64_t>{15, 25, 35}));
  auto c1 = at(tab, 2, "C1");
  EXPECT_EQ(c1.candidates, (std::vector<int64_t>{15, 25, 35}));
  EXPECT_EQ(at(tab, 2, "C2").tables_reported, 0);
  auto t4 = at(tab, 3, "T4");
  EXPECT_EQ(t4.candidates, (std::vector<int64_t>{100, 0, 1}));
  EXPECT_EQ(t4.tables_reported, 1);
}

TEST(Tabulation, CoverageCountsReportedTablesAndTheirRegisteredVoters) {
  auto tab = tabulate(small_geography(), "*",
                      {sheet(1, "T1", "official", 1, 1, 1), sheet(2, "T3", "witness:x", 1, 1, 1),
                       sheet(3, "T5", "official", 1, 1, 1)});
  auto n = tab.totals(0);
  EXPECT_EQ(n.tables_reported, 3);
  EXPECT_EQ(n.registered_covered, 100 + 300 + 500);
  EXPECT_EQ(at(tab, 1, "S1").registered_covered, 400);
  EXPECT_EQ(at(tab, 1, "S2").registered_covered, 500);
}

TEST(Tabulation, OnlySheetsMatchingTheRuleAreCounted) {
  std::vector<index::SheetRecord> records = {sheet(1, "T1", "official", 1, 0, 0), sheet(2, "T2", "witness:a", 0, 1, 0),
                                             sheet(3, "T3", "witness:b", 0, 0, 1), sheet(4, "T4", "qr", 7, 0, 0)};
  auto g = small_geography();
  EXPECT_EQ(tabulate(g, "official", records).totals(0).candidates, (std::vector<int64_t>{1, 0, 0}));
  EXPECT_EQ(tabulate(g, "witness:*", records).totals(0).candidates, (std::vector<int64_t>{0, 1, 1}));
  EXPECT_EQ(tabulate(g, "*", records).totals(0).candidates, (std::vector<int64_t>{8, 1, 1}));
}

TEST(Tabulation, DifferingSheetsMakeTheTableConflictedAndUncounted) {
  auto tab = tabulate(small_geography(), "*",
                      {sheet(1, "T1", "official", 10, 0, 0), sheet(2, "T1", "witness:a", 9, 1, 0),
                       sheet(3, "T2", "official", 1, 2, 3)});
  auto n = tab.totals(0);
  EXPECT_EQ(n.tables_conflicted, 1);
  EXPECT_EQ(n.tables_reported, 1);
  EXPECT_EQ(n.candidates, (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(tab.table_status(tab.geography().find_table("T1")), TableStatus::kConflicted);
  EXPECT_EQ(tab.table_log_indexes(tab.geography().find_table("T1")), (std::vector<uint64_t>{1, 2}));
  // Under one source alone the same table is not conflicted.
  auto official = tabulate(tab.shared_geography(), "official",
                           {sheet(1, "T1", "official", 10, 0, 0), sheet(2, "T1", "witness:a", 9, 1, 0)});
  EXPECT_EQ(official.totals(0).tables_conflicted, 0);
  EXPECT_EQ(official.totals(0).candidates[0], 10);
}

TEST(Tabulation, AgreeingSheetsFromTwoSourcesCountOnceRepresentedByTheLatest) {
  auto tab = tabulate(small_geography(), "*", {sheet(4, "T1", "witness:a", 3, 2, 1), sheet(9, "T1", "official", 3, 2, 1)});
  AreaId t1 = tab.geography().find_table("T1");
  EXPECT_EQ(tab.totals(0).tables_reported, 1);
  EXPECT_EQ(tab.totals(0).candidates, (std::vector<int64_t>{3, 2, 1}));
  EXPECT_EQ(tab.table_log_index(t1), 9u);
  EXPECT_EQ(tab.table_source(t1), "official");
}

TEST(Tabulation, CorrectionReplacesTheSupersededContribution) {
  auto tab = tabulate(small_geography(), "official", {sheet(1, "T1", "official", 10, 0, 0)});
  auto fix = sheet(2, "T1", "official", 8, 2, 0);
  fix.sheet.supersedes = 1;
  fix.corrects = 1;
  ASSERT_TRUE(tab.add(fix).has_value());
  EXPECT_EQ(tab.totals(0).candidates, (std::vector<int64_t>{8, 2, 0}));
  EXPECT_EQ(tab.totals(0).tables_reported, 1);
  EXPECT_EQ(tab.sheets_held(), 1u);
}

TEST(Tabulation, CorrectionOfOneConflictingSheetResolvesTheConflict) {
  auto tab = tabulate(small_geography(), "official",
                      {sheet(1, "T1", "official", 10, 0, 0), sheet(2, "T1", "official", 11, 0, 0)});
  EXPECT_EQ(tab.totals(0).tables_conflicted, 1);
  auto fix = sheet(3, "T1", "official", 11, 0, 0);
  fix.sheet.supersedes = 1;
  fix.corrects = 1;
  ASSERT_TRUE(tab.add(fix).has_value());
  EXPECT_EQ(tab.totals(0).tables_conflicted, 0);
  EXPECT_EQ(tab.totals(0).tables_reported, 1);
  EXPECT_EQ(tab.totals(0).candidates[0], 11);
}

// Regression, issue 10 finding 1: a sheet of another source naming the official sheet in
// `supersedes` retracted it ("wherever it is, whatever the correcting sheet's source"). The
// tabulation now retracts only what the verdict rule applied (SheetRecord::corrects).
TEST(Tabulation, ASupersedesClaimTheRuleDidNotApplyRetractsNothing) {
  auto tab = tabulate(small_geography(), "official", {sheet(1, "T1", "official", 10, 0, 0)});
  auto forged = sheet(2, "T1", "witness:x", 9, 0, 0);
  forged.sheet.supersedes = 1;  // claimed, refused by the rule: corrects stays empty
  ASSERT_TRUE(tab.add(forged).has_value());
  EXPECT_EQ(tab.totals(0).tables_reported, 1);
  EXPECT_EQ(tab.totals(0).candidates[0], 10);
  auto all = tabulate(small_geography(), "*", {sheet(1, "T1", "official", 10, 0, 0), forged});
  EXPECT_EQ(all.totals(0).tables_conflicted, 1);  // two current sheets that disagree
  auto moved = sheet(3, "T2", "official", 10, 0, 0);
  moved.sheet.supersedes = 1;  // another station: refused too
  ASSERT_TRUE(tab.add(moved).has_value());
  EXPECT_EQ(at(tab, 3, "T1").tables_reported, 1);
  EXPECT_FALSE(tab.retract(77));
}

TEST(Tabulation, CorrectionOfAnUnplacedSheetReplacesIt) {
  auto tab = tabulate(small_geography(), "*", {sheet(1, "T99", "official", 1, 2, 3)});
  auto fix = sheet(2, "T99", "official", 1, 2, 4);
  fix.sheet.supersedes = 1;
  fix.corrects = 1;
  ASSERT_TRUE(tab.add(fix).has_value());
  EXPECT_EQ(tab.unplaced_sheets(), 1u);
}

TEST(Tabulation, AddingTheSameLogIndexTwiceCountsItOnce) {
  auto tab = tabulate(small_geography(), "*", {sheet(1, "T1", "official", 1, 2, 3), sheet(1, "T1", "official", 1, 2, 3)});
  EXPECT_EQ(tab.totals(0).candidates, (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(tab.sheets_held(), 1u);
}

TEST(Tabulation, UnknownCandidateIsRejectedAndChangesNothing) {
  auto tab = tabulate(small_geography(), "*", {sheet(1, "T1", "official", 1, 2, 3)});
  auto bad = sheet(2, "T2", "official", 1, 1, 1);
  bad.sheet.candidates["Z"] = 4;
  auto s = tab.add(bad);
  ASSERT_FALSE(s.has_value());
  EXPECT_NE(s.error().message.find("\"Z\""), std::string::npos);
  EXPECT_EQ(tab.totals(0).tables_reported, 1);
  EXPECT_EQ(tab.sheets_held(), 1u);
}

TEST(Tabulation, CountOutsideThe32BitRangeIsRejected) {
  auto tab = tabulate(small_geography(), "*", {});
  auto s = tab.add(sheet(1, "T1", "official", int64_t{1} << 40, 0, 0));
  ASSERT_FALSE(s.has_value());
  EXPECT_NE(s.error().message.find("32-bit range"), std::string::npos) << s.error().message;
  EXPECT_EQ(tab.sheets_held(), 0u);
}

TEST(Tabulation, SheetForAStationOutsideTheRegistryIsUnplaced) {
  auto tab = tabulate(small_geography(), "*", {sheet(1, "T99", "official", 1, 2, 3)});
  EXPECT_EQ(tab.unplaced_sheets(), 1u);
  EXPECT_EQ(tab.totals(0).tables_reported, 0);
}

TEST(Tabulation, CandidateVotesAreDerivedFromCardsWhenOnlyCardsAreGiven) {
  auto e = small_election();
  e.cards = {{1, "P1", "A"}, {2, "P2", "A"}, {3, "P3", "B"}, {4, "P4", "C"}};
  auto stations = small_stations();
  auto g = *Geography::build(e, stations);
  index::SheetRecord r;
  r.log_index = 1;
  r.sheet.station = "T1";
  r.sheet.source = "qr";
  r.sheet.cards = {4, 5, 6, 7};
  r.sheet.fields = {{"valid", 22}, {"null", 0}};
  auto tab = tabulate(g, "*", {r});
  EXPECT_EQ(tab.totals(0).candidates, (std::vector<int64_t>{9, 6, 7}));
  EXPECT_EQ(tab.totals(0).cards, (std::vector<int64_t>{4, 5, 6, 7}));
  EXPECT_EQ(tab.totals(0).tables_with_cards, 1);
  ASSERT_TRUE(tab.add(testing::sheet(2, "T2", "official", 1, 1, 1)).has_value());  // no cards
  EXPECT_EQ(tab.totals(0).tables_with_cards, 1);
  EXPECT_EQ(tab.totals(0).tables_reported, 2);
}

// Naive reference: for each table, the current matching sheets; counted iff all agree.
std::map<std::string, std::vector<int64_t>> naive_national(const std::vector<index::SheetRecord>& current,
                                                           const SourceRule& rule) {
  std::map<std::string, std::vector<const index::SheetRecord*>> by_table;
  for (const auto& r : current) {
    if (rule.matches(r.sheet.source)) by_table[r.sheet.station].push_back(&r);
  }
  std::map<std::string, std::vector<int64_t>> out;  // table -> {A, B, C, valid, null}
  for (auto& [table, rs] : by_table) {
    bool agree = std::all_of(rs.begin(), rs.end(), [&](auto* r) {
      return r->sheet.candidates == rs[0]->sheet.candidates && r->sheet.fields == rs[0]->sheet.fields;
    });
    if (!agree) {
      out[table] = {};
      continue;
    }
    const auto& s = rs[0]->sheet;
    out[table] = {s.candidates.at("A"), s.candidates.at("B"), s.candidates.at("C"), s.fields.at("valid"),
                  s.fields.at("null")};
  }
  return out;
}

TEST(Tabulation, IncrementalUpdatesEqualAFullRecomputeOnRandomSequences) {
  auto g = small_geography();
  const std::vector<std::string> tables = {"T1", "T2", "T3", "T4", "T5"};
  const std::vector<std::string> sources = {"official", "witness:a", "witness:b"};
  for (uint32_t seed = 1; seed <= 60; ++seed) {
    std::mt19937 rng(seed);
    for (std::string rule_text : {"*", "official", "witness:*"}) {
      SourceRule rule = *SourceRule::parse(rule_text);
      Tabulation live(g, rule);
      std::vector<index::SheetRecord> current;  // what the index would list as current
      for (uint64_t i = 0; i < 40; ++i) {
        auto r = sheet(i, tables[rng() % tables.size()], sources[rng() % sources.size()], rng() % 3, rng() % 3,
                       rng() % 2, rng() % 2);
        if (!current.empty() && rng() % 3 == 0) {  // a correction of a random current sheet
          // As the verdict rule allows: of the same station and source.
          size_t k = rng() % current.size();
          r.sheet.supersedes = current[k].log_index;
          r.corrects = current[k].log_index;
          r.sheet.station = current[k].sheet.station;
          r.sheet.source = current[k].sheet.source;
          current.erase(current.begin() + static_cast<long>(k));
        }
        current.push_back(r);
        ASSERT_TRUE(live.add(r).has_value());

        Tabulation bulk(g, rule);
        for (const auto& c : current) ASSERT_TRUE(bulk.add_deferred(c).has_value());
        bulk.recompute_totals();
        for (AreaId a = 0; a < g->area_count(); ++a) {
          auto x = live.totals(a), y = bulk.totals(a);
          ASSERT_EQ(x.candidates, y.candidates) << "seed " << seed << " step " << i << " area " << a;
          ASSERT_EQ(x.fields, y.fields);
          ASSERT_EQ(x.tables_reported, y.tables_reported);
          ASSERT_EQ(x.tables_conflicted, y.tables_conflicted);
          ASSERT_EQ(x.registered_covered, y.registered_covered);
        }
      }
      // And both agree with the naive reference at the national level.
      auto naive = naive_national(current, rule);
      std::vector<int64_t> sum(5, 0);
      int64_t counted = 0, conflicted = 0;
      for (auto& [t, v] : naive) {
        if (v.empty()) {
          ++conflicted;
          continue;
        }
        ++counted;
        for (size_t k = 0; k < 5; ++k) sum[k] += v[k];
      }
      auto n = live.totals(0);
      EXPECT_EQ(n.tables_reported, counted);
      EXPECT_EQ(n.tables_conflicted, conflicted);
      EXPECT_EQ((std::vector<int64_t>{n.candidates[0], n.candidates[1], n.candidates[2], n.fields[0], n.fields[1]}),
                sum);
    }
  }
}

}  // namespace
}  // namespace tallylog::tally

namespace tallylog::tally {
namespace {

std::string random_text(std::mt19937& rng) {
  static const char kAlphabet[] = "T12345SC\0\xff,\"*:";
  static const std::string alphabet(kAlphabet, sizeof kAlphabet - 1);
  std::string s(rng() % 4, '\0');
  for (char& c : s) c = alphabet[rng() % alphabet.size()];
  return s;
}

TEST(Geography, SurvivesRandomRegistries) {
  std::mt19937 rng(11);
  for (int round = 0; round < 2000; ++round) {
    std::vector<election::Station> stations(rng() % 6);
    for (auto& s : stations) {
      s.code = random_text(rng);
      s.areas.resize(rng() % 5);
      for (auto& a : s.areas) a.code = random_text(rng);
      if (!s.areas.empty() && rng() % 2) s.areas.back().code = s.code;
      s.registered = rng();
    }
    auto g = Geography::build(testing::small_election(), stations);
    if (!g) {
      EXPECT_FALSE(g.error().message.empty());
      continue;
    }
    uint64_t sum = 0;
    for (AreaId t = (*g)->depth_begin(3); t < (*g)->depth_end(3); ++t) sum += (*g)->area(t).registered_voters;
    EXPECT_EQ((*g)->area(0).registered_voters, sum);
  }
}

TEST(Tabulation, SurvivesRandomHostileSheets) {
  auto stations = testing::small_stations();
  auto g = *Geography::build(testing::small_election(), stations);
  std::mt19937 rng(13);
  const std::vector<int64_t> values = {0, 1, -1, INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN, 42};
  Tabulation tab(g, {});
  for (int i = 0; i < 20000; ++i) {
    index::SheetRecord r;
    r.log_index = rng() % 64;
    r.superseded = rng() % 10 == 0;
    r.sheet.station = rng() % 4 ? "T" + std::to_string(1 + rng() % 6) : random_text(rng);
    r.sheet.source = rng() % 2 ? "official" : "qr";
    for (const char* c : {"A", "B", "C", "D"}) {
      if (rng() % 4) r.sheet.candidates[c] = values[rng() % values.size()];
    }
    for (const char* f : {"valid", "null", "blank"}) {
      if (rng() % 4) r.sheet.fields[f] = values[rng() % values.size()];
    }
    if (rng() % 8 == 0) r.sheet.cards.resize(rng() % 3);
    if (rng() % 5 == 0) r.sheet.supersedes = rng() % 64;
    (void)tab.add(r);  // errors are fine; crashes and inconsistency are not
  }
  // Whatever survived, the live totals equal a recompute from the same held sheets.
  Tabulation copy = tab;
  copy.recompute_totals();
  for (AreaId a = 0; a < g->area_count(); ++a) {
    EXPECT_EQ(tab.totals(a).candidates, copy.totals(a).candidates);
    EXPECT_EQ(tab.totals(a).tables_reported, copy.totals(a).tables_reported);
  }
}

}  // namespace
}  // namespace tallylog::tally
