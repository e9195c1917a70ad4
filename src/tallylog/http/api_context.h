// What the route handlers share: the options, the backend, tokens, rate limiter, metrics and the
// tally cache. Private to the http module. Each handler file adds its rows to the route table in
// an add_*_routes() function declared here; Api (api.cc) calls them in order, which is the
// matching order. To add a route: write the handler in a *_routes.cc file of your own, add a row
// with table.add({method, pattern, label, body_limit, handler}), and call your add_*_routes() below.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "tallylog/http/api.h"
#include "tallylog/http/metrics.h"
#include "tallylog/http/rate_limiter.h"
#include "tallylog/http/route_table.h"
#include "tallylog/http/tally_cache.h"
#include "tallylog/http/tokens.h"

namespace tallylog::http {

struct ApiContext {
  ApiOptions opt;
  ApiBackend be;
  TokenStore tokens;
  RateLimiter limiter;
  std::shared_ptr<Metrics> metrics;  // opt.metrics, or the Api's own
  TallyCache tallies;  // the tally cache of `be.index` (the write side's contest)
  // One per be.contests entry: &tallies for the one whose index is be.index, else its own.
  std::vector<TallyCache*> contest_tallies;
  std::vector<std::unique_ptr<TallyCache>> owned_tallies;

  ApiContext(ApiOptions o, ApiBackend b)
      : opt(std::move(o)),
        be(std::move(b)),
        tokens(opt.data_dir, *be.env),
        limiter(opt.submit_rate_per_token, opt.submit_burst_per_token),
        metrics(opt.metrics ? opt.metrics : std::make_shared<Metrics>()),
        tallies(be.index, be.index_commits) {
    for (const ApiContest& c : be.contests) {
      if (c.index == be.index) {
        contest_tallies.push_back(&tallies);
      } else {
        owned_tallies.push_back(std::make_unique<TallyCache>(c.index, c.index_commits));
        contest_tallies.push_back(owned_tallies.back().get());
      }
    }
  }
};

// What a read route answers from: one contest's index and tally cache.
struct ContestScope {
  std::string id;  // the contest id; "" for a single-contest election
  index::IndexReader* index = nullptr;
  TallyCache* tallies = nullptr;
};

// The contest a results request names with `?contest=<id>` (api.cc). A single-contest election:
// its index (a `contest` naming another contest is 404). Several: that contest's index, brought up
// to date first (ApiContest::refresh); no `contest` is 400 and an unknown one 404, both listing
// the contests.
std::variant<ContestScope, Response> contest_scope(ApiContext& ctx, const Query& q);

// <data>/log.vkey, the checkpoint verifier key (first line, trimmed); nullopt when absent or
// unreadable. Public by design. (log_routes.cc)
std::optional<std::string> read_log_vkey(ApiContext& ctx);

// The bearer token's owner (TokenInfo), or the answer to give instead: 401 without a valid token,
// 429 over the token's rate, 503 when the token store cannot be read. (submit_routes.cc)
std::variant<TokenInfo, Response> authorize_submitter(ApiContext& ctx, const Request& req);

// Route rows, in matching order (api.cc). Each lives in the file of the same name.
void add_log_routes(RouteTable& table, ApiContext& ctx);      // log_routes.cc: /log/*, /blobs/*, vkey
void add_results_routes(RouteTable& table, ApiContext& ctx);  // results_routes.cc: /api/v1 read side
void add_submit_routes(RouteTable& table, ApiContext& ctx);   // submit_routes.cc: POST sheets, images
void add_bulk_routes(RouteTable& table, ApiContext& ctx);     // bulk_routes.cc: /api/v1/bulk/* (import <url>)
void add_metrics_routes(RouteTable& table, ApiContext& ctx);  // metrics_routes.cc: /metrics
void add_forensics_routes(RouteTable& table, ApiContext& ctx);  // forensics_routes.cc: forensics, declared
void add_flags_routes(RouteTable& table, ApiContext& ctx);    // flags_routes.cc: GET /api/v1/flags
void add_verify_routes(RouteTable& table, ApiContext& ctx);   // verify_routes.cc: consistency proofs, witnesses
void add_device_routes(RouteTable& table, ApiContext& ctx);   // device_routes.cc: enrolment by one-time code
// Witness gauges for /metrics (empty without witnesses). verify_routes.cc
std::vector<Gauge> witness_gauges(ApiContext& ctx);
// Last: the catch-all rows (/api/* → 404, /* → the web page). web_routes.cc
void add_web_routes(RouteTable& table, ApiContext& ctx);

}  // namespace tallylog::http
