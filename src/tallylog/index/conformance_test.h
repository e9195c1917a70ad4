// The index conformance suite: what every backend must do with what it is told (it decides
// nothing: the rows written here are arbitrary, not what the verdict rule would produce). A
// backend runs it by defining a factory and instantiating the typed suite, e.g.
//
//   struct SqliteBackend {
//     // Opens the backend's store for `dir` (the same store again when called twice).
//     static Result<std::unique_ptr<Index>> open(const std::string& dir);
//   };
//   INSTANTIATE_TYPED_TEST_SUITE_P(Sqlite, IndexConformance, ::testing::Types<SqliteBackend>);
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <limits>
#include <string>
#include <thread>

#include "tallylog/base/testing.h"
#include "tallylog/election/entry.h"
#include "tallylog/index/area_row.h"
#include "tallylog/index/writer.h"

namespace tallylog::index::conformance {

inline election::Election test_election() {
  election::Election e;
  e.id = "t";
  e.name = "Test";
  e.date = "2024-01-01";
  e.contest = "president";
  e.levels = {{"state", "State"}, {"table", "Table"}};
  e.candidates = {{"A", "Ann", ""}, {"B", "Bob", ""}};
  e.fields = {"valid"};
  e.rules = {"valid == candidates"};
  e.sources = {"official", "witness:*"};
  return e;
}

inline StationRow station(const std::string& code, uint64_t registered, uint32_t parent = 1) {
  StationRow r;
  r.station = election::Station{code, {{"01", "One \"quoted\""}, {code, "T " + code}}, registered};
  r.parent = parent;
  return r;
}

inline election::Sheet sheet(const std::string& st, int64_t a, std::optional<uint64_t> supersedes = {},
                             const std::string& source = "official") {
  election::Sheet s;
  s.station = st;
  s.source = source;
  s.candidates = {{"A", a}, {"B", 1}};
  s.fields = {{"valid", a + 1}};
  s.submitted_at = "2024-01-01T00:00:00Z";
  s.supersedes = supersedes;
  return s;
}

// Stores `s` at the transaction's next index with the given standing (the rule is not consulted).
inline Status put_sheet(IndexTransaction& tx, const election::Sheet& s, bool conflicted = false,
                        std::optional<uint64_t> corrects = std::nullopt, std::string counts = "counts",
                        std::string counts_error = "") {
  const std::string entry = election::encode_entry(s);
  const std::string identity = election::sheet_identity_digest(s);
  SheetRow row;
  row.log_index = tx.next_index();
  row.station = s.station;
  row.source = s.source;
  row.identity = identity;
  row.content = identity;
  row.supersedes = s.supersedes;
  row.corrects = corrects;
  row.conflicted = conflicted;
  row.counts = counts;
  row.counts_error = counts_error;
  row.entry = entry;
  return tx.sheet(row);
}

template <typename Backend>
class IndexConformance : public ::testing::Test {
 protected:
  std::unique_ptr<Index> open() {
    auto r = Backend::open(dir.path());
    EXPECT_TRUE(r.has_value()) << r.error().to_string();
    return std::move(*r);
  }
  // Entries 0..7: election, two stations, four sheets (3 and 4 conflicting, 6 correcting 5), a skip.
  void write_sample(Index& idx) {
    auto tx = idx.begin().value();
    auto e = test_election();
    ASSERT_TRUE(tx->election(e, election::encode_entry(e)));
    ASSERT_TRUE(tx->station(station("01.1", 100)));
    ASSERT_TRUE(tx->station(station("01.2", 200)));
    ASSERT_TRUE(put_sheet(*tx, sheet("01.1", 5), true));
    ASSERT_TRUE(put_sheet(*tx, sheet("01.1", 6), true));
    ASSERT_TRUE(put_sheet(*tx, sheet("01.2", 7)));
    ASSERT_TRUE(put_sheet(*tx, sheet("01.2", 8, 5), false, 5, "", "field \"x\" is not defined"));
    ASSERT_TRUE(tx->set_standing(5, 6, false));
    ASSERT_TRUE(tx->skip("raw line"));
    index::AreaRow national{0, 0, "", "national", kNoAreaId, "01.1", 2, 300};
    index::AreaRow state{1, 1, "01", "One", 0, "01.1", 2, 300};
    ASSERT_TRUE(tx->put_area(national));
    ASSERT_TRUE(tx->put_area(state));
    ASSERT_TRUE(tx->put_rule(0, "*"));
    ASSERT_TRUE(tx->put_rule(1, "official"));
    ASSERT_TRUE(tx->put_area_totals(1, 0, 0, std::string("\x01\x02", 2)));
    ASSERT_TRUE(tx->put_area_totals(1, 1, 1, std::string("\x03", 1)));
    ASSERT_TRUE(tx->commit());
  }

  testing::TempDir dir;
};

TYPED_TEST_SUITE_P(IndexConformance);

TYPED_TEST_P(IndexConformance, StoresRecordsInLogOrderAndAnswersReads) {
  auto idx = this->open();
  EXPECT_EQ(idx->indexed_size().value(), 0u);
  this->write_sample(*idx);
  EXPECT_EQ(idx->indexed_size().value(), 8u);
  EXPECT_EQ(idx->election().value().id, "t");
  EXPECT_EQ(idx->station_count().value(), 2u);
  auto st = idx->station("01.1").value();
  ASSERT_TRUE(st);
  EXPECT_EQ(election::encode_entry(*st), election::encode_entry(station("01.1", 100).station));
  EXPECT_FALSE(idx->station("nope").value().has_value());
  auto conflicts = idx->conflicts().value();
  ASSERT_EQ(conflicts.size(), 1u);
  EXPECT_EQ(conflicts[0].station, "01.1");
  EXPECT_EQ(conflicts[0].log_indexes, (std::vector<uint64_t>{3, 4}));
  std::vector<uint64_t> current;
  ASSERT_TRUE(idx->for_each_current_sheet("", [&](const SheetRecord& r) { current.push_back(r.log_index); }));
  EXPECT_EQ(current, (std::vector<uint64_t>{3, 4, 6}));
  auto recs = idx->sheets_for_station("01.2").value();
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_TRUE(recs[0].superseded);
  EXPECT_FALSE(recs[0].corrects.has_value());
  EXPECT_EQ(recs[1].sheet, sheet("01.2", 8, 5));
  EXPECT_EQ(recs[1].corrects, 5u);
  EXPECT_EQ(idx->sources().value(), (std::vector<std::string>{"official"}));
  EXPECT_FALSE(idx->sheet_at(7).value().has_value());
  EXPECT_EQ(idx->sheet_at(4).value()->sheet, sheet("01.1", 6));
}

TYPED_TEST_P(IndexConformance, CompactReadsCarryCountsStandingAndDigests) {
  auto idx = this->open();
  this->write_sample(*idx);
  std::vector<std::string> seen;
  ASSERT_TRUE(idx->for_each_current_count("", [&](const CountRecord& r) {
    seen.push_back(std::to_string(r.log_index) + " " + std::string(r.station) + " " + std::string(r.counts) + "|" +
                   std::string(r.counts_error) + (r.conflicted ? " c" : "") +
                   (r.corrects ? " corrects " + std::to_string(*r.corrects) : ""));
  }));
  EXPECT_EQ(seen, (std::vector<std::string>{"3 01.1 counts| c", "4 01.1 counts| c",
                                            "6 01.2 |field \"x\" is not defined corrects 5"}));
  seen.clear();
  ASSERT_TRUE(idx->for_each_current_count("witness:x", [&](const CountRecord&) { seen.push_back("x"); }));
  EXPECT_TRUE(seen.empty());
  // A source rule's prefix ("<prefix>*") selects by prefix; without '*' the name is exact.
  for (const char* filter : {"off*", "official*", "*", "offi", "witness:*", "officiall*"}) {
    size_t n = 0;
    ASSERT_TRUE(idx->for_each_current_count(filter, [&](const CountRecord&) { ++n; }));
    const bool all = std::string_view(filter) == "off*" || std::string_view(filter) == "official*" ||
                     std::string_view(filter) == "*";
    EXPECT_EQ(n, all ? 3u : 0u) << filter;
  }
  EXPECT_EQ(idx->current_sheets_by_source().value(),
            (std::vector<std::pair<std::string, uint64_t>>{{"official", 3}}));
  std::vector<std::string> summaries;
  ASSERT_TRUE(idx->for_each_sheet_summary([&](const SheetSummary& s) {
    EXPECT_EQ(s.identity.size(), 32u);
    EXPECT_EQ(s.identity, s.content);
    summaries.push_back(std::to_string(s.log_index) + (s.superseded ? " s" : "") + (s.conflicted ? " c" : ""));
  }));
  EXPECT_EQ(summaries, (std::vector<std::string>{"3 c", "4 c", "5 s", "6"}));
}

TYPED_TEST_P(IndexConformance, AreasTablesRulesAndTotalsRoundTrip) {
  auto idx = this->open();
  EXPECT_EQ(idx->aggregates_state().value(), "");
  this->write_sample(*idx);
  std::vector<std::string> areas;
  ASSERT_TRUE(idx->for_each_area(1, [&](const AreaRow& a) {
    areas.push_back(std::to_string(a.id) + " " + std::to_string(a.depth) + " " + a.code + " " + a.name + " " +
                    (a.parent == kNoAreaId ? "-" : std::to_string(a.parent)) + " " + a.name_from + " " +
                    std::to_string(a.tables_registered) + " " + std::to_string(a.registered_voters));
  }));
  EXPECT_EQ(areas, (std::vector<std::string>{"0 0  national - 01.1 2 300", "1 1 01 One 0 01.1 2 300"}));
  areas.clear();
  ASSERT_TRUE(idx->for_each_area(0, [&](const AreaRow& a) { areas.push_back(a.code); }));
  EXPECT_EQ(areas, (std::vector<std::string>{""}));
  std::vector<std::string> tables;
  auto table = [&](const TableRow& t) {
    tables.push_back(std::string(t.code) + " " + std::string(t.name) + " " + std::to_string(t.registered.value()) + " " +
                     std::to_string(t.parent));
  };
  ASSERT_TRUE(idx->for_each_table(table));
  EXPECT_EQ(tables, (std::vector<std::string>{"01.1 T 01.1 100 1", "01.2 T 01.2 200 1"}));
  tables.clear();
  ASSERT_TRUE(idx->for_each_table_in(1, table));
  EXPECT_EQ(tables.size(), 2u);
  tables.clear();
  ASSERT_TRUE(idx->for_each_table_in(0, table));
  EXPECT_TRUE(tables.empty());
  EXPECT_EQ(idx->rules().value(), (std::vector<std::string>{"*", "official"}));
  std::vector<std::pair<uint32_t, std::string>> totals;
  ASSERT_TRUE(idx->for_each_area_totals(1, 1, [&](uint32_t a, std::string_view row) { totals.emplace_back(a, row); }));
  EXPECT_EQ(totals, (std::vector<std::pair<uint32_t, std::string>>{{0, std::string("\x01\x02", 2)}, {1, "\x03"}}));
  totals.clear();
  ASSERT_TRUE(idx->for_each_area_totals(1, 0, [&](uint32_t a, std::string_view row) { totals.emplace_back(a, row); }));
  EXPECT_EQ(totals.size(), 1u);
  {
    auto tx = idx->begin().value();
    // A transaction reads its own writes.
    EXPECT_EQ(tx->area_totals(1, 0, 0).value(), std::string("\x01\x02", 2));
    EXPECT_FALSE(tx->area_totals(0, 0, 0).value().has_value());
    ASSERT_TRUE(tx->put_area_totals(1, 0, 0, "\x05"));
    EXPECT_EQ(tx->area_totals(1, 0, 0).value(), "\x05");
    ASSERT_TRUE(tx->set_aggregates_state("station X is registered twice"));
    std::vector<uint64_t> current;
    ASSERT_TRUE(tx->for_each_current_count("01.1", [&](const CountRecord& r) { current.push_back(r.log_index); }));
    EXPECT_EQ(current, (std::vector<uint64_t>{3, 4}));
    ASSERT_TRUE(tx->commit());
  }
  EXPECT_EQ(idx->aggregates_state().value(), "station X is registered twice");
}

TYPED_TEST_P(IndexConformance, AddsToAreaTotalsValueByValue) {
  auto idx = this->open();
  auto row = [&](uint32_t rule, uint32_t area) {
    std::vector<int64_t> out;
    EXPECT_TRUE(idx->for_each_area_totals(rule, 1, [&](uint32_t a, std::string_view r) {
      if (a == area) {
        EXPECT_TRUE(decode_area_row(r, 3, out));
      }
    }));
    return out;
  };
  {
    auto tx = idx->begin().value();
    const int64_t first[] = {3, -1, int64_t{1} << 40};
    ASSERT_TRUE(tx->add_area_totals(2, 1, 7, first));  // no row yet: stored as it is
    EXPECT_EQ(tx->area_totals(2, 1, 7).value(), encode_area_row(first));
    const int64_t second[] = {1, 1, -(int64_t{1} << 40)};
    ASSERT_TRUE(tx->add_area_totals(2, 1, 7, second));
    ASSERT_TRUE(tx->add_area_totals(2, 1, 8, second));           // another area: its own row
    EXPECT_FALSE(tx->area_totals(3, 1, 7).value().has_value());  // nor another rule's
    ASSERT_TRUE(tx->commit());
  }
  EXPECT_EQ(row(2, 7), (std::vector<int64_t>{4, 0, 0}));
  EXPECT_EQ(row(2, 8), (std::vector<int64_t>{1, 1, -(int64_t{1} << 40)}));
  {
    auto tx = idx->begin().value();
    const int64_t more[] = {10, 20, 30};
    ASSERT_TRUE(tx->add_area_totals(2, 1, 7, more));
    // rolled back: the transaction is destroyed uncommitted
  }
  EXPECT_EQ(row(2, 7), (std::vector<int64_t>{4, 0, 0}));
  {
    auto tx = idx->begin().value();
    const int64_t shorter[] = {1, 2};
    auto s = tx->add_area_totals(2, 1, 7, shorter);
    ASSERT_FALSE(s);
    EXPECT_NE(s.error().message.find("stored area totals"), std::string::npos)
        << s.error().to_string();
    EXPECT_FALSE(idx->begin().has_value());  // still this transaction's to end
  }
  {
    auto tx = idx->begin().value();
    const int64_t overflow[] = {std::numeric_limits<int64_t>::max(), 0, 0};
    auto s = tx->add_area_totals(2, 1, 7, overflow);
    ASSERT_FALSE(s);
    EXPECT_NE(s.error().message.find("outside 64 bits"), std::string::npos)
        << s.error().to_string();
  }
  EXPECT_EQ(row(2, 7), (std::vector<int64_t>{4, 0, 0}));
}

TYPED_TEST_P(IndexConformance, UncommittedTransactionIsRolledBackAndOnlyOneIsOpenAtATime) {
  auto idx = this->open();
  {
    auto tx = idx->begin().value();
    ASSERT_TRUE(tx->station(station("01.1", 100)));
    EXPECT_FALSE(idx->begin().has_value());
    // Readers see only committed transactions.
    EXPECT_EQ(idx->station_count().value(), 0u);
  }
  EXPECT_EQ(idx->indexed_size().value(), 0u);
  EXPECT_EQ(idx->station_count().value(), 0u);
  auto tx = idx->begin();
  ASSERT_TRUE(tx);
  EXPECT_EQ((*tx)->next_index(), 0u);
}

TYPED_TEST_P(IndexConformance, SurvivesReopenAndKeepsRejectsApart) {
  std::string before;
  {
    auto idx = this->open();
    this->write_sample(*idx);
    std::vector<Reject> rejects = {{"official", "f.csv:3", "valid", "is negative", "2024-01-01T00:00:00Z"},
                                   {"official", "f.csv:4", "A", "is negative", "2024-01-01T00:00:00Z"}};
    ASSERT_TRUE(idx->add_rejects(rejects));
    before = idx->dump().value();
  }
  auto idx = this->open();
  EXPECT_EQ(idx->indexed_size().value(), 8u);
  EXPECT_EQ(idx->dump().value(), before);
  auto r = idx->rejects(10).value();
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].origin, "f.csv:4");  // newest first
  EXPECT_EQ(idx->rejects(1).value().size(), 1u);
  auto tx = idx->begin().value();
  EXPECT_EQ(tx->next_index(), 8u);
}

TYPED_TEST_P(IndexConformance, ConcurrentReadersSeeCommittedStatesOnly) {
  auto idx = this->open();
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0};
  std::thread reader([&] {
    while (!stop) {
      // The count first: a later indexed_size can only be larger, unless a reader saw a part of an
      // uncommitted transaction (each commits 5 stations).
      auto c = idx->station_count();
      auto n = idx->indexed_size();
      if (!n || !c || *c > *n || *c % 5 != 0) ++bad;
    }
  });
  for (int b = 0; b < 20; ++b) {
    auto tx = idx->begin().value();
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(tx->station(station("s" + std::to_string(b * 5 + i), 1)));
    ASSERT_TRUE(tx->commit());
  }
  stop = true;
  reader.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(idx->station_count().value(), 100u);
}

TYPED_TEST_P(IndexConformance, ASnapshotSeesOneCommittedStateUntilItEnds) {
  auto idx = this->open();
  this->write_sample(*idx);
  {
    auto snap = idx->snapshot();
    ASSERT_TRUE(snap) << snap.error().to_string();
    EXPECT_EQ(idx->indexed_size().value(), 8u);
    auto tx = idx->begin().value();
    ASSERT_TRUE(tx->station(station("01.3", 300)));
    ASSERT_TRUE(put_sheet(*tx, sheet("01.3", 9)));
    ASSERT_TRUE(tx->commit());
    EXPECT_EQ(idx->indexed_size().value(), 8u);
    EXPECT_EQ(idx->station_count().value(), 2u);
    EXPECT_EQ(idx->current_sheets_by_source().value()[0].second, 3u);
  }
  EXPECT_EQ(idx->indexed_size().value(), 10u);
  EXPECT_EQ(idx->station_count().value(), 3u);
}

inline election::Declaration declaration(const std::string& title, int64_t a, const std::string& source = "official") {
  election::Declaration d;
  d.source = source;
  d.title = title;
  d.announced_at = "2024-01-02T00:10:00Z";
  d.reference = "https://example.org/" + title;
  d.coverage_percent = "80";
  election::DeclaredArea national;
  national.level = "national";
  national.candidates = {{"A", a}, {"B", 2}};
  national.fields = {{"valid", a + 2}};
  d.areas.push_back(national);
  d.submitted_at = "2024-01-02T00:11:00Z";
  return d;
}

TYPED_TEST_P(IndexConformance, DeclarationsAreReadBackInLogOrder) {
  std::string before;
  const auto first = declaration("one", 10), second = declaration("two", 20, "official:council");
  {
    auto idx = this->open();
    this->write_sample(*idx);  // entries 0..7
    EXPECT_TRUE(idx->declarations().value().empty());
    {
      // Rolled back: not visible, and the next transaction starts at the same index.
      auto tx = idx->begin().value();
      ASSERT_TRUE(tx->declaration(first, election::encode_entry(first)));
      EXPECT_EQ(tx->next_index(), 9u);
    }
    EXPECT_TRUE(idx->declarations().value().empty());
    auto tx = idx->begin().value();
    ASSERT_TRUE(tx->declaration(first, election::encode_entry(first)));  // 8
    ASSERT_TRUE(put_sheet(*tx, sheet("01.1", 9)));                       // 9
    ASSERT_TRUE(tx->skip("raw line"));                                   // 10
    ASSERT_TRUE(tx->declaration(second, election::encode_entry(second)));  // 11
    EXPECT_EQ(tx->next_index(), 12u);
    ASSERT_TRUE(tx->commit());
    EXPECT_EQ(idx->indexed_size().value(), 12u);
    auto decls = idx->declarations().value();
    ASSERT_EQ(decls.size(), 2u);
    EXPECT_EQ(decls[0].log_index, 8u);
    EXPECT_EQ(decls[0].declaration, first);
    EXPECT_EQ(decls[1].log_index, 11u);
    EXPECT_EQ(decls[1].declaration, second);
    // A declaration is not a sheet.
    EXPECT_FALSE(idx->sheet_at(8).value().has_value());
    EXPECT_EQ(idx->sheet_at(9).value()->sheet, sheet("01.1", 9));
    before = idx->dump().value();
    EXPECT_NE(before.find("one"), std::string::npos);
    EXPECT_NE(before.find("official:council"), std::string::npos);
  }
  auto idx = this->open();
  EXPECT_EQ(idx->dump().value(), before);
  auto decls = idx->declarations().value();
  ASSERT_EQ(decls.size(), 2u);
  EXPECT_EQ(decls[1].declaration, second);
}


// Issue 13: a station whose registered voters are unknown is stored without a figure (not as 0),
// and an area keeps how many of its tables have unknown registered voters; both survive reopening.
TYPED_TEST_P(IndexConformance, StationsWithUnknownRegisteredVotersRoundTrip) {
  std::string before;
  {
    auto idx = this->open();
    this->write_sample(*idx);  // 01.1 (100) and 01.2 (200)
    auto tx = idx->begin().value();
    StationRow unknown = station("01.3", 0);
    unknown.station.registered.reset();
    ASSERT_TRUE(tx->station(unknown));
    ASSERT_TRUE(tx->station(station("01.4", 0)));  // a known zero
    index::AreaRow state{1, 1, "01", "One", 0, "01.1", 4, 300, 1};
    ASSERT_TRUE(tx->put_area(state));
    ASSERT_TRUE(tx->commit());
    before = idx->dump().value();
  }
  auto idx = this->open();
  EXPECT_EQ(idx->dump().value(), before);
  EXPECT_FALSE(idx->station("01.3").value()->registered.has_value());
  EXPECT_EQ(idx->station("01.4").value()->registered, std::optional<uint64_t>(0));
  EXPECT_EQ(idx->station("01.1").value()->registered, std::optional<uint64_t>(100));
  std::vector<std::string> tables;
  ASSERT_TRUE(idx->for_each_table([&](const TableRow& t) {
    tables.push_back(std::string(t.code) + " " + (t.registered ? std::to_string(*t.registered) : "unknown"));
  }));
  EXPECT_EQ(tables, (std::vector<std::string>{"01.1 100", "01.2 200", "01.3 unknown", "01.4 0"}));
  std::vector<std::string> stations;
  ASSERT_TRUE(idx->for_each_station([&](const election::Station& s) {
    stations.push_back(s.code + " " + (s.registered ? std::to_string(*s.registered) : "unknown"));
  }));
  EXPECT_EQ(stations, (std::vector<std::string>{"01.1 100", "01.2 200", "01.3 unknown", "01.4 0"}));
  std::vector<std::string> areas;
  ASSERT_TRUE(idx->for_each_area(1, [&](const AreaRow& a) {
    areas.push_back(a.code + " " + std::to_string(a.tables_registered) + " " + std::to_string(a.registered_voters) +
                    " " + std::to_string(a.tables_registered_unknown));
  }));
  EXPECT_EQ(areas, (std::vector<std::string>{" 2 300 0", "01 4 300 1"}));
}

REGISTER_TYPED_TEST_SUITE_P(IndexConformance, StationsWithUnknownRegisteredVotersRoundTrip,
                            ASnapshotSeesOneCommittedStateUntilItEnds,
                            StoresRecordsInLogOrderAndAnswersReads,
                            CompactReadsCarryCountsStandingAndDigests,
                            AreasTablesRulesAndTotalsRoundTrip, AddsToAreaTotalsValueByValue,
                            UncommittedTransactionIsRolledBackAndOnlyOneIsOpenAtATime,
                            SurvivesReopenAndKeepsRejectsApart,
                            ConcurrentReadersSeeCommittedStatesOnly,
                            DeclarationsAreReadBackInLogOrder);

}  // namespace tallylog::index::conformance
