#include "tallylog/forensics/declared.h"
#include "tallylog/forensics/format.h"
#include "tallylog/forensics/from_tabulation.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tallylog/tally/test_election.h"

namespace tallylog::forensics {
namespace {

using tally::testing::sheet;
using tally::testing::small_election;
using tally::testing::small_stations;

// Registry S1: T1 100, T2 200, T3 300; S2: T4 400, T5 500 voters. Counted: T1, T2, T4.
struct Fixture {
  std::shared_ptr<const tally::Geography> geo;
  std::unique_ptr<tally::Tabulation> tab;
  explicit Fixture(election::Election e = small_election()) {
    geo = *tally::Geography::build(e, small_stations());
    tab = std::make_unique<tally::Tabulation>(geo, *tally::SourceRule::parse("*"));
    EXPECT_TRUE(tab->add(sheet(1, "T1", "witness:a", 50, 30, 0)));
    EXPECT_TRUE(tab->add(sheet(2, "T2", "witness:a", 120, 40, 0)));
    EXPECT_TRUE(tab->add(sheet(3, "T4", "witness:a", 200, 100, 10)));
  }
};

index::DeclarationRecord national(int64_t a, int64_t b, std::string coverage = "") {
  index::DeclarationRecord r;
  r.log_index = 9;
  r.declaration.source = "official";
  r.declaration.coverage_percent = std::move(coverage);
  r.declaration.areas = {election::DeclaredArea{"national", "", {{"A", a}, {"B", b}}, {}}};
  return r;
}

TEST(CheckDeclared, AFigureBelowWhatTheSheetsProveIsContradictedWithTheMargin) {
  Fixture f;
  // Verified A = 50 + 120 + 200 = 370; uncounted T3 + T5 hold 800 voters. Full coverage claimed.
  auto checks = check_declarations(*f.tab, {national(300, 900)}, tally::UnregisteredBasis::kRegistryTotal);
  ASSERT_TRUE(checks) << checks.error().to_string();
  const AreaCheck& a = (*checks)[0].areas[0];
  EXPECT_EQ(a.capacity, 800u);
  EXPECT_EQ(a.omittable, 0u);
  ASSERT_EQ(a.figures.size(), 2u);
  EXPECT_EQ(a.figures[0].verified, 370);
  EXPECT_EQ(a.figures[0].lower, 370);
  EXPECT_EQ(a.figures[0].below, 70);  // declared 300, the sheets alone give 370
  // B: verified 170, at most 170 + 800 = 970; 900 is possible.
  EXPECT_EQ(a.figures[1].upper, 970u);
  EXPECT_FALSE(a.figures[1].contradicted());
  EXPECT_EQ((*checks)[0].contradicted, 1u);
  EXPECT_NE(declared_to_text(*checks).find("declared 300; the verified sheets alone give at least 370"), std::string::npos);
}

TEST(CheckDeclared, APartialCoverageClaimMayOmitTheLargestCountedTables) {
  Fixture f;
  // 60 % of 5 tables = 3 covered at least: up to 2 counted tables may be missing; for A the two
  // largest counted contributions are 200 (T4) and 120 (T2): lower = 370 - 320 = 50.
  auto checks = check_declarations(*f.tab, {national(300, 900, "60")}, tally::UnregisteredBasis::kRegistryTotal);
  ASSERT_TRUE(checks);
  const AreaCheck& a = (*checks)[0].areas[0];
  EXPECT_EQ((*checks)[0].covered_min, 3u);
  EXPECT_EQ(a.omittable, 2u);
  EXPECT_EQ(a.figures[0].omitted_max, 320);
  EXPECT_EQ(a.figures[0].lower, 50);
  EXPECT_FALSE(a.figures[0].contradicted());
}

TEST(CheckDeclared, ARegistryTotalCapsTablesAbsentFromTheRegistry) {
  election::Election e = small_election();
  e.unregistered_tables.count = 10;  // 10 tables absent, worst case 500 voters each = 5,000
  e.registry_totals.total = 1600;    // the registry's tables hold 1,500: at most 100 outside
  e.registry_totals.source = "test gazette";
  Fixture f(e);
  auto by_registry = check_declarations(*f.tab, {national(370, 2000)}, tally::UnregisteredBasis::kRegistryTotal);
  ASSERT_TRUE(by_registry);
  const AreaCheck& r = (*by_registry)[0].areas[0];
  EXPECT_EQ(r.unregistered_basis, "registry-total");
  EXPECT_EQ(r.unregistered_capacity, 100u);
  EXPECT_EQ(r.figures[1].upper, 170u + 800 + 100);
  EXPECT_EQ(r.figures[1].above, 2000 - 1070);
  auto per_table = check_declarations(*f.tab, {national(370, 2000)}, tally::UnregisteredBasis::kPerTable);
  ASSERT_TRUE(per_table);
  EXPECT_EQ((*per_table)[0].areas[0].unregistered_capacity, 5000u);
  EXPECT_FALSE((*per_table)[0].areas[0].figures[1].contradicted());
}

TEST(CheckDeclared, AreaDeclarationsUseTheAreasTables) {
  Fixture f;
  index::DeclarationRecord r;
  r.declaration.source = "official";
  r.declaration.areas = {election::DeclaredArea{"state", "S2", {{"A", 150}}, {{"valid", 999}}}};
  auto checks = check_declarations(*f.tab, {r}, tally::UnregisteredBasis::kRegistryTotal);
  ASSERT_TRUE(checks);
  const AreaCheck& a = (*checks)[0].areas[0];
  EXPECT_EQ(a.tables_registered, 2u);
  EXPECT_EQ(a.tables_counted, 1u);
  EXPECT_EQ(a.capacity, 500u);  // T5
  EXPECT_EQ(a.figures[0].below, 50);  // T4 alone gives A 200
  EXPECT_EQ(a.figures[1].name, "valid");
  EXPECT_EQ(a.figures[1].verified, 310);
  EXPECT_EQ(a.figures[1].above, 999 - 810);
}

TEST(RoundPercent, TheFirstCneBulletinIsTotalTimesOneDecimalPercentages) {
  // CNE, 29 July 2024: Maduro 5,150,092 (51.2 %), González 4,445,978 (44.2 %) of 10,058,774.
  election::DeclaredArea a{"national", "", {{"NM", 5150092}, {"EG", 4445978}}, {{"valid", 10058774}}};
  RoundCheck r = round_percent_check(a);
  ASSERT_TRUE(r.skipped.empty());
  EXPECT_EQ(r.decimals, 1);
  EXPECT_EQ(r.free_figures, 2);
  EXPECT_NEAR(r.probability, (1000.0 / 10058774) * (1000.0 / 10058774), 1e-15);
  // Computed here: 0.512 x 10,058,774 = 5,150,092.3 and 0.442 x 10,058,774 = 4,445,978.1.
  EXPECT_EQ(r.percents[0], (std::pair<std::string, std::string>{"EG", "44.2"}));
  // One vote more for Maduro and it is no longer a one-decimal figure (2 decimals do not fit either).
  a.candidates["NM"] += 1;
  EXPECT_NE(round_percent_check(a).decimals, 1);
}

TEST(RoundPercent, OrdinaryCountsAreNotRound) {
  election::DeclaredArea a{"national", "", {{"A", 6408844}, {"B", 5326104}}, {{"valid", 12335884}}};
  RoundCheck r = round_percent_check(a);
  EXPECT_EQ(r.decimals, -1);
  election::DeclaredArea small_base{"national", "", {{"A", 500}, {"B", 300}}, {}};
  EXPECT_FALSE(round_percent_check(small_base).skipped.empty());
}

TEST(CheckDeclared, JsonNamesEveryFigureAndTheContext) {
  Fixture f;
  auto checks = check_declarations(*f.tab, {national(300, 900)}, tally::UnregisteredBasis::kRegistryTotal);
  ASSERT_TRUE(checks);
  auto j = nlohmann::json::parse(declared_to_json(*checks, "\"log_size\":4"));
  EXPECT_EQ(j["log_size"], 4);
  const auto& fig = j["declarations"][0]["areas"][0]["figures"][0];
  EXPECT_EQ(fig["name"], "A");
  EXPECT_EQ(fig["contradicted"], true);
  EXPECT_EQ(fig["below_by"], 70);
}

}  // namespace
}  // namespace tallylog::forensics

namespace tallylog::forensics {
namespace {

// Issue 13: a registry table whose registered voters are unknown has an unknown maximum: uncounted,
// check-declared caps it like a table absent from the registry (the largest known figure, 500);
// counted, forensics leaves it out of the turnout tests and says how many.
TEST(UnknownRegisteredVoters, CheckDeclaredCapsThemAndForensicsLeavesThemOutOfTurnout) {
  std::vector<election::Station> stations = small_stations();
  election::Station t6 = tally::testing::station("S2", "C3", "T6", 0), t7 = tally::testing::station("S1", "C1", "T7", 0);
  t6.registered.reset();
  t7.registered.reset();
  stations.push_back(t6);
  stations.push_back(t7);
  auto geo = *tally::Geography::build(small_election(), stations);
  tally::Tabulation tab(geo, *tally::SourceRule::parse("*"));
  ASSERT_TRUE(tab.add(sheet(1, "T1", "witness:a", 50, 30, 0)));
  ASSERT_TRUE(tab.add(sheet(2, "T2", "witness:a", 120, 40, 0)));
  ASSERT_TRUE(tab.add(sheet(3, "T4", "witness:a", 200, 100, 10)));
  ASSERT_TRUE(tab.add(sheet(4, "T6", "witness:a", 90, 10, 0)));
  auto checks = check_declarations(tab, {national(300, 900)}, tally::UnregisteredBasis::kPerTable);
  ASSERT_TRUE(checks) << checks.error().to_string();
  // Uncounted: T3 300 + T5 500 known, and T7 unknown: one table x the largest known figure, 500.
  EXPECT_EQ((*checks)[0].areas[0].registered_not_counted, 800u);
  EXPECT_EQ((*checks)[0].areas[0].capacity, 1300u);

  auto sample = sample_from_tabulation(tab, 0);
  ASSERT_TRUE(sample) << sample.error().to_string();
  EXPECT_EQ(sample->tables(), 4u);
  EXPECT_EQ(sample->registered_unknown, 1u);
  const Report r = analyse(*sample);
  EXPECT_EQ(r.turnout_excluded_tables, 1u);
  EXPECT_NE(report_to_text(r, {}).find("1 of them have unknown registered voters and are left out of every "
                                       "turnout-based test"),
            std::string::npos);
  EXPECT_NE(report_to_json(r, {}, "").find(R"("tables":4,"turnout_excluded_tables":1,)"), std::string::npos);
}

}  // namespace
}  // namespace tallylog::forensics
