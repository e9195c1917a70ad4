// Request metrics for /metrics in the Prometheus text exposition format (version 0.0.4):
// requests by route and status, a latency histogram by route, plus gauges supplied by the caller
// at scrape time (log size, sheets by source). Routes are low-cardinality labels ("/log/tile",
// "/api/v1/tally"), never raw paths. Thread-safe.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tallylog::http {

struct Gauge {
  std::string name;  // "tallylog_log_size"
  std::string help;
  std::vector<std::pair<std::string, double>> samples;  // label set text ("" or `source="qr"`) → value
};

class Metrics {
 public:
  static constexpr std::array<double, 12> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,   0.1,   0.25,   0.5,   1,    5};
  void observe(std::string_view route, int status, std::chrono::nanoseconds latency);
  std::string render(const std::vector<Gauge>& gauges) const;
  uint64_t requests(std::string_view route, int status) const;

 private:
  struct Histogram {
    std::array<uint64_t, kBuckets.size()> buckets{};
    uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mu_;
  std::map<std::string, std::map<int, uint64_t>, std::less<>> requests_;  // route -> status -> count
  std::map<std::string, Histogram, std::less<>> latency_;
};

// Escapes a label value for the exposition format (backslash, quote, newline).
std::string prometheus_label(std::string_view value);

}  // namespace tallylog::http
