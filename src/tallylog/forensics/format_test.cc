#include "tallylog/forensics/format.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>

namespace tallylog::forensics {
namespace {

Sample small(size_t tables) {
  Sample s;
  s.candidates = {"A", "B"};
  s.group_codes = {"R1"};
  s.group_names = {"Region 1"};
  s.group_level = "region";
  std::mt19937_64 rng(1);
  for (size_t t = 0; t < tables; ++t) {
    const uint32_t reg = 1000 + uint32_t(rng() % 500), cast = reg / 2 + uint32_t(rng() % 200), a = cast / 2 + 7;
    const uint32_t v[2] = {a, cast - a};
    s.add(reg, cast, v, 0);
  }
  s.choose_leader();
  return s;
}

TEST(ForensicsFormat, JsonCarriesEveryTestAndTheContextFirst) {
  Options o;
  o.resamples = 50;
  Report r = analyse(small(500), o);
  std::vector<SourceReport> sources = {{"official", r, {}}};
  mark_sources(sources);
  auto j = nlohmann::ordered_json::parse(report_to_json(r, sources, "\"log_size\":7"));
  EXPECT_EQ(j.begin().key(), "log_size");
  EXPECT_EQ(j["tables"], 500);
  EXPECT_EQ(j["leader"], "A");
  EXPECT_EQ(j["integer"]["turnout"]["resamples"], 50);
  EXPECT_EQ(j["fingerprint"]["cells"].size(), 100u * 100u);
  EXPECT_EQ(j["areas"]["list"][0]["code"], "R1");
  EXPECT_EQ(j["sources"][0]["source"], "official");
  EXPECT_EQ(j["readings"].size(), 6u);
}

TEST(ForensicsFormat, SkippedTestsCarryTheReasonAndNoNumbers) {
  Report r = analyse(small(20));
  auto j = nlohmann::json::parse(report_to_json(r, {}, ""));
  EXPECT_TRUE(j["integer"]["turnout"].contains("skipped"));
  EXPECT_FALSE(j["integer"]["turnout"].contains("p_value"));
  EXPECT_FALSE(j["shpilkin"].contains("anomalous_votes"));
  EXPECT_FALSE(j["fingerprint"].contains("cells"));
  for (const std::string& line : readings(r)) EXPECT_NE(line.find("not"), std::string::npos) << line;
  EXPECT_NE(fingerprint_svg(r, "t").find("Not drawn: too few tables"), std::string::npos);
}

TEST(ForensicsFormat, SvgPlotsAreWellFormedAndEscapeTheTitle) {
  Report r = analyse(small(500));
  for (const std::string& svg : {fingerprint_svg(r, "A & <B>"), integer_svg(r, "A & <B>"), shpilkin_svg(r, "A & <B>")}) {
    EXPECT_TRUE(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    EXPECT_NE(svg.find("<title>A &amp; &lt;B&gt;</title>"), std::string::npos);
    EXPECT_TRUE(svg.ends_with("</svg>\n"));
  }
}

}  // namespace
}  // namespace tallylog::forensics
