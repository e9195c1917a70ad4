// Every published total re-derived from the log entries alone: the election (entry 0), the
// station registry and the sheets, replayed in log order up to a given size, then tabulated and
// formatted by the same tally functions the CLI and the server use, so that an honest server's
// answer and the derived one are equal byte for byte.
//
// Not thread-safe; the LogReader must outlive build().
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "tallylog/base/error.h"
#include "tallylog/log/log.h"

namespace tallylog::audit {

class Derivation {
 public:
  // Replays entries [0, size) of `log`. kCorrupt naming the index when an entry that looks like
  // a record cannot be decoded (the server could not have indexed it either).
  static Result<std::unique_ptr<Derivation>> build(const log::LogReader& log, uint64_t size);
  virtual ~Derivation() = default;

  virtual uint64_t size() const = 0;
  // The body `GET <path>?<query>` must answer: path "/api/v1/tally", "/api/v1/compare" or
  // "/api/v1/bound" with its query parameters (level, source, a, b).
  virtual Result<std::string> answer(const std::string& path, const std::map<std::string, std::string>& query) = 0;
};

}  // namespace tallylog::audit
