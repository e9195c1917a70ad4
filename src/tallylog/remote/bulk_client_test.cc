// BulkClient against a real server (http::Server + Api over an Ingestor, wired as `tallylog
// serve` wires the bulk routes): the handshake refuses before sending, local checks give the
// direct mode's verdicts word for word, and only sheets the server lacks are sent.
#include "tallylog/remote/bulk_client.h"

#include <gtest/gtest.h>

#include <atomic>

#include "tallylog/base/testing.h"
#include "tallylog/election/test_fixtures.h"
#include "tallylog/http/api.h"
#include "tallylog/http/server.h"
#include "tallylog/http/tokens.h"
#include "tallylog/ingest/ingestor.h"

namespace tallylog::remote {
namespace {

using election::testing::small_election;
using election::testing::small_sheet;
using election::testing::small_station;

std::vector<election::Station> stations() { return {small_station("R1.01", 100), small_station("R1.02", 200)}; }

// A batch mixing what a CSV import meets: good sheets, an unknown station, a broken rule.
std::vector<election::Sheet> batch() {
  std::vector<election::Sheet> out;
  for (std::string code : {"R1.01", "R9.99", "R1.02", "R1.02"}) {
    auto s = small_sheet(code);
    s.source = "witness:x";
    s.submitted_at.clear();
    out.push_back(s);
  }
  out[3].fields["null"] = 1000;  // valid + null > registered
  return out;
}

class BulkClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = dir_.path() + "/server";
    ASSERT_TRUE(ingest::Ingestor::init(data_, small_election(), ""));
    ing_ = ingest::Ingestor::open(data_).value();
    ASSERT_TRUE(ing_->add_stations(stations()));
    http::TokenStore store(data_);
    token_ = *store.add("witness-app", {"witness:*"}, std::string(32, 'k'), "2024-07-28T20:00:00Z");
    http::ApiOptions o;
    o.data_dir = data_;
    http::ApiBackend b;
    b.log = &ing_->log();
    b.index = &ing_->index();
    b.submit_batch = [this](std::span<election::Sheet> s,
                            std::span<const std::string> origins) -> Result<std::vector<ingest::Outcome>> {
      if (refusals_ > 0) {
        --refusals_;
        return err(ErrorCode::kUnavailable, "the ingestor is still loading; try again in a moment");
      }
      return ing_->submit_batch(s, origins);
    };
    api_ = std::make_unique<http::Api>(o, b);
    http::ServerOptions so;
    so.host = "127.0.0.1";
    so.port = 0;
    so.io_threads = 1;
    so.worker_threads = 1;
    server_ = std::make_unique<http::Server>(
        so, [this](const http::Request& r) { return api_->handle(r); },
        [this](std::string_view m, std::string_view p) { return api_->body_limit(m, p); });
    ASSERT_TRUE(server_->start());
    url_ = "http://127.0.0.1:" + std::to_string(server_->port());
  }
  BulkOptions options(std::string token = "", std::string source = "witness:x") {
    BulkOptions o;
    o.token = token.empty() ? token_ : token;
    o.source = source;
    return o;
  }
  uint64_t settled_size() {
    EXPECT_TRUE(ing_->log().await_checkpoint(ing_->index().indexed_size().value()));
    return ing_->log().size();
  }

  testing::TempDir dir_;
  std::string data_;
  std::unique_ptr<ingest::Ingestor> ing_;
  std::unique_ptr<http::Api> api_;
  std::unique_ptr<http::Server> server_;
  std::string url_;
  std::string token_;
  std::atomic<int> refusals_{0};  // batches the write side refuses as a server still loading would
};

TEST_F(BulkClientTest, AWrongTokenAForbiddenSourceOrNoServerFailsAtConnectWithNothingSent) {
  const uint64_t size = settled_size();
  auto c = BulkClient::connect(url_, options("tl_wrong"));
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("unknown or revoked token"), std::string::npos) << c.error().message;
  EXPECT_NE(c.error().message.find("nothing was sent"), std::string::npos) << c.error().message;
  c = BulkClient::connect(url_, options("", "official"));
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("may not submit for 'official'"), std::string::npos) << c.error().message;
  c = BulkClient::connect("http://127.0.0.1:1", options());
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("nothing was sent to http://127.0.0.1:1"), std::string::npos) << c.error().message;
  EXPECT_EQ(settled_size(), size);
}

TEST_F(BulkClientTest, ATokenWithItsLineEndIsTrimmedAndOneWithASpaceInsideIsRefused) {
  const uint64_t size = settled_size();
  auto c = BulkClient::connect(url_, options(token_ + "\r\n"));  // read from a Windows file
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_FALSE((*c)->submitter().empty());
  c = BulkClient::connect(url_, options(" tl_wrong\n"));  // trimmed, then unknown to the server
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("unknown or revoked token"), std::string::npos)
      << c.error().message;
  for (std::string bad :
       {token_ + "\nsecond line", std::string("tl_a b"), std::string("tl_\x01")}) {
    c = BulkClient::connect(url_, options(bad));
    ASSERT_FALSE(c) << bad;
    EXPECT_NE(c.error().message.find("not one word of printable characters"), std::string::npos)
        << c.error().message;
    EXPECT_NE(c.error().message.find("nothing was sent"), std::string::npos) << c.error().message;
  }
  c = BulkClient::connect(url_, options(" \r\n"));  // only whitespace: no token at all
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("--token is required"), std::string::npos) << c.error().message;
  EXPECT_EQ(settled_size(), size);
}

TEST_F(BulkClientTest, VerdictsEqualADirectSubmissionAndOnlyWhatTheServerLacksIsSent) {
  // The same batch through a local Ingestor: the words the direct mode uses.
  const std::string direct_dir = dir_.path() + "/direct";
  ASSERT_TRUE(ingest::Ingestor::init(direct_dir, small_election(), ""));
  auto direct = ingest::Ingestor::open(direct_dir).value();
  ASSERT_TRUE(direct->add_stations(stations()));
  auto local = batch();
  auto want = direct->submit_batch(local).value();

  auto client = BulkClient::connect(url_, options()).value();
  EXPECT_EQ(client->submitter(), "witness-app");
  EXPECT_EQ(client->election().id, small_election().id);
  const uint64_t size = settled_size();
  auto remote = batch();
  auto got = client->submit_batch(remote, {}).value();
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].verdict, want[i].verdict) << i;
    EXPECT_EQ(got[i].field, want[i].field) << i;
    EXPECT_EQ(got[i].reason, want[i].reason) << i;
  }
  EXPECT_EQ(got[0].verdict, ingest::Verdict::kAccepted);
  EXPECT_EQ(got[1].field, "station");
  EXPECT_EQ(got[3].verdict, ingest::Verdict::kRejected);
  EXPECT_EQ(client->stats().sent, 2u);  // the two the local checks passed
  EXPECT_EQ(settled_size(), size + 2);

  // A new run (after kill -9, say): the server's sheets are known at connect and not sent again.
  auto again = BulkClient::connect(url_, options()).value();
  EXPECT_EQ(again->stats().held_at_start, 2u);
  auto resent = batch();
  auto dup = again->submit_batch(resent, {}).value();
  EXPECT_EQ(dup[0].verdict, ingest::Verdict::kDuplicate);
  EXPECT_EQ(dup[2].verdict, ingest::Verdict::kDuplicate);
  EXPECT_EQ(again->stats().sent, 0u);
  EXPECT_EQ(settled_size(), size + 2);
}

TEST_F(BulkClientTest, AServerStillLoadingIsWaitedForAndEverySheetIsLoggedOnce) {
  // A server refuses submissions with 503 and Retry-After until its state is loaded (the first
  // seconds after `tallylog serve` starts): the client waits and sends again.
  auto client = BulkClient::connect(url_, options()).value();
  const uint64_t size = settled_size();
  refusals_ = 2;
  auto sheets = batch();
  auto got = client->submit_batch(sheets, {}).value();
  EXPECT_EQ(refusals_.load(), 0);
  EXPECT_EQ(got[0].verdict, ingest::Verdict::kAccepted);
  EXPECT_EQ(got[2].verdict, ingest::Verdict::kAccepted);
  EXPECT_EQ(settled_size(), size + 2);
}

TEST_F(BulkClientTest, ASheetRepeatedInAFirstRunIsLoggedOnceAndAnsweredAsADuplicate) {
  // A first run (the server held nothing of the source) sends without computing digests: the
  // server's verdict rule must still log a repeated row once, within a batch and across batches.
  auto client = BulkClient::connect(url_, options()).value();
  ASSERT_EQ(client->stats().held_at_start, 0u);
  const uint64_t size = settled_size();
  auto sheet = small_sheet("R1.01");
  sheet.source = "witness:x";
  sheet.submitted_at.clear();
  std::vector<election::Sheet> twice = {sheet, sheet};
  auto got = client->submit_batch(twice, {}).value();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].verdict, ingest::Verdict::kAccepted);
  EXPECT_EQ(got[1].verdict, ingest::Verdict::kDuplicate);
  std::vector<election::Sheet> later = {sheet};
  auto again = client->submit_batch(later, {}).value();
  EXPECT_EQ(again[0].verdict, ingest::Verdict::kDuplicate);
  EXPECT_EQ(got[0].log_index, again[0].log_index);
  EXPECT_EQ(settled_size(), size + 1);
}

}  // namespace
}  // namespace tallylog::remote
