// The bulk routes (issue 17) over a real data directory, wired as `tallylog serve` wires them:
// a batch is checked again and logged in one append with a verdict per line; the handshake
// refuses a bad token or source before anything is logged; `held` lists what the server has.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "tallylog/base/bytes.h"
#include "tallylog/base/testing.h"
#include "tallylog/election/entry.h"
#include "tallylog/election/test_fixtures.h"
#include "tallylog/http/api.h"
#include "tallylog/http/sheet_json.h"
#include "tallylog/http/tokens.h"
#include "tallylog/ingest/ingestor.h"

namespace tallylog::http {
namespace {

using election::testing::small_election;
using election::testing::small_sheet;
using election::testing::small_station;
using Json = nlohmann::json;

class BulkRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = dir_.path() + "/data";
    ASSERT_TRUE(ingest::Ingestor::init(data_, small_election(), ""));
    ing_ = ingest::Ingestor::open(data_).value();
    std::vector<election::Station> stations = {small_station("R1.01", 100), small_station("R1.02", 200)};
    ASSERT_TRUE(ing_->add_stations(stations));
    TokenStore store(data_);
    token_ = *store.add("witness-app", {"witness:*"}, std::string(32, 'k'), "2024-07-28T20:00:00Z");
    make_api(true);
  }
  void make_api(bool writable) {
    ApiOptions o;
    o.data_dir = data_;
    ApiBackend b;
    b.log = &ing_->log();
    b.index = &ing_->index();
    if (writable) {
      b.submit_batch = [this](std::span<election::Sheet> s, std::span<const std::string> origins) {
        return ing_->submit_batch(s, origins);
      };
    }
    api_ = std::make_unique<Api>(o, b);
  }

  Response call(std::string method, std::string target, std::string body = {}, std::string token = {}) {
    Request r;
    r.method = std::move(method);
    r.target = target;
    auto q = target.find('?');
    r.path = target.substr(0, q);
    if (q != std::string::npos) r.query = target.substr(q + 1);
    r.body = std::move(body);
    r.headers.emplace_back("authorization", "Bearer " + (token.empty() ? token_ : token));
    Response out = api_->handle(r);
    if (out.shared_body) out.body = std::string(out.body_view());
    return out;
  }
  static std::string entry(election::Sheet s) { return election::encode_entry(s) + "\n"; }
  static election::Sheet witness_sheet(std::string station, std::string source = "witness:x") {
    auto s = small_sheet(std::move(station));
    s.source = std::move(source);
    s.candidates = {{"A", 15}, {"B", 20}};  // as the validator fills them in: a log entry has them
    return s;
  }
  uint64_t settled_size() {
    EXPECT_TRUE(ing_->log().await_checkpoint(ing_->index().indexed_size().value()));
    return ing_->log().size();
  }

  testing::TempDir dir_;
  std::string data_;
  std::unique_ptr<ingest::Ingestor> ing_;
  std::unique_ptr<Api> api_;
  std::string token_;
};

TEST_F(BulkRoutesTest, ABatchIsLoggedInOneAppendWithAVerdictPerLineInOrder) {
  const uint64_t size = settled_size();
  const uint64_t batches = ing_->stats().batches;
  auto bad_counts = witness_sheet("R1.02");
  bad_counts.fields["valid"] = 99;  // breaks the election's rule: the server checks again
  std::string body = entry(witness_sheet("R1.01")) + entry(witness_sheet("R1.01")) +
                     entry(witness_sheet("R1.02", "witness:y")) + "{\"not\":\"an entry\"}\n" + entry(bad_counts) +
                     entry(witness_sheet("R1.02"));
  auto r = call("POST", "/api/v1/bulk/sheets?source=witness:x", body);
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = Json::parse(r.body);
  EXPECT_EQ(j["submitter"], "witness-app");
  const auto& v = j["verdicts"];
  ASSERT_EQ(v.size(), 6u) << r.body;
  EXPECT_EQ(v[0]["verdict"], "accepted") << v[0];
  EXPECT_EQ(v[1]["verdict"], "duplicate");
  EXPECT_EQ(v[1]["log_index"], v[0]["log_index"]);
  EXPECT_EQ(v[2]["verdict"], "rejected");
  EXPECT_EQ(v[2]["field"], "source");
  EXPECT_EQ(v[3]["verdict"], "rejected");
  EXPECT_EQ(v[3]["reason"].get<std::string>().rfind("line 4: ", 0), 0u) << v[3];
  EXPECT_EQ(v[4]["verdict"], "rejected");
  EXPECT_EQ(v[5]["verdict"], "accepted");
  EXPECT_EQ(v[5]["log_index"].get<uint64_t>(), v[0]["log_index"].get<uint64_t>() + 1);
  EXPECT_EQ(ing_->stats().batches, batches + 1);  // one submit_batch: one append
  EXPECT_EQ(settled_size(), size + 2);
  auto logged = ing_->index().sheet_at(v[0]["log_index"].get<uint64_t>()).value();
  ASSERT_TRUE(logged);
  EXPECT_EQ(logged->sheet.submitted_by, "witness-app");  // the token's name, not the entry's
  EXPECT_NE(logged->sheet.submitted_at, "2024-07-29T01:02:03Z");  // the server's clock

  // Sent again: every sheet a duplicate, nothing logged.
  r = call("POST", "/api/v1/bulk/sheets?source=witness:x", entry(witness_sheet("R1.01")) + entry(witness_sheet("R1.02")));
  ASSERT_EQ(r.status, 200) << r.body;
  auto again = Json::parse(r.body);  // held by name: a range-for over a temporary's member dangles
  ASSERT_EQ(again["verdicts"].size(), 2u);
  for (const auto& d : again["verdicts"]) EXPECT_EQ(d["verdict"], "duplicate");
  EXPECT_EQ(settled_size(), size + 2);
}

TEST_F(BulkRoutesTest, TheHandshakeRefusesABadTokenOrSourceAndLogsNothing) {
  const uint64_t size = settled_size();
  auto r = call("GET", "/api/v1/bulk/session?source=witness:x", "", "tl_wrong");
  EXPECT_EQ(r.status, 401) << r.body;
  EXPECT_NE(r.body.find("unknown or revoked token"), std::string::npos) << r.body;
  r = call("GET", "/api/v1/bulk/session?source=official");
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_NE(r.body.find("may not submit for 'official'"), std::string::npos) << r.body;
  r = call("GET", "/api/v1/bulk/session");
  EXPECT_EQ(r.status, 400) << r.body;
  r = call("POST", "/api/v1/bulk/sheets?source=official", entry(small_sheet("R1.01")));
  EXPECT_EQ(r.status, 403) << r.body;
  r = call("POST", "/api/v1/bulk/sheets?source=witness:x", entry(witness_sheet("R1.01")), "tl_wrong");
  EXPECT_EQ(r.status, 401) << r.body;
  EXPECT_EQ(settled_size(), size);

  r = call("GET", "/api/v1/bulk/session?source=witness:x");
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = Json::parse(r.body);
  EXPECT_EQ(j["submitter"], "witness-app");
  auto e = election::decode_entry(j["election_entry"].get<std::string>());
  ASSERT_TRUE(e) << e.error().to_string();
  EXPECT_EQ(std::get<election::Election>(e->record).id, small_election().id);

  make_api(false);  // a read-only server: refused at the handshake
  r = call("GET", "/api/v1/bulk/session?source=witness:x");
  EXPECT_EQ(r.status, 503) << r.body;
}

TEST_F(BulkRoutesTest, HeldListsTheIdentityDigestsOfTheSourceAndStationsTheRegistry) {
  auto sheet = witness_sheet("R1.01");
  auto r = call("POST", "/api/v1/bulk/sheets?source=witness:x", entry(sheet));
  ASSERT_EQ(r.status, 200) << r.body;
  auto logged = ing_->index().sheet_at(Json::parse(r.body)["verdicts"][0]["log_index"].get<uint64_t>()).value();
  ASSERT_TRUE(logged);
  r = call("GET", "/api/v1/bulk/held?source=witness:x");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, hex_encode(election::sheet_identity_digest(logged->sheet)) + "\n");
  r = call("GET", "/api/v1/bulk/held?source=witness:y");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, "");
  r = call("GET", "/api/v1/bulk/stations");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, "R1.01\t100\nR1.02\t200\n");
}

}  // namespace
}  // namespace tallylog::http

namespace tallylog::http {
namespace {

// outcome_to_json is written by hand for speed: it must give the bytes nlohmann's dump gives for
// the same object (members in insertion order), for every verdict, with and without its optional
// members, and escape what a reason may hold.
TEST(OutcomeToJson, GivesTheBytesOfTheJsonLibrarysOwnDump) {
  std::vector<ingest::Outcome> cases;
  for (auto v : {ingest::Verdict::kAccepted, ingest::Verdict::kDuplicate,
                 ingest::Verdict::kConflict, ingest::Verdict::kRejected}) {
    for (int mask = 0; mask < 4; ++mask) {
      ingest::Outcome o;
      o.verdict = v;
      if (mask & 1) o.log_index = 18446744073709551615ull;
      if (mask & 2) o.conflicts_with = 7;
      o.field = "counts.EG";
      o.reason = "line 3: \"quoted\", a tab\t, a newline\n, \u00e9, a backslash \\ and \x01";
      o.flags = {"a flag never appears in the answer"};
      cases.push_back(o);
    }
  }
  for (const auto& o : cases) {
    const char* names[] = {"accepted", "duplicate", "conflict", "rejected"};
    const ingest::Verdict order[] = {ingest::Verdict::kAccepted, ingest::Verdict::kDuplicate,
                                     ingest::Verdict::kConflict, ingest::Verdict::kRejected};
    nlohmann::ordered_json j;
    j["verdict"] =
        names[std::find(std::begin(order), std::end(order), o.verdict) - std::begin(order)];
    if (o.log_index) j["log_index"] = *o.log_index;
    if (o.conflicts_with) j["conflicts_with"] = *o.conflicts_with;
    if (o.verdict == ingest::Verdict::kRejected) {
      j["field"] = o.field;
      j["reason"] = o.reason;
    }
    EXPECT_EQ(outcome_to_json(o), j.dump());
  }
}

}  // namespace
}  // namespace tallylog::http
