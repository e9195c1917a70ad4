#include "tallylog/http/tokens.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "tallylog/base/testing.h"
#include "tallylog/http/rate_limiter.h"
#include "tallylog/http/metrics.h"

namespace tallylog::http {
namespace {

const std::string kRandom(32, '\x42');

TEST(TokenStore, AuthenticatesAnAddedTokenAndStoresOnlyItsHash) {
  testing::TempDir dir;
  TokenStore store(dir.path());
  auto secret = store.add("alice", {"witness:*"}, kRandom, "2024-07-28T18:00:00Z");
  ASSERT_TRUE(secret) << secret.error().to_string();
  EXPECT_TRUE(secret->starts_with("tl_"));
  auto file = Env::posix().read_file(store.path());
  ASSERT_TRUE(file);
  EXPECT_EQ(file->find(*secret), std::string::npos);
  EXPECT_EQ(file->find(secret->substr(3)), std::string::npos);
  auto who = store.authenticate(*secret);
  ASSERT_TRUE(who && *who);
  EXPECT_EQ((*who)->name, "alice");
  EXPECT_TRUE((*who)->allows_source("witness:mud"));
  EXPECT_FALSE((*who)->allows_source("official"));
  EXPECT_FALSE((*who)->allows_source("witness:"));
}

TEST(TokenStore, RefusesUnknownMalformedAndRevokedTokens) {
  testing::TempDir dir;
  TokenStore store(dir.path());
  auto secret = store.add("bob", {"official"}, kRandom, "t0");
  ASSERT_TRUE(secret);
  EXPECT_FALSE(*store.authenticate("tl_" + std::string(64, '0')));
  EXPECT_FALSE(*store.authenticate(""));
  EXPECT_FALSE(*store.authenticate(secret->substr(0, secret->size() - 1)));
  ASSERT_TRUE(store.revoke("bob", "t1"));
  EXPECT_FALSE(*store.authenticate(*secret));
  auto all = store.list();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].revoked_at, "t1");
  EXPECT_EQ(store.revoke("bob", "t2").error().code, ErrorCode::kNotFound);
}

TEST(TokenStore, RefusesASecondActiveTokenForTheSameName) {
  testing::TempDir dir;
  TokenStore store(dir.path());
  ASSERT_TRUE(store.add("carol", {"qr"}, kRandom, "t0"));
  EXPECT_EQ(store.add("carol", {"qr"}, std::string(32, 'z'), "t0").error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(store.add("", {"qr"}, kRandom, "t0").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(store.add("dan", {}, kRandom, "t0").error().code, ErrorCode::kInvalidArgument);
}

TEST(TokenStore, ReportsACorruptFile) {
  testing::TempDir dir;
  TokenStore store(dir.path());
  ASSERT_TRUE(Env::posix().write_file_atomic(store.path(), "{not json", Durability::kNoSync));
  EXPECT_EQ(store.authenticate("tl_00").error().code, ErrorCode::kCorrupt);
}

// Many CLI processes adding and revoking at once: every write is serialised by the lock file,
// so nothing is lost (without it the last writer of a read-modify-write wins).
TEST(TokenStore, ConcurrentAddsAndRevokesFromManyProcessesAreAllKept) {
  testing::TempDir dir;
  constexpr int kProcs = 6, kEach = 12;
  std::vector<pid_t> kids;
  for (int p = 0; p < kProcs; ++p) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      TokenStore store(dir.path());
      int bad = 0;
      for (int i = 0; i < kEach; ++i) {
        std::string name = "p" + std::to_string(p) + "-" + std::to_string(i);
        auto bytes = random_token_bytes();
        if (!bytes || !store.add(name, {"witness:*"}, *bytes, "t0")) ++bad;
        if (i % 2 == 1 && !store.revoke("p" + std::to_string(p) + "-" + std::to_string(i - 1), "t1")) ++bad;
      }
      ::_exit(bad == 0 ? 0 : 1);
    }
    kids.push_back(pid);
  }
  for (pid_t pid : kids) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child " << pid;
  }
  TokenStore store(dir.path());
  auto all = store.list();
  ASSERT_TRUE(all) << all.error().to_string();
  ASSERT_EQ(all->size(), static_cast<size_t>(kProcs * kEach));
  std::set<std::string> names;
  for (const auto& t : *all) {
    names.insert(t.name);
    int i = std::stoi(t.name.substr(t.name.find('-') + 1));
    EXPECT_EQ(t.active(), i % 2 == 1) << t.name;
  }
  EXPECT_EQ(names.size(), static_cast<size_t>(kProcs * kEach));
  EXPECT_FALSE(Env::posix().exists(store.path() + ".new"));
}

TEST(TokenStore, ConcurrentAddsFromManyThreadsAreAllKept) {
  testing::TempDir dir;
  constexpr int kThreads = 8, kEach = 10;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      TokenStore store(dir.path());
      for (int i = 0; i < kEach; ++i)
        if (!store.add("t" + std::to_string(t) + "-" + std::to_string(i), {"qr"}, kRandom + std::to_string(i), "t0"))
          ++failures;
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  auto all = TokenStore(dir.path()).list();
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), static_cast<size_t>(kThreads * kEach));
}

TEST(TokenStore, KeepsTheFilePrivateAcrossRewrites) {
  testing::TempDir dir;
  TokenStore store(dir.path());
  ASSERT_TRUE(store.add("erin", {"qr"}, kRandom, "t0"));
  ASSERT_TRUE(store.add("frank", {"qr"}, kRandom, "t0"));
  ASSERT_TRUE(store.revoke("erin", "t1"));
  struct stat st {};
  ASSERT_EQ(::stat(store.path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto all = store.list();
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), 2u);
}

TEST(RandomTokenBytes, GivesDifferentBytesEachTime) {
  auto a = random_token_bytes();
  auto b = random_token_bytes();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->size(), 32u);
  EXPECT_NE(*a, *b);
}

TEST(RateLimiter, AllowsABurstThenRefillsAtTheRate) {
  RateLimiter rl(10, 3);
  auto t = std::chrono::steady_clock::time_point{} + std::chrono::seconds(100);
  EXPECT_TRUE(rl.allow("a", t));
  EXPECT_TRUE(rl.allow("a", t));
  EXPECT_TRUE(rl.allow("a", t));
  EXPECT_FALSE(rl.allow("a", t));
  EXPECT_TRUE(rl.allow("b", t));  // keys are independent
  EXPECT_TRUE(rl.allow("a", t + std::chrono::milliseconds(100)));
  EXPECT_FALSE(rl.allow("a", t + std::chrono::milliseconds(100)));
}

TEST(Metrics, RendersCountersHistogramAndGaugesInPrometheusFormat) {
  Metrics m;
  m.observe("/log/checkpoint", 200, std::chrono::milliseconds(2));
  m.observe("/log/checkpoint", 200, std::chrono::milliseconds(200));
  m.observe("/api/v1/sheets", 401, std::chrono::microseconds(100));
  auto text = m.render({Gauge{"tallylog_log_size", "Entries in the log.", {{"", 42}}},
                        Gauge{"tallylog_sheets", "Sheets by source.", {{"source=\"qr\"", 3}}}});
  EXPECT_NE(text.find("tallylog_http_requests_total{route=\"/log/checkpoint\",status=\"200\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("tallylog_http_requests_total{route=\"/api/v1/sheets\",status=\"401\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("tallylog_http_request_duration_seconds_bucket{route=\"/log/checkpoint\",le=\"0.0025\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("tallylog_http_request_duration_seconds_count{route=\"/log/checkpoint\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("tallylog_log_size 42\n"), std::string::npos);
  EXPECT_NE(text.find("tallylog_sheets{source=\"qr\"} 3\n"), std::string::npos);
  EXPECT_EQ(m.requests("/log/checkpoint", 200), 2u);
}

}  // namespace
}  // namespace tallylog::http
