#include "tallylog/base/env.h"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include "tallylog/base/testing.h"

namespace tallylog {
namespace {

TEST(PosixEnv, AtomicWriteReplacesContentAndLeavesNoTempFile) {
  testing::TempDir dir;
  Env& env = Env::posix();
  auto p = dir.file("a");
  ASSERT_TRUE(env.write_file_atomic(p, "one", Durability::kSync));
  ASSERT_TRUE(env.write_file_atomic(p, "two", Durability::kSync));
  EXPECT_EQ(env.read_file(p).value(), "two");
  EXPECT_EQ(env.list_dir(dir.path()).value().size(), 1u);
}

TEST(PosixEnv, ReadOfMissingFileIsNotFound) {
  testing::TempDir dir;
  auto r = Env::posix().read_file(dir.file("missing"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
}

TEST(PosixEnv, AppendTruncateAndReadRange) {
  testing::TempDir dir;
  Env& env = Env::posix();
  auto p = dir.file("log");
  auto f = env.open_append(p).value();
  ASSERT_TRUE(f->append("hello "));
  ASSERT_TRUE(f->append("world"));
  ASSERT_TRUE(f->sync());
  ASSERT_TRUE(f->close());
  EXPECT_EQ(env.read_range(p, 6, 100).value(), "world");
  ASSERT_TRUE(env.truncate(p, 5));
  EXPECT_EQ(env.read_file(p).value(), "hello");
}

TEST(PosixEnv, PrivateFileHasModeAndIsNeverOverwritten) {
  testing::TempDir dir;
  Env& env = Env::posix();
  auto p = dir.file("key");
  ASSERT_TRUE(env.write_new_file_private(p, "secret", 0600));
  struct stat st;
  ASSERT_EQ(::stat(p.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto again = env.write_new_file_private(p, "other", 0600);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(env.read_file(p).value(), "secret");
}

TEST(PosixEnv, CreateDirsMakesNestedDirectories) {
  testing::TempDir dir;
  Env& env = Env::posix();
  ASSERT_TRUE(env.create_dirs(dir.file("a/b/c")));
  EXPECT_TRUE(env.exists(dir.file("a/b/c")));
  ASSERT_TRUE(env.create_dirs(dir.file("a/b/c")));  // idempotent
}

TEST(Paths, JoinAndDirName) {
  EXPECT_EQ(join_path("a/", "/b"), "a/b");
  EXPECT_EQ(dir_name("a/b/c"), "a/b");
  EXPECT_EQ(dir_name("c"), ".");
}

}  // namespace
}  // namespace tallylog
