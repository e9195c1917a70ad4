#include "tallylog/http/rate_limiter.h"

#include <algorithm>

namespace tallylog::http {

bool RateLimiter::allow(std::string_view key, std::chrono::steady_clock::time_point now) {
  std::lock_guard lock(mu_);
  auto [it, inserted] = buckets_.try_emplace(std::string(key), Bucket{burst_, now});
  auto& b = it->second;
  if (!inserted) {
    double elapsed = std::chrono::duration<double>(now - b.last).count();
    if (elapsed > 0) b.tokens = std::min(burst_, b.tokens + elapsed * rate_);
    b.last = std::max(b.last, now);
  }
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}

}  // namespace tallylog::http
