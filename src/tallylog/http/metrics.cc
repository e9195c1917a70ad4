#include "tallylog/http/metrics.h"

#include <fmt/format.h>

namespace tallylog::http {

void Metrics::observe(std::string_view route, int status, std::chrono::nanoseconds latency) {
  double secs = std::chrono::duration<double>(latency).count();
  std::lock_guard lock(mu_);
  // Heterogeneous lookups: no allocation once a route has been seen.
  auto r = requests_.find(route);
  if (r == requests_.end()) r = requests_.emplace(std::string(route), std::map<int, uint64_t>{}).first;
  ++r->second[status];
  auto it = latency_.find(route);
  if (it == latency_.end()) it = latency_.emplace(std::string(route), Histogram{}).first;
  auto& h = it->second;
  for (size_t i = 0; i < kBuckets.size(); ++i)
    if (secs <= kBuckets[i]) ++h.buckets[i];
  ++h.count;
  h.sum += secs;
}

uint64_t Metrics::requests(std::string_view route, int status) const {
  std::lock_guard lock(mu_);
  auto it = requests_.find(route);
  if (it == requests_.end()) return 0;
  auto st = it->second.find(status);
  return st == it->second.end() ? 0 : st->second;
}

std::string prometheus_label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string Metrics::render(const std::vector<Gauge>& gauges) const {
  std::string out;
  {
    std::lock_guard lock(mu_);
    out += "# HELP tallylog_http_requests_total HTTP requests answered, by route and status.\n";
    out += "# TYPE tallylog_http_requests_total counter\n";
    for (const auto& [route, by_status] : requests_)
      for (const auto& [status, n] : by_status)
        out += fmt::format("tallylog_http_requests_total{{route=\"{}\",status=\"{}\"}} {}\n", prometheus_label(route),
                           status, n);
    out += "# HELP tallylog_http_request_duration_seconds Time from first request byte to response written.\n";
    out += "# TYPE tallylog_http_request_duration_seconds histogram\n";
    for (const auto& [route, h] : latency_) {
      auto r = prometheus_label(route);
      for (size_t i = 0; i < kBuckets.size(); ++i)
        out += fmt::format("tallylog_http_request_duration_seconds_bucket{{route=\"{}\",le=\"{}\"}} {}\n", r,
                           kBuckets[i], h.buckets[i]);
      out += fmt::format("tallylog_http_request_duration_seconds_bucket{{route=\"{}\",le=\"+Inf\"}} {}\n", r, h.count);
      out += fmt::format("tallylog_http_request_duration_seconds_sum{{route=\"{}\"}} {}\n", r, h.sum);
      out += fmt::format("tallylog_http_request_duration_seconds_count{{route=\"{}\"}} {}\n", r, h.count);
    }
  }
  for (const auto& g : gauges) {
    out += fmt::format("# HELP {} {}\n# TYPE {} gauge\n", g.name, g.help, g.name);
    for (const auto& [labels, v] : g.samples) {
      if (labels.empty())
        out += fmt::format("{} {}\n", g.name, v);
      else
        out += fmt::format("{}{{{}}} {}\n", g.name, labels, v);
    }
  }
  return out;
}

}  // namespace tallylog::http
