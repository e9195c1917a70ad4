// How many checkpoints a witness cosigns per second, end to end: C2SP add-checkpoint requests over
// HTTP keep-alive from T logs at once (each its own growing tree, signed by its own key, with a
// consistency proof from the size the witness last cosigned), answered by `tallylog witness
// serve`'s code (http::Server + Witness) with every cosigned checkpoint fdatasync'd to its state
// journal before the answer, and each answer's cosignature verified by the client
// (WitnessClient). Compared in the same run with the same witness called in-process (no HTTP)
// and with one fdatasync per checkpoint (what the state would cost without group commit).
// Target (issue 9): >= 1,000 checkpoints/s. Plain main (prints its figures); not a Google
// Benchmark loop because every request depends on the previous one of its log.
//   witness_benchmark [checkpoints per log, default 400]
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "tallylog/base/testing.h"
#include "tallylog/http/server.h"
#include "tallylog/merkle/tree.h"
#include "tallylog/note/checkpoint.h"
#include "tallylog/note/cosignature.h"
#include "tallylog/witness/client.h"
#include "tallylog/witness/server.h"
#include "tallylog/witness/state.h"
#include "tallylog/witness/witness.h"

using namespace tallylog;
using Steady = std::chrono::steady_clock;

namespace {

// One log's sequence of checkpoints (sizes 1..n, one entry more each time) and proofs.
struct LogSeries {
  note::Signer key;
  std::vector<std::string> checkpoints;               // [k] = size k+1
  std::vector<std::vector<merkle::Hash>> proofs;      // [k] = from size k to k+1 (k >= 1)
  LogSeries(const std::string& origin, size_t n) : key(note::Signer::generate(origin).value()) {
    merkle::CompactRange range;
    std::vector<merkle::Hash> leaves;
    auto subtree = [&](unsigned level, uint64_t index) -> Result<merkle::Hash> {
      return merkle::root_of(std::span<const merkle::Hash>(leaves.data() + (index << level), size_t{1} << level));
    };
    for (size_t k = 0; k < n; ++k) {
      leaves.push_back(merkle::leaf_hash(origin + " entry " + std::to_string(k)));
      range.append(leaves.back());
      note::Checkpoint c{key.name(), leaves.size(), range.root(), {}};
      checkpoints.push_back(note::sign_checkpoint(c, key).value());
      proofs.push_back(k == 0 ? std::vector<merkle::Hash>{} : merkle::consistency_proof(k, k + 1, subtree).value());
    }
  }
};

double seconds(Steady::time_point a, Steady::time_point b) { return std::chrono::duration<double>(b - a).count(); }

}  // namespace

int main(int argc, char** argv) {
  const size_t per_log = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 400;
  std::printf("witness_benchmark: %zu checkpoints per log; every cosigned checkpoint durable before the answer\n", per_log);
  std::vector<std::unique_ptr<LogSeries>> logs;
  const size_t max_logs = 64;
  for (size_t i = 0; i < max_logs; ++i) logs.push_back(std::make_unique<LogSeries>("log" + std::to_string(i) + ".bench", per_log));
  std::vector<note::Verifier> keys;
  for (auto& l : logs) keys.push_back(l->key.verifier());
  auto cosigner = note::Cosigner::generate("witness.bench/w1").value();

  for (size_t concurrent : {1, 16, 64}) {
    tallylog::testing::TempDir dir;
    auto state = witness::WitnessState::open(Env::posix(), dir.path()).value();
    witness::Witness w(cosigner, keys, *state, tallylog::Clock::real());
    http::ServerOptions so;
    so.host = "127.0.0.1";
    so.port = 0;
    so.io_threads = 1;
    so.worker_threads = 96;
    http::Server server(so, witness::witness_handler(w, *state), witness::witness_body_limit());
    if (!server.start()) return 1;
    std::string url = "http://127.0.0.1:" + std::to_string(server.port());
    std::vector<std::thread> threads;
    std::atomic<uint64_t> failures{0};
    auto t0 = Steady::now();
    for (size_t t = 0; t < concurrent; ++t) {
      threads.emplace_back([&, t] {
        witness::WitnessClient client(witness::parse_witness_endpoint(cosigner.verifier_key() + "@" + url).value());
        const LogSeries& s = *logs[t];
        for (size_t k = 0; k < per_log; ++k) {
          witness::ConsistencyProofFn proof = [&](uint64_t from, uint64_t to) -> Result<std::vector<merkle::Hash>> {
            if (from + 1 == to) return s.proofs[to - 1];
            return err(ErrorCode::kInternal, "unexpected proof request");
          };
          if (!client.add_checkpoint(s.checkpoints[k], proof)) ++failures;
        }
      });
    }
    for (auto& th : threads) th.join();
    double secs = seconds(t0, Steady::now());
    uint64_t n = concurrent * per_log;
    std::printf("over HTTP, %2zu logs at once: %6llu checkpoints in %.2f s = %8.0f cosigned/s (%llu failed)\n", concurrent,
                static_cast<unsigned long long>(n), secs, n / secs, static_cast<unsigned long long>(failures.load()));
    server.shutdown();
  }

  // The same witness without HTTP, 64 logs from 64 threads (group commit), for the ratio.
  {
    tallylog::testing::TempDir dir;
    auto state = witness::WitnessState::open(Env::posix(), dir.path()).value();
    witness::Witness w(cosigner, keys, *state, tallylog::Clock::real());
    std::vector<std::thread> threads;
    auto t0 = Steady::now();
    for (size_t t = 0; t < max_logs; ++t) {
      threads.emplace_back([&, t] {
        const LogSeries& s = *logs[t];
        for (size_t k = 0; k < per_log; ++k) {
          (void)w.add_checkpoint(witness::format_add_checkpoint(k, s.proofs[k], s.checkpoints[k]));
        }
      });
    }
    for (auto& th : threads) th.join();
    double secs = seconds(t0, Steady::now());
    std::printf("in-process, 64 logs at once: %6zu checkpoints in %.2f s = %8.0f cosigned/s\n", max_logs * per_log, secs,
                max_logs * per_log / secs);
  }
  // What one fdatasync per checkpoint would allow (no group commit).
  {
    tallylog::testing::TempDir dir;
    int fd = ::open((dir.path() + "/f").c_str(), O_WRONLY | O_CREAT, 0644);
    auto t0 = Steady::now();
    const int n = 200;
    for (int i = 0; i < n; ++i) {
      if (::pwrite(fd, "x", 1, i) != 1 || ::fdatasync(fd) != 0) return 1;
    }
    double secs = seconds(t0, Steady::now());
    ::close(fd);
    std::printf("one fdatasync per checkpoint would allow at most %.0f/s on this disk\n", n / secs);
  }
  return 0;
}
