// Tabulation performance on a synthetic election the size of a large country: 1,000,000 tables
// (5 per centre, ~182 centres per parish, 3 parishes per municipality, 16 municipalities per
// state), 40 party cards for 10 candidates, fields valid and null. Targets (issue 5):
//   full tally at every level < 1 s   -> BM_FullTally (streams 1M sheets, then totals)
//   one incremental update < 10 us    -> BM_IncrementalNewSheet, BM_IncrementalCorrection
// Run: build-*/bench/tally_benchmark (or bench/run.sh).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "tallylog/tally/format.h"
#include "tallylog/tally/tabulation.h"

namespace tallylog::tally {
namespace {

constexpr size_t kTables = 1'000'000;
constexpr size_t kCards = 40;
constexpr size_t kCandidates = 10;
constexpr size_t kTemplates = 1024;

struct Synthetic {
  std::shared_ptr<const Geography> geo;
  std::vector<std::string> tables;
  std::vector<index::SheetRecord> templates;  // distinct counts, reused across tables
};

std::string code(const char* prefix, size_t n, int width) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%s%0*zu", prefix, width, n);
  return buf;
}

const Synthetic& synthetic() {
  static const Synthetic* s = [] {
    auto* out = new Synthetic;
    election::Election e;
    e.id = "synthetic";
    e.name = "Synthetic 1M";
    e.levels = {{"state", "State"}, {"municipality", "Municipality"}, {"parish", "Parish"}, {"centre", "Centre"},
                {"table", "Table"}};
    for (size_t c = 0; c < kCandidates; ++c) e.candidates.push_back({code("K", c, 2), "Candidate " + std::to_string(c), ""});
    for (size_t k = 0; k < kCards; ++k) e.cards.push_back({int(k + 1), code("P", k, 2), e.candidates[k % kCandidates].code});
    e.fields = {"valid", "null"};
    // The figures as elections/ve2024/election.toml declares them: reports print numbers, not
    // the reasons an undeclared figure is unknown (which no real election's report repeats per area).
    e.figures.valid = "valid";
    e.figures.invalid = "null";
    e.figures.cast = "valid + null";
    std::vector<election::Station> stations;
    stations.reserve(kTables);
    for (size_t i = 0; i < kTables; ++i) {
      const size_t centre = i / 5, parish = centre / 182, muni = parish / 3, state = muni / 16;
      election::Station st;
      st.code = code("C", centre, 6) + "." + code("", i % 5, 2);
      st.areas = {{code("S", state, 2), "State"},
                  {code("M", muni, 4), "Municipality"},
                  {code("P", parish, 5), "Parish"},
                  {code("C", centre, 6), "Centre"},
                  {st.code, "Table"}};
      st.registered = 700 + i % 300;
      out->tables.push_back(st.code);
      stations.push_back(std::move(st));
    }
    out->geo = *Geography::build(e, stations);
    std::mt19937 rng(1);
    for (size_t t = 0; t < kTemplates; ++t) {
      index::SheetRecord r;
      r.sheet.source = "official";
      r.sheet.cards.resize(kCards);
      int64_t valid = 0;
      for (size_t k = 0; k < kCards; ++k) {
        r.sheet.cards[k] = rng() % 30;
        r.sheet.candidates[e.cards[k].candidate] += r.sheet.cards[k];
        valid += r.sheet.cards[k];
      }
      r.sheet.fields = {{"valid", valid}, {"null", int64_t(rng() % 10)}};
      out->templates.push_back(std::move(r));
    }
    return out;
  }();
  return *s;
}

// Streams one sheet per table (as the CLI streams them from the index, ordered by station, or
// in `order`) and totals every level.
Tabulation full_tally(const Synthetic& s, size_t tables, const std::vector<uint32_t>* order = nullptr) {
  Tabulation tab(s.geo, {});
  index::SheetRecord r;
  for (size_t n = 0; n < tables; ++n) {
    const size_t i = order ? (*order)[n] : n;
    const index::SheetRecord& tmpl = s.templates[i % kTemplates];
    r.sheet.cards = tmpl.sheet.cards;
    r.sheet.candidates = tmpl.sheet.candidates;
    r.sheet.fields = tmpl.sheet.fields;
    r.sheet.source = tmpl.sheet.source;
    r.sheet.station = s.tables[i];
    r.log_index = i + 1;
    if (!tab.add_deferred(r)) std::abort();
  }
  tab.recompute_totals();
  return tab;
}

void BM_GeographyBuild(benchmark::State& state) {
  const Synthetic& s = synthetic();  // built once; report its size
  for (auto _ : state) benchmark::DoNotOptimize(s.geo->area_count());
  state.counters["areas"] = static_cast<double>(s.geo->area_count());
  state.counters["tables"] = static_cast<double>(s.geo->table_count());
}
BENCHMARK(BM_GeographyBuild)->Iterations(1);

void BM_FullTally(benchmark::State& state) {
  const Synthetic& s = synthetic();
  for (auto _ : state) {
    Tabulation tab = full_tally(s, kTables);
    benchmark::DoNotOptimize(tab.totals(0).candidates[0]);
  }
  state.counters["tables"] = kTables;
  state.counters["cards"] = kCards;
}
BENCHMARK(BM_FullTally)->Unit(benchmark::kMillisecond)->Iterations(3);

// The same with sheets in random station order (every station lookup goes to the hash index).
void BM_FullTallyShuffled(benchmark::State& state) {
  const Synthetic& s = synthetic();
  std::vector<uint32_t> order(kTables);
  for (uint32_t i = 0; i < kTables; ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), std::mt19937(5));
  for (auto _ : state) {
    Tabulation tab = full_tally(s, kTables, &order);
    benchmark::DoNotOptimize(tab.totals(0).candidates[0]);
  }
}
BENCHMARK(BM_FullTallyShuffled)->Unit(benchmark::kMillisecond)->Iterations(3);

void BM_RecomputeTotalsOnly(benchmark::State& state) {
  const Synthetic& s = synthetic();
  Tabulation tab = full_tally(s, kTables);
  for (auto _ : state) {
    tab.recompute_totals();
    benchmark::DoNotOptimize(tab.totals(0).candidates[0]);
  }
}
BENCHMARK(BM_RecomputeTotalsOnly)->Unit(benchmark::kMillisecond)->Iterations(5);

void BM_StateLevelJson(benchmark::State& state) {
  const Synthetic& s = synthetic();
  Tabulation tab = full_tally(s, kTables);
  for (auto _ : state) benchmark::DoNotOptimize(tally_to_json(tab, 1).size());
}
BENCHMARK(BM_StateLevelJson)->Unit(benchmark::kMicrosecond)->Iterations(20);

// Issue 9: the table-level answer (the largest the server formats and the audit re-formats), streamed
// to a sink in 1 MB pieces as the audit formats it; bytes_per_second is the formatting rate.
void BM_TableLevelJson(benchmark::State& state) {
  const Synthetic& s = synthetic();
  Tabulation tab = full_tally(s, kTables);
  const int depth = tab.geography().table_depth();
  size_t bytes = 0;
  for (auto _ : state) {
    size_t n = 0;
    tally_to_json(tab, depth, 42, [&](std::string_view piece) { n += piece.size(); });
    bytes += n;
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_TableLevelJson)->Unit(benchmark::kMillisecond)->Iterations(3);

// Issue 9: one source pair answered at every level (the 6 answers /api/v1/compare gives for it), each
// formatted; half the tables only on one side (the rest match). Arg 0: compare() per level (as
// before, and as the CLI's one answer); arg 1: compared once, summarized per level (the server and
// the audit since audit2).
void BM_ComparePairAllLevels(benchmark::State& state) {
  const Synthetic& s = synthetic();
  Tabulation a = full_tally(s, kTables);
  Tabulation b = full_tally(s, kTables / 2);
  const Geography& g = a.geography();
  size_t bytes = 0;
  auto sink = [&](std::string_view piece) { bytes += piece.size(); };
  for (auto _ : state) {
    if (state.range(0) == 0) {
      for (int d = 0; d <= g.table_depth(); ++d) compare_to_json(*compare(a, b, d), g, 42, sink);
      continue;
    }
    auto pair = compare_tables(a, b);
    const std::string head = compare_head_json(pair->tables, 42);
    for (int d = 0; d <= g.table_depth(); ++d) compare_to_json(head, d, *summarize_areas(*pair, d), g, sink);
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_ComparePairAllLevels)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->Iterations(2);

// A new sheet for a table not yet reported: tables [0, 900k) loaded, then one add() per
// iteration for the remaining ones.
void BM_IncrementalNewSheet(benchmark::State& state) {
  const Synthetic& s = synthetic();
  const size_t loaded = 900'000;
  Tabulation tab = full_tally(s, loaded);
  size_t i = loaded;
  index::SheetRecord r = s.templates[0];
  for (auto _ : state) {
    r.sheet.station = s.tables[i];
    r.log_index = 10'000'000 + i;
    if (!tab.add(r)) std::abort();
    ++i;
  }
  if (tab.totals(0).tables_reported != static_cast<int64_t>(i)) std::abort();
}
BENCHMARK(BM_IncrementalNewSheet)->Unit(benchmark::kMicrosecond)->Iterations(100'000);

// A correction: a sheet superseding the current sheet of a table (all 1M loaded), tables visited
// in a scattered order (stride coprime with 1M) so caches do not help; the new counts differ.
void BM_IncrementalCorrection(benchmark::State& state) {
  const Synthetic& s = synthetic();
  Tabulation tab = full_tally(s, kTables);
  std::vector<uint64_t> current(kTables);
  for (size_t i = 0; i < kTables; ++i) current[i] = i + 1;
  uint64_t next = 20'000'000;
  size_t t = 0;
  index::SheetRecord r = s.templates[1];
  for (auto _ : state) {
    t = (t + 7919) % kTables;
    r.sheet.station = s.tables[t];
    r.sheet.supersedes = current[t];
    r.log_index = current[t] = next++;
    if (!tab.add(r)) std::abort();
  }
  if (tab.totals(0).tables_reported != static_cast<int64_t>(kTables)) std::abort();
}
BENCHMARK(BM_IncrementalCorrection)->Unit(benchmark::kMicrosecond)->Iterations(100'000);

}  // namespace
}  // namespace tallylog::tally

BENCHMARK_MAIN();
