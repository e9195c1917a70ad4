// The routes an independent checker uses: consistency proofs between checkpoint sizes and the
// witnesses' state (JSON and /metrics).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tallylog/base/testing.h"
#include "tallylog/http/api.h"
#include "tallylog/index/open.h"
#include "tallylog/log/log.h"
#include "tallylog/merkle/tree.h"

namespace tallylog::http {
namespace {

using Json = nlohmann::json;

struct Fixture {
  tallylog::testing::TempDir tmp;
  std::unique_ptr<log::Log> log;
  std::unique_ptr<index::Index> index;  // empty: the routes under test read only the log
  std::string status = R"({"quorum":2,"checkpoint":{"size":7,"cosignatures":1,"quorum_met":false},"checkpoints_short":3,)"
                       R"("witnesses":[{"key":"w1.example+01020304","vkey":"x","url":"http://w1","cosigned_size":7,)"
                       R"("last_cosigned_at":null,"last_error":null,"consecutive_failures":0}]})";
  Fixture() {
    log = log::Log::create(tmp.file("d"), {.origin = "tallylog.test/verify"}).value();
    std::vector<std::string> entries;
    for (int i = 0; i < 300; ++i) entries.push_back("entry " + std::to_string(i));
    EXPECT_TRUE(log->append_batch(entries));
    EXPECT_TRUE(log->await_checkpoint(log->sequenced_size()));  // the routes answer at the published size
    index = index::open_index(tmp.file("d")).value();
  }
  Response get(Api& api, const std::string& target) {
    Request r;
    r.method = "GET";
    r.target = target;
    r.path = target.substr(0, target.find('?'));
    r.query = target.find('?') == std::string::npos ? "" : target.substr(target.find('?') + 1);
    return api.handle(r);
  }
  Api api(bool witnesses) {
    ApiBackend be;
    be.log = log.get();
    be.index = index.get();
    if (witnesses) be.witness_status = [this] { return status; };
    ApiOptions o;
    o.data_dir = tmp.file("d");
    return Api(o, be);
  }
};

TEST(VerifyRoutes, AnswersAConsistencyProofThatVerifies) {
  Fixture f;
  Api api = f.api(false);
  uint64_t size = f.log->size();
  auto r = f.get(api, "/api/v1/log/consistency?from=100&to=" + std::to_string(size));
  ASSERT_EQ(r.status, 200) << r.body;
  Json j = Json::parse(r.body);
  EXPECT_EQ(j["from"], 100);
  EXPECT_EQ(j["to"], size);
  std::vector<merkle::Hash> proof;
  for (const auto& h : j["hashes"]) proof.push_back(merkle::hash_from_base64(h.get<std::string>()).value());
  EXPECT_TRUE(merkle::verify_consistency(100, size, proof, f.log->root_hash(100).value(), f.log->root_hash(size).value()));
  // `to` defaults to the current size.
  EXPECT_EQ(Json::parse(f.get(api, "/api/v1/log/consistency?from=100").body)["to"], size);
}

TEST(VerifyRoutes, RefusesSizesItCannotProve) {
  Fixture f;
  Api api = f.api(false);
  EXPECT_EQ(f.get(api, "/api/v1/log/consistency").status, 400);
  EXPECT_EQ(f.get(api, "/api/v1/log/consistency?from=x").status, 400);
  EXPECT_EQ(f.get(api, "/api/v1/log/consistency?from=20&to=10").status, 400);
  EXPECT_EQ(f.get(api, "/api/v1/log/consistency?from=1&to=999999").status, 404);
}

TEST(VerifyRoutes, ShowsTheWitnessesAndTheirShortfall) {
  Fixture f;
  Api none = f.api(false);
  EXPECT_EQ(Json::parse(f.get(none, "/api/v1/witnesses").body)["witnesses"].size(), 0u);
  Api api = f.api(true);
  auto w = f.get(api, "/api/v1/witnesses");
  ASSERT_EQ(w.status, 200);
  EXPECT_EQ(Json::parse(w.body)["checkpoint"]["quorum_met"], false);
  auto m = f.get(api, "/metrics");
  ASSERT_EQ(m.status, 200) << m.body;
  EXPECT_NE(m.body.find("tallylog_checkpoint_quorum_met 0"), std::string::npos) << m.body;
  EXPECT_NE(m.body.find("tallylog_checkpoints_short 3"), std::string::npos);
  EXPECT_NE(m.body.find("tallylog_witness_cosigned_size{witness=\"w1.example+01020304\"} 7"), std::string::npos);
}

}  // namespace
}  // namespace tallylog::http
