#include "tallylog/note/note.h"

#include <gtest/gtest.h>

#include <random>

#include "tallylog/base/bytes.h"
#include "tallylog/note/checkpoint.h"

namespace tallylog::note {
namespace {

// Known-answer vectors from golang.org/x/mod/sumdb/note (note_test.go / example_test.go).
constexpr const char* kPeterSkey = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
constexpr const char* kPeterVkey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
constexpr const char* kEnochVkey = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
constexpr const char* kText =
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n";
constexpr const char* kPeterSig =
    "\xE2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
constexpr const char* kEnochSig =
    "\xE2\x80\x94 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

TEST(Note, SignsByteForByteLikeGo) {
  auto signer = Signer::parse(kPeterSkey).value();
  EXPECT_EQ(signer.verifier_key(), kPeterVkey);
  EXPECT_EQ(signer.private_key_text(), kPeterSkey);
  EXPECT_EQ(sign_note(kText, signer).value(), std::string(kText) + "\n" + kPeterSig);
}

// Found by fuzz/note_fuzzer.cc (campaign, 3 Dec 2026): the hash in a private key is read in
// either case, as Go's note.NewSigner reads it, and printed in lower case (the canonical form).
TEST(Note, ReadsAPrivateKeysHashInEitherCaseAndPrintsItLowerCase) {
  std::string upper(kPeterSkey);
  const size_t hash = upper.find("+c74f20a3+");
  ASSERT_NE(hash, std::string::npos);
  upper.replace(hash, 10, "+C74F20A3+");
  auto signer = Signer::parse(upper).value();
  EXPECT_EQ(signer.key_id(), 0xc74f20a3u);
  EXPECT_EQ(signer.private_key_text(), kPeterSkey);
  EXPECT_EQ(sign_note(kText, signer).value(), std::string(kText) + "\n" + kPeterSig);
}

TEST(Note, OpensGoSignedNotesWithOneOrTwoSignatures) {
  std::vector<Verifier> vs = {Verifier::parse(kPeterVkey).value(), Verifier::parse(kEnochVkey).value()};
  auto n = open_note(std::string(kText) + "\n" + kPeterSig + kEnochSig, vs).value();
  EXPECT_EQ(n.text, kText);
  ASSERT_EQ(n.signatures.size(), 2u);
  EXPECT_EQ(n.signatures[0].key_id, 0xc74f20a3u);
  EXPECT_EQ(n.signatures[1].name, "EnochRoot");
}

TEST(Note, IgnoresUnknownKeysButRequiresOneKnownSignature) {
  std::vector<Verifier> peter = {Verifier::parse(kPeterVkey).value()};
  EXPECT_TRUE(open_note(std::string(kText) + "\n" + kEnochSig + kPeterSig, peter));
  auto r = open_note(std::string(kText) + "\n" + kEnochSig, peter);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kVerificationFailed);
}

TEST(Note, RejectsATamperedTextOrSignature) {
  std::vector<Verifier> peter = {Verifier::parse(kPeterVkey).value()};
  std::string good = std::string(kText) + "\n" + kPeterSig;
  for (size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] ^= 0x01;
    EXPECT_FALSE(open_note(bad, peter)) << "byte " << i;
  }
}

TEST(Note, RejectsMalformedVerifierKeys) {
  std::string k = kPeterVkey;
  for (size_t i = 0; i < k.size(); ++i) {
    std::string bad = k;
    bad[i] = static_cast<char>(bad[i] + 1);
    EXPECT_FALSE(Verifier::parse(bad)) << bad;
    EXPECT_FALSE(Verifier::parse(k.substr(0, i))) << i;
  }
}

TEST(Note, GeneratedKeysRoundTrip) {
  auto s = Signer::generate("tallylog.example/test").value();
  auto s2 = Signer::parse(s.private_key_text()).value();
  EXPECT_EQ(s2.verifier_key(), s.verifier_key());
  auto v = Verifier::parse(s.verifier_key()).value();
  auto msg = sign_note("hello\n", s).value();
  EXPECT_TRUE(open_note(msg, std::span<const Verifier>(&v, 1)));
  EXPECT_FALSE(Signer::generate("has space"));
  EXPECT_FALSE(Signer::generate("has+plus"));
  EXPECT_FALSE(Signer::generate(""));
}

TEST(Note, ParserSurvivesRandomGarbage) {
  std::mt19937 rng(1);
  std::vector<Verifier> peter = {Verifier::parse(kPeterVkey).value()};
  std::string good = std::string(kText) + "\n" + kPeterSig;
  for (int t = 0; t < 20000; ++t) {
    std::string s = good;
    int edits = 1 + rng() % 4;
    for (int e = 0; e < edits; ++e) {
      size_t pos = rng() % (s.size() + 1);
      switch (rng() % 3) {
        case 0: if (pos < s.size()) s[pos] = static_cast<char>(rng()); break;
        case 1: s.insert(pos, 1, static_cast<char>(rng())); break;
        default: s.erase(pos, rng() % 8); break;
      }
    }
    auto r = open_note(s, peter);
    if (r) {
      EXPECT_EQ(r->text, kText);  // only the untouched text can verify
    }
    (void)Checkpoint::parse_body(s);
  }
}

Checkpoint sample() {
  Checkpoint c;
  c.origin = "tallylog.example/ve2024";
  c.size = 1234;
  c.root = merkle::leaf_hash("x");
  return c;
}

TEST(Checkpoint, SignsAndOpensWithTheLogKey) {
  auto s = Signer::generate("tallylog.example/ve2024").value();
  auto msg = sign_checkpoint(sample(), s).value();
  auto c = open_checkpoint(msg, s.verifier()).value();
  EXPECT_EQ(c.size, 1234u);
  EXPECT_EQ(c.root, sample().root);
  EXPECT_EQ(c.body(), sample().body());
}

TEST(Checkpoint, RejectsSignatureFromUnknownKey) {
  auto s = Signer::generate("tallylog.example/ve2024").value();
  auto other = Signer::generate("tallylog.example/ve2024").value();
  auto msg = sign_checkpoint(sample(), s).value();
  auto r = open_checkpoint(msg, other.verifier());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("no signature by a known key"), std::string::npos);
}

TEST(Checkpoint, ParsesStrictly) {
  std::string root = merkle::hash_base64(merkle::leaf_hash("x"));
  EXPECT_TRUE(Checkpoint::parse_body("o\n0\n" + root + "\n"));
  EXPECT_TRUE(Checkpoint::parse_body("o\n5\n" + root + "\next one\n"));
  EXPECT_FALSE(Checkpoint::parse_body("o\n05\n" + root + "\n"));            // leading zero
  EXPECT_FALSE(Checkpoint::parse_body("o\n-5\n" + root + "\n"));
  EXPECT_FALSE(Checkpoint::parse_body("o\n18446744073709551616\n" + root + "\n"));  // overflow
  EXPECT_FALSE(Checkpoint::parse_body("o\n5\n" + root));                    // no final newline
  EXPECT_FALSE(Checkpoint::parse_body("\n5\n" + root + "\n"));              // empty origin
  EXPECT_FALSE(Checkpoint::parse_body("\xff\n5\n" + root + "\n"));          // non-UTF-8 origin
  EXPECT_FALSE(Checkpoint::parse_body("o\n5\nAAAA\n"));                     // short root
  std::string noncanon = root;
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  char& last = noncanon[noncanon.size() - 2];
  last = alphabet[alphabet.find(last) + 1];  // sets a padding bit: non-canonical
  EXPECT_FALSE(Checkpoint::parse_body("o\n5\n" + noncanon + "\n"));
  EXPECT_FALSE(Checkpoint::parse_body("o\n5\n" + root + "\n\n"));           // empty extension
  auto s = Signer::generate("o").value();
  std::string body = "o\n5\n" + root + "\n";
  auto msg = sign_note(body, s).value();
  std::string no_blank = msg;
  no_blank.erase(body.size(), 1);
  EXPECT_FALSE(open_checkpoint(no_blank, s.verifier()));
}

}  // namespace
}  // namespace tallylog::note
