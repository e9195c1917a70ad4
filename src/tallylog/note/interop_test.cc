// Known answers published with Go's golang.org/x/mod/sumdb (Go is not installed here): the
// checkpoints, hashes and proofs tallylog writes must read the same way there.
#include <gtest/gtest.h>

#include "tallylog/merkle/hash.h"
#include "tallylog/merkle/tree.h"
#include "tallylog/note/checkpoint.h"
#include "tallylog/note/cosignature.h"

namespace tallylog::note {
namespace {

// sumdb/tlog note_test.go TestFormatTree / TestParseTree: the three-line tree note that
// tlog.ParseTree reads is exactly a checkpoint body (origin, size, base64 root).
constexpr const char* kGoTree = "go.sum database tree\n123456789012\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n";

TEST(GoInterop, CheckpointBodyIsTlogsTreeNote) {
  Checkpoint c;
  c.origin = "go.sum database tree";
  c.size = 123456789012;
  c.root = merkle::leaf_hash("hello world");  // tlog.RecordHash([]byte("hello world"))
  EXPECT_EQ(c.body(), kGoTree);
  auto back = Checkpoint::parse_body(kGoTree).value();
  EXPECT_EQ(back.size, 123456789012u);
  EXPECT_EQ(back.root, c.root);
  // tlog ignores extra lines after the tree; a checkpoint keeps them as extensions.
  EXPECT_EQ(Checkpoint::parse_body(std::string(kGoTree) + "JOE\n").value().extensions.at(0), "JOE");
  EXPECT_FALSE(Checkpoint::parse_body("go.sum database tree\n0xabcdef\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n"));
}

// sumdb/tlog ct_test.go with testdata/argon2020: a consistency proof served by Google's Argon
// 2020 Certificate Transparency log, which tlog.CheckTree accepts. Witnesses check the proofs
// logs send with exactly this function.
TEST(GoInterop, VerifiesTheArgon2020ConsistencyProofThatTlogAccepts) {
  const char* proof_b64[] = {
      "80Sfbj6UQEdVSZCSIgh9NMPj3vCBzcc1A48B2crJSWg=", "FZcrgAHUk6nNPviJZq8kEK6jCG1d18pJOFE45ZDc1TQ=",
      "Q67reWXmPBo1UfmwBap4Xi9PMPfFdUSSw3WGlRZdG7k=", "eJ7CyhR4PxzBxDIsWgrVYW1eFUb9ndgf46tFmiqVrxA=",
      "QrDwp062Grm5WY8KdrhFsBuuNjGzRox2Jb8PmVL5OYw=", "XM4YMjMEdLH/XJam/ZWyaP14k3cmsOtnPsOWQ54lW1s=",
      "SGiBh+jOTGccXU48ZzgQ88lRcBmtB4wz4oSDndv2QTg=", "WAS6txqNLYKGL1GdBdpqmV42TTfn6cJsuDsqLXuTCNI=",
      "QFmRS0rirUA7ZN3lxFjDncV+E1OCrn3NUB4RCp+5fzc=", "Hdbp7It2XBNZmNDBpCN/KPd7vfVqxgzwOosqVIaEA9E=",
      "mxvHL0ZiblBdD7j7pIa1jlfB0gSqfJ6oX0UGo7L0VsU=", "q5hjyvoW6TL/PThgcitpDcSTrnKX2p1+aqscqH2euRA=",
      "jTOWDqt3IHj2NVFeezyBz2ofpru+ztEywqKUAfFclKI=", "GIRn0w3HqJdvU9j1WVD//eR6lk2AaTVjyzjsJNP8U88=",
      "x52GJvxG81fnQBrgOTbll1A5tz95/LXK0Ag1NhB0r1I=", "6/0OqrcTgc3o5dD5PymmoC96lB9yLPFuTHVvLy8fSGk=",
      "Gf+iKLfcXO5l4JEFmsZvSdG5q1uEeWPfYLrds6pmjz0=", "DGuaco+McyM3AfRSF6qX7RwSetwe2ieYJmxw5e9rVx0=",
      "2tQJ9V32hnYp+fdpP6TcjmgJmLeNVOMKM0Ml1kk4cNU=", "3PapK+IkyJr8I9yAErAmzuZezzLMzsg+PfeRCgNW8NQ=",
      "s6xiYeejb+wtqHA+URJZ2I/SCPyIW8coP6aB00FJbMY=", "z9lSpmdTcr5M5ZzKlc4EPh3SrSypKFdk6JUF/UccaZU=",
      "GXIElfmnRuWfbA4z7ubV/UwlpSRUbUeec7oL5HDDnh0=", "pR0SH/NYP6s9+8azWwaeUXA4Ze/3WCIgMfh5YW6wvcE=",
      "f3GuAKYVrF8RBg3s15jvA/YvV9oAliWtzP/imwPhQVA=", "WHn8zDxlVgkV+lSlmzaOdfSBrTHoRr5nT3d76q0KKWE=",
      "f2uV2ZxVgULzLPKuZcowRY3ZY7fRlX59iDBjV1R8kNQ=", "NzQVjJsvQwbi7WStMr9oFkh9VbHfK7LB6o7WwAqwNTs=",
      "C0LttBeYHZHgL+032JIcJC3CTBIyza/hsbmJUgJfmDI=", "nixU5CWTFVDlF4BGdcU6kA7WSYurEpe9jRWc+F/7sOc="};
  std::vector<merkle::Hash> proof;
  for (const char* h : proof_b64) proof.push_back(merkle::hash_from_base64(h).value());
  auto old_root = merkle::hash_from_base64("AuIZ5V6sDUj1vn3Y1K85oOaQ7y+FJJKtyRTl1edIKBQ=").value();
  auto new_root = merkle::hash_from_base64("dwlueapdd7LaOEnX2W2Wp9v2XE+KzejHRQGHwEx0oaM=").value();
  auto ok = merkle::verify_consistency(3654490, 961984013, proof, old_root, new_root);
  EXPECT_TRUE(ok) << ok.error().message;
  EXPECT_FALSE(merkle::verify_consistency(3654491, 961984013, proof, old_root, new_root));
  proof[7][3] ^= 1;
  EXPECT_FALSE(merkle::verify_consistency(3654490, 961984013, proof, old_root, new_root));
}

// sumdb/note: a checkpoint carrying cosignatures is still an ordinary note to Go's note.Open
// with the log's key (unknown keys ignored, at most 100 signatures); here with Go's own example
// key and text, so the bytes are Go's.
TEST(GoInterop, ACosignedNoteStaysWithinGosLimitsAndOpensWithTheLogKey) {
  auto peter = Signer::parse("PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz").value();
  std::string text = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
  std::string note = sign_note(text, peter).value();
  for (int i = 0; i < 99; ++i) note += Cosigner::generate("w" + std::to_string(i) + ".example").value().cosign(text, 1).value();
  auto v = Verifier::parse("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW").value();
  ASSERT_TRUE(open_note(note, std::span<const Verifier>(&v, 1)));
  // One more signature line than Go accepts: refused here too.
  note += Cosigner::generate("w99.example").value().cosign(text, 1).value();
  EXPECT_FALSE(open_note(note, std::span<const Verifier>(&v, 1)));
}

}  // namespace
}  // namespace tallylog::note
