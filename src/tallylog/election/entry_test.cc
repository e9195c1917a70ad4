#include "tallylog/election/entry.h"

#include <gtest/gtest.h>

#include <random>
#include <regex>

#include "tallylog/election/test_fixtures.h"

namespace tallylog::election {
namespace {

using testing::small_election;
using testing::small_sheet;
using testing::small_station;

Sheet normalised_sheet() {
  Sheet s = small_sheet();
  s.candidates = {{"A", 15}, {"B", 20}};
  return s;
}

TEST(Entry, EncodesSheetAsCanonicalJsonWithSortedKeys) {
  Sheet s = normalised_sheet();
  s.image_sha256 = std::string(64, 'a');
  s.qr_payload = "X!1,2!0!0";
  s.supersedes = 7;
  EXPECT_EQ(
      encode_entry(s),
      R"({"candidates":{"A":15,"B":20},"cards":[10,5,20],"fields":{"null":2,"valid":35},)"
      R"("image_sha256":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",)"
      R"("qr_payload":"X!1,2!0!0","source":"official","station":"R1.01",)"
      R"("submitted_at":"2024-07-29T01:02:03Z","submitted_by":"importer","supersedes":7,"type":"sheet","v":1})");
}

TEST(Entry, OmitsEmptyOptionalSheetMembers) {
  Sheet s;
  s.station = "S";
  s.source = "qr";
  s.candidates = {{"A", 0}};
  EXPECT_EQ(encode_entry(s),
            R"({"candidates":{"A":0},"source":"qr","station":"S","type":"sheet","v":1})");
}

TEST(Entry, EncodesStation) {
  EXPECT_EQ(encode_entry(small_station()),
            R"({"areas":[{"code":"R1","name":"Region one"},{"code":"R1.01","name":"Table 1"}],)"
            R"("code":"R1.01","registered":100,"type":"station","v":1})");
}

TEST(Entry, EncodesElection) {
  Election e = small_election();
  e.qr_profile = "p";
  e.unregistered_voters = {{"R2", 50}};
  EXPECT_EQ(
      encode_entry(e),
      R"({"candidates":[{"code":"A","name":"Alice"},{"code":"B","name":"Bob"}],)"
      R"("cards":[{"candidate":"A","party":"P1","position":1},{"candidate":"A","party":"P2","position":2},)"
      R"({"candidate":"B","party":"P3","position":3}],"contest":"president","date":"2024-07-28",)"
      R"("fields":["valid","null"],"id":"test","levels":[{"code":"region","name":"Region"},)"
      R"({"code":"table","name":"Table"}],"name":"Test election","qr_profile":"p",)"
      R"("rules":["valid == candidates","valid + null <= registered"],)"
      R"("sources":["official","witness:*","qr"],"type":"election","unregistered_voters":{"R2":50},"v":1})");
}

TEST(Entry, EncodesUnregisteredTablesOmittingZeroAndAbsentMembers) {
  Election e = small_election();
  e.unregistered_tables.count = 5494;
  std::string enc = encode_entry(e);
  EXPECT_NE(enc.find(R"("type":"election","unregistered_tables":{"count":5494},"v":1})"),
            std::string::npos)
      << enc;
  e.unregistered_tables.max_voters_per_table = 600;
  e.unregistered_tables.areas = {{"R1", 3}};
  e.unregistered_voters = {{"R2", 50}};
  enc = encode_entry(e);
  EXPECT_NE(enc.find(R"("unregistered_tables":{"areas":{"R1":3},"count":5494,"max_voters_per_table":600},)"
                     R"("unregistered_voters":{"R2":50},"v":1})"),
            std::string::npos)
      << enc;
  auto dec = decode_entry(enc);
  ASSERT_TRUE(dec) << dec.error().message;
  EXPECT_EQ(std::get<Election>(dec->record).unregistered_tables, e.unregistered_tables);

  e.unregistered_tables = {};
  e.unregistered_tables.areas = {{"R1", 3}};
  enc = encode_entry(e);
  EXPECT_NE(enc.find(R"("unregistered_tables":{"areas":{"R1":3}},)"), std::string::npos) << enc;
  ASSERT_TRUE(decode_entry(enc));
}

TEST(Entry, EscapesOnlyQuoteBackslashAndControlCharactersAsJcsSays) {
  Station s = small_station();
  s.areas[0].name = std::string("a\"b\\c/d\x01\x1f\b\f\n\r\t\x7f", 15) + "é€😀";
  std::string enc = encode_entry(s);
  EXPECT_NE(enc.find(R"("name":"a\"b\\c/d\u0001\u001f\b\f\n\r\t)"
                     "\x7f"
                     "é€😀\""),
            std::string::npos)
      << enc;
  auto dec = decode_entry(enc);
  ASSERT_TRUE(dec) << dec.error().message;
  EXPECT_EQ(std::get<Station>(dec->record).areas[0].name, s.areas[0].name);
}

TEST(Entry, EscapesNulCharacter) {
  Station s = small_station();
  s.areas[0].name = std::string("x\0y", 3);
  EXPECT_NE(encode_entry(s).find(R"("x\u0000y")"), std::string::npos);
  auto dec = decode_entry(encode_entry(s));
  ASSERT_TRUE(dec) << dec.error().message;
  EXPECT_EQ(std::get<Station>(dec->record).areas[0].name, s.areas[0].name);
}

TEST(Entry, SortsObjectKeysByUtf16CodeUnitsNotCodePoints) {
  Sheet s;
  s.station = "S";
  s.source = "qr";
  // U+E000 (UTF-16 0xE000) sorts after U+1F600 (UTF-16 0xD83D 0xDE00), though its code point is
  // smaller.
  s.candidates = {{"\xee\x80\x80", 1}, {"\xf0\x9f\x98\x80", 2}, {"a", 3}};
  EXPECT_EQ(encode_entry(s),
            "{\"candidates\":{\"a\":3,\"\xf0\x9f\x98\x80\":2,\"\xee\x80\x80\":1},"
            "\"source\":\"qr\",\"station\":\"S\",\"type\":\"sheet\",\"v\":1}");
  auto dec = decode_entry(encode_entry(s));
  ASSERT_TRUE(dec) << dec.error().message;
  EXPECT_EQ(std::get<Sheet>(dec->record), s);
}

TEST(Entry, ALocalRaceLogsDecidedAtAndEachCandidatesAreaAndRoundTrips) {
  Election e = small_election();
  e.decided_at = e.levels.front().code;
  e.candidates.front().area = "01";
  const std::string bytes = encode_entry(e);
  EXPECT_NE(bytes.find("{\"area\":\"01\",\"code\":"), std::string::npos) << bytes;
  EXPECT_NE(bytes.find("\"decided_at\":\"" + e.levels.front().code + "\",\"fields\""), std::string::npos) << bytes;
  auto de = decode_entry(bytes);
  ASSERT_TRUE(de) << de.error().message;
  const Election& back = std::get<Election>(de->record);
  EXPECT_EQ(back.decided_at, e.decided_at);
  EXPECT_EQ(back.candidates.front().area, "01");
  EXPECT_EQ(encode_entry(back), bytes);
  // A national contest's bytes name neither (so every election logged before keeps its bytes).
  const std::string plain = encode_entry(small_election());
  EXPECT_EQ(plain.find("decided_at"), std::string::npos);
  EXPECT_EQ(plain.find("\"area\""), std::string::npos);
}

TEST(Entry, RoundTripsEveryRecordType) {
  Election e = small_election();
  e.unregistered_voters = {{"R9", 12}};
  auto de = decode_entry(encode_entry(e));
  ASSERT_TRUE(de) << de.error().message;
  EXPECT_EQ(de->type, EntryType::kElection);
  EXPECT_EQ(encode_entry(std::get<Election>(de->record)), encode_entry(e));
  EXPECT_EQ(std::get<Election>(de->record).cards[2].candidate, "B");

  auto ds = decode_entry(encode_entry(small_station()));
  ASSERT_TRUE(ds) << ds.error().message;
  EXPECT_EQ(ds->type, EntryType::kStation);
  EXPECT_EQ(std::get<Station>(ds->record).registered, 100u);
  EXPECT_EQ(std::get<Station>(ds->record).areas[1].code, "R1.01");

  Sheet sh = normalised_sheet();
  sh.supersedes = 0;
  sh.qr_payload = "payload with \"quotes\"\n";
  auto dsh = decode_entry(encode_entry(sh));
  ASSERT_TRUE(dsh) << dsh.error().message;
  EXPECT_EQ(dsh->type, EntryType::kSheet);
  EXPECT_EQ(std::get<Sheet>(dsh->record), sh);
}

TEST(Entry, EncodesRecordsMuchLargerThanTheWritersSizeHint) {
  Sheet s = normalised_sheet();
  s.qr_payload = std::string(5000, '\x01');  // each byte escapes to 6
  std::string enc = encode_entry(s);
  EXPECT_GT(enc.size(), 30000u);
  auto dec = decode_entry(enc);
  ASSERT_TRUE(dec) << dec.error().message;
  EXPECT_EQ(std::get<Sheet>(dec->record), s);

  Election e = small_election();
  for (int i = 0; i < 500; ++i)
    e.candidates.push_back({"C" + std::to_string(i), std::string(40, 'n'), ""});
  auto de = decode_entry(encode_entry(e));
  ASSERT_TRUE(de) << de.error().message;
  EXPECT_EQ(std::get<Election>(de->record).candidates.size(), 502u);
}

TEST(Entry, AppendSheetEntryAppendsToTheBuffer) {
  std::string buf = "x";
  append_sheet_entry(normalised_sheet(), buf);
  EXPECT_EQ(buf, "x" + encode_entry(normalised_sheet()));
}

void expect_rejected(std::string_view bytes, std::string_view needle) {
  auto r = decode_entry(bytes);
  ASSERT_FALSE(r) << "accepted: " << bytes;
  EXPECT_NE(r.error().message.find(needle), std::string::npos) << r.error().message;
}

constexpr std::string_view kMinimal =
    R"({"candidates":{"A":0},"source":"qr","station":"S","type":"sheet","v":1})";

TEST(Entry, DecodesTheMinimalSheet) {
  auto e = decode_entry(kMinimal);
  ASSERT_TRUE(e) << e.error().to_string();
  const auto* s = std::get_if<Sheet>(&e->record);
  ASSERT_NE(s, nullptr) << "not decoded as a sheet";
  EXPECT_EQ(s->station, "S");
  EXPECT_EQ(s->source, "qr");
  EXPECT_EQ(s->candidates, (CountMap{{"A", 0}}));
  EXPECT_TRUE(s->cards.empty());
  EXPECT_TRUE(s->fields.empty());
  EXPECT_FALSE(s->supersedes);
}

TEST(Entry, DecodeRejectsWhitespace) {
  expect_rejected(R"({"candidates":{"A":0}, "source":"qr","station":"S","type":"sheet","v":1})",
                  "canonical");
  expect_rejected(R"({"candidates":{"A":0},"source":"qr","station":"S","type":"sheet","v":1} )",
                  "canonical");
  expect_rejected(R"({"candidates":{"A":0},"source":"qr","station":"S","type":"sheet","v":1})"
                  "\n",
                  "canonical");
}

TEST(Entry, DecodeRejectsKeysOutOfOrder) {
  expect_rejected(R"({"source":"qr","candidates":{"A":0},"station":"S","type":"sheet","v":1})",
                  "canonical");
  expect_rejected(
      R"({"candidates":{"B":0,"A":0},"source":"qr","station":"S","type":"sheet","v":1})",
      "canonical");
}

TEST(Entry, DecodeRejectsDuplicateKeys) {
  expect_rejected(
      R"({"candidates":{"A":0},"source":"qr","source":"qr","station":"S","type":"sheet","v":1})",
      "");
  expect_rejected(
      R"({"candidates":{"A":0,"A":0},"source":"qr","station":"S","type":"sheet","v":1})", "");
}

TEST(Entry, DecodeRejectsNonIntegerAndNonCanonicalNumbers) {
  expect_rejected(R"({"candidates":{"A":1.0},"source":"qr","station":"S","type":"sheet","v":1})",
                  "integer");
  expect_rejected(R"({"candidates":{"A":1e2},"source":"qr","station":"S","type":"sheet","v":1})",
                  "integer");
  expect_rejected(R"({"candidates":{"A":01},"source":"qr","station":"S","type":"sheet","v":1})",
                  "");
  expect_rejected(R"({"candidates":{"A":-0},"source":"qr","station":"S","type":"sheet","v":1})",
                  "canonical");
  expect_rejected(
      R"({"candidates":{"A":9007199254740992},"source":"qr","station":"S","type":"sheet","v":1})",
      "2^53");
  expect_rejected(
      R"({"candidates":{"A":-9007199254740992},"source":"qr","station":"S","type":"sheet","v":1})",
      "2^53");
  expect_rejected(
      R"({"candidates":{"A":123456789012345678901234567890},"source":"qr","station":"S","type":"sheet","v":1})",
      "");
  expect_rejected(R"({"candidates":{"A":"1"},"source":"qr","station":"S","type":"sheet","v":1})",
                  "candidates.A must be an integer");
}

TEST(Entry, DecodeRejectsNonMinimalStringEscapes) {
  expect_rejected(R"({"candidates":{"A":0},"source":"q\/r","station":"S","type":"sheet","v":1})",
                  "canonical");
  expect_rejected(R"({"candidates":{"A":0},"source":"\u0071r","station":"S","type":"sheet","v":1})",
                  "canonical");
  expect_rejected(
      R"({"candidates":{"A":0},"source":"qr\u000A","station":"S","type":"sheet","v":1})",
      "canonical");
  expect_rejected(
      R"({"candidates":{"A":0},"source":"qr\u001F","station":"S","type":"sheet","v":1})",
      "canonical");
}

TEST(Entry, DecodeRejectsEmptyOptionalMembersThatCanonicalFormOmits) {
  expect_rejected(
      R"({"candidates":{"A":0},"image_sha256":"","source":"qr","station":"S","type":"sheet","v":1})",
      "canonical");
  expect_rejected(
      R"({"candidates":{"A":0},"cards":[],"source":"qr","station":"S","type":"sheet","v":1})",
      "canonical");
}

TEST(Entry, DecodeRejectsUnknownMissingAndMistypedMembers) {
  expect_rejected(
      R"({"candidates":{"A":0},"colour":"red","source":"qr","station":"S","type":"sheet","v":1})",
      "unknown member \"colour\"");
  expect_rejected(R"({"candidates":{"A":0},"source":"qr","type":"sheet","v":1})",
                  "\"station\" is missing");
  expect_rejected(R"({"candidates":{"A":0},"source":1,"station":"S","type":"sheet","v":1})",
                  "source must be a string");
  expect_rejected(R"({"candidates":{"A":0},"source":"qr","station":"S","type":"ballot","v":1})",
                  "unknown type \"ballot\"");
  expect_rejected(R"({"candidates":{"A":0},"source":"qr","station":"S","type":"sheet","v":2})",
                  "version 2");
  expect_rejected(R"({"candidates":{"A":0},"source":"qr","station":"S","type":"sheet"})", "\"v\"");
  expect_rejected(
      R"({"candidates":{"A":0},"source":"qr","station":"S","supersedes":-1,"type":"sheet","v":1})",
      "negative");
  expect_rejected(R"({"code":"S","registered":1,"type":"station","v":1})", "\"areas\" is missing");
}

TEST(Entry, ElectionsWithoutUnregisteredTablesEncodeAsBeforeAndZeroMembersAreRejected) {
  Election e = small_election();
  const std::string enc = encode_entry(e);
  EXPECT_EQ(enc.find("unregistered_tables"), std::string::npos);
  auto dec = decode_entry(enc);
  ASSERT_TRUE(dec) << dec.error().message;
  EXPECT_TRUE(std::get<Election>(dec->record).unregistered_tables.empty());
  const std::string tail = R"("type":"election","v":1})";
  ASSERT_TRUE(enc.ends_with(tail));
  auto with = [&](std::string_view member) {
    return enc.substr(0, enc.size() - tail.size()) + R"("type":"election",)" + std::string(member) + R"(,"v":1})";
  };
  ASSERT_TRUE(decode_entry(with(R"("unregistered_tables":{"count":1})")));
  expect_rejected(with(R"("unregistered_tables":{})"), "canonical");
  expect_rejected(with(R"("unregistered_tables":{"count":0})"), "canonical");
  expect_rejected(with(R"("unregistered_tables":{"areas":{},"count":1})"), "canonical");
  expect_rejected(with(R"("unregistered_tables":{"count":-1})"), "unregistered_tables.count must not be negative");
  expect_rejected(with(R"("unregistered_tables":{"count":1,"cap":2})"), "unknown member \"cap\"");
  expect_rejected(with(R"("unregistered_tables":5)"), "unregistered_tables must be an object");
}

TEST(Entry, FiguresAndFlagRulesRoundTripAndAreOmittedWhenEmpty) {
  Election e = small_election();
  const std::string before = encode_entry(e);
  EXPECT_EQ(before.find("figures"), std::string::npos);
  EXPECT_EQ(before.find("flags"), std::string::npos);
  e.figures.valid = "valid";
  e.figures.shares = "valid";
  e.flags = {{"valid + null <= registered", "no roll at special stations"}, {"null <= 10", ""}};
  const std::string enc = encode_entry(e);
  EXPECT_NE(enc.find(R"("fields":["valid","null"],"figures":{"shares":"valid","valid":"valid"},"flags":[{"note":"no roll at special stations","rule":"valid + null <= registered"},{"rule":"null <= 10"}],"id":)"),
            std::string::npos)
      << enc;
  auto dec = decode_entry(enc);
  ASSERT_TRUE(dec) << dec.error().message;
  const Election& d = std::get<Election>(dec->record);
  EXPECT_EQ(d.figures, e.figures);
  EXPECT_EQ(d.flags, e.flags);
  std::string empty_figures = before;
  empty_figures.insert(empty_figures.find("\"id\":"), "\"figures\":{},");
  expect_rejected(empty_figures, "canonical");
}

TEST(Entry, DecodeRejectsRawLinesAndBrokenJson) {
  EXPECT_FALSE(is_record_entry("hello world"));
  EXPECT_FALSE(is_record_entry(""));
  EXPECT_TRUE(is_record_entry(kMinimal));
  expect_rejected("hello world", "not a JSON record");
  expect_rejected("", "not a JSON record");
  expect_rejected("{", "not valid JSON");
  expect_rejected(std::string(kMinimal) + "}", "not valid JSON");
  expect_rejected(
      "{\"candidates\":{\"A\":0},\"source\":\"q\xff\",\"station\":\"S\",\"type\":\"sheet\",\"v\":"
      "1}",
      "not valid JSON");
  expect_rejected(R"({"candidates":{"A":0},"source":"\ud800","station":"S","type":"sheet","v":1})",
                  "not valid JSON");
  expect_rejected(std::string(1, '{') + std::string(100000, '['), "nested");
}

TEST(Entry, IdentityKeyIgnoresSubmitterAndTimeButNothingElse) {
  Sheet a = normalised_sheet();
  Sheet b = a;
  b.submitted_by = "someone else";
  b.submitted_at = "2025-01-01T00:00:00Z";
  EXPECT_EQ(sheet_identity_key(a), sheet_identity_key(b));
  EXPECT_EQ(sheet_identity_digest(a), sheet_identity_digest(b));
  EXPECT_EQ(sheet_identity_digest(a).size(), 32u);
  EXPECT_EQ(sheet_identity_key(a).find("submitted"), std::string::npos);

  auto differs = [&](auto&& mutate) {
    Sheet c = a;
    mutate(c);
    return sheet_identity_key(c) != sheet_identity_key(a);
  };
  EXPECT_TRUE(differs([](Sheet& s) { s.cards[1] = 6; }));
  EXPECT_TRUE(differs([](Sheet& s) { s.candidates["A"] = 16; }));
  EXPECT_TRUE(differs([](Sheet& s) { s.fields["null"] = 3; }));
  EXPECT_TRUE(differs([](Sheet& s) { s.source = "qr"; }));
  EXPECT_TRUE(differs([](Sheet& s) { s.station = "R1.02"; }));
  EXPECT_TRUE(differs([](Sheet& s) { s.image_sha256 = std::string(64, 'b'); }));
  EXPECT_TRUE(differs([](Sheet& s) { s.qr_payload = "p"; }));
  EXPECT_TRUE(differs([](Sheet& s) { s.supersedes = 3; }));
}

// Fuzz-style: random bytes and random mutations of valid entries never crash the decoder, and
// whatever it accepts re-encodes to exactly the same bytes (one encoding per record).
TEST(Entry, DecodeSurvivesRandomAndMutatedInputAndAcceptsOnlyCanonicalBytes) {
  std::mt19937_64 rng(20240728);
  Sheet sheet = normalised_sheet();
  sheet.qr_payload = "A!1,2!3!0";
  sheet.supersedes = 12;
  Election e = small_election();
  e.unregistered_voters = {{"R2", 5}};
  e.unregistered_tables.count = 7;
  e.unregistered_tables.areas = {{"R1", 2}};
  e.unregistered_tables.max_voters_per_table = 900;
  Sheet odd = sheet;
  odd.submitted_by = std::string("tab\t quote\" back\\ nul", 22) + std::string(1, '\0') + "\x1f é😀";
  odd.fields = {{"null", 0}, {"valid", -35}};
  odd.cards.clear();
  Station unknown = small_station();  // the fast station reader: without "registered", odd names
  unknown.registered.reset();
  unknown.areas.front().name = "tab\t quote\" back\\ \x1f é";
  Station unnamed = small_station();  // an area without a name: the entry leaves "name" out
  unnamed.areas.front().name.clear();
  const std::vector<std::string> seeds = {encode_entry(sheet),   encode_entry(odd),     encode_entry(small_station()),
                                          encode_entry(unknown), encode_entry(unnamed), encode_entry(e)};
  const std::string alphabet =
      "{}[]\",:0123456789-.eE\\u abcdefghijklmnopqrstuvwxyz\x01\x7f\xc3\xa9\xff";
  int accepted = 0;
  for (int iter = 0; iter < 30000; ++iter) {
    std::string input;
    if (iter % 10 == 0) {
      size_t n = rng() % 64;
      for (size_t i = 0; i < n; ++i) input.push_back(static_cast<char>(rng()));
      if (!input.empty() && rng() % 2) input[0] = '{';
    } else {
      input = seeds[rng() % seeds.size()];
      int edits = 1 + static_cast<int>(rng() % 3);
      for (int k = 0; k < edits && !input.empty(); ++k) {
        size_t at = rng() % input.size();
        char c = alphabet[rng() % alphabet.size()];
        switch (rng() % 3) {
          case 0:
            input[at] = c;
            break;
          case 1:
            input.insert(input.begin() + static_cast<std::ptrdiff_t>(at), c);
            break;
          default:
            input.erase(at, 1 + rng() % 4);
            break;
        }
      }
    }
    auto r = decode_entry(input);
    // The fast sheet and station readers and the general decoder accept exactly the same bytes.
    auto general = internal::decode_entry_general(input);
    ASSERT_EQ(r.has_value(), general.has_value()) << input;
    if (!r) {
      EXPECT_FALSE(r.error().message.empty());
      continue;
    }
    ++accepted;
    std::string again = std::visit([](const auto& rec) { return encode_entry(rec); }, r->record);
    ASSERT_EQ(again, input);
  }
  // Some mutations (a digit changed into another digit) stay canonical: the check above ran.
  EXPECT_GT(accepted, 0);
}


// The fast station reader refuses what the general decoder refuses: an area without a code, a
// station without one, a member out of canonical order (it fails if the fast reader's output is
// returned without the check that it re-encodes to the same bytes).
TEST(Entry, AStationTheGeneralDecoderRefusesIsRefused) {
  Station st = small_station();
  const std::string good = encode_entry(st);
  ASSERT_TRUE(decode_entry(good));
  const std::string no_area_code = std::regex_replace(good, std::regex(R"("areas":\[\{"code":"[^"]*")"), R"("areas":[{"code":"")");
  const std::string no_code = std::regex_replace(good, std::regex(R"(\],"code":"[^"]*")"), R"(],"code":"")");
  const std::string reordered = std::regex_replace(good, std::regex(R"(\{"code":("[^"]*"),"name":("[^"]*")\})"), R"({"name":$2,"code":$1})");
  for (const std::string& bad : {no_area_code, no_code, reordered}) {
    ASSERT_NE(bad, good);
    auto fast = decode_entry(bad);
    auto general = internal::decode_entry_general(bad);
    EXPECT_FALSE(fast) << bad;
    EXPECT_FALSE(general) << bad;
  }
}

// Issue 13: a station whose registered voters the registry does not know is logged without the
// member (unknown, not zero); a known figure, 0 included, encodes as before.
TEST(Entry, AStationWithUnknownRegisteredVotersOmitsTheMemberAndRoundTrips) {
  Station st = small_station();
  st.registered.reset();
  const std::string enc = encode_entry(st);
  EXPECT_EQ(enc.find("registered"), std::string::npos) << enc;
  auto d = decode_entry(enc);
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_FALSE(std::get<Station>(d->record).registered.has_value());
  EXPECT_EQ(encode_entry(std::get<Station>(d->record)), enc);

  st.registered = 0;
  const std::string zero = encode_entry(st);
  EXPECT_NE(zero.find(R"("code":"R1.01","registered":0,"type":"station")"), std::string::npos) << zero;
  auto dz = decode_entry(zero);
  ASSERT_TRUE(dz) << dz.error().message;
  EXPECT_EQ(std::get<Station>(dz->record).registered, std::optional<uint64_t>(0));
  // null is not a way to say "unknown": only leaving the member out is.
  std::string with_null = zero;
  with_null.replace(with_null.find("\"registered\":0"), 14, "\"registered\":null");
  EXPECT_FALSE(decode_entry(with_null));
}

}  // namespace
}  // namespace tallylog::election
