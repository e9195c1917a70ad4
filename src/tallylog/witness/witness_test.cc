#include "tallylog/witness/witness.h"

#include <gtest/gtest.h>

#include <thread>

#include "tallylog/base/testing.h"
#include "tallylog/witness/test_log.h"

namespace tallylog::witness {
namespace {

using testing::TestLog;

struct Fixture {
  tallylog::testing::TempDir dir;
  TestLog log{"tallylog.example/ve2024", 300};
  note::Cosigner key = note::Cosigner::generate("witness.example/w1").value();
  FakeClock clock{std::chrono::system_clock::time_point(std::chrono::seconds(1700000000))};
  std::unique_ptr<WitnessState> state = WitnessState::open(Env::posix(), dir.path()).value();
  std::unique_ptr<Witness> witness = make();

  std::unique_ptr<Witness> make() {
    return std::make_unique<Witness>(key, std::vector<note::Verifier>{log.key.verifier()}, *state, clock);
  }
  Answer add(uint64_t old, uint64_t size) {
    std::vector<merkle::Hash> proof;
    if (old > 0 && old < size) proof = log.proof(old, size);
    return witness->add_checkpoint(format_add_checkpoint(old, proof, log.checkpoint(size)));
  }
  std::vector<note::Cosignature> cosigs(uint64_t size, const Answer& a) {
    std::vector<note::CosignatureVerifier> ws = {key.verifier()};
    return note::open_cosignatures(log.checkpoint(size) + a.body, ws).value();
  }
};

TEST(Witness, CosignsTheFirstCheckpointAndThenConsistentOnes) {
  Fixture f;
  Answer a = f.add(0, 10);
  ASSERT_EQ(a.status, 200) << a.body;
  auto c = f.cosigs(10, a);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].timestamp, 1700000000u);
  f.clock.advance(std::chrono::seconds(5));
  Answer b = f.add(10, 300);
  ASSERT_EQ(b.status, 200) << b.body;
  EXPECT_EQ(f.cosigs(300, b)[0].timestamp, 1700000005u);
  EXPECT_EQ(f.state->get("tallylog.example/ve2024")->size, 300u);
}

TEST(Witness, AnswersAStaleOldSizeWith409AndTheSizeItCosigned) {
  Fixture f;
  ASSERT_EQ(f.add(0, 10).status, 200);
  Answer a = f.add(0, 20);
  EXPECT_EQ(a.status, 409);
  EXPECT_EQ(a.content_type, "text/x.tlog.size");
  EXPECT_EQ(a.body, "10\n");
  EXPECT_EQ(f.add(5, 20).status, 409);
  EXPECT_EQ(f.add(10, 20).status, 200);
}

TEST(Witness, RefusesARollbackEvenAfterARestart) {
  Fixture f;
  ASSERT_EQ(f.add(0, 100).status, 200);
  f.witness.reset();
  f.state.reset();
  f.state = WitnessState::open(Env::posix(), f.dir.path()).value();
  f.witness = f.make();
  // The log asks for a smaller size: whatever old size it claims, never cosigned.
  Answer a = f.add(0, 50);
  EXPECT_EQ(a.status, 409);
  EXPECT_EQ(a.body, "100\n");
  EXPECT_EQ(f.add(100, 50).status, 400);  // old above the checkpoint size
}

TEST(Witness, RefusesABadProofWith422) {
  Fixture f;
  ASSERT_EQ(f.add(0, 10).status, 200);
  auto proof = f.log.proof(10, 20);
  proof[0][0] ^= 1;
  Answer a = f.witness->add_checkpoint(format_add_checkpoint(10, proof, f.log.checkpoint(20)));
  EXPECT_EQ(a.status, 422);
  EXPECT_EQ(f.state->get("tallylog.example/ve2024")->size, 10u);
}

TEST(Witness, RefusesASecondHistoryOfTheSameSizeWith409) {
  Fixture f;
  ASSERT_EQ(f.add(0, 10).status, 200);
  // The same key signs another tree of size 10 (a fork): same size, another root.
  TestLog fork = f.log;
  fork.leaves.resize(9);
  fork.grow(1, "other ");
  Answer a = f.witness->add_checkpoint(format_add_checkpoint(10, {}, fork.checkpoint(10)));
  EXPECT_EQ(a.status, 409);
  EXPECT_NE(a.body.find("another root"), std::string::npos);
  // And a longer fork cannot prove consistency with what was cosigned.
  fork.grow(10, "other ");
  Answer b = f.witness->add_checkpoint(format_add_checkpoint(10, fork.proof(10, 20), fork.checkpoint(20)));
  EXPECT_EQ(b.status, 422);
}

TEST(Witness, RefusesUnknownLogsAndBadSignatures) {
  Fixture f;
  TestLog stranger("stranger.example/log", 5);
  EXPECT_EQ(f.witness->add_checkpoint(format_add_checkpoint(0, {}, stranger.checkpoint(5))).status, 404);
  // A checkpoint with our log's origin signed by another key.
  TestLog impostor("tallylog.example/ve2024", 5);
  EXPECT_EQ(f.witness->add_checkpoint(format_add_checkpoint(0, {}, impostor.checkpoint(5))).status, 403);
  std::string cp = f.log.checkpoint(5);
  cp[cp.find('\n') + 1] = '6';  // size line changed after signing
  EXPECT_EQ(f.witness->add_checkpoint(format_add_checkpoint(0, {}, cp)).status, 403);
  EXPECT_FALSE(f.state->get("tallylog.example/ve2024"));
}

TEST(Witness, ParsesRequestsStrictly) {
  Fixture f;
  std::string cp = f.log.checkpoint(5);
  for (const std::string& bad : std::vector<std::string>{"", "old 1\n", "old 01\n\n" + cp, "old x\n\n" + cp,
                                                        "old 1\nnot-base64\n\n" + cp, "new 1\n\n" + cp, "old 1\n\n"}) {
    Answer a = f.witness->add_checkpoint(bad);
    EXPECT_EQ(a.status, 400) << bad;
  }
  std::string many = "old 4\n";
  for (int i = 0; i < 64; ++i) many += merkle::hash_base64(merkle::leaf_hash("x")) + "\n";
  EXPECT_EQ(f.witness->add_checkpoint(many + "\n" + cp).status, 400);
  EXPECT_EQ(f.witness->add_checkpoint("old 0\n" + merkle::hash_base64(merkle::leaf_hash("x")) + "\n\n" + cp).status, 400);
  auto r = parse_add_checkpoint("old 3\n" + merkle::hash_base64(merkle::leaf_hash("x")) + "\n\n" + cp).value();
  EXPECT_EQ(r.old_size, 3u);
  EXPECT_EQ(r.proof.size(), 1u);
  EXPECT_EQ(r.checkpoint, cp);
}

TEST(Witness, RacingRequestsNeverRollBack) {
  // The spec's race: A (old 10 -> 20) and B (old 10 -> 30) at once; exactly one wins, and the
  // loser must not move the state back.
  for (int round = 0; round < 20; ++round) {
    Fixture f;
    ASSERT_EQ(f.add(0, 10).status, 200);
    Answer a, b;
    std::thread ta([&] { a = f.add(10, 20); });
    std::thread tb([&] { b = f.add(10, 30); });
    ta.join();
    tb.join();
    EXPECT_NE(a.status == 200, b.status == 200);
    EXPECT_EQ(f.state->get("tallylog.example/ve2024")->size, a.status == 200 ? 20u : 30u);
  }
}

}  // namespace
}  // namespace tallylog::witness
