#include "tallylog/index/sqlite_index.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "tallylog/base/env.h"
#include "tallylog/index/conformance_test.h"
#include "tallylog/index/open.h"
#include "tallylog/index/sqlite_checkpointer.h"
#include "tallylog/index/sqlite_db.h"

namespace tallylog::index {
namespace {

struct SqliteBackend {
  static Result<std::unique_ptr<Index>> open(const std::string& dir) { return open_index(dir); }
};
struct SqliteUrlBackend {
  static Result<std::unique_ptr<Index>> open(const std::string& dir) {
    return open_index("sqlite:" + join_path(dir, "elsewhere.sqlite"));
  }
};

}  // namespace
}  // namespace tallylog::index

namespace tallylog::index::conformance {
INSTANTIATE_TYPED_TEST_SUITE_P(SqliteDataDir, IndexConformance, ::testing::Types<SqliteBackend>);
INSTANTIATE_TYPED_TEST_SUITE_P(SqliteUrl, IndexConformance, ::testing::Types<SqliteUrlBackend>);
}  // namespace tallylog::index::conformance

namespace tallylog::index {
namespace {

TEST(OpenIndex, ADataDirectoryMeansItsIndexSqliteAndRejectsBesideIt) {
  testing::TempDir dir;
  ASSERT_FALSE(index_exists(dir.path()));
  auto idx = open_index(dir.path());
  ASSERT_TRUE(idx) << idx.error().to_string();
  EXPECT_TRUE(index_exists(dir.path()));
  EXPECT_TRUE(Env::posix().exists(join_path(dir.path(), "index.sqlite")));
  EXPECT_TRUE(Env::posix().exists(join_path(dir.path(), "rejects.sqlite")));
  idx->reset();
  ASSERT_TRUE(remove_index(dir.path()));
  EXPECT_FALSE(index_exists(dir.path()));
  EXPECT_TRUE(Env::posix().exists(join_path(dir.path(), "rejects.sqlite")));  // rejects are kept
}

// postgresql:// URLs open the PostgreSQL backend (index/postgres_index_test.cc).
TEST(OpenIndex, UnknownSchemesAreRefusedByName) {
  auto other = open_index("mysql://x/y");
  ASSERT_FALSE(other);
  EXPECT_NE(other.error().message.find("unknown scheme \"mysql\""), std::string::npos) << other.error().message;
  EXPECT_FALSE(open_index("sqlite:"));
}

TEST(OpenIndex, AnIndexOfAnotherSchemaVersionAsksForAReindex) {
  testing::TempDir dir;
  {
    sqlite3* db = sqlite::open_db(index_path(dir.path())).value();
    ASSERT_TRUE(sqlite::exec(db, "CREATE TABLE meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;"
                                 "INSERT INTO meta VALUES('schema_version', 1);"));
    sqlite3_close(db);
  }
  auto idx = open_index(dir.path());
  ASSERT_FALSE(idx);
  EXPECT_EQ(idx.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(idx.error().message.find("tallylog reindex"), std::string::npos) << idx.error().message;
}

// Background WAL checkpoints (sqlite_checkpointer.h).

int64_t size_of(const std::string& path) {
  std::error_code ec;
  const auto n = std::filesystem::file_size(path, ec);
  return ec ? -1 : static_cast<int64_t>(n);
}

// `transactions` commits of 20 rows of 2,000 bytes each (about 11 pages per commit).
void write_rows(sqlite3* db, int transactions, int64_t& next) {
  const std::string blob(2000, 'x');
  sqlite::Stmt ins;
  ASSERT_TRUE(ins.prepare(db, "INSERT INTO t(k, v) VALUES(?1, ?2)"));
  for (int t = 0; t < transactions; ++t) {
    ASSERT_TRUE(sqlite::exec(db, "BEGIN IMMEDIATE"));
    for (int r = 0; r < 20; ++r) ASSERT_TRUE(ins.reset().bind(1, next++).bind_blob(2, blob).run());
    ASSERT_TRUE(sqlite::exec(db, "COMMIT"));
  }
}

int64_t row_count(sqlite3* db) {
  sqlite::Stmt q;
  EXPECT_TRUE(q.prepare(db, "SELECT count(*), coalesce(sum(k), 0) FROM t WHERE length(v) = 2000"));
  EXPECT_TRUE(q.step().value_or(false));
  const int64_t n = q.i64(0);
  EXPECT_EQ(q.i64(1), n * (n - 1) / 2);  // keys 0..n-1, none lost or doubled
  return n;
}

constexpr sqlite::CheckpointOptions kSmall{.start_frames = 32, .max_frames = 128};
// The WAL's high-water mark allowed with kSmall: max_frames plus one commit's frames (the commit
// that crossed it), each a 24-byte header and a 4 KiB page, and the 32-byte WAL header.
constexpr int64_t kSmallWalBound = (128 + 16) * (4096 + 24) + 32;

TEST(WalCheckpointer, RunsCheckpointsAndKeepsTheWalBounded) {
  testing::TempDir dir;
  const std::string path = join_path(dir.path(), "x.sqlite");
  sqlite3* w = sqlite::open_db(path).value();
  ASSERT_TRUE(
      sqlite::exec(w, "PRAGMA synchronous=NORMAL; CREATE TABLE t(k INTEGER PRIMARY KEY, v BLOB)"));
  int64_t next = 0;
  {
    auto c = sqlite::WalCheckpointer::start(path, w, kSmall);
    ASSERT_TRUE(c) << c.error().to_string();
    write_rows(w, 200, next);  // ~2,200 frames in all
    const auto st = (*c)->stats();
    EXPECT_GT(st.checkpoints, 0u);
    EXPECT_EQ(st.last_error, "");
    EXPECT_LE(size_of(path + "-wal"), kSmallWalBound);
  }
  // The hook is gone with the checkpointer: more commits must not call into freed memory (ASan).
  write_rows(w, 5, next);
  EXPECT_EQ(row_count(w), 205 * 20);
  sqlite3_close_v2(w);
  sqlite3* again = sqlite::open_db(path).value();
  EXPECT_EQ(row_count(again), 205 * 20);
  sqlite3_close_v2(again);
}

// The control for the bound above: the same commits with no checkpoint at all grow the WAL far
// past it, so the bound is the checkpointer's doing.
TEST(WalCheckpointer, WithoutCheckpointsTheSameCommitsOutgrowThatBound) {
  testing::TempDir dir;
  const std::string path = join_path(dir.path(), "x.sqlite");
  sqlite3* w = sqlite::open_db(path).value();
  ASSERT_TRUE(sqlite::exec(w,
                           "PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=0;"
                           "CREATE TABLE t(k INTEGER PRIMARY KEY, v BLOB)"));
  int64_t next = 0;
  write_rows(w, 200, next);
  EXPECT_GT(size_of(path + "-wal"), 4 * kSmallWalBound);
  EXPECT_EQ(row_count(w), 200 * 20);
  sqlite3_close_v2(w);
}

}  // namespace
}  // namespace tallylog::index
