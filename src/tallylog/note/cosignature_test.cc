#include "tallylog/note/cosignature.h"

#include <gtest/gtest.h>

#include "tallylog/base/bytes.h"
#include "tallylog/merkle/hash.h"
#include "tallylog/note/checkpoint.h"

namespace tallylog::note {
namespace {

// Known answers computed by an independent implementation of the spec: web/src/cosignature.js
// (pure JS Ed25519 from @noble, not OpenSSL), cosignForTest() with the RFC 8032 §7.1 TEST 1 secret
// key, the name "witness.example.com/w1", timestamp 1679315147 and the checkpoint of the
// tlog-cosignature spec's example. web/test/cosignature.test.js checks the same literals.
constexpr const char* kSeedHex = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
constexpr const char* kName = "witness.example.com/w1";
constexpr const char* kVkey = "witness.example.com/w1+7e6f4aaa+BNdamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea";
constexpr const char* kBody = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
constexpr uint64_t kTime = 1679315147;
constexpr const char* kLine =
    "\xE2\x80\x94 witness.example.com/w1 "
    "fm9KqgAAAABkGFDL+TPmh4BYuAjsYRoqMJCWb/gWJaeRF/kmm5tlCr9sJ57DLErur7K0yDXc2ArN+TIuotuB/HbuL3AJsp3bv/aNCQ==\n";
// The same with an extension line in the body (the signature covers it).
constexpr const char* kBodyExt =
    "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\nextension line\n";
constexpr const char* kLineExt =
    "\xE2\x80\x94 witness.example.com/w1 "
    "fm9KqgAAAABkGFDLPVAuyuhVfCXEgiomDLODw+FIDWjtvqPYw/2NJv0grP9NnIeHjs8JECGFOJUaKtC7aHh126WedhlvJn9YQJTYBA==\n";

Cosigner kat_cosigner() {
  std::string seed = hex_decode(kSeedHex).value();
  // The public key is in the vkey; the Go private key text names the 0x01 key ID.
  std::string pub = CosignatureVerifier::parse(kVkey).value().public_key();
  std::string skey = "PRIVATE+KEY+" + format_verifier_key_text(kName, key_id(kName, pub), 0x01, seed);
  return Cosigner::parse(skey).value();
}

std::string note_with(std::string_view body, std::string_view extra_lines) {
  auto log = Signer::generate("example.com/behind-the-sofa").value();
  return sign_note(body, log).value() + std::string(extra_lines);
}

TEST(Cosignature, SignsByteForByteLikeAnIndependentImplementation) {
  Cosigner c = kat_cosigner();
  EXPECT_EQ(c.verifier_key(), kVkey);
  EXPECT_EQ(c.cosign(kBody, kTime).value(), kLine);
  EXPECT_EQ(c.cosign(kBodyExt, kTime).value(), kLineExt);
}

TEST(Cosignature, MessageIsTheSpecsTwoHeaderLinesThenTheBody) {
  EXPECT_EQ(cosignature_message(kBody, kTime),
            "cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\n"
            "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n");
  EXPECT_EQ(cosignature_message(kBody, 0).substr(0, 22), "cosignature/v1\ntime 0\n");
}

TEST(Cosignature, VerifiesTheIndependentVectorsAndNamesTheTimestamp) {
  auto w = CosignatureVerifier::parse(kVkey).value();
  std::vector<CosignatureVerifier> ws = {w};
  auto got = open_cosignatures(note_with(kBody, kLine), ws).value();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].name, kName);
  EXPECT_EQ(got[0].key_id, 0x7e6f4aaau);
  EXPECT_EQ(got[0].timestamp, kTime);
  EXPECT_EQ(format_utc(got[0].timestamp), "2023-03-20T12:25:47Z");
  EXPECT_TRUE(open_cosignatures(note_with(kBodyExt, kLineExt), ws));
}

TEST(Cosignature, RejectsACosignatureOverAnotherBodyOrTime) {
  std::vector<CosignatureVerifier> ws = {CosignatureVerifier::parse(kVkey).value()};
  // The line for the body without the extension, attached to the body with it.
  auto r = open_cosignatures(note_with(kBodyExt, kLine), ws);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kVerificationFailed);
  EXPECT_NE(r.error().message.find("witness.example.com/w1+7e6f4aaa does not verify"), std::string::npos);
  // One bit of the timestamp changed (byte 11 of the blob, inside the base64).
  std::string blob = base64_decode(std::string_view(kLine).substr(std::string_view(kLine).find(' ', 4) + 1, 104)).value();
  blob[11] ^= 1;
  std::string line = "\xE2\x80\x94 witness.example.com/w1 " + base64_encode(blob) + "\n";
  EXPECT_FALSE(open_cosignatures(note_with(kBody, line), ws));
}

TEST(Cosignature, IgnoresUnknownKeysAndTheLogsOwnSignature) {
  auto other = Cosigner::generate("witness.example.com/w2").value();
  std::vector<CosignatureVerifier> ws = {other.verifier()};
  auto got = open_cosignatures(note_with(kBody, kLine), ws).value();
  EXPECT_TRUE(got.empty());
  // The same name with another key ID is another key: ignored, not a failure.
  auto same_name = Cosigner::generate(kName).value();
  std::vector<CosignatureVerifier> ws2 = {same_name.verifier()};
  EXPECT_TRUE(open_cosignatures(note_with(kBody, kLine), ws2).value().empty());
}

// Published vectors: a real witness key of type 0x04 (transparency-dev/formats
// note/note_cosigv1_test.go, "native algEd25519CosignatureV1 verifier"), whose key ID the 0x04
// rule must reproduce, and a cosignature's bytes whose layout (key ID, big-endian timestamp)
// that file decodes to 1727964367 (TestCosignatureTimestamp).
TEST(Cosignature, ParsesAPublishedWitnessKeyAndSignatureLayout) {
  auto w = CosignatureVerifier::parse("remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2");
  ASSERT_TRUE(w) << w.error().to_string();
  EXPECT_EQ(w->key_id(), 0xda77ade7u);
  EXPECT_EQ(w->text(), "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2");
  std::string blob =
      base64_decode("ZGhGuQAAAABm/qTPeyKXD+R2rzyQsxPiP8mXum7qq/iF0u4vanlqJyocWODBt97w9uL+8qT7S5gxEHWWOworDcFiEBYJXORmnFBOBA==")
          .value();
  ASSERT_EQ(blob.size(), 76u);
  EXPECT_EQ(get_u64_be(std::string_view(blob).substr(4)), 1727964367u);
}

TEST(Cosignature, RejectsLogKeysAsWitnessKeysAndBadKeyIds) {
  auto log = Signer::generate("log.example").value();
  auto r = CosignatureVerifier::parse(log.verifier_key());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("type 0x04"), std::string::npos);
  std::string bad = kVkey;
  bad.replace(bad.find("7e6f4aaa"), 8, "7e6f4aab");
  EXPECT_FALSE(CosignatureVerifier::parse(bad));
  // A witness key is not a log key either.
  EXPECT_FALSE(Verifier::parse(kVkey));
}

TEST(Cosignature, CosignedCheckpointStillOpensWithTheLogKeyAlone) {
  // What Go's note.Open does with a checkpoint carrying cosignatures: the unknown lines are
  // ignored and the log's own signature is required.
  auto log = Signer::generate("example.com/behind-the-sofa").value();
  std::string msg = sign_note(kBody, log).value() + kLine;
  auto c = open_checkpoint(msg, log.verifier());
  ASSERT_TRUE(c) << c.error().to_string();
  EXPECT_EQ(c->size, 20852163u);
}

TEST(WitnessPolicy, CountsCosignaturesAgainstTheQuorum) {
  auto w1 = Cosigner::generate("w1.example").value();
  auto w2 = Cosigner::generate("w2.example").value();
  auto w3 = Cosigner::generate("w3.example").value();
  std::string msg = note_with(kBody, w1.cosign(kBody, 100).value() + w3.cosign(kBody, 200).value());
  WitnessPolicy p{{w1.verifier(), w2.verifier(), w3.verifier()}, 2};
  auto c = check_witness_policy(msg, p).value();
  EXPECT_TRUE(c.met);
  ASSERT_EQ(c.cosigned.size(), 2u);
  EXPECT_EQ(c.cosigned[1].timestamp, 200u);
  ASSERT_EQ(c.missing.size(), 1u);
  EXPECT_EQ(c.missing[0], "w2.example+" + hex8(w2.key_id()));
  EXPECT_NE(c.summary(2).find("2 of 3 witnesses cosigned (quorum 2, met)"), std::string::npos);
  p.quorum = 3;
  EXPECT_FALSE(check_witness_policy(msg, p).value().met);
}

TEST(Cosigner, GeneratedKeysRoundTripThroughTheirTexts) {
  auto c = Cosigner::generate("witness.example/a").value();
  auto again = Cosigner::parse(c.private_key_text()).value();
  EXPECT_EQ(again.verifier_key(), c.verifier_key());
  // The private key is Go's ordinary note key (type 0x01): note.NewSigner reads it.
  EXPECT_TRUE(Signer::parse(c.private_key_text()));
  std::string line = c.cosign(kBody, 5).value();
  std::vector<CosignatureVerifier> ws = {CosignatureVerifier::parse(c.verifier_key()).value()};
  EXPECT_EQ(open_cosignatures(note_with(kBody, line), ws).value().at(0).timestamp, 5u);
}

}  // namespace
}  // namespace tallylog::note
