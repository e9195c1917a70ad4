// The sequencing journal: where appended entries become durable before they are integrated
// into tiles. An append is acknowledged once its journal record is durable ("acknowledged means
// on disk"); the journal holds every entry not yet durably published in tiles, and open()
// replays it. Private state, never published.
//
// Drivers: the POSIX driver (open_posix_journal: files "<20-digit first index>.journal" in
// <data>/journal/, each a sequence of checksummed records, see docs/formats/log.md). A database
// driver (later) would keep one row per record in a table, append = INSERT + durable COMMIT,
// release = DELETE of the rows below a size.
//
// Thread-safety: append() is called by one thread at a time (the commit leader); release(),
// begin() and end() may be called concurrently with it (by the publisher). replay() is called
// before the first append.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "tallylog/base/env.h"
#include "tallylog/base/error.h"

namespace tallylog::log {

class Journal {
 public:
  virtual ~Journal() = default;

  // Index of the first entry the journal holds (entries below it are durable in tiles).
  virtual uint64_t begin() const = 0;
  // One past the last entry appended.
  virtual uint64_t end() const = 0;

  // Durably records entries [first, first + entries.size()); first must equal end(). Returns
  // only once they survive a power cut. On error the journal is unusable (reopen it).
  virtual Status append(uint64_t first, std::span<const std::string_view> entries) = 0;

  // Calls fn(first, entries) for every record holding entries at or after `from` (at least
  // begin()), in order; the first call may start before `from`.
  virtual Status replay(uint64_t from,
                        const std::function<Status(uint64_t first, std::span<const std::string_view>)>& fn) = 0;

  // Entries below `size` are durable in the published tiles: the journal may drop them.
  virtual Status release(uint64_t size) = 0;

  // The clean-close note (issue 16): the log writes one line (the tree head it published and
  // checked) when it closes cleanly, and reads it at the next open to skip re-verifying what it
  // already checked or wrote itself. Private (the journal's store), never published. A driver
  // without a place for it keeps the defaults: nothing stored, so every open checks everything.
  virtual Result<std::string> clean_note() { return std::string(); }  // empty: none
  virtual Status set_clean_note(std::string_view /*note*/) { return {}; }  // empty: remove it
};

struct PosixJournalOptions {
  // A new journal file is started once the current one holds this many bytes, so that old
  // files can be deleted as soon as their entries are published.
  uint64_t file_bytes = 8 << 20;
  // Called with one line for each repair made at open (a torn final record cut off).
  std::function<void(std::string_view)> notice;
};

// Opens (creating if needed) the journal in `dir` through `env`, which must outlive it. A torn
// final record (an append that crashed before it was acknowledged) is cut off; any other
// damage is kCorrupt naming the file and offset.
Result<std::unique_ptr<Journal>> open_posix_journal(Env& env, std::string dir, PosixJournalOptions options = {});

}  // namespace tallylog::log
