#include "tallylog/ingest/mapping.h"

#include <gtest/gtest.h>

#include "tallylog/base/testing.h"
#include "tallylog/election/toml.h"

namespace tallylog::ingest {
namespace {

election::Election small_election() {
  election::Election e;
  e.id = "t";
  e.levels = {{"state", "State"}, {"table", "Table"}};
  e.candidates = {{"A", "Ann", ""}, {"B", "Bob", ""}};
  e.fields = {"valid", "null"};
  return e;
}

const char* kMapping = R"(
name = "small"
[station]
code = "{ST:02}.{T:03}"
registered = "REG"
areas = [
  { level = "state", code = "{ST:02}", name = "{STNAME}" },
  { level = "table", code = "{ST:02}.{T:03}", name = "Table {T}" },
]
[sheet]
station = "{ST:02}.{T:03}"
[sheet.candidates]
A = "VA"
B = "VB"
[sheet.fields]
valid = "VALID"
null = "NUL"
)";

const std::vector<std::string> kHeader = {"ST", "STNAME", "T", "REG", "VA", "VB", "VALID", "NUL"};

TEST(ParseCount, AcceptsIntegersAndRejectsEverythingElse) {
  EXPECT_EQ(parse_count("0").value(), 0);
  EXPECT_EQ(parse_count("123").value(), 123);
  EXPECT_EQ(parse_count("-4").value(), -4);
  for (const char* bad : {"", "-", "1.5", "12a", " 1", "1e3", "99999999999999999999"})
    EXPECT_FALSE(parse_count(bad).has_value()) << bad;
}

TEST(Mapping, BuildsStationWithPaddedCodesAndAreas) {
  auto m = Mapping::parse(kMapping, "small.toml");
  ASSERT_TRUE(m) << m.error().to_string();
  auto b = BoundMapping::bind_stations(*m, kHeader, small_election());
  ASSERT_TRUE(b) << b.error().to_string();
  std::vector<std::string> row = {"7", "Seven", "12", "300", "1", "2", "3", "0"};
  auto st = b->station(row);
  ASSERT_TRUE(st) << st.error().reason;
  EXPECT_EQ(st->code, "07.012");
  ASSERT_EQ(st->areas.size(), 2u);
  EXPECT_EQ(st->areas[0].code, "07");
  EXPECT_EQ(st->areas[0].name, "Seven");
  EXPECT_EQ(st->areas[1].code, "07.012");
  EXPECT_EQ(st->areas[1].name, "Table 12");
  EXPECT_EQ(st->registered, 300u);
}

// Issue 13: registered voters the registry does not give are unknown, not zero, and not an
// error: an empty cell, or a mapping without `registered`, registers the station without them.
TEST(Mapping, AStationWhoseRegisteredVotersAreEmptyOrUnmappedHasThemUnknown) {
  auto m = Mapping::parse(kMapping, "small.toml");
  ASSERT_TRUE(m) << m.error().to_string();
  auto b = BoundMapping::bind_stations(*m, kHeader, small_election());
  ASSERT_TRUE(b) << b.error().to_string();
  auto empty = b->station(std::vector<std::string>{"7", "Seven", "12", "", "1", "2", "3", "0"});
  ASSERT_TRUE(empty) << empty.error().field << ": " << empty.error().reason;
  EXPECT_EQ(empty->code, "07.012");
  EXPECT_FALSE(empty->registered.has_value());
  auto zero = b->station(std::vector<std::string>{"7", "Seven", "12", "0", "1", "2", "3", "0"});
  ASSERT_TRUE(zero);
  EXPECT_EQ(zero->registered, std::optional<uint64_t>(0));
  auto negative = b->station(std::vector<std::string>{"7", "Seven", "12", "-3", "1", "2", "3", "0"});
  ASSERT_FALSE(negative);
  EXPECT_EQ(negative.error().reason, "is negative");

  std::string text = kMapping;
  text.erase(text.find("registered = \"REG\"\n"), std::string("registered = \"REG\"\n").size());
  auto unmapped = Mapping::parse(text, "noreg.toml");
  ASSERT_TRUE(unmapped) << unmapped.error().to_string();
  const std::vector<std::string> header = {"ST", "STNAME", "T"};  // no REG column needed
  auto ub = BoundMapping::bind_stations(*unmapped, header, small_election());
  ASSERT_TRUE(ub) << ub.error().to_string();
  auto st = ub->station(std::vector<std::string>{"7", "Seven", "12"});
  ASSERT_TRUE(st) << st.error().field << ": " << st.error().reason;
  EXPECT_FALSE(st->registered.has_value());
}

TEST(Mapping, BuildsSheetWithCandidatesAndFields) {
  auto m = Mapping::parse(kMapping, "small.toml").value();
  auto b = BoundMapping::bind_sheets(m, kHeader, small_election()).value();
  std::vector<std::string> row = {"7", "Seven", "12", "300", "10", "20", "30", "1"};
  auto sh = b.sheet(row);
  ASSERT_TRUE(sh) << sh.error().reason;
  EXPECT_EQ(sh->station, "07.012");
  EXPECT_EQ(sh->candidates.at("A"), 10);
  EXPECT_EQ(sh->candidates.at("B"), 20);
  EXPECT_EQ(sh->fields.at("valid"), 30);
  EXPECT_EQ(sh->fields.at("null"), 1);
}

// One file holding two contests' sheets: [sheet] contest names each row's contest, and each
// contest's table says what the shared vote columns mean in it.
const char* kTwoContests = R"(
[sheet]
station = "{T}"
contest = "{C}"
[sheet.contests.pres.candidates]
A = "V1"
B = "V2"
[sheet.contests.pres.fields]
valid = "V1 + V2"
[sheet.contests.list]
cards = ["V1", "V2"]
[sheet.contests.list.fields]
valid = "V1 + V2"
)";

TEST(Mapping, AContestColumnAndPerContestTablesMapOneFileOfTwoContests) {
  auto m = Mapping::parse(kTwoContests, "two.toml").value();
  ASSERT_TRUE(m.has_contest);
  ASSERT_EQ(m.contest_sheets.size(), 2u);
  election::Election pres;
  pres.id = "t";
  pres.contest = "pres";
  pres.levels = {{"table", "Table"}};
  pres.candidates = {{"A", "Ann", ""}, {"B", "Bob", ""}};
  pres.fields = {"valid"};
  election::Election list = pres;
  list.contest = "list";
  list.cards = {{1, "P1", "A"}, {2, "P2", "B"}};
  const std::vector<std::string> header = {"T", "C", "V1", "V2"};
  auto bp = BoundMapping::bind_sheets(m, header, pres);
  ASSERT_TRUE(bp) << bp.error().message;
  auto bl = BoundMapping::bind_sheets(m, header, list);
  ASSERT_TRUE(bl) << bl.error().message;
  const std::vector<std::string> row = {"001", "list", "7", "5"};
  EXPECT_EQ(bp->contest(row).value(), "list");
  auto as_pres = bp->sheet(row).value();
  EXPECT_EQ(as_pres.candidates.at("A"), 7);
  EXPECT_TRUE(as_pres.cards.empty());
  auto as_list = bl->sheet(row).value();
  EXPECT_EQ(as_list.cards, (std::vector<int64_t>{7, 5}));
  EXPECT_TRUE(as_list.candidates.empty());
  EXPECT_EQ(as_list.fields.at("valid"), 12);
}

TEST(Mapping, ContestTablesNeedTheContestTemplateAndKnowTheirKeys) {
  std::string text = kTwoContests;
  text.replace(text.find("contest = \"{C}\"\n"), 16, "");
  auto m = Mapping::parse(text, "two.toml");
  ASSERT_FALSE(m);
  EXPECT_NE(m.error().message.find("needs [sheet] contest"), std::string::npos) << m.error().message;
  auto typo = Mapping::parse(std::string(kTwoContests) + "[sheet.contests.pres.feilds]\nvalid = \"V1\"\n", "typo.toml");
  ASSERT_FALSE(typo);
  EXPECT_NE(typo.error().message.find("[sheet.contests.pres] feilds: unknown key"), std::string::npos)
      << typo.error().message;
  auto fixed = Mapping::parse("[sheet]\nstation = \"{T}\"\ncontest = \"pres\"\n", "fixed.toml");
  ASSERT_FALSE(fixed);  // every row the same contest: the template must read a column
  EXPECT_NE(fixed.error().message.find("reads no column"), std::string::npos) << fixed.error().message;
}

TEST(Mapping, RowErrorsNameTheColumn) {
  auto m = Mapping::parse(kMapping, "small.toml").value();
  auto b = BoundMapping::bind_sheets(m, kHeader, small_election()).value();
  auto e1 = b.sheet(std::vector<std::string>{"7", "S", "12", "300", "x", "20", "30", "1"});
  ASSERT_FALSE(e1);
  EXPECT_EQ(e1.error().field, "VA");
  EXPECT_EQ(e1.error().reason, "'x' is not a whole number");
  auto e2 = b.sheet(std::vector<std::string>{"7", "S", "1234", "300", "1", "2", "3", "1"});
  ASSERT_FALSE(e2);
  EXPECT_EQ(e2.error().field, "T");
  auto e3 = b.sheet(std::vector<std::string>{"7", "S"});
  ASSERT_FALSE(e3);
  EXPECT_EQ(e3.error().field, "row");
  auto e4 = b.sheet(std::vector<std::string>{"7", "S", "12", "300", "", "20", "30", "1"});
  ASSERT_FALSE(e4);
  EXPECT_EQ(e4.error().reason, "is empty");
}

TEST(Mapping, BindFailsOnMissingColumnOrUnknownCandidateOrLevelMismatch) {
  auto m = Mapping::parse(kMapping, "small.toml").value();
  std::vector<std::string> header = {"ST", "STNAME", "T", "REG", "VA", "VALID", "NUL"};
  auto b = BoundMapping::bind_sheets(m, header, small_election());
  ASSERT_FALSE(b);
  EXPECT_NE(b.error().message.find("no column 'VB'"), std::string::npos);
  auto e = small_election();
  e.candidates.pop_back();
  EXPECT_FALSE(BoundMapping::bind_sheets(m, kHeader, e).has_value());
  e = small_election();
  e.levels[0].code = "region";
  auto s = BoundMapping::bind_stations(m, kHeader, e);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("'state'"), std::string::npos);
}

TEST(Mapping, UnknownKeysAreErrorsWithLineAndKey) {
  // A typo must not silently drop a table: today's reader ignored [sheet.feilds] and logged
  // sheets without fields.
  std::string text = std::string(kMapping) + "\n[sheet.feilds]\nvalid = \"VALID\"\n";
  text.replace(text.find("[sheet.fields]"), 14, "[sheet.xfields]");
  auto m = Mapping::parse(text, "typo.toml");
  ASSERT_FALSE(m);
  EXPECT_NE(m.error().message.find("typo.toml:"), std::string::npos) << m.error().message;
  EXPECT_NE(m.error().message.find("unknown key"), std::string::npos) << m.error().message;
  for (const char* bad : {"colour = 1\n[sheet]\nstation = \"{A}\"\n",
                          "[sheet]\nstation = \"{A}\"\nstaton = \"x\"\n",
                          "[station]\ncode = \"{A}\"\nregistered = \"R\"\nareas = [{level = \"t\", code = \"{A}\", nme = \"x\"}]\n",
                          "[lookups.x]\nvalues = {a = \"b\"}\nkey_column = \"k\"\n[sheet]\nstation = \"{A}\"\n"}) {
    auto r = Mapping::parse(bad, "bad.toml");
    ASSERT_FALSE(r) << bad;
    EXPECT_NE(r.error().message.find("unknown key"), std::string::npos) << r.error().message;
  }
}

TEST(Mapping, ACodeTemplateThatReadsNoColumnIsAnError) {
  auto m = Mapping::parse("[sheet]\nstation = \"CENTRO\"\n", "m.toml");
  ASSERT_FALSE(m);
  EXPECT_NE(m.error().message.find("reads no column"), std::string::npos) << m.error().message;
  auto c = Mapping::parse("[sheet]\nstation = \"{A}\"\n[sheet.fields]\nvalid = \"{VALID}\"\n", "m.toml");
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("counts are expressions, not templates"), std::string::npos);
}

TEST(Mapping, ComputedCountsAndConstants) {
  const char* text = R"toml(
[sheet]
station = "{left(ACTA, 4)}"
[sheet.candidates]
A = "int(VA, ',')"
B = 0
[sheet.fields]
valid = "TOTAL - NUL"
null = "NUL"
)toml";
  auto m = Mapping::parse(text, "m.toml");
  ASSERT_TRUE(m) << m.error().to_string();
  std::vector<std::string> header = {"ACTA", "VA", "TOTAL", "NUL"};
  auto b = BoundMapping::bind_sheets(*m, header, small_election());
  ASSERT_TRUE(b) << b.error().to_string();
  auto sh = b->sheet(std::vector<std::string>{"07.012.1", "1,234", "1300", "66"});
  ASSERT_TRUE(sh) << sh.error().field << ": " << sh.error().reason;
  EXPECT_EQ(sh->station, "07.0");
  EXPECT_EQ(sh->candidates.at("A"), 1234);
  EXPECT_EQ(sh->candidates.at("B"), 0);
  EXPECT_EQ(sh->fields.at("valid"), 1234);
  EXPECT_EQ(sh->fields.at("null"), 66);
  auto bad = b->sheet(std::vector<std::string>{"07.012.1", "1,234", "", "66"});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().field, "valid");
  EXPECT_EQ(bad.error().reason, "is empty");
}

TEST(Mapping, AFieldTheElectionRequiresButTheMappingLacksStopsBeforeTheFirstRow) {
  // Today this bound fine and then rejected every row with "missing field".
  const char* text = R"(
[sheet]
station = "{ST:02}.{T:03}"
[sheet.candidates]
A = "VA"
[sheet.fields]
valid = "VALID"
)";
  auto m = Mapping::parse(text, "m.toml").value();
  auto b = BoundMapping::bind_sheets(m, kHeader, small_election());
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().message,
            "mapping '' gives no value for field 'null', candidate 'B', which election 't' requires on every sheet");
}

TEST(Mapping, LoadReadsLookupFilesBesideTheMapping) {
  tallylog::testing::TempDir tmp;
  const std::string dir = tmp.path();
  ASSERT_TRUE(Env::posix().write_file_atomic(dir + "/names.json", R"({"7": "Seven"})", Durability::kNoSync));
  ASSERT_TRUE(Env::posix().write_file_atomic(dir + "/m.toml", R"toml(
[lookups.names]
file = "names.json"
[station]
code = "{ST:02}.{T:03}"
registered = "REG"
areas = [
  { level = "state", code = "{ST:02}", name = "{lookup('names', ST)}" },
  { level = "table", code = "{ST:02}.{T:03}" },
]
)toml", Durability::kNoSync));
  auto m = Mapping::load(Env::posix(), dir + "/m.toml");
  ASSERT_TRUE(m) << m.error().to_string();
  auto b = BoundMapping::bind_stations(*m, kHeader, small_election()).value();
  auto st = b.station(std::vector<std::string>{"7", "x", "12", "300", "1", "2", "3", "0"});
  ASSERT_TRUE(st) << st.error().reason;
  EXPECT_EQ(st->areas[0].name, "Seven");
  EXPECT_EQ(st->areas[1].name, "");
  auto missing = b.station(std::vector<std::string>{"8", "x", "12", "300", "1", "2", "3", "0"});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().field, "ST");
  EXPECT_EQ(missing.error().reason, "'8' is not a key of lookup 'names'");
  auto no_file = Mapping::parse("[lookups.x]\nfile = \"nope.json\"\n[sheet]\nstation = \"{A}\"\n", "m.toml",
                                [](const std::string& f) -> Result<std::string> {
                                  return err(ErrorCode::kNotFound, f + ": no such file");
                                });
  ASSERT_FALSE(no_file);
  EXPECT_NE(no_file.error().message.find("nope.json"), std::string::npos);
}

TEST(Mapping, HeaderTextsThatAreNotExpressionsStillNameColumns) {
  // Mappings written before expressions name count columns by their header text, spaces and
  // commas included (elections/ru2018), and templates may say {Nombre del Estado}.
  const char* text = R"toml(
[sheet]
station = "{Nombre del Estado:02}.{T}"
[sheet.candidates]
A = "Число избирателей, включенных"
B = "VOTOS - B"
[sheet.fields]
valid = "VALID"
null = "NUL"
)toml";
  auto m = Mapping::parse(text, "m.toml");
  ASSERT_TRUE(m) << m.error().to_string();
  std::vector<std::string> header = {"Nombre del Estado", "T", "Число избирателей, включенных", "VOTOS - B", "VALID", "NUL"};
  auto b = BoundMapping::bind_sheets(*m, header, small_election());
  ASSERT_TRUE(b) << b.error().to_string();
  auto sh = b->sheet(std::vector<std::string>{"7", "1", "10", "20", "30", "0"});
  ASSERT_TRUE(sh) << sh.error().field << ": " << sh.error().reason;
  EXPECT_EQ(sh->station, "07.1");
  EXPECT_EQ(sh->candidates.at("A"), 10);
  EXPECT_EQ(sh->candidates.at("B"), 20);  // the header "VOTOS - B", not VOTOS minus B
  header[2] = "other";
  auto missing = BoundMapping::bind_sheets(*m, header, small_election());
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("no column 'Число избирателей, включенных' (and it is not an expression: "),
            std::string::npos)
      << missing.error().message;
}

TEST(Mapping, ReportsTomlSyntaxErrorsWithLine) {
  auto m = Mapping::parse("name = \n[station", "bad.toml");
  ASSERT_FALSE(m);
  EXPECT_NE(m.error().message.find("bad.toml:"), std::string::npos);
}

TEST(Mapping, BundledVenezuelaMappingBindsToTheBundledElection) {
  auto e = election::load_election_toml(testing::source_dir() + "/elections/ve2024/election.toml");
  ASSERT_TRUE(e) << e.error().to_string();
  auto m = Mapping::load(Env::posix(), testing::source_dir() + "/elections/ve2024/convzla-v1.mapping.toml");
  ASSERT_TRUE(m) << m.error().to_string();
  std::vector<std::string> header = {"COD_EDO", "EDO", "COD_MUN", "MUN", "COD_PAR", "PAR", "CENTRO", "MESA",
                                     "RE", "VOTOS_VALIDOS", "VOTOS_NULOS", "EG", "NM", "LM", "JABE", "JOBR",
                                     "AE", "CF", "DC", "EM", "BERA", "URL"};
  auto bs = BoundMapping::bind_stations(*m, header, *e);
  ASSERT_TRUE(bs) << bs.error().to_string();
  std::vector<std::string> row = {"1", "DTTO. CAPITAL", "1", "MP. BLVNO LIBERTADOR", "13", "PQ. EL RECREO",
                                  "10113042", "1", "666", "364", "0", "232", "120", "5", "0", "0", "3", "1", "1",
                                  "0", "2", "https://x/y.jpg"};
  auto st = bs->station(row);
  ASSERT_TRUE(st) << st.error().reason;
  EXPECT_EQ(st->code, "010113042.01");
  EXPECT_EQ(st->areas[0].code, "01");
  EXPECT_EQ(st->areas[1].code, "0101");
  EXPECT_EQ(st->areas[2].code, "0013");
  EXPECT_EQ(st->areas[3].code, "010113042");
  EXPECT_EQ(st->registered, 666u);
  auto bsh = BoundMapping::bind_sheets(*m, header, *e);
  ASSERT_TRUE(bsh) << bsh.error().to_string();
  auto sh = bsh->sheet(row);
  ASSERT_TRUE(sh);
  EXPECT_EQ(sh->candidates.at("EG"), 232);
  EXPECT_EQ(sh->fields.at("valid"), 364);
}

}  // namespace
}  // namespace tallylog::ingest
