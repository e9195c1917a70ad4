#include "tallylog/election/device.h"

#include <gtest/gtest.h>

#include "tallylog/base/bytes.h"
#include "tallylog/base/env.h"
#include "tallylog/base/testing.h"
#include "tallylog/base/sha256.h"
#include "tallylog/election/entry.h"
#include "tallylog/election/test_fixtures.h"
#include "tallylog/election/validate.h"
#include "tallylog/note/note.h"

namespace tallylog::election {
namespace {

struct Keys {
  note::Signer org = *note::Signer::generate("mud");
  note::Signer other_org = *note::Signer::generate("mud");  // same name, another key
  note::Signer phone = *note::Signer::generate("phone-1");
  note::Signer phone2 = *note::Signer::generate("phone-2");
};

Election signed_election(const Keys& k) {
  Election e = testing::small_election();
  e.organisations = {Organisation{"mud", "Unidad", k.org.verifier_key(), {"witness:mud"}}};
  e.require_device_signature = {"witness:*"};
  return e;
}

std::string sign(const note::Signer& s, std::string_view message) { return base64_encode(*s.sign(message)); }

DeviceRecord enrolment(const Keys& k, const note::Signer& device, std::vector<std::string> sources = {"witness:mud"}) {
  DeviceRecord r;
  r.action = "enrol";
  r.device_key = device.verifier_key();
  r.org = "mud";
  r.sources = std::move(sources);
  r.org_signature = sign(k.org, device_record_message(r));
  r.at = "2026-12-02T16:00:00Z";
  return r;
}

Sheet signed_sheet(const note::Signer& device, std::string source = "witness:mud") {
  Sheet s = testing::small_sheet();
  s.source = std::move(source);
  s.candidates = {{"A", 15}, {"B", 20}};  // as validation fills them from the cards
  s.device_key = device.verifier_key();
  s.device_signature = sign(device, sheet_signed_message(s));
  return s;
}

TEST(DeviceRecord, RoundTripsThroughTheEntryDecoder) {
  Keys k;
  DeviceRecord r = enrolment(k, k.phone);
  const std::string bytes = encode_entry(r);
  EXPECT_TRUE(bytes.starts_with("{\"action\":\"enrol\",\"at\":")) << bytes;
  auto e = decode_entry(bytes);
  ASSERT_TRUE(e) << e.error().to_string();
  ASSERT_EQ(e->type, EntryType::kDevice);
  EXPECT_EQ(std::get<DeviceRecord>(e->record), r);
  // Another byte order of the same members is not canonical.
  std::string spaced = bytes;
  spaced.insert(1, " ");
  EXPECT_FALSE(decode_entry(spaced));
  auto unknown = decode_entry("{\"action\":\"enrol\",\"device_key\":\"k\",\"org\":\"o\",\"x\":\"y\",\"type\":\"device\",\"v\":1}");
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("unknown member \"x\""), std::string::npos);
}

TEST(SignedSheet, EntryKeepsKeyAndSignatureAndBothDecodersAgree) {
  Keys k;
  Sheet s = signed_sheet(k.phone);
  s.submitted_at = "2026-12-02T16:00:00Z";
  const std::string bytes = encode_entry(s);
  EXPECT_NE(bytes.find("\"device_key\":\""), std::string::npos);
  auto fast = decode_entry(bytes);
  auto general = internal::decode_entry_general(bytes);
  ASSERT_TRUE(fast && general);
  EXPECT_EQ(std::get<Sheet>(fast->record), s);
  EXPECT_EQ(std::get<Sheet>(general->record), s);
  // The signature does not cover what the server adds, and identity ignores the device.
  Sheet later = s;
  later.submitted_at = "2026-12-03T00:00:00Z";
  later.submitted_by = "token-a";
  EXPECT_EQ(sheet_signed_message(later), sheet_signed_message(s));
  Sheet unsigned_copy = s;
  unsigned_copy.device_key.clear();
  unsigned_copy.device_signature.clear();
  EXPECT_EQ(sheet_identity_key(unsigned_copy), sheet_identity_key(s));
  // A key without a signature is refused by both decoders.
  Sheet half = s;
  half.device_signature.clear();
  EXPECT_FALSE(decode_entry(encode_entry(half)));
  EXPECT_FALSE(internal::decode_entry_general(encode_entry(half)));
}

TEST(ElectionWithOrganisations, KeepsOldBytesAndRoundTrips) {
  Keys k;
  Election plain = testing::small_election();
  EXPECT_EQ(encode_entry(plain).find("organisations"), std::string::npos);
  Election e = signed_election(k);
  ASSERT_TRUE(validate_election(e));
  auto d = decode_entry(encode_entry(e));
  ASSERT_TRUE(d) << d.error().to_string();
  const Election& back = std::get<Election>(d->record);
  EXPECT_EQ(back.organisations, e.organisations);
  EXPECT_EQ(back.require_device_signature, e.require_device_signature);
  Election broken = e;
  broken.organisations[0].key = "not a key";
  auto st = validate_election(broken);
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("organisations[0].key"), std::string::npos);
}

TEST(DeviceRegistry, EnrolsOnlyWithTheOrganisationsSignature) {
  Keys k;
  Election e = signed_election(k);
  DeviceRegistry reg;
  DeviceRecord forged = enrolment(k, k.phone);
  forged.org_signature = sign(k.other_org, device_record_message(forged));  // the operator's own key
  auto no = reg.check(e, forged);
  ASSERT_TRUE(no);
  EXPECT_EQ(no->field, "org_signature");
  DeviceRecord wider = enrolment(k, k.phone, {"witness:other"});
  no = reg.check(e, wider);
  ASSERT_TRUE(no);
  EXPECT_EQ(no->field, "sources[0]");
  EXPECT_FALSE(reg.apply(e, enrolment(k, k.phone), 5));
  ASSERT_NE(reg.find(k.phone.verifier_key()), nullptr);
  EXPECT_EQ(reg.find(k.phone.verifier_key())->enrolled_at, 5u);
  no = reg.check(e, enrolment(k, k.phone));
  ASSERT_TRUE(no);
  EXPECT_EQ(no->field, "device_key");  // already enrolled
}

TEST(DeviceRegistry, SheetChecksNameTheReason) {
  Keys k;
  Election e = signed_election(k);
  DeviceRegistry reg;
  ASSERT_FALSE(reg.apply(e, enrolment(k, k.phone), 5));

  EXPECT_FALSE(reg.check_sheet(e, signed_sheet(k.phone)));

  Sheet unsigned_sheet = testing::small_sheet();
  unsigned_sheet.source = "witness:mud";
  auto no = reg.check_sheet(e, unsigned_sheet);
  ASSERT_TRUE(no);
  EXPECT_EQ(no->field, "device_signature");
  EXPECT_NE(no->reason.find("requires a device signature"), std::string::npos);

  Sheet official = testing::small_sheet();  // not in require_device_signature: unsigned is fine
  EXPECT_FALSE(reg.check_sheet(e, official));

  Sheet forged = signed_sheet(k.phone);
  forged.cards[0] += 1;  // counts changed after signing
  no = reg.check_sheet(e, forged);
  ASSERT_TRUE(no);
  EXPECT_EQ(no->field, "device_signature");

  no = reg.check_sheet(e, signed_sheet(k.phone2));
  ASSERT_TRUE(no);
  EXPECT_EQ(no->field, "device_key");
  EXPECT_NE(no->reason.find("not enrolled"), std::string::npos);

  e.sources.push_back("witness:other");
  no = reg.check_sheet(e, signed_sheet(k.phone, "witness:other"));
  ASSERT_TRUE(no);
  EXPECT_EQ(no->field, "source");

  DeviceRecord revoke;
  revoke.action = "revoke";
  revoke.device_key = k.phone.verifier_key();
  revoke.org = "mud";
  revoke.reason = "phone lost";
  revoke.org_signature = sign(k.org, device_record_message(revoke));
  ASSERT_FALSE(reg.apply(e, revoke, 9));
  no = reg.check_sheet(e, signed_sheet(k.phone));
  ASSERT_TRUE(no);
  EXPECT_EQ(no->field, "device_key");
  EXPECT_NE(no->reason.find("revoked (log index 9)"), std::string::npos);
}

TEST(DeviceRegistry, EnrolmentByCodeNeedsTheInviteTheDeviceAndAFreshCode) {
  Keys k;
  Election e = signed_election(k);
  const std::string code = "TL-7Q4M-2PXA-99KD";
  const std::vector<std::string> sources = {"witness:mud"};
  const std::string invite = sign(k.org, device_invite_message("mud", sources, sha256_hex(code)));
  auto by_code = [&](const note::Signer& device, std::string c) {
    DeviceRecord r;
    r.action = "enrol";
    r.device_key = device.verifier_key();
    r.org = "mud";
    r.sources = sources;
    r.code = std::move(c);
    r.invite_signature = invite;
    r.device_signature = sign(device, device_record_message(r));
    return r;
  };
  DeviceRegistry reg;
  auto no = reg.check(e, by_code(k.phone, "TL-GUESSED"));
  ASSERT_TRUE(no);
  EXPECT_EQ(no->field, "code");
  DeviceRecord stolen = by_code(k.phone, code);
  stolen.device_key = k.phone2.verifier_key();  // someone else's key with phone's signature
  no = reg.check(e, stolen);
  ASSERT_TRUE(no);
  EXPECT_EQ(no->field, "device_signature");
  EXPECT_FALSE(reg.apply(e, by_code(k.phone, code), 3));
  no = reg.check(e, by_code(k.phone2, code));
  ASSERT_TRUE(no);
  EXPECT_EQ(no->field, "code");
  EXPECT_NE(no->reason.find("already used"), std::string::npos);
}

// The fuzz seeds of issue 14's entries (fuzz/corpus/entry/seed-04x) are canonical entries both
// decoders accept, so the differential fuzzer starts from the new members.
TEST(DeviceEntrySeeds, BothDecodersAcceptThemAsTheirTypes) {
  const std::pair<const char*, EntryType> seeds[] = {{"seed-041-election-organisations", EntryType::kElection},
                                                     {"seed-042-sheet-signed", EntryType::kSheet},
                                                     {"seed-043-device-enrol", EntryType::kDevice},
                                                     {"seed-044-device-enrol-code", EntryType::kDevice},
                                                     {"seed-045-device-revoke", EntryType::kDevice}};
  for (const auto& [name, type] : seeds) {
    auto bytes = Env::posix().read_file(::tallylog::testing::source_dir() + "/fuzz/corpus/entry/" + name);
    ASSERT_TRUE(bytes) << name;
    auto fast = decode_entry(*bytes);
    auto general = internal::decode_entry_general(*bytes);
    ASSERT_TRUE(fast) << name << ": " << fast.error().to_string();
    ASSERT_TRUE(general) << name << ": " << general.error().to_string();
    EXPECT_EQ(fast->type, type) << name;
    EXPECT_EQ(general->type, type) << name;
  }
}

}  // namespace
}  // namespace tallylog::election
