#include "tallylog/witness/hook.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "tallylog/base/testing.h"
#include "tallylog/log/log.h"
#include "tallylog/note/checkpoint.h"
#include "tallylog/witness/server.h"

namespace tallylog::witness {
namespace {

namespace fs = std::filesystem;

// A real witness following one log key, on 127.0.0.1.
struct LocalWitness {
  tallylog::testing::TempDir dir;
  note::Cosigner key = note::Cosigner::generate("witness.test/w1").value();
  std::unique_ptr<WitnessState> state = WitnessState::open(Env::posix(), dir.path()).value();
  std::unique_ptr<Witness> witness;
  std::unique_ptr<http::Server> server;
  explicit LocalWitness(const std::string& log_vkey) {
    witness = std::make_unique<Witness>(key, std::vector<note::Verifier>{note::Verifier::parse(log_vkey).value()}, *state,
                                        Clock::real());
    http::ServerOptions o;
    o.host = "127.0.0.1";
    o.port = 0;
    o.io_threads = 1;
    server = std::make_unique<http::Server>(o, witness_handler(*witness, *state), witness_body_limit());
    EXPECT_TRUE(server->start());
  }
  WitnessEndpoint endpoint() {
    return parse_witness_endpoint(key.verifier_key() + "@http://127.0.0.1:" + std::to_string(server->port())).value();
  }
};

std::shared_ptr<Collector> collector_for(LocalWitness& w) {
  CollectorOptions co;
  co.quorum = 1;
  co.deadline = std::chrono::milliseconds(10000);
  return std::make_shared<Collector>(std::vector<WitnessEndpoint>{w.endpoint()}, co);
}

log::OpenOptions with_hook(const std::shared_ptr<Collector>& c, const std::string& data) {
  log::OpenOptions o;
  o.cosign = make_cosign_hook(c, data + "/log");
  o.cosign_deadline = std::chrono::milliseconds(15000);
  o.checkpoint_interval = std::chrono::milliseconds(0);
  return o;
}

void append(log::Log& log, int n, const std::string& prefix) {
  for (int i = 0; i < n; ++i) {
    std::vector<std::string> batch(37, prefix + std::to_string(i));
    ASSERT_TRUE(log.append_batch(batch));
  }
}

TEST(CosignHook, EveryPublishedCheckpointCarriesTheWitnessCosignature) {
  tallylog::testing::TempDir tmp;
  std::string data = tmp.file("data");
  std::string vkey;
  {
    auto log = log::Log::create(data, {.origin = "tallylog.test/hook"}).value();
    vkey = log->verifier_key();
    ASSERT_TRUE(log->close());
  }
  LocalWitness w(vkey);
  auto c = collector_for(w);
  auto log = log::Log::open(data, with_hook(c, data)).value();
  append(*log, 10, "entry ");  // several checkpoints: each needs a proof from the last cosigned size
  ASSERT_TRUE(log->await_checkpoint(log->sequenced_size()));
  std::string cp = log->checkpoint().value();
  std::vector<note::CosignatureVerifier> ws = {w.key.verifier()};
  auto cosigs = note::open_cosignatures(cp, ws).value();
  ASSERT_EQ(cosigs.size(), 1u) << cp;
  EXPECT_EQ(w.state->get("tallylog.test/hook")->size, log->size());
  EXPECT_TRUE(c->status().quorum_met);
  // What is on disk is what readers get: the same cosigned note.
  EXPECT_EQ(Env::posix().read_file(data + "/log/checkpoint").value(), cp);
  ASSERT_TRUE(log->close());
}

TEST(CosignHook, AWitnessThatCosignedOneHistoryRefusesTheOtherAndTheShortfallShows) {
  tallylog::testing::TempDir tmp;
  std::string one = tmp.file("one"), two = tmp.file("two");
  std::string vkey;
  {
    auto log = log::Log::create(one, {.origin = "tallylog.test/hook"}).value();
    vkey = log->verifier_key();
    ASSERT_TRUE(log->append("entry 0"));
    ASSERT_TRUE(log->close());
  }
  fs::copy(one, two, fs::copy_options::recursive);
  fs::remove(two + "/lock");
  LocalWitness w(vkey);
  {
    auto c = collector_for(w);
    auto log = log::Log::open(one, with_hook(c, one)).value();
    ASSERT_TRUE(log->append("sheet A"));
    ASSERT_TRUE(log->await_checkpoint(log->sequenced_size()));
    std::vector<note::CosignatureVerifier> ws = {w.key.verifier()};
    EXPECT_EQ(note::open_cosignatures(log->checkpoint().value(), ws).value().size(), 1u);
    ASSERT_TRUE(log->close());
  }
  auto c = collector_for(w);
  auto log = log::Log::open(two, with_hook(c, two)).value();
  ASSERT_TRUE(log->append("sheet B"));
  ASSERT_TRUE(log->await_checkpoint(log->sequenced_size()));
  std::vector<note::CosignatureVerifier> ws = {w.key.verifier()};
  EXPECT_TRUE(note::open_cosignatures(log->checkpoint().value(), ws).value().empty());  // published without it
  auto s = c->status();
  EXPECT_FALSE(s.quorum_met);
  EXPECT_NE(s.witnesses.at(0).last_error.find("conflict"), std::string::npos) << s.witnesses.at(0).last_error;
  ASSERT_TRUE(log->close());
}

}  // namespace
}  // namespace tallylog::witness
