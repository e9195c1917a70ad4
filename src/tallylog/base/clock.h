// Time is injected (absl::Clock): production uses Clock::real(); tests use FakeClock.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace tallylog {

class Clock {
 public:
  virtual ~Clock() = default;
  static Clock& real();
  virtual std::chrono::system_clock::time_point now() = 0;
};

class FakeClock : public Clock {
 public:
  explicit FakeClock(std::chrono::system_clock::time_point t = {}) : t_(t) {}
  std::chrono::system_clock::time_point now() override { return t_; }
  void advance(std::chrono::nanoseconds d) { t_ += d; }

 private:
  std::chrono::system_clock::time_point t_;
};

// RFC 3339 UTC with second precision, e.g. "2024-07-28T18:00:00Z".
std::string format_rfc3339(std::chrono::system_clock::time_point t);

}  // namespace tallylog
