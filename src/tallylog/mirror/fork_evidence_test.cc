#include "tallylog/mirror/fork_evidence.h"

#include <gtest/gtest.h>

#include "tallylog/witness/test_log.h"

namespace tallylog::mirror {
namespace {

using witness::testing::TestLog;

// Two histories under one key: `a` and a copy whose entries from `diverge` on differ.
struct Fork {
  TestLog a{"tallylog.example/ve2024", 0};
  TestLog b = a;
  Fork(size_t diverge, size_t size_a, size_t size_b) {
    a.grow(size_a);
    b.leaves.assign(a.leaves.begin(), a.leaves.begin() + static_cast<ptrdiff_t>(diverge));
    b.grow(size_b - diverge, "other ");
  }
  ForkEvidence evidence(uint64_t s1, uint64_t s2) const {
    ForkEvidence e;
    e.comments = {"test"};
    e.log_key = a.key.verifier_key();
    e.first = a.checkpoint(s1);
    e.second = b.checkpoint(s2);
    e.second_root_at_first = b.root(s1);
    if (s1 < s2) e.proof = b.proof(s1, s2);
    return e;
  }
};

TEST(ForkEvidence, RoundTripsThroughItsTextFormat) {
  Fork f(5, 10, 20);
  ForkEvidence e = f.evidence(10, 20);
  std::string text = format_fork_evidence(e);
  EXPECT_TRUE(text.starts_with("tallylog fork evidence v1\n# test\nlog-key "));
  auto back = parse_fork_evidence(text).value();
  EXPECT_EQ(back.first, e.first);
  EXPECT_EQ(back.second, e.second);
  EXPECT_EQ(back.proof, e.proof);
  EXPECT_EQ(back.second_root_at_first, e.second_root_at_first);
  EXPECT_EQ(format_fork_evidence(back), text);
}

TEST(ForkEvidence, ProvesTwoTreesOfTheSameSize) {
  Fork f(9, 10, 10);
  auto v = verify_fork(f.evidence(10, 10), f.a.key.verifier());
  ASSERT_TRUE(v) << v.error().to_string();
  EXPECT_EQ(v->size1, 10u);
  EXPECT_NE(v->explanation.find("signed two different histories"), std::string::npos);
}

TEST(ForkEvidence, ProvesALargerTreeThatRewroteThePrefix) {
  for (uint64_t s1 : {1u, 7u, 8u, 10u}) {  // powers of two too: the proof then omits the old root
    Fork f(0, 10, 37);
    auto v = verify_fork(f.evidence(s1, 37), f.a.key.verifier());
    ASSERT_TRUE(v) << s1 << ": " << v.error().to_string();
    EXPECT_EQ(v->root2_at_size1, f.b.root(s1));
    EXPECT_NE(v->root1, v->root2_at_size1);
  }
}

TEST(ForkEvidence, RefusesAConsistentPairAndForgedProofs) {
  Fork f(10, 10, 20);  // b extends a: no fork
  auto v = verify_fork(f.evidence(10, 20), f.a.key.verifier());
  ASSERT_FALSE(v);
  EXPECT_NE(v.error().message.find("extends the first"), std::string::npos);
  // A made-up "root at size 10" that the proof does not support.
  Fork g(5, 10, 20);
  ForkEvidence e = g.evidence(10, 20);
  e.second_root_at_first = merkle::leaf_hash("made up");
  auto w = verify_fork(e, g.a.key.verifier());
  ASSERT_FALSE(w);
  EXPECT_NE(w.error().message.find("the proof does not show"), std::string::npos);
}

TEST(ForkEvidence, RefusesAnotherKeyAndUnsignedCheckpoints) {
  Fork f(5, 10, 10);
  TestLog other("tallylog.example/ve2024", 1);
  auto v = verify_fork(f.evidence(10, 10), other.key.verifier());
  ASSERT_FALSE(v);
  EXPECT_NE(v.error().message.find("not " + other.key.name()), std::string::npos);
  ForkEvidence e = f.evidence(10, 10);
  e.second = other.checkpoint(1);  // signed by someone else
  e.second_root_at_first = other.root(1);
  EXPECT_FALSE(verify_fork(e, f.a.key.verifier()));
}

TEST(ForkEvidence, ParsesStrictly) {
  Fork f(5, 10, 20);
  std::string good = format_fork_evidence(f.evidence(10, 20));
  EXPECT_TRUE(parse_fork_evidence(good));
  EXPECT_FALSE(parse_fork_evidence(good + "x"));
  EXPECT_FALSE(parse_fork_evidence(good.substr(0, good.size() - 1)));
  EXPECT_FALSE(parse_fork_evidence("tallylog fork evidence v2\n" + good.substr(26)));
  std::string big = good;
  big.replace(big.find("checkpoint ") + 11, 3, "999999");
  EXPECT_FALSE(parse_fork_evidence(big));
  for (size_t cut = 0; cut < good.size(); cut += 7) (void)parse_fork_evidence(good.substr(0, cut));
}

}  // namespace
}  // namespace tallylog::mirror
