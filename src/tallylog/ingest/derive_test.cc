#include "tallylog/ingest/derive.h"

#include <gtest/gtest.h>

#include <map>
#include <tuple>
#include <random>

#include "tallylog/base/testing.h"
#include "tallylog/election/entry.h"
#include "tallylog/index/open.h"
#include "tallylog/tally/format.h"
#include "tallylog/tally/from_index.h"

namespace tallylog::ingest {
namespace {

// Levels state > centre > table; candidates A, B; fields valid, null; two prefix sources.
election::Election test_election() {
  election::Election e;
  e.id = "derive";
  e.name = "Derive test";
  e.date = "2024-01-01";
  e.contest = "test";
  e.levels = {{"state", "State"}, {"centre", "Centre"}, {"table", "Table"}};
  e.candidates = {{"A", "Ann", ""}, {"B", "Bob", ""}};
  e.fields = {"valid", "null"};
  e.sources = {"official", "witness:*", "observer:*"};
  return e;
}

election::Station station(int n) {
  election::Station s;
  s.code = "T" + std::to_string(n);
  const std::string centre = "C" + std::to_string(n / 3), state = "S" + std::to_string(n / 6);
  // Names differ per station: an area is named by its first station in code order.
  s.areas = {{state, "State " + std::to_string(n)}, {centre, "Centre " + std::to_string(n)}, {s.code, "Table"}};
  s.registered = 100 + static_cast<uint64_t>(n);
  return s;
}

// A random log the ingestor could have written, plus what it never writes: sheets for unknown
// stations, corrections the rule refuses, duplicates, raw lines.
std::vector<std::string> random_log(uint32_t seed, int stations, int sheets) {
  std::mt19937 rng(seed);
  std::vector<std::string> entries = {election::encode_entry(test_election())};
  std::vector<int> order(stations);
  for (int i = 0; i < stations; ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), rng);  // registered in any order
  for (int n : order) entries.push_back(election::encode_entry(station(n)));
  const std::vector<std::string> sources = {"official", "witness:a", "witness:b", "observer:x", "qr"};
  std::vector<std::pair<uint64_t, election::Sheet>> logged;
  for (int i = 0; i < sheets; ++i) {
    election::Sheet s;
    s.station = "T" + std::to_string(rng() % (stations + 1));  // sometimes an unknown station
    s.source = sources[rng() % sources.size()];
    const int64_t a = rng() % 3, b = rng() % 3;
    s.candidates = {{"A", a}, {"B", b}};
    s.fields = {{"valid", a + b}, {"null", static_cast<int64_t>(rng() % 2)}};
    s.submitted_at = "2024-01-01T00:00:00Z";
    if (!logged.empty() && rng() % 4 == 0) {
      const auto& [at, target] = logged[rng() % logged.size()];
      s.supersedes = at;
      if (rng() % 3) {  // usually a correction the rule allows (or not, if already superseded)
        s.station = target.station;
        s.source = target.source;
      }
    }
    if (!logged.empty() && rng() % 10 == 0) s = logged[rng() % logged.size()].second;  // a duplicate
    if (rng() % 40 == 0) {
      entries.push_back("raw line " + std::to_string(i));
      continue;
    }
    logged.emplace_back(entries.size(), s);
    entries.push_back(election::encode_entry(s));
  }
  return entries;
}

// Applies `entries` to a new index at `url` in transactions of random sizes.
std::unique_ptr<index::Index> derive(const std::string& url, const std::vector<std::string>& entries, uint32_t seed) {
  std::mt19937 rng(seed);
  auto idx = index::open_index(url).value();
  Deriver d;
  size_t i = 0;
  while (i < entries.size()) {
    const size_t end = std::min(entries.size(), i + 1 + rng() % 40);
    auto tx = idx->begin().value();
    for (; i < end; ++i) EXPECT_TRUE(d.apply_entry(*tx, entries[i]));
    EXPECT_TRUE(d.finish(*tx));
    EXPECT_TRUE(tx->commit());
  }
  return idx;
}

// Naive national totals of one rule straight from the log: for each table, the current sheets
// of matching sources (corrections applied as the rule allows); counted if they all agree.
struct Naive {
  int64_t reported = 0, conflicted = 0, covered = 0, a = 0, b = 0, valid = 0, null = 0;
};
Naive naive_national(const std::vector<std::string>& entries, const tally::SourceRule& rule) {
  std::map<std::string, uint64_t> registered;
  std::map<uint64_t, election::Sheet> current;
  std::map<uint64_t, election::Sheet> all;
  for (uint64_t at = 0; at < entries.size(); ++at) {
    auto e = election::decode_entry(entries[at]);
    if (!e) continue;
    if (auto* st = std::get_if<election::Station>(&e->record)) registered[st->code] = st->registered.value_or(0);
    if (auto* s = std::get_if<election::Sheet>(&e->record)) {
      if (s->supersedes) {
        auto it = current.find(*s->supersedes);
        if (it != current.end() && it->second.station == s->station && it->second.source == s->source)
          current.erase(it);
      }
      current[at] = *s;
      all[at] = *s;
    }
  }
  std::map<std::string, std::vector<const election::Sheet*>> by_table;
  for (const auto& [at, s] : current) {
    if (rule.matches(s.source) && registered.contains(s.station)) by_table[s.station].push_back(&s);
  }
  Naive n;
  for (const auto& [table, sheets] : by_table) {
    bool agree = true;
    for (const auto* s : sheets) agree &= s->candidates == sheets[0]->candidates && s->fields == sheets[0]->fields;
    if (!agree) {
      ++n.conflicted;
      continue;
    }
    ++n.reported;
    n.covered += static_cast<int64_t>(registered[table]);
    n.a += sheets[0]->candidates.at("A");
    n.b += sheets[0]->candidates.at("B");
    n.valid += sheets[0]->fields.at("valid");
    n.null += sheets[0]->fields.at("null");
  }
  return n;
}

// The per-area totals the deriver keeps equal a tabulation of every current sheet, at every
// level and for every rule, on random logs; both equal a naive count from the log; the SQLite and
// the in-memory backend store exactly the same rows; how the log was cut into transactions does
// not matter (reindex in one go = the ingestor's batches).
TEST(Deriver, StoredTotalsEqualATabulationAndANaiveCountAndEveryBackendStoresTheSame) {
  for (uint32_t seed = 1; seed <= 12; ++seed) {
    testing::TempDir dir;
    const auto entries = random_log(seed, 18, 120);
    auto sqlite = derive(dir.path(), entries, seed);
    auto memory = derive("memory:", entries, seed * 7);
    const std::string dump = sqlite->dump().value();
    ASSERT_EQ(memory->dump().value(), dump) << "seed " << seed;
    {
      auto whole = index::open_index("memory:").value();
      Deriver d;
      auto tx = whole->begin().value();
      for (const auto& e : entries) ASSERT_TRUE(d.apply_entry(*tx, e));
      ASSERT_TRUE(d.finish(*tx));
      ASSERT_TRUE(tx->commit());
      ASSERT_EQ(whole->dump().value(), dump) << "seed " << seed;
    }
    ASSERT_EQ(sqlite->aggregates_state().value(), "") << "seed " << seed;
    auto geo = tally::geography_from_index(*sqlite).value();
    {
      // From the stored rows, the same geography as from the station records.
      std::vector<election::Station> stations;
      ASSERT_TRUE(sqlite->for_each_station([&](const election::Station& s) { stations.push_back(s); }));
      auto legacy = tally::Geography::build(test_election(), stations).value();
      ASSERT_EQ(geo->area_count(), legacy->area_count());
      ASSERT_EQ(geo->table_count(), legacy->table_count());
      for (tally::AreaId a = 0; a < geo->area_count(); ++a) {
        const auto &x = geo->area(a), &y = legacy->area(a);
        ASSERT_EQ(std::tie(x.code, x.name, x.parent, x.depth, x.tables_registered, x.registered_voters),
                  std::tie(y.code, y.name, y.parent, y.depth, y.tables_registered, y.registered_voters))
            << "seed " << seed << " area " << a;
      }
    }
    for (std::string text : {"*", "official", "witness:*", "witness:a", "observer:*", "qr", "nobody"}) {
      const auto rule = *tally::SourceRule::parse(text);
      auto tab = tally::tabulate_index(*sqlite, geo, rule).value();
      for (int depth = 0; depth < geo->table_depth(); ++depth) {
        auto upper = tally::upper_geography_from_index(*sqlite, depth).value();
        ASSERT_TRUE(upper);
        auto stored = tally::stored_tally(*sqlite, *upper, rule).value();
        ASSERT_TRUE(stored) << text;
        ASSERT_EQ(tally::tally_to_json(*stored, depth), tally::tally_to_json(tab, depth))
            << "seed " << seed << " rule " << text << " depth " << depth;
      }
      const Naive n = naive_national(entries, rule);
      const auto t = tab.totals(0);
      EXPECT_EQ(t.tables_reported, n.reported) << "seed " << seed << " " << text;
      EXPECT_EQ(t.tables_conflicted, n.conflicted);
      EXPECT_EQ(t.registered_covered, n.covered);
      EXPECT_EQ(t.candidates, (std::vector<int64_t>{n.a, n.b}));
      EXPECT_EQ(t.fields, (std::vector<int64_t>{n.valid, n.null}));
    }
  }
}

// skip_area_totals() (the audit's private index): no area totals are stored, and what is read
// per sheet — the geography and every rule's tabulation — is the same as with them.
TEST(Deriver, WithoutAreaTotalsTheGeographyAndTabulationsAreTheSame) {
  for (uint32_t seed = 1; seed <= 6; ++seed) {
    const auto entries = random_log(seed, 18, 120);
    auto apply = [&](bool totals) {
      auto idx = index::open_index("memory:").value();
      Deriver d;
      if (!totals) d.skip_area_totals();
      auto tx = idx->begin().value();
      for (const auto& e : entries) EXPECT_TRUE(d.apply_entry(*tx, e));
      EXPECT_TRUE(d.finish(*tx));
      EXPECT_TRUE(tx->commit());
      return idx;
    };
    auto full = apply(true);
    auto bare = apply(false);
    ASSERT_EQ(bare->aggregates_state().value(), "");
    const auto rules = bare->rules().value();
    ASSERT_FALSE(rules.empty());
    size_t full_rows = 0, bare_rows = 0;
    for (uint32_t r = 0; r < rules.size(); ++r) {
      ASSERT_TRUE(full->for_each_area_totals(r, INT32_MAX, [&](uint32_t, std::string_view) { ++full_rows; }));
      ASSERT_TRUE(bare->for_each_area_totals(r, INT32_MAX, [&](uint32_t, std::string_view) { ++bare_rows; }));
    }
    EXPECT_GT(full_rows, 0u);
    EXPECT_EQ(bare_rows, 0u) << "seed " << seed;
    auto geo_full = tally::geography_from_index(*full).value();
    auto geo_bare = tally::geography_from_index(*bare).value();
    ASSERT_EQ(geo_bare->area_count(), geo_full->area_count());
    for (std::string text : {"*", "official", "witness:*", "witness:a", "observer:*", "qr", "nobody"}) {
      const auto rule = *tally::SourceRule::parse(text);
      auto a = tally::tabulate_index(*full, geo_full, rule).value();
      auto b = tally::tabulate_index(*bare, geo_bare, rule).value();
      for (int depth = 0; depth <= geo_full->table_depth(); ++depth) {
        ASSERT_EQ(tally::tally_to_json(b, depth), tally::tally_to_json(a, depth))
            << "seed " << seed << " rule " << text << " depth " << depth;
      }
    }
  }
}

// What the ingestor never writes makes the stored totals inexact, with the reason; tallies then
// come from the per-sheet counts and reindex reaches the same state.
TEST(Deriver, AStationRegisteredTwiceOrAfterItsSheetsMakesTheStoredTotalsInexact) {
  std::vector<std::string> twice = {election::encode_entry(test_election()), election::encode_entry(station(1)),
                                    election::encode_entry(station(1))};
  auto a = derive("memory:", twice, 1);
  EXPECT_EQ(a->aggregates_state().value(), "station T1 is registered twice in the log");
  election::Sheet s;
  s.station = "T2";
  s.source = "official";
  s.candidates = {{"A", 1}, {"B", 1}};
  s.fields = {{"valid", 2}, {"null", 0}};
  s.submitted_at = "2024-01-01T00:00:00Z";
  std::vector<std::string> late = {election::encode_entry(test_election()), election::encode_entry(s),
                                   election::encode_entry(station(2))};
  auto b = derive("memory:", late, 1);
  EXPECT_EQ(b->aggregates_state().value(), "station T2 is registered after sheets for it");
  // Tabulating the counts still places the sheet, as a tally over the registry always did.
  auto geo = tally::geography_from_index(*b).value();
  auto tab = tally::tabulate_index(*b, geo, {}).value();
  EXPECT_EQ(tab.totals(0).tables_reported, 1);
  EXPECT_EQ(tab.unplaced_sheets(), 0u);
}

}  // namespace
}  // namespace tallylog::ingest
