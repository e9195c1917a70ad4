// The PostgreSQL backend: the conformance suite every backend passes, plus what only a database
// server adds (URLs, reachability, schema versions). One throwaway server for the whole binary
// (pg/testing.h); each test works in its own database.
#include "tallylog/index/postgres_index.h"

#include <gtest/gtest.h>

#include "tallylog/index/conformance_test.h"
#include "tallylog/index/open.h"
#include "tallylog/pg/conn.h"
#include "tallylog/pg/testing.h"

namespace tallylog::index {
namespace {

struct PostgresBackend {
  static Result<std::unique_ptr<Index>> open(const std::string& dir) { return open_index(pg::testing::database_url(dir)); }
};

}  // namespace
}  // namespace tallylog::index

namespace tallylog::index::conformance {
INSTANTIATE_TYPED_TEST_SUITE_P(Postgres, IndexConformance, ::testing::Types<PostgresBackend>);
}  // namespace tallylog::index::conformance

namespace tallylog::index {
namespace {

// The same writes to any backend, with counts that hold every byte value.
void write_same(Index& idx) {
  auto tx = idx.begin().value();
  auto e = conformance::test_election();
  ASSERT_TRUE(tx->election(e, election::encode_entry(e)));
  ASSERT_TRUE(tx->station(conformance::station("01.2", 200)));
  ASSERT_TRUE(tx->station(conformance::station("01.10", 100)));
  StationRow unknown = conformance::station("01.3", 0, kNoAreaId);
  unknown.station.registered.reset();
  ASSERT_TRUE(tx->station(unknown));
  std::string every_byte;
  for (int b = 0; b < 256; ++b) every_byte.push_back(static_cast<char>(b));
  ASSERT_TRUE(conformance::put_sheet(*tx, conformance::sheet("01.2", 5), true, std::nullopt, every_byte));
  ASSERT_TRUE(conformance::put_sheet(*tx, conformance::sheet("01.2", 6), true));
  ASSERT_TRUE(conformance::put_sheet(*tx, conformance::sheet("01.10", 7, std::nullopt, "witness:b")));
  ASSERT_TRUE(conformance::put_sheet(*tx, conformance::sheet("01.10", 8, 5, "witness:b"), false, 5, "", "no counts"));
  ASSERT_TRUE(tx->set_standing(5, 6, false));
  ASSERT_TRUE(tx->skip("raw line"));
  ASSERT_TRUE(tx->put_area(AreaRow{0, 0, "", "national", kNoAreaId, "01.10", 2, 300, 1}));
  ASSERT_TRUE(tx->put_rule(0, "*"));
  ASSERT_TRUE(tx->put_area_totals(0, 0, 0, every_byte));
  ASSERT_TRUE(tx->set_aggregates_state("not exact"));
  auto committed = tx->commit();
  ASSERT_TRUE(committed) << committed.error().to_string();
  // A second transaction changes a committed sheet's standing and a committed total.
  auto tx2 = idx.begin().value();
  ASSERT_TRUE(tx2->set_standing(3, std::nullopt, false));
  ASSERT_TRUE(tx2->put_area_totals(0, 0, 0, std::string("\0\x01", 2)));
  ASSERT_TRUE(tx2->station(conformance::station("01.2", 250)));  // a station registered again
  ASSERT_TRUE(tx2->commit());
}

TEST(PostgresIndex, StoresTheSameRowsAsSqliteForTheSameWrites) {
  tallylog::testing::TempDir dir;
  auto lite = open_index(dir.path());
  ASSERT_TRUE(lite) << lite.error().to_string();
  auto pg = open_index(pg::testing::database_url("same-rows"));
  ASSERT_TRUE(pg) << pg.error().to_string();
  write_same(**lite);
  write_same(**pg);
  const std::string a = (*lite)->dump().value(), b = (*pg)->dump().value();
  EXPECT_EQ(a, b);
  EXPECT_NE(b.find("01.10|"), std::string::npos);
  EXPECT_LT(b.find("station|01.10|"), b.find("station|01.2|"));  // byte order, as SQLite
  std::vector<std::string> current;
  ASSERT_TRUE((*pg)->for_each_current_sheet("", [&](const SheetRecord& r) {
    current.push_back(r.sheet.station + " " + r.sheet.source + " " + std::to_string(r.log_index));
  }));
  EXPECT_EQ(current, (std::vector<std::string>{"01.10 witness:b 6", "01.10 witness:b 7", "01.2 official 4"}));
}

TEST(PostgresIndex, AnUnreachableDatabaseIsOneErrorNamingTheUrlWithoutItsPassword) {
  // A socket directory where no server listens.
  tallylog::testing::TempDir dir;
  const std::string url = "postgresql://tallylog:s3cret@/tally?host=" + dir.path() + "&port=5999";
  auto idx = open_index(url);
  ASSERT_FALSE(idx);
  EXPECT_EQ(idx.error().code, ErrorCode::kUnavailable);
  const std::string& m = idx.error().message;
  EXPECT_NE(m.find("postgresql://tallylog@/tally?host=" + dir.path()), std::string::npos) << m;
  EXPECT_NE(m.find("cannot connect to PostgreSQL"), std::string::npos) << m;
  EXPECT_EQ(m.find("s3cret"), std::string::npos) << m;
  EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  EXPECT_FALSE(index_exists(url));
}

TEST(PostgresIndex, AMisconfiguredDatabaseNameIsOneClearError) {
  std::string url = pg::testing::server_url();
  url.replace(url.find("/postgres?"), 10, "/no_such_db?");
  auto idx = open_index(url + "&password=hunter2");
  ASSERT_FALSE(idx);
  const std::string& m = idx.error().message;
  EXPECT_NE(m.find("no_such_db"), std::string::npos) << m;
  EXPECT_NE(m.find("does not exist"), std::string::npos) << m;
  EXPECT_EQ(m.find("hunter2"), std::string::npos) << m;
}

TEST(PostgresIndex, RedactsPasswordsInEveryUrlForm) {
  EXPECT_EQ(pg::redact_url("postgresql://u:p@h:5432/db"), "postgresql://u@h:5432/db");
  EXPECT_EQ(pg::redact_url("postgres://u@h/db?password=x&sslmode=require"), "postgres://u@h/db?sslmode=require");
  EXPECT_EQ(pg::redact_url("postgresql:///db?host=/s&password=x"), "postgresql:///db?host=/s");
  EXPECT_EQ(pg::redact_url("postgresql://h/db"), "postgresql://h/db");
}

TEST(PostgresIndex, AnIndexOfAnotherSchemaVersionAsksForAReindex) {
  const std::string url = pg::testing::database_url("old-schema");
  {
    auto idx = open_index(url);
    ASSERT_TRUE(idx) << idx.error().to_string();
  }
  {
    pg::Conn c;
    ASSERT_TRUE(c.connect(url));
    ASSERT_TRUE(c.exec("UPDATE tallylog_index.meta SET value=0 WHERE key='schema_version'"));
  }
  auto idx = open_index(url);
  ASSERT_FALSE(idx);
  EXPECT_EQ(idx.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(idx.error().message.find("tallylog reindex"), std::string::npos) << idx.error().message;
  // A rebuild starts from an empty index of this version.
  ASSERT_TRUE(remove_index(url));
  auto fresh = open_index(url);
  ASSERT_TRUE(fresh) << fresh.error().to_string();
  EXPECT_EQ((*fresh)->indexed_size().value(), 0u);
}

TEST(PostgresIndex, RemovingTheIndexKeepsTheRejects) {
  const std::string url = pg::testing::database_url("remove");
  EXPECT_FALSE(index_exists(url));
  {
    auto idx = open_index(url).value();
    EXPECT_TRUE(index_exists(url));
    auto tx = idx->begin().value();
    ASSERT_TRUE(tx->station(conformance::station("01.1", 1)));
    ASSERT_TRUE(tx->commit());
    std::vector<Reject> r = {{"official", "x.csv:2", "valid", "is negative", "2024-01-01T00:00:00Z"}};
    ASSERT_TRUE(idx->add_rejects(r));
  }
  ASSERT_TRUE(remove_index(url));
  EXPECT_FALSE(index_exists(url));
  auto idx = open_index(url).value();
  EXPECT_EQ(idx->indexed_size().value(), 0u);
  EXPECT_EQ(idx->station_count().value(), 0u);
  ASSERT_EQ(idx->rejects(10).value().size(), 1u);
  EXPECT_EQ(idx->clear_rejects().value(), 1u);
  EXPECT_TRUE(idx->rejects(10).value().empty());
}

TEST(PostgresIndex, TwoProcessesNeverWriteOneIndexAtOnce) {
  // Two opens of one database (as two processes would): the second writer waits for the first's
  // commit, then starts where it ended.
  const std::string url = pg::testing::database_url("two-writers");
  auto a = open_index(url).value();
  auto b = open_index(url).value();
  auto ta = a->begin().value();
  ASSERT_TRUE(ta->station(conformance::station("01.1", 1)));
  std::unique_ptr<IndexTransaction> tb;
  std::thread other([&] { tb = b->begin().value(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_TRUE(ta->commit());
  other.join();
  EXPECT_EQ(tb->next_index(), 1u);
  ASSERT_TRUE(tb->station(conformance::station("01.2", 1)));
  ASSERT_TRUE(tb->commit());
  EXPECT_EQ(a->indexed_size().value(), 2u);
  EXPECT_EQ(a->station_count().value(), 2u);
}

}  // namespace
}  // namespace tallylog::index
