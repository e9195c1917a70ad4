// store::SharedBlobs on a real PostgreSQL server (pg/testing.h): what several serve nodes on one
// log share their images through.
#include "tallylog/store/shared_blobs.h"

#include <gtest/gtest.h>

#include <string>

#include "tallylog/base/sha256.h"
#include "tallylog/pg/conn.h"
#include "tallylog/pg/testing.h"

namespace tallylog::store {
namespace {

TEST(SharedBlobs, KeepsABlobUnderItsDigestForEveryConnection) {
  const std::string url = pg::testing::database_url("shared-blobs-round-trip");
  auto a = SharedBlobs::open(url);  // creates the table
  ASSERT_TRUE(a) << a.error().to_string();
  auto b = SharedBlobs::open(url);  // another node: the table exists
  ASSERT_TRUE(b) << b.error().to_string();
  std::string bytes(300000, '\0');  // every byte value, past one page: bytea round-trips
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 7);
  const std::string hex = sha256_hex(bytes);
  auto none = (*b)->get(hex);
  ASSERT_TRUE(none) << none.error().to_string();
  EXPECT_FALSE(none->has_value());
  ASSERT_TRUE((*a)->put(hex, bytes));
  ASSERT_TRUE((*a)->put(hex, bytes));  // the same blob again: a no-op
  auto got = (*b)->get(hex);
  ASSERT_TRUE(got) << got.error().to_string();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ(**got, bytes);
}

TEST(SharedBlobs, RefusesBytesThatDoNotHashToTheDigestAndMalformedDigests) {
  const std::string url = pg::testing::database_url("shared-blobs-refusals");
  auto s = SharedBlobs::open(url).value();
  const std::string other = sha256_hex("other bytes");
  auto wrong = s->put(other, "these bytes");
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, ErrorCode::kInvalidArgument);
  EXPECT_FALSE(s->get(other).value().has_value());  // nothing stored
  for (std::string bad : {std::string("../etc/passwd"), std::string(64, 'A'), other.substr(1)}) {
    auto g = s->get(bad);
    ASSERT_FALSE(g) << bad;
    EXPECT_EQ(g.error().code, ErrorCode::kInvalidArgument) << bad;
    EXPECT_FALSE(s->put(bad, "x")) << bad;
  }
}

TEST(SharedBlobs, ARowAlteredInTheDatabaseIsReportedCorruptNotServed) {
  const std::string url = pg::testing::database_url("shared-blobs-corrupt");
  auto s = SharedBlobs::open(url).value();
  const std::string hex = sha256_hex("the acta");
  ASSERT_TRUE(s->put(hex, "the acta"));
  pg::Conn c;
  ASSERT_TRUE(c.connect(url));
  ASSERT_TRUE(c.exec("UPDATE tl_blobs SET data = 'the acts'"));
  auto g = s->get(hex);
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error().code, ErrorCode::kCorrupt);
  EXPECT_NE(g.error().message.find(hex), std::string::npos) << g.error().message;
}

TEST(SharedBlobs, AnUnreachableDatabaseIsOneClearErrorAtOpen) {
  auto s = SharedBlobs::open("postgresql:///tallylog?host=/nonexistent-socket-dir");
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("blob store"), std::string::npos) << s.error().message;
}

}  // namespace
}  // namespace tallylog::store
