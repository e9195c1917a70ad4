#include "tallylog/http/tokens.h"

#include <gtest/gtest.h>

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
