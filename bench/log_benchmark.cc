// Log benchmarks (issue 2): durable batched appends of 1 KiB entries (target >= 50,000/s),
// SHA-256 throughput of OpenSSL vs the log's hashing, and proof generation from tiles
// (target < 50 us median). Run: build/bench/log_benchmark [--benchmark_filter=...]
// Appends go to $TMPDIR (fsync'd for real).
#include <benchmark/benchmark.h>
#include <openssl/evp.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>

#include "tallylog/base/testing.h"
#include "tallylog/log/log.h"
#include "tallylog/merkle/hash.h"
#include "tallylog/merkle/tree.h"

namespace tallylog {
namespace {

std::string kilobyte_entry(uint64_t i) {
  std::string e(1024, 'x');
  std::string tag = std::to_string(i);
  std::copy(tag.begin(), tag.end(), e.begin());
  return e;
}

// Raw OpenSSL one-shot SHA-256 over buffers of the given size: the ceiling for hashing.
void BM_OpenSslSha256(benchmark::State& state) {
  std::string buf(static_cast<size_t>(state.range(0)), 'a');
  unsigned char out[32];
  EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  for (auto _ : state) {
    EVP_DigestInit_ex2(ctx, md, nullptr);
    EVP_DigestUpdate(ctx, buf.data(), buf.size());
    EVP_DigestFinal_ex(ctx, out, nullptr);
    benchmark::DoNotOptimize(out);
  }
  EVP_MD_CTX_free(ctx);
  EVP_MD_free(md);
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_OpenSslSha256)->Arg(65)->Arg(1025);

void BM_LeafHash1KiB(benchmark::State& state) {
  std::string e = kilobyte_entry(1);
  for (auto _ : state) benchmark::DoNotOptimize(merkle::leaf_hash(e));
  state.SetBytesProcessed(state.iterations() * 1025);
}
BENCHMARK(BM_LeafHash1KiB);

void BM_NodeHash(benchmark::State& state) {
  merkle::Hash a = merkle::leaf_hash("a"), b = merkle::leaf_hash("b");
  for (auto _ : state) {
    a = merkle::node_hash(a, b);
    benchmark::DoNotOptimize(a);
  }
  state.SetBytesProcessed(state.iterations() * 65);
}
BENCHMARK(BM_NodeHash);

// Durable appends: append_batch returns once the journal record is fdatasync'd; the background
// publisher integrates into tiles, makes them durable and signs checkpoints meanwhile. Each
// iteration appends 256 MiB (262,144 entries of 1 KiB) to a fresh log and ends with
// publish_now(), so the time covers every entry durable AND published in a signed checkpoint.
void BM_DurableAppend1KiB(benchmark::State& state) {
  const size_t batch = static_cast<size_t>(state.range(0));
  const size_t total = 262144;
  std::vector<std::string> entries;
  for (size_t i = 0; i < batch; ++i) entries.push_back(kilobyte_entry(i));
  for (auto _ : state) {
    state.PauseTiming();
    auto dir = std::make_unique<testing::TempDir>();
    auto log = log::Log::create(dir->path(), {.origin = "bench.example/log"}).value();
    state.ResumeTiming();
    for (size_t done = 0; done < total; done += batch) {
      auto r = log->append_batch(entries);
      if (!r) state.SkipWithError(r.error().to_string().c_str());
    }
    if (auto cp = log->publish_now(); !cp) state.SkipWithError(cp.error().to_string().c_str());
    state.PauseTiming();
    (void)log->close();
    log.reset();
    dir.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * total);
  state.SetBytesProcessed(state.iterations() * total * 1024);
  state.counters["entries/s"] = benchmark::Counter(static_cast<double>(state.iterations() * total), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_DurableAppend1KiB)->Arg(1024)->Arg(4096)->Arg(16384)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

// Many threads calling append() with one entry each: group commit shares the fsyncs. The time
// includes publishing the last checkpoint.
void BM_ConcurrentSingleAppends1KiB(benchmark::State& state) {
  testing::TempDir dir;
  auto log = log::Log::create(dir.path(), {.origin = "bench.example/log"}).value();
  const int threads = static_cast<int>(state.range(0));
  const int per_thread = 200;
  std::string e = kilobyte_entry(7);
  for (auto _ : state) {
    std::vector<std::thread> ts;
    for (int t = 0; t < threads; ++t) {
      ts.emplace_back([&] {
        for (int i = 0; i < per_thread; ++i) (void)log->append(e);
      });
    }
    for (auto& t : ts) t.join();
    (void)log->publish_now();  // every entry published, not only durable
  }
  state.counters["entries/s"] =
      benchmark::Counter(static_cast<double>(state.iterations() * threads * per_thread), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ConcurrentSingleAppends1KiB)->Arg(64)->Arg(256)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(2);

// Proofs from tiles of a 1,000,000-entry log (small entries; built once, tiles in page cache).
// Reports the median latency of single proofs at random indexes / sizes.
struct ProofFixture {
  testing::TempDir dir;
  std::unique_ptr<log::LogReader> reader;
  uint64_t size = 1000000;
  ProofFixture() {
    auto log = log::Log::create(dir.path(), {.origin = "bench.example/proofs"}).value();
    std::vector<std::string> batch;
    for (uint64_t i = 0; i < size; ++i) {
      batch.push_back("entry " + std::to_string(i));
      if (batch.size() == 50000) {
        (void)log->append_batch(batch);
        batch.clear();
      }
    }
    (void)log->close();
    reader = log::open_reader(dir.path()).value();
  }
};
ProofFixture& proof_fixture() {
  static auto* f = new ProofFixture;
  return *f;
}

template <typename Fn>
void median_latency(benchmark::State& state, Fn fn) {
  std::mt19937_64 rng(42);
  std::vector<double> us;
  for (auto _ : state) {
    auto t0 = std::chrono::steady_clock::now();
    fn(rng);
    us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(us.begin(), us.end());
  state.counters["median_us"] = us[us.size() / 2];
  state.counters["p99_us"] = us[us.size() * 99 / 100];
}

void BM_InclusionProofFromTiles(benchmark::State& state) {
  auto& f = proof_fixture();
  median_latency(state, [&](std::mt19937_64& rng) {
    uint64_t size = f.size - rng() % 1000;
    auto p = f.reader->inclusion_proof(rng() % size, size);
    if (!p) state.SkipWithError(p.error().to_string().c_str());
    benchmark::DoNotOptimize(p);
  });
}
BENCHMARK(BM_InclusionProofFromTiles)->Iterations(20000);

void BM_ConsistencyProofFromTiles(benchmark::State& state) {
  auto& f = proof_fixture();
  median_latency(state, [&](std::mt19937_64& rng) {
    uint64_t to = f.size - rng() % 1000;
    auto p = f.reader->consistency_proof(1 + rng() % to, to);
    if (!p) state.SkipWithError(p.error().to_string().c_str());
    benchmark::DoNotOptimize(p);
  });
}
BENCHMARK(BM_ConsistencyProofFromTiles)->Iterations(20000);

}  // namespace
}  // namespace tallylog

BENCHMARK_MAIN();
