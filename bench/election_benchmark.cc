// Hot path of sheet ingest inside the election module: validate (normalise 38 cards into 10
// candidates, check every field and the arithmetic rules) and encode the canonical JSON entry of
// a Venezuela 2024 sheet, plus decoding it back. Run: build/bench/election_benchmark
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>

#include "tallylog/base/testing.h"
#include "tallylog/election/entry.h"
#include "tallylog/election/toml.h"
#include "tallylog/election/validate.h"

namespace {

using namespace tallylog::election;

const Validator& ve2024() {
  static const Validator* v = [] {
    auto e =
        load_election_toml(tallylog::testing::source_dir() + "/elections/ve2024/election.toml");
    if (!e) {
      std::fprintf(stderr, "%s\n", e.error().message.c_str());
      std::abort();
    }
    return new Validator(*Validator::create(*e));
  }();
  return *v;
}

Station station() {
  Station s;
  s.code = "240111018.01";
  s.areas = {{"24", "EDO. LA GUAIRA"},
             {"24.1", "MP. VARGAS"},
             {"240111", "PQ. CARABALLEDA"},
             {"240111018", ""},
             {s.code, "Mesa 1"}};
  s.registered = 900;
  return s;
}

// The acta of the data README: 38 card counts (valid = their sum, 536), null = 1.
Sheet sheet() {
  Sheet s;
  s.station = "240111018.01";
  s.source = "witness:convzla";
  s.cards = {154, 10, 2, 4, 10, 1, 0, 2, 12, 1, 0, 1, 10, 4, 0, 0,  0,   1, 0,
             1,   0,  0, 0, 0,  0, 0, 1, 0,  1, 0, 0, 0,  1, 9, 14, 294, 2, 1};
  int64_t total = 0;
  for (int64_t n : s.cards) total += n;
  s.fields = {{"valid", total}, {"null", 1}};
  s.qr_payload =
      "240111018.01.1.0001!154,10,2,4,10,1,0,2,12,1,0,1,10,4,0,0,0,1,0,1,0,0,0,0,0,0,1,0,1,0,0,0,1,"
      "9,14,294,2,1!1!0";
  s.image_sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
  s.submitted_by = "import";
  s.submitted_at = "2024-07-29T03:00:00Z";
  return s;
}

void BM_ValidateSheet38Cards(benchmark::State& state) {
  const Validator& v = ve2024();
  Station st = station();
  const Sheet proto = sheet();
  for (auto _ : state) {
    Sheet s = proto;
    auto r = v.validate_sheet(s, &st);
    if (r) state.SkipWithError(r->reason.c_str());
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ValidateSheet38Cards);

void BM_EncodeSheet38Cards(benchmark::State& state) {
  Sheet s = sheet();
  Station st = station();
  (void)ve2024().validate_sheet(s, &st);
  std::string buf;
  for (auto _ : state) {
    buf.clear();
    append_sheet_entry(s, buf);
    benchmark::DoNotOptimize(buf.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["bytes"] = static_cast<double>(buf.size());
}
BENCHMARK(BM_EncodeSheet38Cards);

// What ingest does per sheet: copy in, validate + normalise, encode, identity digest.
void BM_ValidateEncodeAndDigestSheet38Cards(benchmark::State& state) {
  const Validator& v = ve2024();
  Station st = station();
  const Sheet proto = sheet();
  std::string buf;
  for (auto _ : state) {
    Sheet s = proto;
    auto r = v.validate_sheet(s, &st);
    if (r) state.SkipWithError(r->reason.c_str());
    buf.clear();
    append_sheet_entry(s, buf);
    benchmark::DoNotOptimize(buf.data());
    benchmark::DoNotOptimize(sheet_identity_digest(s));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ValidateEncodeAndDigestSheet38Cards);

void BM_ValidateAndEncodeSheet38Cards(benchmark::State& state) {
  const Validator& v = ve2024();
  Station st = station();
  const Sheet proto = sheet();
  std::string buf;
  for (auto _ : state) {
    Sheet s = proto;
    auto r = v.validate_sheet(s, &st);
    if (r) state.SkipWithError(r->reason.c_str());
    buf.clear();
    append_sheet_entry(s, buf);
    benchmark::DoNotOptimize(buf.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ValidateAndEncodeSheet38Cards);

void BM_DecodeSheet38Cards(benchmark::State& state) {
  Sheet s = sheet();
  Station st = station();
  (void)ve2024().validate_sheet(s, &st);
  const std::string bytes = encode_entry(s);
  for (auto _ : state) {
    auto r = decode_entry(bytes);
    if (!r) state.SkipWithError(r.error().message.c_str());
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecodeSheet38Cards);

// A station entry (half of a national log: what reindex, catch-up and the audit's replay decode),
// by decode_entry's fast reader and, for the ratio, by the general JSON decoder it falls back on.
void BM_DecodeStation(benchmark::State& state) {
  const std::string bytes = encode_entry(station());
  for (auto _ : state) {
    auto r = state.range(0) ? internal::decode_entry_general(bytes) : decode_entry(bytes);
    if (!r) state.SkipWithError(r.error().message.c_str());
    benchmark::DoNotOptimize(r);
  }
  state.SetLabel(state.range(0) ? "general decoder" : "decode_entry (fast reader)");
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecodeStation)->Arg(0)->Arg(1);

}  // namespace

BENCHMARK_MAIN();
