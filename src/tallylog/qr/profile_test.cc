#include "tallylog/qr/profile.h"

#include <gtest/gtest.h>

#include <random>

namespace tallylog::qr {
namespace {

constexpr const char* kExample =
    "240111018.01.1.0001!154,10,2,4,10,1,0,2,12,1,0,1,10,4,0,0,0,1,0,1,0,0,0,0,0,0,1,0,1,0,0,0,1,9,"
    "14,294,2,1!1!0";

// The ve2024 ballot (ballot_card_order.csv): card ranges per candidate.
election::Election ve2024() {
  election::Election e;
  e.id = "ve2024";
  e.qr_profile = "ve2024-acta";
  struct Range {
    const char* code;
    int first, last;
  };
  for (auto [code, first, last] :
       {Range{"NM", 1, 13}, Range{"LM", 14, 19}, Range{"JABE", 20, 20}, Range{"JOBR", 21, 24},
        Range{"AE", 25, 30}, Range{"CF", 31, 31}, Range{"DC", 32, 33}, Range{"EG", 34, 36},
        Range{"EM", 37, 37}, Range{"BERA", 38, 38}}) {
    e.candidates.push_back({code, code, ""});
    for (int p = first; p <= last; ++p) e.cards.push_back({p, "party" + std::to_string(p), code});
  }
  e.fields = {"valid", "null"};
  return e;
}

const QrProfile& profile() { return *builtin_profiles().find("ve2024-acta").value(); }

std::string with_counts(const std::string& counts) {
  return "240111018.01.1.0001!" + counts + "!1!0";
}

std::string counts_of(int n, const char* value = "1") {
  std::string s;
  for (int i = 0; i < n; ++i) s += (i ? "," : "") + std::string(value);
  return s;
}

TEST(Ve2024ActaProfile, ParsesTheDocumentedExample) {
  auto sheet = profile().parse(kExample, ve2024());
  ASSERT_TRUE(sheet) << sheet.error().to_string();
  EXPECT_EQ(sheet->station, "240111018.01");
  ASSERT_EQ(sheet->cards.size(), 38u);
  EXPECT_EQ(sheet->cards[0], 154);
  EXPECT_EQ(sheet->cards[35], 294);
  // Cards 1-13: 154+10+2+4+10+1+0+2+12+1+0+1+10 = 207 (the data README says 197: a slip).
  EXPECT_EQ(sheet->candidates.at("NM"), 207);
  EXPECT_EQ(sheet->candidates.at("EG"), 317);
  EXPECT_EQ(sheet->candidates.at("JABE"), 1);
  EXPECT_EQ(sheet->candidates.size(), 10u);
  EXPECT_EQ(sheet->fields.at("null"), 1);
  int64_t sum = 0;
  for (auto c : sheet->cards) sum += c;
  EXPECT_EQ(sheet->fields.at("valid"), sum);
  EXPECT_EQ(sheet->qr_payload, kExample);
  EXPECT_TRUE(sheet->source.empty());
  EXPECT_TRUE(sheet->image_sha256.empty());
}

TEST(Ve2024ActaProfile, ParsesWithoutCardsInTheElectionLeavingCandidatesEmpty) {
  election::Election bare;
  bare.id = "bare";
  auto sheet = profile().parse(kExample, bare);
  ASSERT_TRUE(sheet) << sheet.error().to_string();
  EXPECT_EQ(sheet->cards.size(), 38u);
  EXPECT_TRUE(sheet->candidates.empty());
}

struct BadCase {
  std::string payload;
  std::string part;  // must appear in the message
};

TEST(Ve2024ActaProfile, RejectsMalformedPayloadsNamingThePart) {
  const std::vector<BadCase> cases = {
      {with_counts(counts_of(37)), "37 comma-separated counts"},
      {with_counts(counts_of(39)), "39 comma-separated counts"},
      {with_counts(counts_of(37) + ",x"), "counts[37]"},
      {with_counts("+1," + counts_of(37)), "counts[0]"},
      {with_counts("-1," + counts_of(37)), "counts[0]"},
      {with_counts(counts_of(37) + ",99999999999999999999999"), "overflow"},
      {with_counts(counts_of(10) + ",," + counts_of(27)), "counts[10]"},
      {with_counts(counts_of(37) + ",1.5"), "counts[37]"},
      {"24011101.01.1.0001!" + counts_of(38) + "!1!0", "acta id"},
      {"240111018.1.1.0001!" + counts_of(38) + "!1!0", "acta id"},
      {"240111018.01.1!" + counts_of(38) + "!1!0", "acta id"},
      {"24011101X.01.1.0001!" + counts_of(38) + "!1!0", "acta id"},
      {"240111018.01.1.0001!" + counts_of(38) + "!1", "expected 4 parts"},
      {"240111018.01.1.0001!" + counts_of(38), "expected 4 parts"},
      {"240111018.01.1.0001!" + counts_of(38) + "!1!0!7", "expected 4 parts"},
      {"240111018.01.1.0001!" + counts_of(38) + "!!0", "null"},
      {"240111018.01.1.0001!" + counts_of(38) + "!one!0", "null"},
      {"240111018.01.1.0001!" + counts_of(38) + "!1!", "4th field"},
      {"240111018.01.1.0001!" + counts_of(38) + "!1!0\n", "printable ASCII"},
      {"", "empty"},
      // Brazil's boletim de urna QR: a QR from another election.
      {"QRBU:1:1 VRQR:1.5 VRCH:20240924 ORIG:VOTA ORLC:LEG PROC:2024 DTPL:20241006",
       "printable ASCII"},
      {"https://example.org/acta/240111018", "expected 4 parts"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.payload);
    auto r = profile().parse(c.payload, ve2024());
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(r.error().message.find(c.part), std::string::npos) << r.error().message;
  }
}

TEST(Ve2024ActaProfile, RejectsAnElectionWithADifferentBallot) {
  election::Election e = ve2024();
  e.cards.pop_back();
  auto r = profile().parse(kExample, e);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kFailedPrecondition);
}

TEST(Ve2024ActaProfile, SurvivesRandomMutationsOfAValidPayload) {
  std::mt19937_64 rng(7);
  const std::string alphabet = "0123456789,.!+- x\x01\xff";
  const auto e = ve2024();
  int accepted = 0;
  for (int round = 0; round < 5000; ++round) {
    std::string p = kExample;
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < edits; ++i) {
      size_t at = rng() % p.size();
      switch (rng() % 3) {
        case 0:
          p[at] = alphabet[rng() % alphabet.size()];
          break;
        case 1:
          p.erase(at, 1);
          break;
        default:
          p.insert(at, 1, alphabet[rng() % alphabet.size()]);
      }
    }
    auto r = profile().parse(p, e);
    if (!r) {
      EXPECT_FALSE(r.error().message.empty());
      continue;
    }
    ++accepted;
    // Anything accepted is self-consistent.
    ASSERT_EQ(r->cards.size(), 38u);
    int64_t sum = 0;
    for (auto c : r->cards) {
      EXPECT_GE(c, 0);
      sum += c;
    }
    EXPECT_EQ(r->fields.at("valid"), sum);
    EXPECT_EQ(r->qr_payload, p);
  }
  EXPECT_GT(accepted, 0);
}

TEST(ProfileRegistry, FindsTheBuiltInVenezuelanProfile) {
  auto p = builtin_profiles().find("ve2024-acta");
  ASSERT_TRUE(p);
  EXPECT_EQ((*p)->name(), "ve2024-acta");
}

TEST(ProfileRegistry, UnknownProfileNamesTheKnownOnes) {
  auto p = builtin_profiles().find("br2024-bu");
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, ErrorCode::kNotFound);
  EXPECT_NE(p.error().message.find("ve2024-acta"), std::string::npos);
}

TEST(ProfileRegistry, RefusesTwoProfilesWithTheSameName) {
  ProfileRegistry r;
  ASSERT_TRUE(r.add(make_ve2024_acta_profile()));
  auto again = r.add(make_ve2024_acta_profile());
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kAlreadyExists);
}

}  // namespace
}  // namespace tallylog::qr
