#include "tallylog/blob/blob_store.h"

#include <gtest/gtest.h>

#include "tallylog/base/sha256.h"
#include "tallylog/base/testing.h"

namespace tallylog::blob {
namespace {

// Delegates to the real file system but can fail atomic writes, like a full disk.
class FailingEnv : public EnvWrapper {
 public:
  FailingEnv() : EnvWrapper(&Env::posix()) {}
  bool fail_writes = false;
  int writes = 0;
  Status write_file_atomic(const std::string& p, std::string_view d, Durability du) override {
    ++writes;
    if (fail_writes) return err(ErrorCode::kIo, "injected: no space left on device writing " + p);
    return EnvWrapper::write_file_atomic(p, d, du);
  }
};

TEST(BlobStore, PutReturnsTheSha256AndGetReturnsTheBytes) {
  tallylog::testing::TempDir dir;
  auto store = BlobStore::open(Env::posix(), dir.path());
  ASSERT_TRUE(store) << store.error().to_string();
  const std::string image = std::string("\xff\xd8\xff", 3) + "pretend jpeg";
  auto hex = store->put(image);
  ASSERT_TRUE(hex) << hex.error().to_string();
  EXPECT_EQ(*hex, sha256_hex(image));
  EXPECT_EQ(store->path_for(*hex).value(), dir.path() + "/blobs/sha256/" + *hex);
  EXPECT_TRUE(Env::posix().exists(dir.path() + "/blobs/sha256/" + *hex));
  EXPECT_TRUE(store->contains(*hex));
  EXPECT_EQ(store->get(*hex).value(), image);
}

TEST(BlobStore, StoringTheSameBytesTwiceWritesOnce) {
  tallylog::testing::TempDir dir;
  FailingEnv env;
  auto store = BlobStore::open(env, dir.path());
  ASSERT_TRUE(store);
  auto a = store->put("same");
  auto b = store->put("same");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(env.writes, 1);
}

TEST(BlobStore, AFailedWriteLeavesNothingUnderTheBlobName) {
  tallylog::testing::TempDir dir;
  FailingEnv env;
  auto store = BlobStore::open(env, dir.path());
  ASSERT_TRUE(store);
  env.fail_writes = true;
  auto r = store->put("image bytes");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kIo);
  EXPECT_FALSE(store->contains(sha256_hex("image bytes")));
  EXPECT_TRUE(env.list_dir(store->dir()).value().empty());
}

TEST(BlobStore, RejectsDigestsThatCouldEscapeTheStore) {
  tallylog::testing::TempDir dir;
  auto store = BlobStore::open(Env::posix(), dir.path());
  ASSERT_TRUE(store);
  for (std::string bad :
       {std::string("../../etc/passwd"), std::string(64, 'A'), std::string(63, 'a'),
        std::string(65, 'a'), std::string(), std::string(62, 'a') + "/."}) {
    EXPECT_FALSE(store->path_for(bad)) << bad;
    EXPECT_FALSE(store->get(bad)) << bad;
    EXPECT_FALSE(store->contains(bad)) << bad;
  }
}

TEST(BlobStore, GetOfAnAbsentBlobIsNotFound) {
  tallylog::testing::TempDir dir;
  auto store = BlobStore::open(Env::posix(), dir.path());
  ASSERT_TRUE(store);
  auto r = store->get(std::string(64, 'a'));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
}

TEST(BlobStore, DetectsABlobWhoseBytesWereAltered) {
  tallylog::testing::TempDir dir;
  auto store = BlobStore::open(Env::posix(), dir.path());
  ASSERT_TRUE(store);
  auto hex = store->put("original");
  ASSERT_TRUE(hex);
  ASSERT_TRUE(Env::posix().write_file_atomic(store->path_for(*hex).value(), "tampered",
                                             Durability::kNoSync));
  auto r = store->get(*hex);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kCorrupt);
}

TEST(BlobStore, RefusesBlobsOverTheSizeLimit) {
  tallylog::testing::TempDir dir;
  auto store = BlobStore::open(Env::posix(), dir.path(), 10);
  ASSERT_TRUE(store);
  auto r = store->put("eleven bytes");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kResourceExhausted);
  EXPECT_TRUE(store->put("ten bytes!"));
}

}  // namespace
}  // namespace tallylog::blob
