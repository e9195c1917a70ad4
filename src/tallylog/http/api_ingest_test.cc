// The API over a real data directory (log, index, ingestor), as `tallylog serve` wires it: what
// the verdict rule and the index decide must reach HTTP clients unchanged.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tallylog/base/testing.h"
#include "tallylog/election/test_fixtures.h"
#include "tallylog/http/api.h"
#include "tallylog/http/tokens.h"
#include "tallylog/ingest/ingestor.h"

namespace tallylog::http {
namespace {

using election::testing::small_election;
using election::testing::small_sheet;
using election::testing::small_station;
using Json = nlohmann::json;

class ApiIngestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = dir_.path() + "/data";
    ASSERT_TRUE(ingest::Ingestor::init(data_, small_election(), ""));
    ing_ = ingest::Ingestor::open(data_).value();
    auto r2 = small_station("R2.01", 300);
    r2.areas[0] = {"R2", "Region two"};
    std::vector<election::Station> stations = {small_station("R1.01", 100), small_station("R1.02", 200), r2};
    ASSERT_TRUE(ing_->add_stations(stations));
    auto official = ing_->submit(small_sheet("R1.01")).value();
    ASSERT_EQ(official.verdict, ingest::Verdict::kAccepted);
    official_at_ = *official.log_index;
    TokenStore store(data_);
    token_ = *store.add("witness-app", {"witness:*"}, std::string(32, 'k'), "2024-07-28T20:00:00Z");
    ApiOptions o;
    o.data_dir = data_;
    ApiBackend b;
    b.log = &ing_->log();
    b.index = &ing_->index();
    b.submit = [this](election::Sheet s) { return ing_->submit(std::move(s), "http"); };
    api_ = std::make_unique<Api>(o, b);
  }

  Response get(std::string target) {
    Request r;
    r.method = "GET";
    r.target = target;
    auto q = target.find('?');
    r.path = target.substr(0, q);
    if (q != std::string::npos) r.query = target.substr(q + 1);
    return owned(api_->handle(r));
  }
  Response post(std::string path, std::string body) {
    Request r;
    r.method = "POST";
    r.target = r.path = std::move(path);
    r.body = std::move(body);
    r.headers.emplace_back("authorization", "Bearer " + token_);
    return owned(api_->handle(r));
  }
  // Cached answers share their body; copy it so the assertions read one field.
  static Response owned(Response r) {
    if (r.shared_body) r.body = std::string(r.body_view());
    return r;
  }

  testing::TempDir dir_;
  std::string data_;
  std::unique_ptr<ingest::Ingestor> ing_;
  std::unique_ptr<Api> api_;
  std::string token_;
  uint64_t official_at_ = 0;
};

// Regression, issue 10 finding 1 (the HTTP reproduction): a `witness:*` token POSTed a sheet
// with "supersedes": <the official sheet's log index> and got 201; the official sheet was marked
// superseded and left the official tally.
TEST_F(ApiIngestTest, AWitnessCannotSupersedeTheOfficialSheet) {
  const auto before = get("/api/v1/tally?level=national&source=official");
  ASSERT_EQ(before.status, 200) << before.body;
  EXPECT_EQ(Json::parse(before.body)["total"]["tables_reported"], 1);
  Json forged{{"station", "R1.01"},
              {"source", "witness:x"},
              {"cards", {0, 0, 35}},
              {"fields", {{"valid", 35}, {"null", 2}}},
              {"supersedes", official_at_}};
  const uint64_t size = ing_->log().size();
  auto r = post("/api/v1/sheets", forged.dump());
  EXPECT_EQ(r.status, 400) << r.body;
  auto j = Json::parse(r.body);
  EXPECT_EQ(j["verdict"], "rejected");
  EXPECT_EQ(j["field"], "supersedes");
  EXPECT_NE(j["reason"].get<std::string>().find("another source"), std::string::npos) << r.body;
  EXPECT_EQ(ing_->log().size(), size);
  const auto after = get("/api/v1/tally?level=national&source=official");
  EXPECT_EQ(after.body, before.body);
  auto sheets = Json::parse(get("/api/v1/stations/R1.01/sheets").body)["sheets"];
  ASSERT_EQ(sheets.size(), 1u);
  EXPECT_EQ(sheets[0]["superseded"], false);
}

TEST_F(ApiIngestTest, AWitnessCorrectsItsOwnSheet) {
  Json mine{{"station", "R1.02"}, {"source", "witness:x"}, {"cards", {1, 2, 3}}, {"fields", {{"valid", 6}, {"null", 0}}}};
  auto first = post("/api/v1/sheets", mine.dump());
  ASSERT_EQ(first.status, 201) << first.body;
  mine["cards"] = {1, 2, 4};
  mine["fields"]["valid"] = 7;
  mine["supersedes"] = Json::parse(first.body)["log_index"];
  auto fix = post("/api/v1/sheets", mine.dump());
  EXPECT_EQ(fix.status, 201) << fix.body;
  auto tally = Json::parse(get("/api/v1/tally?level=national&source=witness:*").body);
  EXPECT_EQ(tally["total"]["tables_reported"], 1);
  EXPECT_EQ(tally["total"]["valid"], 7);
}

}  // namespace
}  // namespace tallylog::http
