#include "tallylog/index/ledger.h"

#include <gtest/gtest.h>

#include <random>

namespace tallylog::index {
namespace {

Digest digest(uint8_t b) {
  Digest d{};
  d.fill(b);
  return d;
}

SheetFacts facts(uint32_t source, uint8_t says, std::optional<uint64_t> supersedes = std::nullopt) {
  SheetFacts f;
  f.source = source;
  f.content = digest(says);
  f.identity = supersedes ? digest(static_cast<uint8_t>(says + 100)) : digest(says);
  f.supersedes = supersedes;
  return f;
}

TEST(SheetLedger, InternsStationsAndSourcesAndFindsThemAgain) {
  SheetLedger l;
  std::vector<std::string> codes;
  for (int i = 0; i < 5000; ++i) codes.push_back("010113042." + std::to_string(i));
  for (size_t i = 0; i < codes.size(); ++i) EXPECT_EQ(l.intern_station(codes[i]), i);
  for (size_t i = 0; i < codes.size(); ++i) {
    ASSERT_EQ(l.find_station(codes[i]), i);
    EXPECT_EQ(l.station_code(static_cast<SheetLedger::StationId>(i)), codes[i]);
  }
  EXPECT_FALSE(l.find_station("nope").has_value());
  EXPECT_EQ(l.intern_station(codes[42]), 42u);
  EXPECT_EQ(l.intern_source("official"), 0u);
  EXPECT_EQ(l.intern_source("witness:x"), 1u);
  EXPECT_EQ(l.intern_source("official"), 0u);
  EXPECT_EQ(l.find_source("witness:x"), 1u);
  l.set_registered(7, 350);
  EXPECT_TRUE(l.is_registered(7));
  EXPECT_FALSE(l.is_registered(8));
  EXPECT_EQ(l.registered_voters(7), 350u);
}

TEST(SheetLedger, AppliesDecisionsSoTheNextDecisionSeesThem) {
  SheetLedger l;
  auto t = l.intern_station("T1");
  auto d1 = l.decide(t, facts(0, 1));
  ASSERT_EQ(d1.verdict, SheetVerdict::kNew);
  l.apply(t, 10, facts(0, 1), d1);
  EXPECT_TRUE(l.has_current_sheet(t));
  auto d2 = l.decide(t, facts(0, 2));
  ASSERT_EQ(d2.verdict, SheetVerdict::kConflict);
  l.apply(t, 11, facts(0, 2), d2);
  auto sheets = l.sheets_of(t);
  ASSERT_EQ(sheets.size(), 2u);
  EXPECT_TRUE(sheets[0].conflicted);
  EXPECT_TRUE(sheets[1].conflicted);
  auto d3 = l.decide(t, facts(0, 1, 11));
  ASSERT_EQ(d3.verdict, SheetVerdict::kCorrection);
  l.apply(t, 12, facts(0, 1, 11), d3);
  sheets = l.sheets_of(t);
  ASSERT_EQ(sheets.size(), 3u);
  EXPECT_FALSE(sheets[0].conflicted);
  EXPECT_TRUE(sheets[1].superseded);
  EXPECT_FALSE(sheets[2].conflicted);
  EXPECT_EQ(sheets[2].content, digest(1));  // a correction keeps its own content digest
  EXPECT_EQ(l.decide(t, facts(0, 1)).verdict, SheetVerdict::kDuplicate);
}

// The ledger is only a store for the rule: a ledger loaded from what another one holds decides
// every later sheet exactly as the original does (the ingestor reloads its ledger at open).
TEST(SheetLedger, AReloadedLedgerDecidesLikeTheOriginalOnRandomSequences) {
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    std::mt19937 rng(seed);
    SheetLedger a, b;
    std::vector<std::string> stations = {"T1", "T2", "T3"};
    uint64_t at = 0;
    auto random_facts = [&] {
      auto f = facts(rng() % 2, static_cast<uint8_t>(rng() % 3));
      if (rng() % 4 == 0 && at > 0) f.supersedes = rng() % at;
      return f;
    };
    for (int i = 0; i < 60; ++i) {
      auto t = a.intern_station(stations[rng() % stations.size()]);
      auto f = random_facts();
      auto d = a.decide(t, f);
      if (d.logged()) a.apply(t, at++, f, d);
    }
    for (SheetLedger::StationId t = 0; t < a.station_count(); ++t) {
      auto id = b.intern_station(a.station_code(t));
      for (const LoggedSheet& s : a.sheets_of(t)) b.load_sheet(id, s);
    }
    for (int i = 0; i < 60; ++i) {
      const std::string& code = stations[rng() % stations.size()];
      auto f = random_facts();
      auto da = a.decide(*a.find_station(code), f);
      auto db = b.decide(*b.find_station(code), f);
      ASSERT_EQ(da.verdict, db.verdict) << "seed " << seed;
      ASSERT_EQ(da.conflicts_with, db.conflicts_with);
      ASSERT_EQ(da.changes.size(), db.changes.size());
      if (da.logged()) {
        a.apply(*a.find_station(code), at, f, da);
        b.apply(*b.find_station(code), at, f, db);
        ++at;
      }
    }
  }
}

}  // namespace
}  // namespace tallylog::index
