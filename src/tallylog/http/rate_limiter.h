// A token-bucket rate limiter keyed by submitter: `rate` requests per second on average with
// bursts up to `burst`. Time is passed in (steady clock) so tests need no sleeping. Thread-safe.
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace tallylog::http {

class RateLimiter {
 public:
  RateLimiter(double rate_per_second, double burst) : rate_(rate_per_second), burst_(burst) {}
  // True if `key` may make one more request at `now` (and counts it).
  bool allow(std::string_view key, std::chrono::steady_clock::time_point now);

 private:
  struct Bucket {
    double tokens;
    std::chrono::steady_clock::time_point last;
  };
  double rate_;
  double burst_;
  std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace tallylog::http
