// Every published total re-derived from the log entries alone: entries [0, size) are replayed
// through the project's one derivation (ingest::Deriver: the verdict rule, corrections, the
// station registry) into a private in-memory index (index/memory_index.h), then tabulated and formatted
// by the same functions the CLI and the server use (tally/from_index.h, tally/format.h), so
// that an honest server's answer and the derived one are equal byte for byte. Nothing the
// server holds besides its signed log is read.
//
// Not thread-safe; the LogReader must outlive build(). Nothing is written to disk.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "tallylog/base/error.h"
#include "tallylog/log/log.h"

namespace tallylog::audit {

class Derivation {
 public:
  // Replays entries [0, size) of `log`. Fails naming the entry when one that looks like a record
  // cannot be decoded (the server could not have indexed it either). `contest`: the contest tag
  // (election/contest.h; "" for a single-contest election) whose figures are derived.
  static Result<std::unique_ptr<Derivation>> build(const log::LogReader& log, uint64_t size,
                                                   const std::string& contest = {});
  virtual ~Derivation() = default;

  virtual uint64_t size() const = 0;
  // Tabulates the source rules `rules` (texts as in a query's "source") ahead of the answers
  // that need them, several at once (one thread per core): a server answering an audit waits
  // for these while its own are long done. Optional; answers tabulate what is missing. Fails on
  // a rule that does not parse or a tabulation that fails (the others are kept), as the answers
  // needing it would.
  virtual Status prepare(const std::vector<std::string>& rules) = 0;
  // The body `GET <path>?<query>` must answer: path "/api/v1/tally", "/api/v1/compare" or
  // "/api/v1/bound" with its query parameters (level, source, a, b). With `log_size`, the body
  // states it as the server does (tally/format.h), for answers that state the size they reflect.
  virtual Result<std::string> answer(const std::string& path, const std::map<std::string, std::string>& query,
                                     std::optional<uint64_t> log_size = std::nullopt) = 0;
  // The same bytes as answer(), handed to `sink` in pieces (about a megabyte each) as they are
  // formatted, so a table-level answer of hundreds of megabytes is never held whole. On error,
  // `sink` may already have been given a part of the body. Returns the number of figures (JSON
  // numbers, as json_diff.h count_figures() counts them) in the body, counted as it is written.
  virtual Result<uint64_t> answer_streamed(const std::string& path, const std::map<std::string, std::string>& query,
                                 std::optional<uint64_t> log_size, const std::function<void(std::string_view)>& sink) = 0;
};

}  // namespace tallylog::audit
