#include "tallylog/witness/client.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>

#include "tallylog/base/testing.h"
#include "tallylog/witness/server.h"
#include "tallylog/witness/test_log.h"

namespace tallylog::witness {
namespace {

using testing::TestLog;

http::ServerOptions local() {
  http::ServerOptions o;
  o.host = "127.0.0.1";
  o.port = 0;
  o.io_threads = 1;
  o.worker_threads = 4;
  return o;
}

// A real witness on 127.0.0.1 following `log`.
struct RunningWitness {
  tallylog::testing::TempDir dir;
  note::Cosigner key;
  std::unique_ptr<WitnessState> state;
  std::unique_ptr<Witness> witness;
  std::unique_ptr<http::Server> server;

  RunningWitness(const TestLog& log, const std::string& name)
      : key(note::Cosigner::generate(name).value()), state(WitnessState::open(Env::posix(), dir.path()).value()) {
    witness = std::make_unique<Witness>(key, std::vector<note::Verifier>{log.key.verifier()}, *state, Clock::real());
    server = std::make_unique<http::Server>(local(), witness_handler(*witness, *state), witness_body_limit());
    EXPECT_TRUE(server->start());
  }
  WitnessEndpoint endpoint() const {
    return parse_witness_endpoint(key.verifier_key() + "@http://127.0.0.1:" + std::to_string(server->port())).value();
  }
};

ConsistencyProofFn proofs(const TestLog& log) {
  return [&log](uint64_t a, uint64_t b) -> Result<std::vector<merkle::Hash>> { return log.proof(a, b); };
}

TEST(WitnessEndpoint, ParsesVkeyAtUrl) {
  auto k = note::Cosigner::generate("w.example").value();
  auto e = parse_witness_endpoint(k.verifier_key() + "@https://w.example/witness/").value();
  EXPECT_EQ(e.url, "https://w.example/witness");
  EXPECT_EQ(e.key.name(), "w.example");
  EXPECT_FALSE(parse_witness_endpoint(k.verifier_key()));
  EXPECT_FALSE(parse_witness_endpoint(k.verifier_key() + "@ftp://x"));
}

TEST(WitnessClient, LearnsTheWitnessSizeFromA409AndCosigns) {
  TestLog log("tallylog.example/ve2024", 50);
  RunningWitness w(log, "w1.example");
  {
    // Another client brought the witness to size 20 meanwhile.
    WitnessClient other(w.endpoint());
    ASSERT_TRUE(other.add_checkpoint(log.checkpoint(20), proofs(log)));
  }
  WitnessClient c(w.endpoint());
  auto line = c.add_checkpoint(log.checkpoint(50), proofs(log));
  ASSERT_TRUE(line) << line.error().to_string();
  EXPECT_EQ(c.known_size(), 50u);
  std::vector<note::CosignatureVerifier> ws = {w.key.verifier()};
  EXPECT_EQ(note::open_cosignatures(log.checkpoint(50) + *line, ws).value().size(), 1u);
  EXPECT_EQ(w.state->get("tallylog.example/ve2024")->size, 50u);
}

TEST(WitnessClient, AWitnessThatCosignedOneHistoryRefusesTheOther) {
  TestLog log("tallylog.example/ve2024", 30);
  TestLog fork = log;  // same key, same first 29 entries, another 30th
  fork.leaves.resize(29);
  fork.grow(1, "forged ");
  RunningWitness w(log, "w1.example");
  WitnessClient honest(w.endpoint());
  ASSERT_TRUE(honest.add_checkpoint(log.checkpoint(30), proofs(log)));
  WitnessClient forked(w.endpoint());
  auto r = forked.add_checkpoint(fork.checkpoint(30), proofs(fork));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kVerificationFailed);
  EXPECT_NE(r.error().message.find("conflict"), std::string::npos) << r.error().message;
}

TEST(Collector, PublishesWithTheCosignaturesThatArrivedAndReportsTheShortfall) {
  TestLog log("tallylog.example/ve2024", 40);
  RunningWitness w1(log, "w1.example");
  uint16_t dead_port;
  {
    http::Server gone(local(), [](const http::Request&) { return http::Response::text(200, ""); });
    ASSERT_TRUE(gone.start());
    dead_port = gone.port();
  }
  auto dead_key = note::Cosigner::generate("w2.example").value();
  auto dead = parse_witness_endpoint(dead_key.verifier_key() + "@http://127.0.0.1:" + std::to_string(dead_port)).value();
  CollectorOptions o;
  o.quorum = 2;
  o.deadline = std::chrono::milliseconds(5000);
  Collector c({w1.endpoint(), dead}, o);
  auto pf = proofs(log);
  std::string out = c.cosign(log.checkpoint(10), pf);
  out = c.cosign(log.checkpoint(40), pf);
  std::vector<note::CosignatureVerifier> ws = {w1.key.verifier(), dead_key.verifier()};
  auto got = note::open_cosignatures(out, ws).value();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].name, "w1.example");
  // The log's own signature is still there.
  EXPECT_TRUE(note::open_checkpoint(out, log.key.verifier()));
  auto s = c.status();
  EXPECT_EQ(s.checkpoint_size, 40u);
  EXPECT_EQ(s.checkpoint_cosignatures, 1u);
  EXPECT_FALSE(s.quorum_met);
  EXPECT_EQ(s.checkpoints_short, 2u);
  ASSERT_EQ(s.witnesses.size(), 2u);
  EXPECT_EQ(s.witnesses[0].cosigned_size, 40u);
  EXPECT_TRUE(s.witnesses[0].last_error.empty());
  EXPECT_EQ(s.witnesses[1].consecutive_failures, 2u);
  EXPECT_NE(s.witnesses[1].last_error.find("127.0.0.1:" + std::to_string(dead_port)), std::string::npos);
  EXPECT_NE(c.status_json().find("\"quorum_met\":false"), std::string::npos);
}

TEST(Collector, ASlowWitnessNeverHoldsThePublisherBeyondTheDeadline) {
  TestLog log("tallylog.example/ve2024", 10);
  // A witness that does not answer until released.
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  http::Server slow(local(), [&](const http::Request&) {
    std::unique_lock l(mu);
    cv.wait(l, [&] { return release; });
    return http::Response::text(503, "late\n");
  });
  ASSERT_TRUE(slow.start());
  auto key = note::Cosigner::generate("slow.example").value();
  CollectorOptions o;
  o.deadline = std::chrono::milliseconds(100);
  o.quorum = 1;
  auto pf = proofs(log);
  {
    Collector c({parse_witness_endpoint(key.verifier_key() + "@http://127.0.0.1:" + std::to_string(slow.port())).value()}, o);
    std::string out = c.cosign(log.checkpoint(10), pf);
    EXPECT_EQ(out, log.checkpoint(10));  // published without it
    // Still busy with the first checkpoint: skipped for the next one.
    out = c.cosign(log.checkpoint(10), pf);
    EXPECT_EQ(c.status().witnesses[0].last_error, "still answering an earlier checkpoint");
    {
      std::lock_guard l(mu);
      release = true;
    }
    cv.notify_all();
  }
}

}  // namespace
}  // namespace tallylog::witness
