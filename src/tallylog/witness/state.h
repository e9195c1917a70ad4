// What a witness must never forget: for each log (by checkpoint origin), the latest checkpoint it
// cosigned. C2SP tlog-witness requires comparing a request's old size with that checkpoint and
// recording the new one atomically, and persisting it before answering.
//
// On disk, <dir>/witness.journal is a sequence of records, each the signed checkpoint note as the
// log submitted it:
//
//   record = "TLW1" u32be(length) note SHA-256("TLW1" || u32be(length) || note)
//
// The last record of an origin wins. A torn record at the tail (a crash mid-append, never
// acknowledged) is cut off at open; a damaged record before the tail is kCorrupt. Records are
// group-committed: concurrent updates share one fdatasync, which is what lets one witness cosign
// thousands of checkpoints per second for many logs (one per log at a time, by the protocol).
// When the journal has grown to several times its live content it is rewritten (one record per
// origin, fsync'd, renamed over).
//
// Thread-safety: all methods may be called from any number of threads. After a failed write the
// state refuses every update (its memory may be ahead of the disk), until reopened.
// One process at a time: open() takes an exclusive lock on <dir>/lock.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tallylog/base/env.h"
#include "tallylog/base/error.h"
#include "tallylog/merkle/hash.h"

namespace tallylog::witness {

struct LogState {
  uint64_t size = 0;
  merkle::Hash root{};
};

class WitnessState {
 public:
  // `compact_at_bytes`: rewrite the journal once it is larger than this (and mostly superseded).
  static Result<std::unique_ptr<WitnessState>> open(Env& env, const std::string& dir,
                                                    uint64_t compact_at_bytes = 8 << 20);
  ~WitnessState();

  // Decides under the state's lock whether `next` replaces the current state of the origin
  // (nullopt: never cosigned). Returning an error aborts without change.
  using Decide = std::function<Status(const std::optional<LogState>& current)>;

  // Atomically: reads the origin's state, calls `decide`, records (next, note) when it accepts,
  // and returns once that record is durable.
  Status update(const std::string& origin, const LogState& next, std::string_view checkpoint_note, const Decide& decide);

  std::optional<LogState> get(std::string_view origin) const;
  // The latest cosigned checkpoint note of an origin, as the log submitted it.
  std::optional<std::string> checkpoint(std::string_view origin) const;
  std::vector<std::string> origins() const;

  struct Impl;

 private:
  explicit WitnessState(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tallylog::witness
