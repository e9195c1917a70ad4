// The sequencer lease and the followers' watch against a real PostgreSQL server (pg/testing.h).
#include "tallylog/cluster/lease.h"

#include <gtest/gtest.h>

#include <thread>

#include "tallylog/pg/conn.h"
#include "tallylog/pg/testing.h"
#include "tallylog/store/store.h"

namespace tallylog::cluster {
namespace {

using namespace std::chrono_literals;

std::string new_store(const std::string& key) {
  std::string url = pg::testing::database_url("cluster-" + key);
  auto s = store::create_postgres_store(url);
  EXPECT_TRUE(s) << s.error().message;
  return url;
}

TEST(Lease, OneHolderAtATimeEachWithANewEpochNamedInTheStore) {
  const std::string url = new_store("one");
  Lease a(url), b(url);
  auto ea = a.try_acquire("http://a/", "node-a");
  ASSERT_TRUE(ea) << ea.error().message;
  ASSERT_TRUE(ea->has_value());
  EXPECT_EQ(**ea, 1u);
  EXPECT_TRUE(a.check());
  auto eb = b.try_acquire("http://b/", "node-b");
  ASSERT_TRUE(eb) << eb.error().message;
  EXPECT_FALSE(eb->has_value()) << "a second node took a held lease";
  EXPECT_FALSE(b.held());
  auto s = current_sequencer(url);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->epoch, 1u);
  EXPECT_EQ(s->url, "http://a/");
  EXPECT_EQ(s->node, "node-a");
  // The holder gives it up: the next one gets it with a higher epoch, which fences the first.
  a.release();
  eb = b.try_acquire("http://b/", "node-b");
  ASSERT_TRUE(eb && eb->has_value());
  EXPECT_EQ(**eb, 2u);
  EXPECT_EQ(current_sequencer(url)->node, "node-b");
  EXPECT_EQ(*store::sequencer_epoch(url), 2u);
  EXPECT_FALSE(a.check());
}

TEST(Lease, AHolderWhoseConnectionEndsLosesItAndAnotherNodeTakesIt) {
  const std::string url = new_store("killed");
  Lease a(url), b(url);
  ASSERT_TRUE(a.try_acquire("http://a/", "a")->has_value());
  // The database ends the holder's session (as when its process dies or its network is cut).
  pg::Conn admin;
  ASSERT_TRUE(admin.connect(url));
  pg::Params key;
  key.i64(0x74616c6c796c6f67);
  auto killed = admin.query(
      "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND "
      "((classid::bigint << 32) | objid::bigint) = $1",
      key);
  ASSERT_TRUE(killed) << killed.error().message;
  ASSERT_EQ(PQntuples(killed->get()), 1) << "the lease's lock is not in pg_locks";
  bool lost = false;
  for (int i = 0; i < 50 && !lost; ++i) {
    lost = !a.check();
    if (!lost) std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(lost) << "the holder did not notice its session ended";
  auto eb = b.try_acquire("http://b/", "b");
  ASSERT_TRUE(eb && eb->has_value());
  EXPECT_EQ(**eb, 2u);
}

TEST(Lease, TheFencedStoreOfAnOldEpochCannotWrite) {
  const std::string url = new_store("fenced");
  Lease a(url), b(url);
  auto ea = a.try_acquire("http://a/", "a");
  ASSERT_TRUE(ea && ea->has_value());
  auto old = store::open_postgres_store(url, store::StoreOptions{.write = true, .fence = **ea});
  ASSERT_TRUE(old) << old.error().message;
  ASSERT_TRUE(old->storage->write_once("tile/0/000", std::string(32, 'x')));
  ASSERT_TRUE(old->storage->make_durable()) << "the holder of the current epoch writes";
  a.release();
  ASSERT_TRUE(b.try_acquire("http://b/", "b")->has_value());
  ASSERT_TRUE(old->storage->write_once("tile/0/001", std::string(32, 'y')));
  auto w = old->storage->make_durable();
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(w.error().message.find("fenced"), std::string::npos) << w.error().message;
}

TEST(Watch, WakesOnANewSequencerAndTimesOutOtherwise) {
  const std::string url = new_store("watch");
  Watch w(url);
  auto first = w.wait(100ms);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_TRUE(*first) << "a fresh watch reports a change (it cannot know what it missed)";
  auto quiet = w.wait(100ms);
  ASSERT_TRUE(quiet);
  EXPECT_FALSE(*quiet);
  Lease a(url);
  ASSERT_TRUE(a.try_acquire("http://a/", "a")->has_value());
  auto woke = w.wait(5s);
  ASSERT_TRUE(woke);
  EXPECT_TRUE(*woke);
  // Closed, it queues nothing; listening again, it reports a change (it cannot know what it missed).
  w.close();
  auto again = w.wait(100ms);
  ASSERT_TRUE(again);
  EXPECT_TRUE(*again);
  auto quiet_again = w.wait(100ms);
  ASSERT_TRUE(quiet_again);
  EXPECT_FALSE(*quiet_again);
}

TEST(Watch, AnUnreachableStoreIsUnavailableAfterTheTimeout) {
  Watch w("postgresql:///none?host=/nonexistent&port=5999&connect_timeout=2");
  const auto t0 = std::chrono::steady_clock::now();
  auto r = w.wait(200ms);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 150ms) << "a failing watch must not let its caller spin";
}

}  // namespace
}  // namespace tallylog::cluster
