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

TEST(PosixEnv, RenameNoReplaceNeverOverwrites) {
  testing::TempDir dir;
  Env& env = Env::posix();
  ASSERT_TRUE(env.write_file_atomic(dir.file("a"), "one", Durability::kNoSync));
  ASSERT_TRUE(env.write_file_atomic(dir.file("b"), "two", Durability::kNoSync));
  auto r = env.rename_no_replace(dir.file("a"), dir.file("b"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(env.read_file(dir.file("b")).value(), "two");
  EXPECT_EQ(env.read_file(dir.file("a")).value(), "one");
  ASSERT_TRUE(env.rename_no_replace(dir.file("a"), dir.file("c")));
  EXPECT_EQ(env.read_file(dir.file("c")).value(), "one");
  EXPECT_FALSE(env.exists(dir.file("a")));
}

TEST(PosixEnv, SyncsShortAndLongListsOfFilesAndDirectories) {
  testing::TempDir dir;
  Env& env = Env::posix();
  std::vector<std::string> files, dirs;
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(env.create_dirs(dir.file("d" + std::to_string(i))));
    dirs.push_back(dir.file("d" + std::to_string(i)));
    files.push_back(dir.file("d" + std::to_string(i) + "/f"));
    ASSERT_TRUE(env.write_file_atomic(files.back(), "x", Durability::kNoSync));
  }
  EXPECT_TRUE(env.sync_files({files[0], files[1]}));
  EXPECT_TRUE(env.sync_files(files));  // one syncfs
  EXPECT_TRUE(env.sync_dirs({dirs[0]}));
  EXPECT_TRUE(env.sync_dirs(dirs));
  EXPECT_FALSE(env.sync_files({dir.file("missing")}));
}

TEST(PosixEnv, RemoveDirRemovesOnlyEmptyDirectories) {
  testing::TempDir dir;
  Env& env = Env::posix();
  ASSERT_TRUE(env.create_dirs(dir.file("a")));
  ASSERT_TRUE(env.write_file_atomic(dir.file("a/f"), "x", Durability::kNoSync));
  auto r = env.remove_dir(dir.file("a"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kFailedPrecondition);
  ASSERT_TRUE(env.remove_file(dir.file("a/f")));
  ASSERT_TRUE(env.remove_dir(dir.file("a")));
  EXPECT_FALSE(env.exists(dir.file("a")));
  EXPECT_TRUE(env.remove_dir(dir.file("a")));  // ok if absent
}

// EnvWrapper forwards everything: a wrapper overriding nothing behaves as its target.
TEST(EnvWrapper, ForwardsEveryCallToItsTarget) {
  testing::TempDir dir;
  EnvWrapper env(&Env::posix());
  EXPECT_EQ(env.target(), &Env::posix());
  ASSERT_TRUE(env.create_dirs(dir.file("a")));
  ASSERT_TRUE(env.write_file_atomic(dir.file("a/f"), "hello", Durability::kSync));
  EXPECT_EQ(env.read_file(dir.file("a/f")).value(), "hello");
  EXPECT_EQ(env.read_range(dir.file("a/f"), 1, 3).value(), "ell");
  EXPECT_EQ(env.file_size(dir.file("a/f")).value(), 5u);
  ASSERT_TRUE(env.rename_no_replace(dir.file("a/f"), dir.file("a/g")));
  ASSERT_TRUE(env.sync_files({dir.file("a/g")}));
  ASSERT_TRUE(env.sync_dirs({dir.file("a")}));
  EXPECT_EQ(env.list_dir(dir.file("a")).value(), std::vector<std::string>{"g"});
  ASSERT_TRUE(env.remove_file(dir.file("a/g")));
  ASSERT_TRUE(env.remove_dir(dir.file("a")));
  EXPECT_FALSE(env.exists(dir.file("a")));
}

TEST(Paths, JoinAndDirName) {
  EXPECT_EQ(join_path("a/", "/b"), "a/b");
  EXPECT_EQ(dir_name("a/b/c"), "a/b");
  EXPECT_EQ(dir_name("c"), ".");
}

}  // namespace
}  // namespace tallylog
