#include "tallylog/http/api.h"
#include "tallylog/http/metrics.h"

#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>

#include "tallylog/base/bytes.h"
#include "tallylog/base/testing.h"
#include "tallylog/election/entry.h"
#include "tallylog/election/test_fixtures.h"
#include "tallylog/http/tokens.h"
#include "tallylog/merkle/tree.h"
#include "tallylog/tally/count_vector.h"
#include "tallylog/tally/format.h"
#include "tallylog/tally/geography.h"
#include "tallylog/tally/search.h"
#include "tallylog/tally/tabulation.h"

namespace tallylog::http {
namespace {

using election::testing::small_election;
using election::testing::small_sheet;
using election::testing::small_station;
using Json = nlohmann::json;

// An in-memory log: entries, RFC 6962 proofs over them, a checkpoint without a real signature.
class FakeLog : public log::LogReader {
 public:
  uint64_t size() const override {
    std::lock_guard l(mu_);
    return leaves_.size();
  }
  Result<std::string> checkpoint() const override {
    std::lock_guard l(mu_);
    return "test/origin\n" + std::to_string(leaves_.size()) + "\n" + merkle::hash_base64(merkle::root_of(leaves_)) +
           "\n\n\xE2\x80\x94 test AAAA\n";
  }
  Result<merkle::Hash> root_hash(uint64_t n) const override {
    std::lock_guard l(mu_);
    return merkle::root_of(std::span(leaves_).first(n));
  }
  Result<std::string> entry(uint64_t i) const override {
    std::lock_guard l(mu_);
    if (i >= entries_.size()) return err(ErrorCode::kNotFound, "no entry");
    return entries_[i];
  }
  Status for_each_entry(uint64_t b, uint64_t e, const std::function<Status(uint64_t, std::string_view)>& fn) const override {
    for (uint64_t i = b; i < e; ++i) TL_TRY(fn(i, entries_[i]));
    return ok();
  }
  Result<std::vector<merkle::Hash>> inclusion_proof(uint64_t index, uint64_t n) const override {
    std::lock_guard l(mu_);
    return merkle::inclusion_proof(index, n, [&](unsigned level, uint64_t idx) -> Result<merkle::Hash> {
      uint64_t width = uint64_t{1} << level;
      return merkle::root_of(std::span(leaves_).subspan(idx * width, width));
    });
  }
  Result<std::vector<merkle::Hash>> consistency_proof(uint64_t, uint64_t) const override {
    return err(ErrorCode::kInternal, "unused");
  }
  uint64_t append(std::string e) {
    std::lock_guard l(mu_);
    leaves_.push_back(merkle::leaf_hash(e));
    entries_.push_back(std::move(e));
    return entries_.size() - 1;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::string> entries_;
  std::vector<merkle::Hash> leaves_;
};

class FakeIndex : public index::IndexReader {
 public:
  election::Election e = small_election();
  std::vector<election::Station> stations;
  std::vector<index::SheetRecord> records;
  uint64_t size = 0;
  mutable std::mutex mu;

  Result<uint64_t> indexed_size() override {
    std::lock_guard l(mu);
    return size;
  }
  Result<election::Election> election() override { return e; }
  Result<std::optional<election::Station>> station(std::string_view code) override {
    for (auto& s : stations)
      if (s.code == code) return std::optional(s);
    return std::optional<election::Station>{};
  }
  Status for_each_station(const std::function<void(const election::Station&)>& fn) override {
    for (auto& s : stations) fn(s);
    return ok();
  }
  Result<uint64_t> station_count() override { return stations.size(); }
  Status for_each_current_sheet(std::string_view source, const std::function<void(const index::SheetRecord&)>& fn) override {
    std::lock_guard l(mu);
    for (auto& r : records)
      if (source.empty() || r.sheet.source == source) fn(r);
    return ok();
  }
  Result<std::vector<index::SheetRecord>> sheets_for_station(std::string_view st, std::string_view) override {
    std::lock_guard l(mu);
    std::vector<index::SheetRecord> out;
    for (auto& r : records)
      if (r.sheet.station == st) out.push_back(r);
    return out;
  }
  Result<std::optional<index::SheetRecord>> sheet_at(uint64_t i) override {
    std::lock_guard l(mu);
    for (auto& r : records)
      if (r.log_index == i) return std::optional(r);
    return std::optional<index::SheetRecord>{};
  }
  Result<std::vector<index::Conflict>> conflicts() override { return std::vector<index::Conflict>{}; }
  Result<std::vector<std::string>> sources() override { return std::vector<std::string>{"official"}; }
  Result<std::vector<index::Reject>> rejects(size_t) override { return std::vector<index::Reject>{}; }
  Result<std::vector<index::DeclarationRecord>> declarations() override { return std::vector<index::DeclarationRecord>{}; }
  // Counts as the index stores them (tally/count_vector.h), computed from the records.
  Status for_each_current_count(std::string_view source, const std::function<void(const index::CountRecord&)>& fn) override {
    std::lock_guard l(mu);
    const tally::CountLayout layout(e);
    for (auto& r : records) {
      if (r.superseded || (!source.empty() && r.sheet.source != source)) continue;
      auto counts = tally::CountVector::of(layout, r.sheet, r.log_index);
      std::string blob = counts ? counts->encode() : std::string();
      std::string error = counts ? std::string() : counts.error().message;
      fn(index::CountRecord{r.log_index, r.sheet.station, r.sheet.source, r.corrects, r.conflicted, blob, error});
    }
    return ok();
  }
  Result<std::vector<std::pair<std::string, uint64_t>>> current_sheets_by_source() override {
    std::lock_guard l(mu);
    std::map<std::string, uint64_t> n;
    for (auto& r : records)
      if (!r.superseded) ++n[r.sheet.source];
    return std::vector<std::pair<std::string, uint64_t>>(n.begin(), n.end());
  }
  Result<std::unique_ptr<index::ReadSnapshot>> snapshot() override {
    return std::unique_ptr<index::ReadSnapshot>(std::make_unique<index::ReadSnapshot>());
  }
  // This fake keeps no per-area totals: the API tabulates from the counts above.
  Result<std::string> aggregates_state() override { return std::string("not kept by this fake"); }
  Status for_each_sheet_summary(const std::function<void(const index::SheetSummary&)>&) override { return unused(); }
  Status for_each_table(const std::function<void(const index::TableRow&)>&) override { return unused(); }
  Status for_each_table_in(uint32_t, const std::function<void(const index::TableRow&)>&) override { return unused(); }
  Status for_each_area(int, const std::function<void(const index::AreaRow&)>&) override { return unused(); }
  Result<std::vector<std::string>> rules() override { return std::vector<std::string>{}; }
  Status for_each_area_totals(uint32_t, int, const std::function<void(uint32_t, std::string_view)>&) override {
    return unused();
  }
  Result<std::string> dump() override { return unused_result(); }
  static Status unused() { return err(ErrorCode::kInternal, "not used by the API"); }
  static Result<std::string> unused_result() { return err(ErrorCode::kInternal, "not used by the API"); }
};

class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    log.append(election::encode_entry(idx.e));
    for (auto code : {"R1.01", "R1.02"}) {
      idx.stations.push_back(small_station(code));
      log.append(election::encode_entry(idx.stations.back()));
    }
    auto st2 = small_station("R2.01");
    st2.areas[0] = {"R2", "Region two"};
    idx.stations.push_back(st2);
    log.append(election::encode_entry(st2));
    idx.size = log.size();
    submit_direct(small_sheet("R1.01"));
    TokenStore store(dir.path());
    token = *store.add("witness-app", {"witness:*"}, std::string(32, 'k'), "2024-07-28T20:00:00Z");
  }

  ingest::Outcome submit_direct(election::Sheet s) {
    std::lock_guard l(submit_mu);
    bool known = false;
    for (auto& st : idx.stations) known |= st.code == s.station;
    if (!known) return {ingest::Verdict::kRejected, {}, {}, "station", "no station " + s.station, {}};
    for (auto& r : idx.records)
      if (r.sheet.station == s.station && r.sheet.source == s.source && r.sheet.cards == s.cards)
        return {ingest::Verdict::kDuplicate, r.log_index, {}, {}, {}, {}};
    int64_t a = 0;
    for (size_t i = 0; i < 2 && i < s.cards.size(); ++i) a += s.cards[i];
    s.candidates = {{"A", a}, {"B", s.cards.size() > 2 ? s.cards[2] : 0}};
    uint64_t i = log.append(election::encode_entry(s));
    {
      std::lock_guard l2(idx.mu);
      index::SheetRecord rec{i, s, false, false, std::nullopt};
      // The verdict rule's correction, for a current sheet of the same station and source.
      for (auto& r : idx.records) {
        if (s.supersedes && r.log_index == *s.supersedes && r.sheet.station == s.station &&
            r.sheet.source == s.source && !r.superseded) {
          r.superseded = true;
          rec.corrects = r.log_index;
        }
      }
      idx.records.push_back(rec);
      idx.size = log.size();
    }
    return {ingest::Verdict::kAccepted, i, {}, {}, {}, {}};
  }

  Api make_api(ApiOptions o = {}) {
    o.data_dir = dir.path();
    ApiBackend b;
    b.log = &log;
    b.index = &idx;
    b.submit = [this](election::Sheet s) -> Result<ingest::Outcome> {
      if (submit_error) return std::unexpected(*submit_error);
      return submit_direct(std::move(s));
    };
    b.sheet_from_image = [](std::string_view bytes, std::string_view) -> Result<election::Sheet> {
      if (!bytes.starts_with("QR:")) return err(ErrorCode::kNotFound, "no QR code found in the image");
      auto s = small_sheet(std::string(bytes.substr(3)));
      s.source.clear();
      s.cards = {1, 2, 3};
      s.fields = {{"valid", 6}, {"null", 0}};
      return s;
    };
    b.put_blob = [](std::string_view bytes) -> Result<std::string> { return sha256_hex_for_test(bytes); };
    return Api(o, b);
  }
  static std::string sha256_hex_for_test(std::string_view b) { return std::string(64, b.empty() ? '0' : 'a'); }

  static Request get(std::string target) {
    Request r;
    r.method = "GET";
    r.target = target;
    auto q = target.find('?');
    r.path = target.substr(0, q);
    if (q != std::string::npos) r.query = target.substr(q + 1);
    return r;
  }
  Request post(std::string target, std::string body, std::string tok) {
    Request r = get(std::move(target));
    r.method = "POST";
    r.body = std::move(body);
    if (!tok.empty()) r.headers.emplace_back("authorization", "Bearer " + tok);
    return r;
  }
  std::string witness_sheet_json(const std::string& station, int a1 = 10) {
    return Json{{"station", station},
                {"source", "witness:mud"},
                {"cards", {a1, 5, 20}},
                {"fields", {{"valid", a1 + 25}, {"null", 2}}}}
        .dump();
  }
  std::string expected_tally(const std::string& rule_text, int depth) {
    auto geo = *tally::Geography::build(idx.e, idx.stations);
    tally::Tabulation t(geo, *tally::SourceRule::parse(rule_text));
    for (auto& r : idx.records) EXPECT_TRUE(t.add(r));
    return tally::tally_to_json(t, depth, idx.size) + "\n";
  }

  std::optional<Error> submit_error;  // what the write side answers instead of recording, when set
  testing::TempDir dir;
  FakeLog log;
  FakeIndex idx;
  std::mutex submit_mu;
  std::string token;
};

TEST_F(ApiTest, TallyIsByteIdenticalToTheTallyModuleFormat) {
  Api api = make_api();
  auto r = api.handle(get("/api/v1/tally?level=region&source=official"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.body_view(), expected_tally("official", 1));
}

// Found by fuzz/http_path_fuzzer.cc (2 Dec): /api/v1/compare held the first rule's tabulation by
// a raw pointer while tabulating the second; when the second was new and the cache already held
// kMaxRules (64) rules, the cache was cleared and the first tabulation freed under the compare
// (use after free, reachable without a token). ASan reports it on the old code.
TEST_F(ApiTest, CompareStaysCorrectWhenItsSecondRuleEvictsTheFullTallyCache) {
  Api api = make_api();
  auto fresh = api.handle(get("/api/v1/compare?a=official&b=witness:z&level=region"));
  ASSERT_EQ(fresh.status, 200) << fresh.body_view();
  // Each compare tabulates official (cached) and a new rule: the 64th new rule finds the cache
  // full and clears it while official's tabulation is in use.
  for (int i = 0; i < 70; ++i) {
    const std::string b = "witness:r" + std::to_string(i);
    auto r = api.handle(get("/api/v1/compare?a=official&b=" + b + "&level=region"));
    ASSERT_EQ(r.status, 200) << b << ": " << r.body_view();
    std::string expected(fresh.body_view());
    for (size_t at; (at = expected.find("witness:z")) != std::string::npos;) expected.replace(at, 9, b);
    ASSERT_EQ(r.body_view(), expected) << b;
  }
}

// The server compares a pair once and answers every level from it (issue 9): each level must be
// what the compare module gives at that level, and a new sheet must be in the next answers (the
// pair is per index size, never reused once the index moved).
TEST_F(ApiTest, CompareAnswersEveryLevelOfAPairFromOneComparisonAndFollowsNewSheets) {
  Api api = make_api();
  auto expected = [&](int depth) {
    auto geo = *tally::Geography::build(idx.e, idx.stations);
    tally::Tabulation a(geo, *tally::SourceRule::parse("official")), b(geo, *tally::SourceRule::parse("witness:*"));
    for (auto& r : idx.records) {
      EXPECT_TRUE(a.add(r));
      EXPECT_TRUE(b.add(r));
    }
    return std::pair(tally::compare_to_json(*tally::compare(a, b, depth), *geo, idx.size) + "\n",
                     std::string(geo->depth_name(depth)));
  };
  const int depths = tally::Geography::build(idx.e, idx.stations).value()->depth_count();
  std::vector<std::string> first;
  for (int round = 0; round < 2; ++round) {
    for (int depth = 0; depth < depths; ++depth) {
      auto [body, level] = expected(depth);
      auto r = api.handle(get("/api/v1/compare?a=official&b=witness:*&level=" + level));
      ASSERT_EQ(r.status, 200) << r.body_view();
      EXPECT_EQ(r.body_view(), body) << level;
      if (round == 0) first.emplace_back(r.body_view());
      else EXPECT_NE(r.body_view(), first[depth]) << level;  // the new sheet is in every level's answer
    }
    if (round == 0) {
      auto posted = api.handle(post("/api/v1/sheets", witness_sheet_json("R2.01"), token));
      ASSERT_EQ(posted.status, 201) << posted.body;
    }
  }
}

TEST_F(ApiTest, TallyFollowsNewSubmissionsIncrementally) {
  Api api = make_api();
  auto before = api.handle(get("/api/v1/tally?level=region"));
  auto posted = api.handle(post("/api/v1/sheets", witness_sheet_json("R2.01"), token));
  EXPECT_EQ(posted.status, 201) << posted.body;
  auto after = api.handle(get("/api/v1/tally?level=region"));
  EXPECT_NE(before.body_view(), after.body_view());
  EXPECT_EQ(after.body_view(), expected_tally("*", 1));
}

// Regression: the live tally filtered records before add(), so a correction never retracted the
// sheet it supersedes and live totals drifted from a recompute.
TEST_F(ApiTest, LiveTallyRetractsTheSheetACorrectionSupersedes) {
  Api api = make_api();
  auto first = api.handle(post("/api/v1/sheets", witness_sheet_json("R1.01"), token));
  ASSERT_EQ(first.status, 201) << first.body;
  auto before = api.handle(get("/api/v1/tally?level=region&source=witness:*"));
  auto correction = Json::parse(witness_sheet_json("R1.01", 12));
  correction["supersedes"] = Json::parse(first.body)["log_index"];
  auto posted = api.handle(post("/api/v1/sheets", correction.dump(), token));
  ASSERT_EQ(posted.status, 201) << posted.body;
  auto after = api.handle(get("/api/v1/tally?level=region&source=witness:*"));
  EXPECT_NE(before.body_view(), after.body_view());
  EXPECT_EQ(after.body_view(), expected_tally("witness:*", 1));
}

TEST_F(ApiTest, TallyDrillsDownToTheAreasOfAParent) {
  Api api = make_api();
  auto r = api.handle(get("/api/v1/tally?level=table&parent=R1"));
  ASSERT_EQ(r.status, 200) << r.body_view();
  auto j = Json::parse(r.body_view());
  ASSERT_EQ(j["areas"].size(), 2u);
  EXPECT_EQ(j["areas"][0]["code"], "R1.01");
  EXPECT_EQ(j["parent_name"], "Region one");
  EXPECT_EQ(api.handle(get("/api/v1/tally?level=table&parent=R9")).status, 404);
  EXPECT_EQ(api.handle(get("/api/v1/tally?level=nowhere")).status, 400);
  EXPECT_EQ(api.handle(get("/api/v1/tally?source=bad%20rule")).status, 400);
}

// The citizen view's search (issue 14): accent- and case-insensitive, bounded, hostile input refused.
TEST_F(ApiTest, SearchFindsAreasByNameOrCodeAndRefusesHostileQueries) {
  Api api = make_api();
  for (const char* q : {"region%20ONE", "R%C3%A9gion%20one", "REGI%C3%93N%20One", "r1"}) {
    auto r = api.handle(get(std::string("/api/v1/search?q=") + q));
    ASSERT_EQ(r.status, 200) << q << " " << r.body_view();
    auto j = Json::parse(r.body_view());
    ASSERT_EQ(j["results"].size(), 1u) << q;
    EXPECT_EQ(j["results"][0]["code"], "R1");
    EXPECT_EQ(j["results"][0]["depth"], 1);
    EXPECT_EQ(j["results"][0]["match"], "name");
    EXPECT_EQ(j["truncated"], false);
  }
  auto two = Json::parse(api.handle(get("/api/v1/search?q=region&limit=1")).body_view());
  EXPECT_EQ(two["results"].size(), 1u);
  EXPECT_EQ(two["truncated"], true);
  EXPECT_TRUE(Json::parse(api.handle(get("/api/v1/search?q=nowhere")).body_view())["results"].empty());
  for (const char* bad : {"/api/v1/search", "/api/v1/search?q=", "/api/v1/search?q=%C3", "/api/v1/search?q=%ED%A0%80",
                          "/api/v1/search?q=...", "/api/v1/search?q=r&limit=0", "/api/v1/search?q=r&limit=51",
                          "/api/v1/search?q=r&limit=-1", "/api/v1/search?q=r&limit=99999999999999999999",
                          "/api/v1/search?q=a%20b%20c%20d%20e%20f%20g%20h%20i"}) {
    EXPECT_EQ(api.handle(get(bad)).status, 400) << bad;
  }
  EXPECT_EQ(api.handle(get("/api/v1/search?q=" + std::string(201, 'a'))).status, 400);
}

// What the static site's page searches in: the areas search_areas looks at, in its order, with
// their parents; the folded text only where ASCII lowercasing "name code" does not give it.
TEST_F(ApiTest, SearchIndexListsTheSearchedAreasInSearchOrder) {
  Api api = make_api();
  auto r = api.handle(get("/api/v1/search-index"));
  ASSERT_EQ(r.status, 200) << r.body_view();
  auto j = Json::parse(r.body_view());
  EXPECT_EQ(j["levels"], Json::parse(R"([{"level": "region", "depth": 1, "areas": 2}])"));
  EXPECT_EQ(j["areas"], Json::parse(R"([[-1, "R1", "Region one", 2], [-1, "R2", "Region two", 1]])"));
  EXPECT_EQ(j["max_query_bytes"], tally::kMaxSearchQueryBytes);
  EXPECT_EQ(j["max_words"], tally::kMaxSearchWords);
}

TEST_F(ApiTest, StationSheetsCarryAnInclusionProofThatVerifies) {
  Api api = make_api();
  auto r = api.handle(get("/api/v1/stations/R1.01/sheets"));
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = Json::parse(r.body);
  uint64_t size = j["checkpoint"]["size"];
  EXPECT_EQ(size, log.size());
  ASSERT_EQ(j["sheets"].size(), 1u);
  auto& s = j["sheets"][0];
  uint64_t index = s["log_index"];
  auto entry = *base64_decode(s["entry"].get<std::string>());
  std::vector<merkle::Hash> proof;
  for (auto& h : s["proof"]["hashes"]) {
    auto bytes = *base64_decode(h.get<std::string>());
    merkle::Hash hash;
    std::copy(bytes.begin(), bytes.end(), hash.begin());
    proof.push_back(hash);
  }
  EXPECT_TRUE(merkle::verify_inclusion(index, size, merkle::leaf_hash(entry), proof, *log.root_hash(size)));
  EXPECT_EQ(s["sheet"]["source"], "official");
  EXPECT_EQ(api.handle(get("/api/v1/stations/NOPE/sheets")).status, 404);
}

TEST_F(ApiTest, WriteSideRefusesMissingBadAndRevokedTokens) {
  Api api = make_api();
  auto none = api.handle(post("/api/v1/sheets", witness_sheet_json("R2.01"), ""));
  EXPECT_EQ(none.status, 401);
  bool challenge = false;
  for (auto& [k, v] : none.headers) challenge |= k == "WWW-Authenticate";
  EXPECT_TRUE(challenge);
  EXPECT_EQ(api.handle(post("/api/v1/sheets", witness_sheet_json("R2.01"), "tl_" + std::string(64, 'f'))).status, 401);
  Request basic = post("/api/v1/sheets", witness_sheet_json("R2.01"), "");
  basic.headers.emplace_back("authorization", "Basic dXNlcjpwYXNz");
  EXPECT_EQ(api.handle(basic).status, 401);
  ASSERT_TRUE(TokenStore(dir.path()).revoke("witness-app", "t"));
  EXPECT_EQ(api.handle(post("/api/v1/sheets", witness_sheet_json("R2.01"), token)).status, 401);
  EXPECT_EQ(idx.records.size(), 1u);  // nothing was written
}

TEST_F(ApiTest, WriteSideRefusesASourceTheTokenDoesNotAllow) {
  Api api = make_api();
  auto body = Json::parse(witness_sheet_json("R2.01"));
  body["source"] = "official";
  auto r = api.handle(post("/api/v1/sheets", body.dump(), token));
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(idx.records.size(), 1u);
}

TEST_F(ApiTest, AnswersVerdictsWithStatusCodes) {
  Api api = make_api();
  auto first = api.handle(post("/api/v1/sheets", witness_sheet_json("R2.01"), token));
  EXPECT_EQ(first.status, 201);
  auto j = Json::parse(first.body);
  EXPECT_EQ(j["verdict"], "accepted");
  EXPECT_EQ(j["log_index"], log.size() - 1);
  auto dup = api.handle(post("/api/v1/sheets", witness_sheet_json("R2.01"), token));
  EXPECT_EQ(dup.status, 200);
  EXPECT_EQ(Json::parse(dup.body)["verdict"], "duplicate");
  auto rejected = api.handle(post("/api/v1/sheets", witness_sheet_json("NOPE"), token));
  EXPECT_EQ(rejected.status, 400);
  EXPECT_EQ(Json::parse(rejected.body)["field"], "station");
}

TEST_F(ApiTest, ASubmissionNotRecordedSaysWhenToRetryOnlyWhenRetryingCanHelp) {
  Api api = make_api();
  auto retry_after = [](const Response& r) {
    for (const auto& [k, v] : r.headers)
      if (k == "Retry-After") return v;
    return std::string();
  };
  // A server still loading its verdict state after start (ingest::Ingestor): try again shortly.
  submit_error = Error{ErrorCode::kUnavailable, "the ingestor is still loading; try again in a moment"};
  auto loading = api.handle(post("/api/v1/sheets", witness_sheet_json("R2.01"), token));
  EXPECT_EQ(loading.status, 503);
  EXPECT_EQ(retry_after(loading), "1");
  EXPECT_NE(loading.body.find("still loading"), std::string::npos) << loading.body;
  // An ingestor stopped after an error: retrying cannot help, so no Retry-After.
  submit_error = Error{ErrorCode::kFailedPrecondition, "ingestor stopped after an error"};
  auto stopped = api.handle(post("/api/v1/sheets", witness_sheet_json("R2.01"), token));
  EXPECT_EQ(stopped.status, 503);
  EXPECT_EQ(retry_after(stopped), "");
  // Once it can record, the same sheet is accepted.
  submit_error.reset();
  EXPECT_EQ(api.handle(post("/api/v1/sheets", witness_sheet_json("R2.01"), token)).status, 201);
}

TEST_F(ApiTest, RejectsMalformedSheetJsonNamingTheField) {
  Api api = make_api();
  auto check = [&](std::string body, std::string field) {
    auto r = api.handle(post("/api/v1/sheets", body, token));
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_EQ(Json::parse(r.body)["field"], field) << body;
  };
  check("{not json", "body");
  check("[1,2]", "body");
  check(R"({"station":"R1.01"})", "source");
  check(R"({"station":"R1.01","source":"witness:x","cards":[1,"2",3]})", "cards[1]");
  check(R"({"station":"R1.01","source":"witness:x","fields":{"valid":1.5}})", "fields.valid");
  check(R"({"station":"R1.01","source":"witness:x","evil":1})", "evil");
  check(R"({"station":"R1.01","source":"witness:x","supersedes":-1})", "supersedes");
}

// Issue 11.6: the field came from splitting the message at its first ':', so a field whose name
// holds a colon was cut in two ("candidates.E" with reason "G: must be an integer").
TEST_F(ApiTest, RejectionsNameTheWholeFieldEvenWhenItHoldsAColon) {
  Api api = make_api();
  auto check = [&](std::string body, std::string field, std::string reason) {
    auto r = api.handle(post("/api/v1/sheets", body, token));
    EXPECT_EQ(r.status, 400) << body;
    auto j = Json::parse(r.body);
    EXPECT_EQ(j["field"], field) << body;
    EXPECT_EQ(j["reason"], reason) << body;
  };
  check(R"({"station":"R1.01","source":"witness:x","candidates":{"E:G":"7"}})", "candidates.E:G",
        "must be an integer");
  check(R"({"station":"R1.01","source":"witness:x","a:b":1})", "a:b", "unknown key");
  check(R"({"station":"R1.01"})", "source", "missing");
  // Query errors carry their field too.
  auto level = api.handle(get("/api/v1/tally?level=nowhere"));
  EXPECT_EQ(level.status, 400);
  EXPECT_EQ(Json::parse(level.body)["field"], "level") << level.body;
  auto source = api.handle(get("/api/v1/tally?source=a*b"));
  EXPECT_EQ(source.status, 400);
  EXPECT_EQ(Json::parse(source.body)["field"], "source") << source.body;
}

// Found by fuzz/sheet_json_fuzzer.cc: a malformed body holding a byte that is not UTF-8 made the
// JSON error answer throw (nlohmann quotes the bytes it last read), so the server answered 500.
TEST_F(ApiTest, AnswersMalformedSheetJsonWithInvalidUtf8With400AndValidJson) {
  Api api = make_api();
  Response r;
  ASSERT_NO_THROW(r = api.handle(post("/api/v1/sheets", "{\"station\":\"R1.01\",\"sour\xbf\xc4\x01", token)));
  EXPECT_EQ(r.status, 400);
  ASSERT_TRUE(Json::accept(r.body)) << r.body;
  EXPECT_EQ(Json::parse(r.body)["field"], "body");
}

TEST_F(ApiTest, RateLimitsEachTokenWith429) {
  ApiOptions o;
  o.submit_rate_per_token = 0.001;
  o.submit_burst_per_token = 2;
  Api api = make_api(o);
  EXPECT_NE(api.handle(post("/api/v1/sheets", witness_sheet_json("R2.01"), token)).status, 429);
  EXPECT_NE(api.handle(post("/api/v1/sheets", witness_sheet_json("R2.01"), token)).status, 429);
  auto r = api.handle(post("/api/v1/sheets", witness_sheet_json("R2.01"), token));
  EXPECT_EQ(r.status, 429);
}

TEST_F(ApiTest, UsesTheRightMethodsAndBodyLimits) {
  Api api = make_api();
  EXPECT_EQ(api.handle(get("/api/v1/sheets")).status, 405);
  Request del = get("/api/v1/tally");
  del.method = "DELETE";
  EXPECT_EQ(api.handle(del).status, 405);
  EXPECT_EQ(api.handle(post("/log/checkpoint", "", token)).status, 405);
  EXPECT_EQ(api.body_limit("GET", "/api/v1/tally"), 0u);
  EXPECT_GT(api.body_limit("POST", "/api/v1/images"), api.body_limit("POST", "/api/v1/sheets"));
  EXPECT_EQ(api.handle(get("/api/v2/tally")).status, 404);
}

TEST_F(ApiTest, SubmitsAnImageAsRawBodyOrMultipart) {
  Api api = make_api();
  auto raw = api.handle(post("/api/v1/images?source=witness:cam", "QR:R2.01", token));
  EXPECT_EQ(raw.status, 201) << raw.body;
  auto j = Json::parse(raw.body);
  EXPECT_EQ(j["station"], "R2.01");
  EXPECT_EQ(j["image_sha256"], std::string(64, 'a'));
  std::string mp = "--XyZ\r\nContent-Disposition: form-data; name=\"source\"\r\n\r\nwitness:cam2\r\n"
                   "--XyZ\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.jpg\"\r\n"
                   "Content-Type: image/jpeg\r\n\r\nQR:R1.02\r\n--XyZ--\r\n";
  Request m = post("/api/v1/images", mp, token);
  m.headers.emplace_back("content-type", "multipart/form-data; boundary=XyZ");
  auto r = api.handle(m);
  EXPECT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(idx.records.back().sheet.source, "witness:cam2");
  EXPECT_EQ(idx.records.back().sheet.submitted_by, "witness-app");
  auto unreadable = api.handle(post("/api/v1/images?source=witness:cam", "JPEG without QR", token));
  EXPECT_EQ(unreadable.status, 422);
}

TEST_F(ApiTest, ExportsCsvAsADownload) {
  Api api = make_api();
  auto r = api.handle(get("/api/v1/export?format=csv"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/csv; charset=utf-8");
  bool attachment = false;
  for (auto& [k, v] : r.headers) attachment |= k == "Content-Disposition" && v.starts_with("attachment");
  EXPECT_TRUE(attachment);
  EXPECT_NE(r.body.find("R1.01"), std::string::npos);
}

TEST_F(ApiTest, MetricsReportRequestsLogSizeAndSheetsBySource) {
  Api api = make_api();
  Request r = get("/api/v1/tally");
  api.observe(r, 200, std::chrono::milliseconds(1));
  auto m = api.handle(get("/metrics"));
  EXPECT_EQ(m.status, 200);
  EXPECT_NE(m.body.find("tallylog_http_requests_total{route=\"/api/v1/tally\",status=\"200\"} 1"), std::string::npos);
  EXPECT_NE(m.body.find("tallylog_log_size " + std::to_string(log.size())), std::string::npos);
  EXPECT_NE(m.body.find("tallylog_sheets{source=\"official\"} 1"), std::string::npos);
}

// Issue 15: a serve node swaps its Api whenever it follows the log or changes role; with one
// shared Metrics the counters go on from where the previous Api left them.
TEST_F(ApiTest, ApisSharingMetricsKeepCountingAcrossASwap) {
  ApiOptions o;
  o.metrics = std::make_shared<Metrics>();
  const std::string line = "tallylog_http_requests_total{route=\"/api/v1/tally\",status=\"200\"} ";
  {
    Api before = make_api(o);
    before.observe(get("/api/v1/tally"), 200, std::chrono::milliseconds(1));
    before.observe(get("/api/v1/tally"), 200, std::chrono::milliseconds(1));
  }
  Api after = make_api(o);
  after.observe(get("/api/v1/tally"), 200, std::chrono::milliseconds(1));
  auto m = after.handle(get("/metrics"));
  EXPECT_NE(m.body.find(line + "3"), std::string::npos) << m.body;
  EXPECT_EQ(o.metrics->requests("/api/v1/tally", 200), 3u);
  // Without a shared one, each Api counts alone.
  Api own = make_api();
  EXPECT_EQ(own.handle(get("/metrics")).body.find(line), std::string::npos);
}

TEST_F(ApiTest, ServesTheElectionAndStations) {
  Api api = make_api();
  auto e = Json::parse(api.handle(get("/api/v1/election")).body);
  EXPECT_EQ(e["id"], "test");
  EXPECT_EQ(e["candidates"].size(), 2u);
  auto s = api.handle(get("/api/v1/stations?level=region&area=R1"));
  ASSERT_EQ(s.status, 200) << s.body;
  auto j = Json::parse(s.body);
  ASSERT_EQ(j["stations"].size(), 2u);
  EXPECT_EQ(j["stations"][0]["status"], "counted");
  EXPECT_EQ(j["stations"][1]["status"], "unreported");
  EXPECT_EQ(api.handle(get("/api/v1/stations/R1.02")).status, 200);
}

TEST_F(ApiTest, PublishesTheLogVerifierKeyForClientsToCheckTheCheckpointSignature) {
  Api api = make_api();
  EXPECT_EQ(api.handle(get("/api/v1/log/vkey")).status, 404);
  EXPECT_TRUE(Json::parse(api.handle(get("/api/v1/election")).body)["log_vkey"].is_null());
  const std::string vkey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
  ASSERT_TRUE(Env::posix().write_file_atomic(dir.file("log.vkey"), vkey + "\n", Durability::kNoSync));
  auto r = api.handle(get("/api/v1/log/vkey"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, vkey + "\n");
  EXPECT_TRUE(r.content_type.starts_with("text/plain"));
  EXPECT_EQ(Json::parse(api.handle(get("/api/v1/election")).body)["log_vkey"], vkey);
  EXPECT_EQ(api.handle(get("/api/v1/log/key")).status, 404);
  EXPECT_EQ(api.route_label("GET", "/api/v1/log/vkey"), "/api/v1/log/vkey");
}

TEST_F(ApiTest, WebFilesRefuseTraversal) {
  testing::TempDir web;
  ASSERT_TRUE(Env::posix().write_file_atomic(web.file("index.html"), "<html>", Durability::kNoSync));
  ApiOptions o;
  o.web_dir = web.path();
  Api api = make_api(o);
  auto r = api.handle(get("/"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(api.handle(get("/../tokens.json")).status, 400);
  EXPECT_EQ(api.handle(get("/%2e%2e/tokens.json")).status, 400);
  EXPECT_EQ(api.handle(get("/missing.js")).status, 404);
}

// Regression: with no web page built, traversal answered 404 instead of 400 (CI on a fresh clone).
TEST_F(ApiTest, WebTraversalIsRefusedEvenWithoutAWebPage) {
  Api api = make_api();
  EXPECT_EQ(api.handle(get("/../tokens.json")).status, 400);
  EXPECT_EQ(api.handle(get("/index.html")).status, 404);
}

// Regression (issue 10.8): invalid UTF-8 in a path, query or body gave 500 (the JSON writer threw
// on the error message that quoted it).
TEST_F(ApiTest, AnswersInvalidUtf8InAPathQueryOrBodyWith400) {
  Api api = make_api();
  EXPECT_EQ(api.handle(get("/api/v1/stations/%FF")).status, 400);
  EXPECT_EQ(api.handle(get("/api/v1/stations/%C3%28/sheets")).status, 400);
  EXPECT_EQ(api.handle(get("/api/v1/tally?level=%FF")).status, 400);
  EXPECT_EQ(api.handle(get("/api/v1/tally?%FE=1")).status, 400);
  EXPECT_EQ(api.handle(get("/api/v1/areas?parent=%ED%A0%80&level=table")).status, 400);  // a surrogate
  auto body = api.handle(post("/api/v1/sheets", "{\"station\":\"R1.01\xFF\",\"source\":\"witness:x\"}", token));
  EXPECT_EQ(body.status, 400);
  EXPECT_EQ(Json::parse(body.body)["field"], "body");
  auto image = api.handle(post("/api/v1/images?source=witness%3A%FF", "QR:R2.01", token));
  EXPECT_EQ(image.status, 400);
  EXPECT_EQ(idx.records.size(), 1u);
}

// Regression (issue 10.8): a repeated key was accepted, the last one winning.
TEST_F(ApiTest, RefusesDuplicateJsonKeysNamingTheKey) {
  Api api = make_api();
  auto check = [&](std::string body, std::string field) {
    auto r = api.handle(post("/api/v1/sheets", body, token));
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_EQ(Json::parse(r.body)["field"], field) << body;
  };
  check(R"({"station":"R1.01","source":"witness:x","station":"R2.01","cards":[1,2,3]})", "station");
  check(R"({"station":"R2.01","source":"witness:x","fields":{"valid":6,"null":0,"valid":7}})", "fields.valid");
  check(R"({"station":"R2.01","source":"witness:x","candidates":{"A":3},"cards":[1,2,3],"candidates":{"A":4}})",
        "candidates");
  EXPECT_EQ(idx.records.size(), 1u);
  // Equal keys in different objects are not duplicates.
  auto fine = api.handle(post("/api/v1/sheets",
                              R"({"station":"R2.01","source":"witness:x","cards":[1,2,3],"fields":{"valid":6,"null":0}})",
                              token));
  EXPECT_EQ(fine.status, 201) << fine.body;
}

// Regression (issue 10.8): a token for "witness:*" could submit any suffix: markup, "../",
// spaces, a right-to-left override.
TEST_F(ApiTest, RefusesSourceNamesOutsideTheElectionsGrammar) {
  Api api = make_api();
  for (std::string source : {"witness:<script>", "witness:../x", "witness:a b", "witness:\xE2\x80\xAE" "dum", "witness:"}) {
    auto body = Json::parse(witness_sheet_json("R2.01"));
    body["source"] = source;
    auto r = api.handle(post("/api/v1/sheets", body.dump(), token));
    EXPECT_EQ(r.status, 400) << source;
    EXPECT_EQ(Json::parse(r.body)["field"], "source") << source;
  }
  EXPECT_EQ(api.handle(post("/api/v1/images?source=witness:..%2Fx", "QR:R2.01", token)).status, 400);
  EXPECT_EQ(api.handle(post("/api/v1/images?source=witness:%3Cb%3E", "QR:R2.01", token)).status, 400);
  EXPECT_EQ(idx.records.size(), 1u);
}

TEST(SheetFromJson, SurvivesRandomInput) {
  std::mt19937 rng(3);
  const std::string seed = R"({"station":"R1.01","source":"qr","cards":[1,2,3],"fields":{"valid":6}})";
  for (int i = 0; i < 20000; ++i) {
    std::string s = seed;
    for (int k = 0; k < 3; ++k) s[rng() % s.size()] = static_cast<char>(rng());
    auto r = sheet_from_json(s);
    if (!r) {
      EXPECT_FALSE(r.error().message.empty());
    }
  }
}

TEST_F(ApiTest, RouteLabelsKeepCardinalityLow) {
  Api api = make_api();
  EXPECT_EQ(api.route_label("GET", "/log/tile/0/x001/234"), "/log/tile");
  EXPECT_EQ(api.route_label("GET", "/api/v1/stations/010113042.01/sheets"), "/api/v1/stations/:code/sheets");
  EXPECT_EQ(api.route_label("GET", "/api/v1/whatever-attacker-sends"), "/api/v1/other");
  EXPECT_EQ(api.route_label("GET", "/random/junk"), "/web");
  EXPECT_EQ(api.route_label("POST", "/api/v1/sheets"), "/api/v1/sheets");
}

}  // namespace
}  // namespace tallylog::http

namespace tallylog::http {
namespace {

TEST_F(ApiTest, ServesTheCheckpointFromTheReaderUncached) {
  Api api = make_api();
  auto r = api.handle(get("/log/checkpoint"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, *log.checkpoint());
  EXPECT_EQ(r.content_type, "text/plain; charset=utf-8");
  bool no_cache = false;
  for (auto& [k, v] : r.headers) no_cache |= k == "Cache-Control" && v == "no-cache";
  EXPECT_TRUE(no_cache);
  EXPECT_EQ(api.handle(get("/log/tile/0/..%2f..%2ftokens.json")).status, 400);
  EXPECT_EQ(api.handle(get("/blobs/sha256/..%2f..%2ftokens.json")).status, 400);
}

}  // namespace
}  // namespace tallylog::http
