#include "tallylog/election/validate.h"

#include <gtest/gtest.h>

#include "tallylog/election/test_fixtures.h"

namespace tallylog::election {
namespace {

using testing::small_election;
using testing::small_sheet;
using testing::small_station;

Validator make_validator(Election e = small_election()) {
  auto v = Validator::create(std::move(e));
  EXPECT_TRUE(v) << v.error().message;
  return std::move(*v);
}

// Validates `sheet` against small_station() and returns the rejected field ("" when accepted).
struct Check {
  Validator v = make_validator();
  Station station = small_station();
  std::optional<Rejection> run(Sheet sheet) const { return v.validate_sheet(sheet, &station); }
};

void expect_rejection(const std::optional<Rejection>& r, std::string_view field,
                      std::string_view reason_part) {
  ASSERT_TRUE(r) << "accepted, expected a rejection of " << field;
  EXPECT_EQ(r->field, field) << r->reason;
  EXPECT_NE(r->reason.find(reason_part), std::string::npos) << r->reason;
}

TEST(Validator, AcceptsAConsistentSheetAndFillsCandidateVotesFromCards) {
  Check c;
  Sheet s = small_sheet();
  auto r = c.v.validate_sheet(s, &c.station);
  EXPECT_FALSE(r) << r->field << ": " << r->reason;
  EXPECT_EQ(s.candidates, (CountMap{{"A", 15}, {"B", 20}}));
}

TEST(Validator, AFlagRuleAcceptsTheSheetAndReportsEveryRuleItBreaks) {
  Election e = small_election();
  // valid + null = 37 on the small sheet: a station whose roll says 30 breaks the second rule.
  e.rules = {"valid == candidates"};
  e.flags = {{"valid + null <= registered", "special stations have no roll"}, {"null <= 1", ""}, {"null >= 0", ""}};
  Validator v = make_validator(e);
  Station st = small_station("R1.01", 30);
  Sheet s = small_sheet();
  std::vector<RuleFailure> flags;
  auto r = v.validate_sheet(s, &st, &flags);
  EXPECT_FALSE(r) << r->reason;
  ASSERT_EQ(flags.size(), 2u);
  EXPECT_EQ(flags[0].rule, 0u);
  EXPECT_EQ(flags[0].message, "rule \"valid + null <= registered\" fails: 37 > 30");
  EXPECT_EQ(flags[1].rule, 1u);
  // The same sheet under a reject rule is refused, as before.
  e.rules.push_back("valid + null <= registered");
  Sheet s2 = small_sheet();
  expect_rejection(make_validator(e).validate_sheet(s2, &st), "rules", "37 > 30");
}

// Issue 13: a source that does not report a count (here null votes) leaves it out; it is
// unknown, not zero, so a rule that uses it cannot be checked on that sheet.
TEST(Validator, AnOptionalFieldMayBeLeftOutAndRulesUsingItAreNotChecked) {
  Election e = small_election();
  e.rules = {"valid == candidates", "valid + null <= registered", "null <= 1"};
  Station st = small_station("R1.01", 36);  // valid 35: null must be at most 1
  Sheet without = small_sheet();
  without.fields.erase("null");
  // Without the declaration, leaving it out is a rejection naming the field.
  expect_rejection(make_validator(e).validate_sheet(without, &st), "null", "missing field");
  e.optional = {"null"};
  Validator v = make_validator(e);
  Sheet s1 = without;
  auto r = v.validate_sheet(s1, &st);
  EXPECT_FALSE(r) << r->reason;
  // The rules that do not use it still hold the sheet to account...
  Sheet s2 = without;
  s2.fields["valid"] = 34;
  expect_rejection(v.validate_sheet(s2, &st), "rules", "valid == candidates");
  // ...and a sheet that does report it is checked as before.
  Sheet s3 = small_sheet();  // null 2
  expect_rejection(v.validate_sheet(s3, &st), "rules", "37 > 36");
}

TEST(Validator, AnOptionalFieldMustBeAFieldOfTheElection) {
  Election e = small_election();
  e.optional = {"blank"};
  auto v = Validator::create(e);
  ASSERT_FALSE(v);
  EXPECT_NE(v.error().message.find("optional[0]: \"blank\" is not one of the election's fields"), std::string::npos)
      << v.error().message;
}

TEST(Validator, AcceptsASheetWithCandidateVotesOnly) {
  Check c;
  Sheet s = small_sheet();
  s.cards.clear();
  s.candidates = {{"A", 15}, {"B", 20}};
  EXPECT_FALSE(c.run(s));
}

TEST(Validator, AcceptsCardsAndCandidatesThatAgree) {
  Check c;
  Sheet s = small_sheet();
  s.candidates = {{"A", 15}, {"B", 20}};
  EXPECT_FALSE(c.run(s));
}

TEST(Validator, RejectsCandidateVotesThatDisagreeWithTheirCards) {
  Check c;
  Sheet s = small_sheet();
  s.candidates = {{"A", 16}, {"B", 20}};
  expect_rejection(c.run(s), "candidates.A", "candidate A has 16 votes but its cards add up to 15");
}

TEST(Validator, RejectsAnUnknownStation) {
  Check c;
  Sheet s = small_sheet("R9.99");
  expect_rejection(c.v.validate_sheet(s, nullptr), "station", "unknown station \"R9.99\"");
}

TEST(Validator, RejectsAStationRecordForAnotherStation) {
  Check c;
  Sheet s = small_sheet("R1.02");
  expect_rejection(c.run(s), "station", "does not match");
}

TEST(Validator, RejectsAnUnacceptedSourceAndAcceptsPrefixPatterns) {
  Check c;
  Sheet s = small_sheet();
  s.source = "observer:eu";
  expect_rejection(c.run(s), "source", "source \"observer:eu\" is not accepted");
  s.source = "witness:";
  expect_rejection(c.run(s), "source", "empty suffix");
  s.source = "witness:mud";
  EXPECT_FALSE(c.run(s));
  s.source = "";
  expect_rejection(c.run(s), "source", "empty");
}

// Regression (issue 10.8): "witness:*" accepted any suffix, markup and bidi overrides included.
TEST(Validator, AppliesTheSourceNameGrammarBeforeTheElectionsPatterns) {
  Check c;
  Sheet s = small_sheet();
  for (std::string bad : {"witness:<script>", "witness:../x", "witness:a b", "witness:\xE2\x80\xAE" "dum"}) {
    s.source = bad;
    expect_rejection(c.run(s), "source", "source name");
  }
}

TEST(Validator, RejectsTheWrongNumberOfCards) {
  Check c;
  Sheet s = small_sheet();
  s.cards.push_back(0);
  expect_rejection(c.run(s), "cards", "3 cards expected, got 4");
}

TEST(Validator, RejectsANegativeCardCount) {
  Check c;
  Sheet s = small_sheet();
  s.cards[1] = -1;
  expect_rejection(c.run(s), "cards[1]", "card 2 (P2) count -1 is negative");
}

TEST(Validator, RejectsACountAboveTwoToThe53) {
  Check c;
  Sheet s = small_sheet();
  s.fields["null"] = int64_t{1} << 53;
  expect_rejection(c.run(s), "null", "too large");
}

TEST(Validator, RejectsCardsWhoseSumExceedsTwoToThe53WithoutOverflowing) {
  Check c;
  Sheet s = small_sheet();
  s.cards = {(int64_t{1} << 53) - 1, (int64_t{1} << 53) - 1, 0};
  expect_rejection(c.run(s), "cards", "add up to more than 2^53-1");
  s = small_sheet();
  s.cards.clear();
  s.candidates = {{"A", (int64_t{1} << 53) - 1}, {"B", (int64_t{1} << 53) - 1}};
  expect_rejection(c.run(s), "candidates", "add up to more than 2^53-1");
}

TEST(Validator, RejectsCardsWhenTheElectionHasNone) {
  Election e = small_election();
  e.cards.clear();
  Validator v = make_validator(e);
  Station st = small_station();
  Sheet s = small_sheet();
  expect_rejection(v.validate_sheet(s, &st), "cards", "no ballot cards");
}

TEST(Validator, RejectsMissingUnknownAndNegativeCandidates) {
  Check c;
  Sheet s = small_sheet();
  s.cards.clear();
  s.candidates = {{"A", 35}};
  expect_rejection(c.run(s), "candidates.B", "missing votes for candidate B");
  s.candidates = {{"A", 15}, {"B", 20}, {"C", 0}};
  expect_rejection(c.run(s), "candidates.C", "unknown candidate \"C\"");
  s.candidates = {{"A", 15}, {"AA", 0}, {"B", 20}};
  expect_rejection(c.run(s), "candidates.AA", "unknown candidate \"AA\"");
  s.candidates = {{"A", 36}, {"B", -1}};
  expect_rejection(c.run(s), "candidates.B", "negative");
  s.candidates.clear();
  expect_rejection(c.run(s), "candidates.A", "missing votes for candidate A");
}

TEST(Validator, RejectsMissingUnknownAndNegativeFields) {
  Check c;
  Sheet s = small_sheet();
  s.fields.erase("null");
  expect_rejection(c.run(s), "null", "missing field \"null\"");
  s = small_sheet();
  s.fields["blank"] = 0;
  expect_rejection(c.run(s), "blank", "unknown field \"blank\"");
  s = small_sheet();
  s.fields["null"] = -2;
  expect_rejection(c.run(s), "null", "null count -2 is negative");
}

TEST(Validator, RejectsASheetWhoseArithmeticDoesNotAddUp) {
  Check c;
  Sheet s = small_sheet();
  s.fields["valid"] = 36;
  expect_rejection(c.run(s), "rules", "rule \"valid == candidates\" fails: 36 != 35");
  s = small_sheet();
  s.fields["null"] = 66;
  expect_rejection(c.run(s), "rules", "rule \"valid + null <= registered\" fails: 101 > 100");
}

TEST(Validator, RejectsBadImageHashPayloadAndSubmitter) {
  Check c;
  Sheet s = small_sheet();
  s.image_sha256 = std::string(64, 'A');
  expect_rejection(c.run(s), "image_sha256", "64 lowercase hexadecimal");
  s.image_sha256 = std::string(63, 'a');
  expect_rejection(c.run(s), "image_sha256", "64 lowercase");
  s.image_sha256 = std::string(64, 'f');
  EXPECT_FALSE(c.run(s));

  s.qr_payload = std::string(4097, 'x');
  expect_rejection(c.run(s), "qr_payload", "4097 bytes long, at most 4096");
  s.qr_payload = "ok\xc3";
  expect_rejection(c.run(s), "qr_payload", "not valid UTF-8");
  s.qr_payload = "multi\nline is fine";
  EXPECT_FALSE(c.run(s));

  s.submitted_by = std::string(257, 'x');
  expect_rejection(c.run(s), "submitted_by", "257 bytes long");
  s.submitted_by = "tab\there";
  expect_rejection(c.run(s), "submitted_by", "control character");
  s.submitted_by = "ok";
  s.submitted_at = "yesterday";
  expect_rejection(c.run(s), "submitted_at", "RFC 3339");
  s.submitted_at = "2024-02-30T00:00:00Z";
  expect_rejection(c.run(s), "submitted_at", "RFC 3339");
  s.submitted_at = "2024-02-29T23:59:60.123+04:30";
  EXPECT_FALSE(c.run(s));
}

TEST(Validator, RejectsOverlongAndInvalidUtf8StationCodes) {
  Check c;
  Sheet s = small_sheet(std::string(300, 'x'));
  expect_rejection(c.v.validate_sheet(s, nullptr), "station", "300 bytes long");
  s = small_sheet("R1\xff");
  expect_rejection(c.v.validate_sheet(s, nullptr), "station", "not valid UTF-8");
}

TEST(Validator, AcceptsAWellFormedStation) {
  Check c;
  EXPECT_FALSE(c.v.validate_station(small_station()));
}

TEST(Validator, RejectsStationsThatDoNotFitTheLevels) {
  Check c;
  Station s = small_station();
  s.areas.pop_back();
  expect_rejection(c.v.validate_station(s), "areas", "has 1 areas but the election has 2 levels");
  s = small_station();
  s.areas[1].code = "R1.02";
  expect_rejection(c.v.validate_station(s), "areas[1]", "must equal the station code");
  s = small_station();
  s.areas[0].code = "";
  expect_rejection(c.v.validate_station(s), "areas[0]", "region code is empty");
  s = small_station();
  s.code = "";
  expect_rejection(c.v.validate_station(s), "code", "empty");
  s = small_station();
  s.registered = uint64_t{1} << 60;
  expect_rejection(c.v.validate_station(s), "registered", "too large");
}

TEST(Validator, DoesNotAllocateCandidateMapWhenCandidatesAreGiven) {
  // A regression guard for the hot path: validating twice gives the same normalised sheet.
  Check c;
  Sheet s = small_sheet();
  ASSERT_FALSE(c.v.validate_sheet(s, &c.station));
  Sheet again = s;
  ASSERT_FALSE(c.v.validate_sheet(again, &c.station));
  EXPECT_EQ(again, s);
}

// Fuzz-style: random hostile sheets never crash the validator; each is either rejected with a
// named field or accepted with candidate votes that match its cards and its rules holding.
TEST(Validator, SurvivesRandomHostileSheets) {
  Check c;
  uint64_t x = 7;
  auto next = [&] { return x = x * 6364136223846793005ULL + 1442695040888963407ULL, x >> 17; };
  auto count = [&]() -> int64_t {
    switch (next() % 6) {
      case 0:
        return -static_cast<int64_t>(next() % 5);
      case 1:
        return INT64_MAX - static_cast<int64_t>(next() % 3);
      case 2:
        return INT64_MIN + static_cast<int64_t>(next() % 3);
      default:
        return static_cast<int64_t>(next() % 40);
    }
  };
  auto text = [&] {
    std::string t;
    size_t n = next() % 6;
    static const std::string alphabet = "AB\xff\x01valid_null.R1";
    for (size_t i = 0; i < n; ++i) t.push_back(alphabet[next() % alphabet.size()]);
    return t;
  };
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    Sheet s = small_sheet();
    if (next() % 4 == 0) s.station = text();
    if (next() % 4 == 0) s.source = next() % 2 ? "witness:" + text() : text();
    size_t ncards = next() % 5 == 0 ? next() % 5 : 3;
    s.cards.resize(ncards);
    for (auto& n : s.cards) n = count();
    if (next() % 3 == 0) {
      for (int k = 0; k < 3; ++k)
        s.candidates[next() % 2 ? "A" : next() % 2 ? "B" : text()] = count();
    }
    if (next() % 2) s.fields["valid"] = count();
    if (next() % 2) s.fields["null"] = count();
    if (next() % 8 == 0) s.fields[text()] = count();
    if (next() % 8 == 0) s.submitted_at = text();
    Station st = small_station();
    st.registered = next() % 2 ? 100 : next();
    auto r = c.v.validate_sheet(s, next() % 10 ? &st : nullptr);
    if (r) {
      EXPECT_FALSE(r->field.empty());
      EXPECT_FALSE(r->reason.empty());
      continue;
    }
    ++accepted;
    ASSERT_EQ(s.candidates.size(), 2u);
    if (!s.cards.empty()) {
      EXPECT_EQ(s.candidates["A"], s.cards[0] + s.cards[1]);
      EXPECT_EQ(s.candidates["B"], s.cards[2]);
    }
    EXPECT_EQ(s.fields["valid"], s.candidates["A"] + s.candidates["B"]);
    EXPECT_LE(static_cast<uint64_t>(s.fields["valid"] + s.fields["null"]), st.registered);
  }
  EXPECT_GT(accepted, 0);
}

TEST(ValidateElection, AcceptsTheSmallElection) {
  EXPECT_TRUE(validate_election(small_election()));
}

TEST(ValidateElection, NamesTheMemberThatIsWrong) {
  auto error_of = [](auto&& mutate) {
    Election e = small_election();
    mutate(e);
    auto st = validate_election(e);
    EXPECT_FALSE(st);
    return st ? std::string() : st.error().message;
  };
  EXPECT_EQ(error_of([](Election& e) { e.candidates[1].code = "A"; }),
            "candidates[1].code: duplicate candidate code \"A\"");
  EXPECT_EQ(error_of([](Election& e) { e.cards[2].candidate = "Z"; }),
            "cards[2].candidate: unknown candidate \"Z\"");
  EXPECT_NE(error_of([](Election& e) { e.cards[1].position = 3; }).find("cards[1].position: 3"),
            std::string::npos);
  EXPECT_NE(error_of([](Election& e) {
              e.fields.push_back("registered");
            }).find("fields[2]: \"registered\" is reserved"),
            std::string::npos);
  EXPECT_NE(error_of([](Election& e) { e.fields.push_back("valid"); }).find("fields[2]: duplicate"),
            std::string::npos);
  EXPECT_NE(error_of([](Election& e) { e.sources = {"Bad Source"}; }).find("sources[0]"),
            std::string::npos);
  EXPECT_NE(error_of([](Election& e) { e.sources.clear(); }).find("sources: at least one"),
            std::string::npos);
  EXPECT_NE(error_of([](Election& e) { e.date = "2024-13-01"; }).find("date"), std::string::npos);
  EXPECT_NE(error_of([](Election& e) { e.levels.clear(); }).find("levels"), std::string::npos);
  EXPECT_NE(error_of([](Election& e) { e.candidates[0].code = "A-1"; }).find("candidates[0].code"),
            std::string::npos);
  EXPECT_NE(error_of([](Election& e) {
              e.rules.push_back("x > 0");
            }).find("rules[2] \"x > 0\": column 1"),
            std::string::npos);
  EXPECT_NE(error_of([](Election& e) { e.id = ""; }).find("id"), std::string::npos);
}

TEST(ValidateElection, SourcePatternsMatchExactNamesOrNonEmptyPrefixes) {
  EXPECT_TRUE(source_matches("official", "official"));
  EXPECT_FALSE(source_matches("official", "officials"));
  EXPECT_TRUE(source_matches("witness:*", "witness:mud"));
  EXPECT_FALSE(source_matches("witness:*", "witness:"));
  EXPECT_FALSE(source_matches("witness:*", "witnes"));
}


// Issue 13: a station with unknown registered voters; its sheets are accepted without checking the
// rules that use `registered`, reject and flag alike, and every other rule still applies.
TEST(Validator, ASheetAtAStationWithUnknownRegisteredVotersIsNotRejectedByARuleOnRegistered) {
  Election e = small_election();
  e.rules = {"valid == candidates", "valid + null <= registered"};
  e.flags = {{"valid + null <= registered - 1", ""}, {"null <= 1", ""}};
  Validator v = make_validator(e);
  Station st = small_station("R1.01", 30);  // known 30: valid + null = 37 is refused
  Sheet s = small_sheet();
  expect_rejection(v.validate_sheet(s, &st), "rules", "37 > 30");
  st.registered.reset();
  std::vector<RuleFailure> flags;
  Sheet s2 = small_sheet();
  auto r = v.validate_sheet(s2, &st, &flags);
  EXPECT_FALSE(r) << r->reason;
  ASSERT_EQ(flags.size(), 1u);  // only the flag rule without `registered`
  EXPECT_EQ(flags[0].rule, 1u);
  Sheet bad = small_sheet();
  bad.fields["valid"] = 36;  // valid == candidates still applies
  expect_rejection(v.validate_sheet(bad, &st), "rules", "36 != 35");
  // Registering it is accepted too.
  EXPECT_FALSE(v.validate_station(st));
}


// A sheet of testing::local_race_election() (MN gets no votes).
Sheet local_sheet(std::string station, int64_t lg, int64_t av) {
  Sheet s;
  s.station = std::move(station);
  s.source = "official";
  s.candidates = {{"LG", lg}, {"MN", 0}, {"AV", av}};
  s.fields = {{"valid", lg + av}};
  return s;
}

TEST(Validator, ALocalRaceRejectsVotesForACandidateStandingInAnotherArea) {
  Validator v = make_validator(testing::local_race_election());
  EXPECT_EQ(v.decided_depth(), 2);
  const Station here = testing::local_race_table("0203", "0203.01");
  Sheet s = local_sheet("0203.01", 5, 385);
  expect_rejection(v.validate_sheet(s, &here), "candidates.LG", "stands in municipality 0101, this table is in 0203");
  Sheet own = local_sheet("0203.01", 0, 390);
  EXPECT_FALSE(v.validate_sheet(own, &here));
  const Station there = testing::local_race_table("0101", "0101.01");
  Sheet other = local_sheet("0101.01", 300, 0);
  EXPECT_FALSE(v.validate_sheet(other, &there));
}

TEST(Validator, ALocalRaceNeedsTheTablesAreaFromTheRegistry) {
  Validator v = make_validator(testing::local_race_election());
  Station bare;  // a caller that passed no area at the decided level
  bare.code = "0203.01";
  bare.registered = 500;
  Sheet s = local_sheet("0203.01", 0, 390);
  expect_rejection(v.validate_sheet(s, &bare), "station", "no municipality");
}

TEST(Validator, DecidedAtMustBeALevelAboveTheTablesAndAreasNeedIt) {
  Election e = testing::local_race_election();
  e.decided_at = "province";
  EXPECT_FALSE(validate_election(e));
  e.decided_at = "table";
  auto table = validate_election(e);
  ASSERT_FALSE(table);
  EXPECT_NE(table.error().message.find("decided_at"), std::string::npos);
  e.decided_at.clear();
  auto no_level = validate_election(e);
  ASSERT_FALSE(no_level);
  EXPECT_NE(no_level.error().message.find("candidates[0].area"), std::string::npos) << no_level.error().message;
}

}  // namespace
}  // namespace tallylog::election
