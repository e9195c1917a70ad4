#include "http_fixture.h"

#include <nlohmann/json.hpp>

#include "fuzz_support.h"
#include "tallylog/base/sha256.h"
#include "tallylog/base/testing.h"
#include "tallylog/election/entry.h"
#include "tallylog/election/validate.h"
#include "tallylog/http/tokens.h"
#include "tallylog/ingest/csv_import.h"
#include "tallylog/ingest/ingestor.h"
#include "tallylog/qr/profile.h"

namespace tallylog::fuzz {
namespace {

template <typename T>
T must(Result<T> r, std::string_view what) {
  if (!r) fail(what, r.error().to_string());
  return std::move(*r);
}
void must(Status s, std::string_view what) {
  if (!s) fail(what, s.error().to_string());
}

}  // namespace

struct HttpFixture::State {
  testing::TempDir dir;
  std::unique_ptr<ingest::Ingestor> ingestor;
  std::unique_ptr<election::Validator> validator;
  const qr::QrProfile* profile = nullptr;
};

HttpFixture& HttpFixture::get() {
  static HttpFixture* f = new HttpFixture;
  return *f;
}

HttpFixture::HttpFixture() : state_(new State) {
  Env& env = Env::posix();
  data_dir_ = state_->dir.file("data");
  const election::Election& e = ve2024_election();
  must(ingest::Ingestor::init(data_dir_, e, "fuzz.example/ve2024"), "init the data directory");
  {
    auto ing = must(ingest::Ingestor::open(data_dir_), "open the ingestor");
    ingest::ImportOptions io;
    io.source = "witness:fuzz";
    must(ingest::import_stations_csv(*ing, repo_file("tests/fixtures/ingest/stations.csv"), "stations.csv",
                                     ve2024_mapping(), io),
         "import stations");
    must(ingest::import_sheets_csv(*ing, repo_file("tests/fixtures/ingest/hostile.csv"), "hostile.csv",
                                   ve2024_mapping(), io),
         "import sheets");
    // Closing publishes a checkpoint covering everything; reopened below, the log and the index
    // stay as they are for the life of the process (the publisher has nothing left to publish).
    must(ing->close(), "close the ingestor");
  }
  state_->ingestor = must(ingest::Ingestor::open(data_dir_), "reopen the ingestor");
  state_->validator = std::make_unique<election::Validator>(must(election::Validator::create(e), "validator"));
  state_->profile = must(qr::builtin_profiles().find(e.qr_profile), "QR profile");

  http::TokenStore tokens(data_dir_);
  std::string secret = must(tokens.add("fuzz-client", {"witness:*", "qr", "official"}, fixed_bytes('t'),
                                       "2024-07-28T00:00:00Z"),
                            "add a token");
  authorization_ = "Bearer " + secret;
  std::string image = "\x89PNG\r\n\x1a\n fuzz fixture image";
  must(env.create_dirs(join_path(data_dir_, "blobs/sha256")), "blob directory");
  must(env.write_file_atomic(join_path(data_dir_, "blobs/sha256/" + sha256_hex(image)), image, Durability::kNoSync),
       "write a blob");
  std::string web = state_->dir.file("web");
  must(env.create_dirs(join_path(web, "assets")), "web directory");
  must(env.write_file_atomic(join_path(web, "index.html"), "<!doctype html><title>fuzz</title>\n", Durability::kNoSync),
       "write index.html");
  must(env.write_file_atomic(join_path(web, "assets/app.js"), "console.log('fuzz');\n", Durability::kNoSync),
       "write app.js");

  http::ApiOptions ao;
  ao.data_dir = data_dir_;
  ao.web_dir = web;
  ao.submit_rate_per_token = 1e12;
  ao.submit_burst_per_token = 1e12;
  http::ApiBackend be;
  be.log = &state_->ingestor->log();
  be.index = &state_->ingestor->index();
  State* st = state_;
  be.submit = [st](election::Sheet s) -> Result<ingest::Outcome> {
    ingest::Outcome o;
    auto station = st->ingestor->index().station(s.station);
    if (!station) return std::unexpected(station.error());
    if (auto rej = st->validator->validate_sheet(s, *station ? &**station : nullptr)) {
      o.verdict = ingest::Verdict::kRejected;
      o.field = rej->field;
      o.reason = rej->reason;
      return o;
    }
    std::string bytes = election::encode_entry(s);
    auto back = election::decode_entry(bytes);
    check(back && std::get<election::Sheet>(back->record) == s, "a submitted sheet the validator accepts round-trips",
          bytes);
    o.verdict = ingest::Verdict::kAccepted;
    o.log_index = st->ingestor->log().size();
    return o;
  };
  // One contest (ve2024): the contest a request names is checked by the API before this is called.
  be.sheet_from_image = [st](std::string_view bytes, std::string_view /*contest*/) {
    return st->profile->parse(bytes, ve2024_election());
  };
  be.put_blob = [](std::string_view bytes) -> Result<std::string> { return sha256_hex(bytes); };
  api_ = new http::Api(ao, be);
}

void check_response(const http::Response& r, const std::string& what) {
  check(r.status >= 100 && r.status <= 599, "a response has a status code in 100..599", what);
  if (r.content_type == "application/json") {
    // A shared immutable body (cached tally answers) is sent instead of `body` when set.
    const std::string_view body = r.body_view();
    check(nlohmann::json::accept(body), "a JSON response body is valid JSON",
          what + "\n" + std::string(body.substr(0, 500)));
  }
}

http::Response HttpFixture::handle(const http::Request& request) {
  http::Response r = api_->handle(request);
  check_response(r, request.method + " " + request.target);
  return r;
}

}  // namespace tallylog::fuzz
