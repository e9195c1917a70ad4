// Fetches a known sequence of log files ahead of their use, over several connections, so that a
// mirror's throughput is not one round trip per tile. Results come back strictly in the order of
// the list; at most `window` fetched files wait to be taken (bounded memory).
//
// Thread-safety: next() is called by one consumer thread; the workers are internal.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tallylog/base/error.h"
#include "tallylog/log/verify.h"

namespace tallylog::mirror {

class Prefetcher {
 public:
  // Opens one more reader of the same source (one per worker: connections are not shared).
  using OpenFiles = std::function<Result<std::unique_ptr<log::LogFiles>>()>;
  struct Item {
    std::string rel;
    std::string fallback;  // read this instead when `rel` is not found (a full tile for a gone partial)
  };
  struct Got {
    std::string rel;  // the file actually read (rel or its fallback)
    Result<std::string> data = std::string();
  };

  Prefetcher(OpenFiles open, std::vector<Item> items, size_t threads, size_t window);
  ~Prefetcher();
  Prefetcher(const Prefetcher&) = delete;
  Prefetcher& operator=(const Prefetcher&) = delete;

  // The next item of the list, waiting for it if needed. Must not be called more often than the
  // list is long.
  Got next();
  uint64_t bytes() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace tallylog::mirror
