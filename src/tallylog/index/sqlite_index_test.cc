#include "tallylog/index/sqlite_index.h"

#include <gtest/gtest.h>

#include "tallylog/base/env.h"
#include "tallylog/index/conformance_test.h"
#include "tallylog/index/open.h"
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

}  // namespace
}  // namespace tallylog::index
