#include "tallylog/election/declaration.h"

#include <gtest/gtest.h>

#include "tallylog/election/entry.h"

namespace tallylog::election {
namespace {

Election small() {
  Election e;
  e.id = "demo";
  e.levels = {{"state", "State"}, {"table", "Table"}};
  e.candidates = {{"A", "Alice", ""}, {"B", "Bob", ""}};
  e.fields = {"valid", "null"};
  e.sources = {"official"};
  return e;
}

Declaration bulletin() {
  Declaration d;
  d.source = "official";
  d.title = "Primer boletín";
  d.announced_at = "2024-07-29T04:06:00Z";
  d.reference = "https://example.org/boletin-1";
  d.coverage_percent = "96.87";
  d.areas = {DeclaredArea{"national", "", {{"A", 5150092}, {"B", 4445978}}, {{"valid", 10058774}}},
             DeclaredArea{"state", "S1", {{"A", 12}}, {}}};
  d.submitted_at = "2024-07-29T05:00:00Z";
  return d;
}

bool known_area(int depth, std::string_view code) { return depth == 1 && code == "S1"; }

TEST(Declaration, EncodesCanonicallyAndDecodesToTheSameRecord) {
  const Declaration d = bulletin();
  const std::string bytes = encode_entry(d);
  EXPECT_EQ(bytes,
            "{\"announced_at\":\"2024-07-29T04:06:00Z\",\"areas\":[{\"candidates\":{\"A\":5150092,\"B\":4445978},"
            "\"fields\":{\"valid\":10058774},\"level\":\"national\"},{\"area\":\"S1\",\"candidates\":{\"A\":12},"
            "\"level\":\"state\"}],\"coverage_percent\":\"96.87\",\"reference\":\"https://example.org/boletin-1\","
            "\"source\":\"official\",\"submitted_at\":\"2024-07-29T05:00:00Z\",\"title\":\"Primer boletín\","
            "\"type\":\"declaration\",\"v\":1}");
  auto e = decode_entry(bytes);
  ASSERT_TRUE(e) << e.error().to_string();
  EXPECT_EQ(e->type, EntryType::kDeclaration);
  EXPECT_EQ(std::get<Declaration>(e->record), d);
}

TEST(Declaration, AContestIsEncodedInKeyOrderOnlyWhenNamed) {
  Declaration d = bulletin();
  d.contest = "mayor";
  const std::string bytes = encode_entry(d);
  // After "areas", before "coverage_percent" (RFC 8785 order); an unnamed one keeps the old bytes
  // (EncodesCanonicallyAndDecodesToTheSameRecord above has no "contest" member).
  EXPECT_NE(bytes.find("\"level\":\"state\"}],\"contest\":\"mayor\",\"coverage_percent\""), std::string::npos) << bytes;
  auto e = decode_entry(bytes);
  ASSERT_TRUE(e) << e.error().to_string();
  EXPECT_EQ(std::get<Declaration>(e->record), d);
  std::string empty = bytes;
  empty.replace(empty.find("\"mayor\""), 7, "\"\"");
  auto bad = decode_entry(empty);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("contest must not be empty"), std::string::npos) << bad.error().message;
}

TEST(Declaration, DecodeRejectsNonCanonicalAndUnknownMembers) {
  std::string bytes = encode_entry(bulletin());
  std::string spaced = bytes;
  spaced.insert(1, " ");
  EXPECT_FALSE(decode_entry(spaced));
  std::string extra = bytes;
  extra.insert(1, "\"colour\":\"red\",");
  auto e = decode_entry(extra);
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message.find("unknown member \"colour\""), std::string::npos) << e.error().message;
  std::string negative = bytes;
  negative.replace(negative.find("5150092"), 7, "-5150092");
  EXPECT_FALSE(decode_entry(negative));
}

TEST(Declaration, ValidationNamesTheUnknownAreaCandidateOrField) {
  const Election e = small();
  EXPECT_TRUE(validate_declaration(bulletin(), e, known_area));
  auto fails = [&](auto mutate, const std::string& want) {
    Declaration d = bulletin();
    mutate(d);
    auto s = validate_declaration(d, e, known_area);
    ASSERT_FALSE(s) << want;
    EXPECT_EQ(s.error().message.substr(0, want.size()), want) << s.error().message;
  };
  fails([](Declaration& d) { d.areas[1].area = "S9"; }, "areas[1].area: unknown state \"S9\"");
  fails([](Declaration& d) { d.areas[0].candidates["XX"] = 1; }, "areas[0].candidates.XX: unknown candidate \"XX\"");
  fails([](Declaration& d) { d.areas[0].fields["turnout"] = 59; }, "areas[0].fields.turnout: unknown field \"turnout\"");
  fails([](Declaration& d) { d.areas[1].level = "county"; }, "areas[1].level: unknown level \"county\"");
  fails([](Declaration& d) { d.areas[0].candidates["A"] = -1; }, "areas[0].candidates.A: -1 is out of range");
  fails([](Declaration& d) { d.coverage_percent = "80.0"; }, "coverage_percent: \"80.0\" must be a percentage");
  fails([](Declaration& d) { d.coverage_percent = "100.5"; }, "coverage_percent: \"100.5\" must be a percentage");
  fails([](Declaration& d) { d.areas.push_back(d.areas[0]); }, "areas[2]: national is declared twice");
  fails([](Declaration& d) { d.source = "CNE"; }, "source: \"CNE\" may hold only");
  fails([](Declaration& d) { d.areas.clear(); }, "areas: a declaration needs at least one area");
}

TEST(Declaration, ReadsTomlAndCsvFiles) {
  Declaration base;
  base.source = "official";
  auto t = parse_declaration_toml(R"(
title = "Boletín"
announced_at = 2024-08-02T18:00:00-04:00
coverage_percent = "96.87"
[[areas]]
level = "national"
candidates = { A = 10, B = 20 }
fields = { valid = 30 }
)",
                                  "b.toml", base);
  ASSERT_TRUE(t) << t.error().to_string();
  EXPECT_EQ(t->announced_at, "2024-08-02T18:00:00-04:00");
  EXPECT_EQ(t->areas[0].candidates.at("B"), 20);
  EXPECT_EQ(t->source, "official");
  auto bad = parse_declaration_toml("colour = 1\n[[areas]]\nlevel = \"national\"\n", "b.toml", base);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "b.toml:1: colour: unknown key");

  auto c = parse_declaration_csv("level,area,name,count\nnational,,A,10\nnational,,valid,30\nstate,S1,B,4\n", "b.csv",
                                 small(), base);
  ASSERT_TRUE(c) << c.error().to_string();
  ASSERT_EQ(c->areas.size(), 2u);
  EXPECT_EQ(c->areas[0].fields.at("valid"), 30);
  EXPECT_EQ(c->areas[1].candidates.at("B"), 4);
  auto unknown = parse_declaration_csv("level,area,name,count\nnational,,ZZ,1\n", "b.csv", small(), base);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().message, "b.csv:2: name: \"ZZ\" is neither a candidate nor a field of the election");
}

}  // namespace
}  // namespace tallylog::election
