// The Api: builds the route table from the handler files and dispatches through it (see api.h).
#include "tallylog/http/api.h"

#include "tallylog/base/bytes.h"
#include "tallylog/http/api_context.h"
#include "tallylog/http/responses.h"

namespace tallylog::http {

namespace {

std::string contest_list(const ApiContext& ctx) {
  std::string out;
  for (const ApiContest& c : ctx.be.contests) out += (out.empty() ? "" : ", ") + c.id + " (" + c.name + ")";
  return out;
}

}  // namespace

std::variant<ContestScope, Response> contest_scope(ApiContext& ctx, const Query& q) {
  auto it = q.find("contest");
  const std::string asked = it == q.end() ? "" : it->second;
  if (ctx.be.contests.empty()) {
    ContestScope s{"", ctx.be.index, &ctx.tallies};
    if (asked.empty()) return s;
    // A single-contest election answers to its own contest name too.
    auto c = ctx.tallies.lock();
    auto e = c.election();
    if (!e) return from_error(e.error());
    if (asked == (*e)->contest) return s;
    return error_response(404, "contest: \"" + asked + "\" is not a contest of this election (it has one, \"" +
                                   (*e)->contest + "\")",
                          "contest");
  }
  for (size_t k = 0; k < ctx.be.contests.size(); ++k) {
    const ApiContest& c = ctx.be.contests[k];
    if (c.id != asked) continue;
    if (c.refresh) {
      if (Status st = c.refresh(); !st) return from_error(st.error());
    }
    return ContestScope{c.id, c.index, ctx.contest_tallies[k]};
  }
  const std::string n = std::to_string(ctx.be.contests.size());
  if (asked.empty())
    return error_response(400, "contest: this election has " + n + " contests: " + contest_list(ctx) +
                                   "; choose one with ?contest=<id>",
                          "contest");
  return error_response(404, "contest: no contest \"" + asked + "\"; this election has " + n + ": " + contest_list(ctx),
                        "contest");
}

struct Api::Impl {
  ApiContext ctx;
  RouteTable table;

  Impl(ApiOptions o, ApiBackend b) : ctx(std::move(o), std::move(b)) {
    // Matching order: specific rows first, the catch-alls (web_routes.cc) last.
    add_log_routes(table, ctx);
    add_results_routes(table, ctx);
    add_submit_routes(table, ctx);
    add_bulk_routes(table, ctx);
    add_metrics_routes(table, ctx);
    add_forensics_routes(table, ctx);
    add_flags_routes(table, ctx);
    add_verify_routes(table, ctx);
    add_device_routes(table, ctx);
    add_web_routes(table, ctx);
  }
};

Response no_write_side_response(const ApiBackend& be) {
  Response r = error_response(503, be.no_write_side);
  if (!be.sequencer_url.empty()) {
    r.headers.emplace_back("Tallylog-Sequencer", be.sequencer_url);
    r.headers.emplace_back("Retry-After", "1");
  }
  return r;
}

Api::Api(ApiOptions options, ApiBackend backend)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(backend))) {}
Api::~Api() = default;

uint64_t Api::body_limit(std::string_view method, std::string_view path) const {
  auto m = impl_->table.match(method, path);
  return m.route ? m.route->body_limit : 0;
}

std::string_view Api::route_label(std::string_view method, std::string_view path) const {
  auto m = impl_->table.match(method, path);
  return m.pattern_row ? std::string_view(m.pattern_row->label) : std::string_view("other");
}

void Api::observe(const Request& request, int status, std::chrono::nanoseconds latency) {
  impl_->ctx.metrics->observe(route_label(request.method, request.path), status, latency);
}

Response Api::handle(const Request& req) {
  if (req.path.find('\0') != std::string::npos) return Response::text(400, "bad path\n");
  auto m = impl_->table.match(req.method, req.path);
  if (!m.route) {
    if (!m.allow.empty()) return method_not_allowed(m.allow);
    return error_response(404, "no such route");
  }
  // Everything a handler may quote back is checked here once: invalid UTF-8 is the client's
  // error (400), never a 500 from a JSON writer further down.
  Query query = parse_query(req.query);
  for (const auto& [k, v] : query) {
    if (!is_valid_utf8(k)) return error_response(400, "query: a parameter name is not valid UTF-8", "query");
    if (!is_valid_utf8(v)) return error_response(400, k + ": not valid UTF-8", k);
  }
  RouteCall call{req, query, {}, m.rest};
  call.params.reserve(m.params.size());
  for (auto p : m.params) {
    call.params.push_back(percent_decode(p, false));
    if (!is_valid_utf8(call.params.back())) return error_response(400, "path: not valid UTF-8", "path");
  }
  return m.route->handler(call);
}

}  // namespace tallylog::http
