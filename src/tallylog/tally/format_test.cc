#include "tallylog/tally/format.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tallylog/tally/test_election.h"

namespace tallylog::tally {
namespace {

using testing::sheet;
using Json = nlohmann::json;

Tabulation small_tabulation(std::string_view rule, const std::vector<index::SheetRecord>& records) {
  auto stations = testing::small_stations();
  Tabulation tab(*Geography::build(testing::small_election(), stations), *SourceRule::parse(rule));
  for (const auto& r : records) EXPECT_TRUE(tab.add(r).has_value());
  return tab;
}

TEST(Format, ThousandsSeparatorsGroupByThree) {
  EXPECT_EQ(with_thousands(0), "0");
  EXPECT_EQ(with_thousands(999), "999");
  EXPECT_EQ(with_thousands(1000), "1,000");
  EXPECT_EQ(with_thousands(17745239), "17,745,239");
  EXPECT_EQ(with_thousands(-1234567), "-1,234,567");
  EXPECT_EQ(with_thousands(INT64_MIN), "-9,223,372,036,854,775,808");
}

TEST(Format, TallyJsonHasTheDocumentedShape) {
  auto tab = small_tabulation("official", {sheet(1, "T1", "official", 10, 20, 30, 4), sheet(2, "T4", "official", 1, 2, 3)});
  Json j = Json::parse(tally_to_json(tab, 1));
  EXPECT_EQ(j["level"], "state");
  EXPECT_EQ(j["source"], "official");
  ASSERT_EQ(j["areas"].size(), 2u);
  const Json& s1 = j["areas"][0];
  EXPECT_EQ(s1["code"], "S1");
  EXPECT_EQ(s1["name"], "State S1");
  EXPECT_EQ(s1["tables_reported"], 1);
  EXPECT_EQ(s1["tables_registered"], 3);
  EXPECT_EQ(s1["registered_voters"], 600);
  EXPECT_EQ(s1["registered_covered"], 100);
  EXPECT_EQ(s1["valid"], 60);
  EXPECT_EQ(s1["null"], 4);
  EXPECT_DOUBLE_EQ(s1["turnout"].get<double>(), 0.64);
  EXPECT_EQ(s1["candidates"], (Json{{"A", 10}, {"B", 20}, {"C", 30}}));
  EXPECT_EQ(j["total"]["valid"], 66);
  EXPECT_EQ(j["total"]["tables_registered"], 5);
  // Candidates keep ballot order in the text, not alphabetical order.
  const std::string text = tally_to_json(tab, 0);
  EXPECT_LT(text.find("\"A\""), text.find("\"B\""));
}

TEST(Format, TallyJsonUsesNullTurnoutWhenNothingIsCovered) {
  auto tab = small_tabulation("*", {});
  Json j = Json::parse(tally_to_json(tab, 3));
  EXPECT_EQ(j["areas"].size(), 5u);
  EXPECT_TRUE(j["total"]["turnout"].is_null());
  EXPECT_EQ(j["total"]["coverage"], 0.0);
}

TEST(Format, TallyTextIsAlignedWithSeparatorsAndPercentages) {
  std::vector<index::SheetRecord> rs = {sheet(1, "T5", "o", 1234567, 2, 3)};
  auto tab = small_tabulation("*", rs);
  const std::string text = tally_to_text(tab, 1);
  EXPECT_NE(text.find("1,234,567"), std::string::npos) << text;
  EXPECT_NE(text.find("20.00%"), std::string::npos) << text;  // 1 of 5 tables
  EXPECT_NE(text.find("TOTAL"), std::string::npos);
}

TEST(Format, TallyTextAlignsNamesWithAccentsByCharacters) {
  auto e = testing::small_election();
  e.name = "Elección";
  auto stations = testing::small_stations();
  stations[3].areas[0].name = "Mérida";
  stations[4].areas[0].name = "Mérida";
  Tabulation tab(*Geography::build(e, stations), {});
  const std::string text = tally_to_text(tab, 1);
  // The last column is right-aligned, so every line of the table (header, rule, S1, S2, TOTAL)
  // has the same width in characters; counting bytes instead would shift the accented lines.
  std::vector<size_t> widths;
  size_t pos = 0;
  for (int line = 0; line < 5; ++line) {
    const size_t nl = text.find('\n', pos);
    size_t chars = 0;
    for (size_t i = pos; i < nl; ++i) chars += (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80;
    widths.push_back(chars);
    pos = nl + 1;
  }
  for (size_t w : widths) EXPECT_EQ(w, widths[0]) << text;
}

TEST(Format, TallyCsvHasOneRowPerAreaAndTheTotal) {
  auto tab = small_tabulation("*", {sheet(1, "T1", "o", 1, 2, 3)});
  const std::string csv = tally_to_csv(tab, 2);
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 1 + 3 + 1);
  EXPECT_EQ(csv.substr(0, csv.find('\n')),
            "level,code,name,tables_reported,tables_registered,tables_conflicted,registered_voters,registered_covered,"
            "valid,null,A,B,C");
  EXPECT_NE(csv.find("centre,C1,Centre C1,1,2,0,300,100,6,0,1,2,3\n"), std::string::npos) << csv;
}

TEST(Format, CompareJsonHasTheDocumentedShape) {
  auto a = small_tabulation("official", {sheet(1, "T1", "official", 1, 2, 3), sheet(2, "T2", "official", 1, 1, 1)});
  Tabulation b(a.shared_geography(), *SourceRule::parse("qr"));
  ASSERT_TRUE(b.add(sheet(3, "T1", "qr", 1, 2, 4)).has_value());
  ASSERT_TRUE(b.add(sheet(4, "T3", "qr", 1, 2, 4)).has_value());
  auto c = *compare(a, b, 1);
  Json j = Json::parse(compare_to_json(c, a.geography()));
  EXPECT_EQ(j["matching"], 0);
  EXPECT_EQ(j["only_a"], 1);
  EXPECT_EQ(j["only_b"], 1);
  ASSERT_EQ(j["differing"].size(), 1u);
  EXPECT_EQ(j["differing"][0]["table"], "T1");
  EXPECT_EQ(j["differing"][0]["fields"], (Json{{"valid", {6, 7}}, {"C", {3, 4}}}));
  const std::string text = compare_to_text(c, a.geography());
  EXPECT_NE(text.find("T1 (log 1 vs 3): valid 6 -> 7; C 3 -> 4"), std::string::npos) << text;
}

TEST(Format, StreamedTallyAndCompareAreTheSameBytesInPieces) {
  // The audit compares table-level answers as they are formatted, in pieces; the pieces must
  // concatenate to exactly the string form, at every level, whatever the piece size.
  auto a = small_tabulation("official", {sheet(1, "T1", "official", 1, 2, 3), sheet(2, "T2", "official", 1, 1, 1)});
  Tabulation b(a.shared_geography(), *SourceRule::parse("qr"));
  ASSERT_TRUE(b.add(sheet(3, "T1", "qr", 1, 2, 4)).has_value());
  ASSERT_TRUE(b.add(sheet(4, "T3", "qr", 1, 2, 4)).has_value());
  for (size_t piece : {size_t{1}, size_t{64}, size_t{1} << 20}) {
    for (int depth = 0; depth <= a.geography().table_depth(); ++depth) {
      std::string streamed;
      size_t pieces = 0;
      tally_to_json(a, depth, 42, [&](std::string_view p) { streamed += p, ++pieces; }, piece);
      EXPECT_EQ(streamed, tally_to_json(a, depth, 42)) << depth;
      if (piece == 1) {
        EXPECT_GT(pieces, 1u) << depth;  // one piece per area at least
      }
      auto c = *compare(a, b, depth);
      streamed.clear();
      pieces = 0;
      compare_to_json(c, a.geography(), 42, [&](std::string_view p) { streamed += p, ++pieces; }, piece);
      EXPECT_EQ(streamed, compare_to_json(c, a.geography(), 42)) << depth;
      if (piece == 1) {
        EXPECT_GT(pieces, 1u) << depth;
      }
    }
  }
}

TEST(Format, ComparePairFormattedOnceGivesTheSameBytesAtEveryLevel) {
  // The server and the audit compare a pair once and answer each level from it: the head (written
  // once) followed by one level's summaries must be exactly compare_to_json of compare() at that
  // level, whole and in pieces. T4 is conflicted on one side, T1 differs, T2 and T3 are one-sided.
  auto a = small_tabulation("official", {sheet(1, "T1", "official", 1, 2, 3), sheet(2, "T2", "official", 1, 1, 1),
                                         sheet(5, "T4", "official", 1, 1, 1), sheet(6, "T4", "official", 2, 1, 1)});
  Tabulation b(a.shared_geography(), *SourceRule::parse("qr"));
  ASSERT_TRUE(b.add(sheet(3, "T1", "qr", 1, 2, 4)).has_value());
  ASSERT_TRUE(b.add(sheet(4, "T3", "qr", 1, 2, 4)).has_value());
  ASSERT_TRUE(b.add(sheet(7, "T4", "qr", 1, 1, 1)).has_value());
  auto pair = compare_tables(a, b);
  ASSERT_TRUE(pair.has_value());
  EXPECT_EQ(pair->tables.conflicted_tables, (std::vector<std::string>{"T4"}));
  const std::string head = compare_head_json(pair->tables, 42);
  for (int depth = 0; depth <= a.geography().table_depth(); ++depth) {
    const std::string expected = compare_to_json(*compare(a, b, depth), a.geography(), 42);
    auto areas = summarize_areas(*pair, depth);
    ASSERT_TRUE(areas.has_value()) << depth;
    EXPECT_EQ(compare_to_json(head, depth, *areas, a.geography()), expected) << depth;
    EXPECT_EQ(compare_to_json(*summarize(*pair, depth), a.geography(), 42), expected) << depth;
    for (size_t piece : {size_t{1}, size_t{64}, size_t{1} << 20}) {
      std::string streamed;
      compare_to_json(head, depth, *areas, a.geography(), [&](std::string_view p) { streamed += p; }, piece);
      EXPECT_EQ(streamed, expected) << depth << " " << piece;
    }
  }
  EXPECT_FALSE(summarize_areas(*pair, a.geography().table_depth() + 1).has_value());
}

TEST(Format, BoundSaysDecidedYesOrNoPerBound) {
  auto tab = small_tabulation("*", {sheet(1, "T1", "o", 60, 30, 0)});
  auto b = *outcome_bound(tab);
  const std::string text = bound_to_text(b, tab.geography());
  EXPECT_NE(text.find("leader: A (Alice) with 60 votes"), std::string::npos) << text;
  EXPECT_NE(text.find("bound 100% turnout: decided: no"), std::string::npos) << text;
  EXPECT_NE(text.find("bound observed turnout: decided: no"), std::string::npos) << text;
  Json j = Json::parse(bound_to_json(b, tab.geography()));
  EXPECT_EQ(j["leader"]["candidate"], "A");
  EXPECT_EQ(j["rivals"][0]["lead"], 30);
  EXPECT_EQ(j["bounds"]["full"]["max_votes"], 1400);
  EXPECT_EQ(j["bounds"]["full"]["decided"], false);
  EXPECT_EQ(j["bounds"]["observed"]["level"], "state");
}

TEST(Format, BoundStatesTheUnregisteredTablesAssumptionInTextAndJson) {
  auto stations = testing::small_stations();
  auto e = testing::small_election();
  e.unregistered_tables.count = 3;
  Tabulation tab(*Geography::build(e, stations), *SourceRule::parse("*"));
  ASSERT_TRUE(tab.add(sheet(1, "T5", "o", 400, 50, 0)).has_value());
  auto b = *outcome_bound(tab);
  const std::string text = bound_to_text(b, tab.geography());
  EXPECT_NE(text.find("tables absent from the registry, voters unknown: 3"), std::string::npos) << text;
  EXPECT_NE(text.find("assumed at most 500 voters each: the largest registered-voters figure of any table in "
                      "the registry (T5), as the election file gives no max_voters_per_table"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("adds up to 1,500 voters at 100% turnout and 1,350 votes at the highest observed turnout "
                      "(nationally 90.00%)"),
            std::string::npos)
      << text;
  Json j = Json::parse(bound_to_json(b, tab.geography()));
  EXPECT_EQ(j["unregistered_tables"],
            (Json{{"count", 3}, {"in_areas", 0}, {"max_voters_per_table", 500}, {"cap_source", "registry_largest"},
                  {"cap_table", "T5"}, {"max_voters", 1500}, {"max_votes_observed", 1350},
                  {"national_turnout", 0.9}}));
  // 1,000 registered unreported (T1-T4) + 1,500.
  EXPECT_EQ(j["bounds"]["full"]["max_votes"], 2500);

  e.unregistered_tables.max_voters_per_table = 20;
  Tabulation given(*Geography::build(e, stations), *SourceRule::parse("*"));
  auto g = *outcome_bound(given);
  EXPECT_NE(bound_to_text(g, given.geography()).find("assumed at most 20 voters each: max_voters_per_table in the "
                                                     "election file"),
            std::string::npos);
  Json k = Json::parse(bound_to_json(g, given.geography()));
  EXPECT_EQ(k["unregistered_tables"]["cap_source"], "election");
  EXPECT_TRUE(k["unregistered_tables"]["cap_table"].is_null());
  EXPECT_TRUE(k["unregistered_tables"]["national_turnout"].is_null());
  EXPECT_EQ(k["unregistered_tables"]["max_votes_observed"], 60);
}

TEST(Format, BoundWithoutUnregisteredTablesSaysNothingAboutThemInText) {
  auto tab = small_tabulation("*", {sheet(1, "T1", "o", 60, 30, 0)});
  auto b = *outcome_bound(tab);
  EXPECT_EQ(bound_to_text(b, tab.geography()).find("absent from the registry"), std::string::npos);
  Json j = Json::parse(bound_to_json(b, tab.geography()));
  EXPECT_EQ(j["unregistered_tables"]["count"], 0);
  EXPECT_EQ(j["unregistered_tables"]["max_voters"], 0);
}

TEST(Format, ExportCsvHasOneRowPerSheetWithItsLogIndexAndEscapesText) {
  auto stations = testing::small_stations();
  auto g = *Geography::build(testing::small_election(), stations);
  SheetExporter ex(*g, ExportFormat::kCsv);
  auto r = sheet(42, "T4", "witness:\"a,b\"", 1, 2, 3, 1);
  r.sheet.supersedes = 7;
  std::string out = ex.begin();  // one statement each: operands of + are unsequenced
  out += ex.row(r);
  out += ex.row(sheet(43, "T99", "qr", 0, 0, 0));
  out += ex.end();
  EXPECT_EQ(out,
            "table,state,centre,source,log_index,supersedes,conflicted,registered,valid,null,A,B,C,image_sha256\n"
            "T4,S2,C3,\"witness:\"\"a,b\"\"\",42,7,0,400,6,1,1,2,3,\n"
            "T99,,,qr,43,,0,,0,0,0,0,0,\n");
}

TEST(Format, ExportJsonIsOneValidDocument) {
  auto stations = testing::small_stations();
  auto g = *Geography::build(testing::small_election(), stations);
  SheetExporter ex(*g, ExportFormat::kJson);
  std::string out = ex.begin();
  out += ex.row(sheet(1, "T1", "o", 1, 2, 3));
  out += ex.row(sheet(2, "T2", "o", 4, 5, 6));
  out += ex.end();
  Json j = Json::parse(out);
  ASSERT_EQ(j["sheets"].size(), 2u);
  EXPECT_EQ(j["sheets"][1]["log_index"], 2);
  EXPECT_EQ(j["sheets"][1]["areas"]["centre"], "C1");
  EXPECT_EQ(j["sheets"][1]["candidates"]["C"], 6);
  std::string empty = ex.begin();
  empty += ex.end();
  EXPECT_EQ(Json::parse(empty)["sheets"].size(), 0u);
}

}  // namespace
}  // namespace tallylog::tally
