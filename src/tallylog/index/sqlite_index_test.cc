#include "tallylog/index/sqlite_index.h"

#include <gtest/gtest.h>

#include "tallylog/base/testing.h"
#include "tallylog/election/entry.h"

namespace tallylog::index {
namespace {

election::Election test_election() {
  election::Election e;
  e.id = "t";
  e.name = "Test";
  e.date = "2024-01-01";
  e.contest = "president";
  e.levels = {{"state", "State"}, {"table", "Table"}};
  e.candidates = {{"A", "Ann"}, {"B", "Bob"}};
  e.fields = {"valid"};
  e.rules = {"valid == candidates"};
  e.sources = {"official"};
  return e;
}

election::Station station(const std::string& code, uint64_t registered) {
  return election::Station{code, {{"01", "One \"quoted\""}, {code, "T"}}, registered};
}

election::Sheet sheet(const std::string& st, int64_t a, std::optional<uint64_t> supersedes = {}) {
  election::Sheet s;
  s.station = st;
  s.source = "official";
  s.candidates = {{"A", a}, {"B", 1}};
  s.fields = {{"valid", a + 1}};
  s.submitted_at = "2024-01-01T00:00:00Z";
  s.supersedes = supersedes;
  return s;
}

Status add_sheet(SqliteIndex::WriteBatch& b, const election::Sheet& s) {
  return b.sheet(s, election::encode_entry(s), election::sheet_identity_digest(s));
}

TEST(SqliteIndex, AppliesRecordsAndAnswersReads) {
  testing::TempDir dir;
  auto idx = SqliteIndex::open(dir.path()).value();
  EXPECT_EQ(idx->indexed_size().value(), 0u);
  {
    auto b = idx->begin_batch().value();
    auto e = test_election();
    ASSERT_TRUE(b.election(e, election::encode_entry(e)));
    ASSERT_TRUE(b.station(station("01.1", 100)));
    ASSERT_TRUE(b.station(station("01.2", 200)));
    ASSERT_TRUE(add_sheet(b, sheet("01.1", 5)));  // 3
    ASSERT_TRUE(add_sheet(b, sheet("01.1", 6)));  // 4: conflicts with 3
    ASSERT_TRUE(add_sheet(b, sheet("01.2", 7)));  // 5
    ASSERT_TRUE(add_sheet(b, sheet("01.2", 8, 5)));  // 6 supersedes 5
    ASSERT_TRUE(b.skip("raw line"));  // 7
    ASSERT_TRUE(b.commit());
  }
  EXPECT_EQ(idx->indexed_size().value(), 8u);
  EXPECT_EQ(idx->election().value().id, "t");
  EXPECT_EQ(idx->station_count().value(), 2u);
  auto st = idx->station("01.1").value();
  ASSERT_TRUE(st);
  EXPECT_EQ(election::encode_entry(*st), election::encode_entry(station("01.1", 100)));
  EXPECT_FALSE(idx->station("nope").value().has_value());
  auto conflicts = idx->conflicts().value();
  ASSERT_EQ(conflicts.size(), 1u);
  EXPECT_EQ(conflicts[0].log_indexes, (std::vector<uint64_t>{3, 4}));
  std::vector<uint64_t> current;
  ASSERT_TRUE(idx->for_each_current_sheet("", [&](const SheetRecord& r) { current.push_back(r.log_index); }));
  EXPECT_EQ(current, (std::vector<uint64_t>{3, 4, 6}));
  auto recs = idx->sheets_for_station("01.2").value();
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_TRUE(recs[0].superseded);
  EXPECT_EQ(recs[1].sheet, sheet("01.2", 8, 5));
  EXPECT_EQ(idx->sources().value(), (std::vector<std::string>{"official"}));
  EXPECT_FALSE(idx->sheet_at(7).value().has_value());
}

TEST(SqliteIndex, UncommittedBatchIsRolledBack) {
  testing::TempDir dir;
  auto idx = SqliteIndex::open(dir.path()).value();
  {
    auto b = idx->begin_batch().value();
    ASSERT_TRUE(b.station(station("01.1", 100)));
  }
  EXPECT_EQ(idx->indexed_size().value(), 0u);
  EXPECT_EQ(idx->station_count().value(), 0u);
  auto b = idx->begin_batch();
  ASSERT_TRUE(b);
  EXPECT_EQ(b->next_index(), 0u);
}

TEST(SqliteIndex, SurvivesReopenAndKeepsRejectsInTheirOwnFile) {
  testing::TempDir dir;
  {
    auto idx = SqliteIndex::open(dir.path()).value();
    auto b = idx->begin_batch().value();
    ASSERT_TRUE(b.station(station("01.1", 100)));
    ASSERT_TRUE(b.commit());
    std::vector<Reject> rejects = {{"official", "f.csv:3", "valid", "is negative", "2024-01-01T00:00:00Z"}};
    ASSERT_TRUE(idx->add_rejects(rejects));
  }
  auto idx = SqliteIndex::open(dir.path()).value();
  EXPECT_EQ(idx->indexed_size().value(), 1u);
  auto r = idx->rejects(10).value();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].origin, "f.csv:3");
  EXPECT_TRUE(Env::posix().exists(rejects_path(dir.path())));
}

}  // namespace
}  // namespace tallylog::index
