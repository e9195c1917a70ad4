// GET /metrics (and its alias /api/v1/metrics): request counters and latency by route label, the
// log and index sizes, current sheets by source (Prometheus text format).
#include "tallylog/http/api_context.h"
#include "tallylog/http/responses.h"

namespace tallylog::http {
namespace {

Response metrics(ApiContext& ctx) {
  if (!ctx.be.index || !ctx.be.log) return error_response(503, "no data loaded");
  std::vector<Gauge> gauges;
  gauges.push_back({"tallylog_log_size", "Entries in the log as of the latest checkpoint.",
                    {{"", static_cast<double>(ctx.be.log->size())}}});
  if (auto n = ctx.be.index->indexed_size())
    gauges.push_back({"tallylog_index_size", "Log entries applied to the index.", {{"", static_cast<double>(*n)}}});
  // Counted by the index (decoding a million entries per scrape would not scale).
  std::vector<std::pair<std::string, uint64_t>> by_source;
  if (auto counts = ctx.be.index->current_sheets_by_source()) by_source = std::move(*counts);
  Gauge g{"tallylog_sheets", "Current (not superseded) sheets, by source.", {}};
  for (auto& [s, n] : by_source) g.samples.emplace_back("source=\"" + prometheus_label(s) + "\"", double(n));
  gauges.push_back(std::move(g));
  for (auto& w : witness_gauges(ctx)) gauges.push_back(std::move(w));
  Response r;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  r.body = ctx.metrics->render(gauges);
  return r;
}

}  // namespace

void add_metrics_routes(RouteTable& table, ApiContext& ctx) {
  table.add({"GET", "/metrics", "", 0, [&ctx](const RouteCall&) { return metrics(ctx); }});
  table.add({"GET", "/api/v1/metrics", "", 0, [&ctx](const RouteCall&) { return metrics(ctx); }});
}

}  // namespace tallylog::http
