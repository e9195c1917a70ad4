// Election forensics on 100,000 tables (issue 12): every test of forensics::analyse — fingerprint,
// integer percentages with the Monte Carlo p-value over 1,000 resamples (turnout and leader's
// share, nationally and for 85 areas), Shpilkin's estimate, last- and second-digit tests — from a
// built Sample (what `tallylog forensics` runs after tabulating), single-threaded and on every core.
// Target: < 2 s. The alternative a user would write — drawing each table's binomial count in every
// resample (std::binomial_distribution) — is timed per resample and scaled to 1,000 resamples.
// Run: build-*/bench/forensics_benchmark (or bench/run.sh).
#include <benchmark/benchmark.h>

#include <random>
#include <thread>

#include "tallylog/forensics/forensics.h"

namespace tallylog::forensics {
namespace {

constexpr size_t kTables = 100'000;

const Sample& sample() {
  static const Sample* s = [] {
    auto* out = new Sample;
    out->candidates = {"A", "B", "C", "D", "E", "F", "G", "H"};
    for (int g = 0; g < 85; ++g) {
      out->group_codes.push_back("R" + std::to_string(g));
      out->group_names.push_back("Region " + std::to_string(g));
    }
    std::mt19937_64 rng(42);
    std::normal_distribution<double> turnout(0.65, 0.1), share(0.7, 0.08);
    std::uniform_int_distribution<uint32_t> size(200, 3000);
    std::vector<uint32_t> v(8);
    for (size_t t = 0; t < kTables; ++t) {
      const uint32_t reg = size(rng);
      const uint32_t cast = std::binomial_distribution<uint32_t>(reg, std::clamp(turnout(rng), 0.05, 1.0))(rng);
      uint32_t left = cast;
      v[0] = std::binomial_distribution<uint32_t>(left, std::clamp(share(rng), 0.05, 0.99))(rng);
      left -= v[0];
      for (size_t c = 1; c < 8; ++c) {
        v[c] = c == 7 ? left : std::binomial_distribution<uint32_t>(left, 0.4)(rng);
        left -= v[c];
      }
      out->add(reg, cast, v.data(), uint32_t(t % 85));
    }
    out->choose_leader();
    return out;
  }();
  return *s;
}

void BM_AllForensics(benchmark::State& state) {
  const Sample& s = sample();
  Options o;
  o.resamples = 1000;
  o.threads = unsigned(state.range(0));
  for (auto _ : state) {
    Report r = analyse(s, o);
    benchmark::DoNotOptimize(r.integer_turnout.p_value);
  }
  state.counters["tables"] = double(s.tables());
  state.counters["resamples"] = 1000;
  state.counters["threads"] = double(o.threads);
}
BENCHMARK(BM_AllForensics)->Arg(1)->Arg(std::max(1u, std::thread::hardware_concurrency()))->Unit(benchmark::kMillisecond)->UseRealTime();

// The naive alternative: one resample = a binomial draw per table for turnout and for the
// leader's share, then the round-percentage test. Reported per resample; x1,000 for the figure.
void BM_NaiveBinomialResample(benchmark::State& state) {
  const Sample& s = sample();
  std::mt19937_64 rng(1);
  for (auto _ : state) {
    uint64_t hits = 0;
    for (size_t t = 0; t < s.tables(); ++t) {
      if (s.registered[t] >= 100) {
        const uint32_t k = std::binomial_distribution<uint32_t>(s.registered[t], double(s.cast[t]) / s.registered[t])(rng);
        hits += at_round_percent(k, s.registered[t]);
      }
      if (s.cast[t] >= 100) {
        const uint32_t k = std::binomial_distribution<uint32_t>(s.cast[t], double(s.leader_votes(t)) / s.cast[t])(rng);
        hits += at_round_percent(k, s.cast[t]);
      }
    }
    benchmark::DoNotOptimize(hits);
  }
  state.counters["tables"] = double(s.tables());
}
BENCHMARK(BM_NaiveBinomialResample)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace tallylog::forensics

BENCHMARK_MAIN();
