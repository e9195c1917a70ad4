#include "tallylog/base/fault_env.h"

#include <gtest/gtest.h>

#include "tallylog/base/testing.h"

namespace tallylog::testing {
namespace {

TEST(FaultEnv, APowerCutDropsDataThatWasNeverSynced) {
  TempDir dir;
  FaultEnv env(dir.path());
  auto f = env.open_append(dir.file("j")).value();
  ASSERT_TRUE(env.sync_dir(dir.path()));
  ASSERT_TRUE(f->append("durable "));
  ASSERT_TRUE(f->sync());
  ASSERT_TRUE(f->append("lost"));
  ASSERT_TRUE(f->close());
  ASSERT_TRUE(env.power_cut());
  EXPECT_EQ(env.read_file(dir.file("j")).value(), "durable ");
}

TEST(FaultEnv, KeepTornTailKeepsHalfOfTheUnsyncedAppend) {
  TempDir dir;
  FaultEnv env(dir.path());
  auto f = env.open_append(dir.file("j")).value();
  ASSERT_TRUE(env.sync_dir(dir.path()));
  ASSERT_TRUE(f->append("aaaa"));
  ASSERT_TRUE(f->sync());
  ASSERT_TRUE(f->append("bbbb"));
  ASSERT_TRUE(f->close());
  ASSERT_TRUE(env.power_cut(FaultEnv::Unsynced::kKeepTornTail));
  EXPECT_EQ(env.read_file(dir.file("j")).value(), "aaaabb");
}

TEST(FaultEnv, AFileWhoseDirectoryWasNeverSyncedVanishes) {
  TempDir dir;
  FaultEnv env(dir.path());
  auto f = env.open_append(dir.file("new")).value();
  ASSERT_TRUE(f->append("data"));
  ASSERT_TRUE(f->sync());  // data durable, but the name is not
  ASSERT_TRUE(f->close());
  ASSERT_TRUE(env.power_cut());
  EXPECT_FALSE(env.exists(dir.file("new")));
}

TEST(FaultEnv, ARenameIsUndoneUntilItsDirectoryIsSynced) {
  TempDir dir;
  ASSERT_TRUE(Env::posix().write_file_atomic(dir.file("target"), "old", Durability::kSync));
  FaultEnv env(dir.path());
  ASSERT_TRUE(env.create_dirs(dir.file("staging")));
  ASSERT_TRUE(env.sync_dir(dir.path()));
  auto f = env.open_append(dir.file("staging/t")).value();
  ASSERT_TRUE(f->append("new"));
  ASSERT_TRUE(f->sync());
  ASSERT_TRUE(f->close());
  ASSERT_TRUE(env.rename(dir.file("staging/t"), dir.file("target")));
  ASSERT_TRUE(env.power_cut());
  EXPECT_EQ(env.read_file(dir.file("target")).value(), "old");

  f = env.open_append(dir.file("staging/t")).value();
  ASSERT_TRUE(f->append("new"));
  ASSERT_TRUE(f->sync());
  ASSERT_TRUE(f->close());
  ASSERT_TRUE(env.rename(dir.file("staging/t"), dir.file("target")));
  ASSERT_TRUE(env.sync_dir(dir.path()));
  ASSERT_TRUE(env.power_cut());
  EXPECT_EQ(env.read_file(dir.file("target")).value(), "new");
}

TEST(FaultEnv, ARenamedFileWhoseDataWasNeverSyncedComesBackEmpty) {
  TempDir dir;
  FaultEnv env(dir.path());
  auto f = env.open_append(dir.file("tmp")).value();
  ASSERT_TRUE(f->append("unsynced"));
  ASSERT_TRUE(f->close());
  ASSERT_TRUE(env.rename(dir.file("tmp"), dir.file("final")));
  ASSERT_TRUE(env.sync_dir(dir.path()));
  ASSERT_TRUE(env.power_cut());
  EXPECT_EQ(env.read_file(dir.file("final")).value(), "");
}

TEST(FaultEnv, ANewDirectoryNeedsItsParentSynced) {
  TempDir dir;
  FaultEnv env(dir.path());
  ASSERT_TRUE(env.create_dirs(dir.file("a/b")));
  ASSERT_TRUE(env.write_file_atomic(dir.file("a/b/f"), "x", Durability::kSync));
  ASSERT_TRUE(env.power_cut());
  EXPECT_FALSE(env.exists(dir.file("a")));

  ASSERT_TRUE(env.create_dirs(dir.file("a/b")));
  ASSERT_TRUE(env.sync_dirs({dir.path(), dir.file("a")}));
  ASSERT_TRUE(env.write_file_atomic(dir.file("a/b/f"), "x", Durability::kSync));
  ASSERT_TRUE(env.power_cut());
  EXPECT_EQ(env.read_file(dir.file("a/b/f")).value(), "x");
}

TEST(FaultEnv, CrashPointsFailFromThePointOnAndCountFromZero) {
  TempDir dir;
  FaultEnv env(dir.path());
  env.crash_at(2);
  EXPECT_TRUE(env.create_dirs(dir.file("a")));  // point 0
  EXPECT_TRUE(env.sync_dir(dir.path()));        // point 1
  auto r = env.create_dirs(dir.file("b"));      // point 2: the crash
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kIo);
  EXPECT_FALSE(env.exists(dir.file("b")));
  EXPECT_TRUE(env.crashed());
  EXPECT_FALSE(env.remove_dir(dir.file("a")));  // everything after fails too
  EXPECT_EQ(env.points(), 2u);
  ASSERT_TRUE(env.power_cut());
  EXPECT_FALSE(env.crashed());
  EXPECT_TRUE(env.exists(dir.file("a")));
}

TEST(FaultEnv, TheAppendThatIsTheCrashPointIsTorn) {
  TempDir dir;
  FaultEnv env(dir.path());
  auto f = env.open_append(dir.file("j")).value();  // point 0
  ASSERT_TRUE(env.sync_dir(dir.path()));             // point 1
  env.crash_at(0);
  ASSERT_FALSE(f->append("12345678"));
  ASSERT_TRUE(f->close());
  EXPECT_EQ(Env::posix().read_file(dir.file("j")).value(), "1234");
}

}  // namespace
}  // namespace tallylog::testing
