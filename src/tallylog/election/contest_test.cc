#include "tallylog/election/contest.h"

#include <gtest/gtest.h>

#include "tallylog/base/testing.h"
#include "tallylog/election/entry.h"
#include "tallylog/election/toml.h"
#include "tallylog/election/validate.h"

namespace tallylog::election {
namespace {

constexpr std::string_view kTwo = R"(id = "two"
name = "Two contests"
date = 2026-05-10
sources = ["official"]

[[levels]]
code = "table"
name = "Table"

[[contests]]
id = "president"
name = "President"
fields = ["valid"]
rules = ["valid == candidates"]

[[contests.candidates]]
code = "A"
name = "Alice"

[[contests.candidates]]
code = "B"
name = "Bob"

[[contests]]
id = "mayor"
name = "Mayor"
qr_profile = "mayor-qr"

[[contests.candidates]]
code = "M"
name = "Mia"

[[contests.cards]]
position = 1
party = "P1"
candidate = "M"
)";

Election two() {
  auto e = parse_election_toml(kTwo, "two.toml");
  EXPECT_TRUE(e) << (e ? "" : e.error().message);
  return *e;
}

TEST(Contests, EachContestOfTheFileBecomesASingleContestElection) {
  const Election e = two();
  ASSERT_EQ(e.contests.size(), 2u);
  EXPECT_TRUE(e.contest.empty());
  EXPECT_TRUE(e.candidates.empty());
  EXPECT_EQ(contest_ids(e), (std::vector<std::string>{"president", "mayor"}));
  auto mayor = contest_election(e, "mayor");
  ASSERT_TRUE(mayor) << mayor.error().message;
  EXPECT_EQ(mayor->contest, "mayor");
  EXPECT_TRUE(mayor->contests.empty());
  ASSERT_EQ(mayor->candidates.size(), 1u);
  EXPECT_EQ(mayor->candidates[0].code, "M");
  ASSERT_EQ(mayor->cards.size(), 1u);
  EXPECT_EQ(mayor->qr_profile, "mayor-qr");
  EXPECT_EQ(mayor->levels.size(), 1u);  // shared members stay
  EXPECT_TRUE(validate_election(*mayor));
  auto president = contest_election(e, "president");
  ASSERT_TRUE(president);
  EXPECT_EQ(president->rules, (std::vector<std::string>{"valid == candidates"}));
  EXPECT_TRUE(president->cards.empty());
}

TEST(Contests, NoContestNamedForAnElectionWithSeveralListsThem) {
  const Election e = two();
  auto r = resolve_contest(e, "");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(r.error().message.find("president (President), mayor (Mayor)"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("--contest"), std::string::npos);
  auto unknown = resolve_contest(e, "senate");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
  EXPECT_NE(unknown.error().message.find("president"), std::string::npos);
  EXPECT_EQ(*resolve_contest(e, "mayor"), "mayor");
}

TEST(Contests, ASingleContestElectionHasTheEmptyTagWhateverItIsCalled) {
  Election e = two();
  auto single = contest_election(e, "president");
  ASSERT_TRUE(single);
  EXPECT_EQ(*resolve_contest(*single, ""), "");
  EXPECT_EQ(*resolve_contest(*single, "president"), "");
  EXPECT_FALSE(resolve_contest(*single, "mayor"));
  auto same = contest_election(*single, "");
  ASSERT_TRUE(same);
  EXPECT_EQ(encode_entry(*same), encode_entry(*single));
}

TEST(Contests, TheElectionEntryRoundTripsWithItsContests) {
  const Election e = two();
  const std::string bytes = encode_entry(e);
  EXPECT_NE(bytes.find("\"contests\":[{\"candidates\":[{\"code\":\"A\""), std::string::npos) << bytes;
  auto back = decode_entry(bytes);
  ASSERT_TRUE(back) << back.error().message;
  const Election& d = std::get<Election>(back->record);
  EXPECT_EQ(d.contests, e.contests);
  EXPECT_EQ(encode_entry(d), bytes);
}

TEST(Contests, ASheetEntryNamesItsContestAndAnUntaggedSheetKeepsItsBytes) {
  Sheet s;
  s.station = "T1";
  s.source = "official";
  s.candidates = {{"A", 3}, {"B", 4}};
  s.fields = {{"valid", 7}};
  const std::string untagged = encode_entry(s);
  EXPECT_EQ(untagged.find("contest"), std::string::npos);
  s.contest = "president";
  const std::string tagged = encode_entry(s);
  EXPECT_NE(tagged.find("\"cards\""), 0u);
  EXPECT_NE(tagged.find(",\"contest\":\"president\",\"fields\""), std::string::npos) << tagged;
  auto back = decode_entry(tagged);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(std::get<Sheet>(back->record), s);
  // The general decoder agrees with the fast one, and an empty contest is not canonical.
  auto general = internal::decode_entry_general(tagged);
  ASSERT_TRUE(general);
  EXPECT_EQ(std::get<Sheet>(general->record).contest, "president");
  std::string empty = untagged;
  empty.replace(empty.find("\"fields\""), 0, "\"contest\":\"\",");
  EXPECT_FALSE(decode_entry(empty));
  // Identity: the same counts in two contests are two different sheets.
  Sheet other = s;
  other.contest = "mayor";
  EXPECT_NE(sheet_identity_digest(other), sheet_identity_digest(s));
}

TEST(Contests, BallotMembersBesideContestsAreRefusedWithTheirLine) {
  std::string text(kTwo);
  text.insert(text.find("[[levels]]"), "fields = [\"valid\"]\n");
  auto r = parse_election_toml(text, "two.toml");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("two.toml:6: fields: belongs in each [[contests]] table"), std::string::npos)
      << r.error().message;
}

TEST(Contests, AnErrorInOneContestsBallotNamesTheContest) {
  std::string text(kTwo);
  text.replace(text.find("candidate = \"M\""), 15, "candidate = \"X\"");
  auto r = parse_election_toml(text, "two.toml");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("contests[1].cards[0].candidate: unknown candidate \"X\""), std::string::npos)
      << r.error().message;
  std::string dup(kTwo);
  dup.replace(dup.find("id = \"mayor\""), 12, "id = \"president\"");
  auto d = parse_election_toml(dup, "two.toml");
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().message.find("contests[1].id: duplicate contest \"president\""), std::string::npos)
      << d.error().message;
  std::string bad_id(kTwo);
  bad_id.replace(bad_id.find("id = \"mayor\""), 12, "id = \"Mayor/1\"");
  auto b = parse_election_toml(bad_id, "two.toml");
  ASSERT_FALSE(b);
  EXPECT_NE(b.error().message.find("contests[1].id"), std::string::npos) << b.error().message;
}

TEST(Contests, TheExampleUnderElectionsLoads) {
  auto e = load_election_toml(testing::source_dir() + "/elections/twocontests/election.toml", Env::posix());
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_EQ(contest_ids(*e), (std::vector<std::string>{"president", "assembly"}));
}

}  // namespace
}  // namespace tallylog::election
