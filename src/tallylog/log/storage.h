// The storage seam of the log (tessera's driver split): where the PUBLIC files of a log live —
// hash tiles, entry bundles and the checkpoint, named by their tlog-tiles paths relative to the
// log ("tile/0/x001/234", "tile/entries/000.p/7", "checkpoint"). The private sequencing journal
// has its own interface (journal.h). The appender, the readers and verify reach stored data only
// through these interfaces; integration (entries -> tiles) is pure and shared by every driver.
//
// Drivers: the POSIX driver (posix_log_storage(): files under <data>/log/, staged in a private
// directory and renamed into place, so a half-written file never appears in log/). A database
// driver (e.g. PostgreSQL, later) stores each file as a row keyed by its path: write_once is an
// INSERT of a new key (or a no-op when the row holds the same bytes), make_durable a COMMIT, the
// checkpoint a single row replaced in a transaction; several server nodes then read one log.
//
// Semantics every driver keeps (the log's correctness rests on them):
//   - write_once(path, data): a tile or bundle path, once published, always holds the same bytes.
//     Writing the same bytes again is a no-op; different bytes fail with kCorrupt naming the path
//     (and nothing is changed): a replay never silently rewrites published data.
//   - What write_once staged becomes visible to readers and durable (survives a power cut) when
//     make_durable() returns, not before. A crash before that leaves either nothing or the
//     complete file under its name, never a partial one.
//   - write_checkpoint(note) replaces the checkpoint atomically and durably (readers see the old
//     or the new note, never a mix) and only after everything staged before it is durable.
//   - remove(path) hides a published tile or bundle (superseded partials); it need not be
//     durable (a removed partial that reappears after a crash still holds valid bytes).
//   - list(dir) names the entries of a directory ("tile/0/001.p" -> {"5", "17"}); empty when the
//     directory does not exist.
//
// Thread-safety: read, list and read_checkpoint may be called from any thread at any time; the
// write side (write_once, make_durable, write_checkpoint, remove) is used by one writer thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tallylog/base/env.h"
#include "tallylog/base/error.h"

namespace tallylog::log {

class LogStorage {
 public:
  virtual ~LogStorage() = default;

  // kNotFound when absent.
  virtual Result<std::string> read(const std::string& path) const = 0;
  virtual Result<std::vector<std::string>> list(const std::string& dir) const = 0;

  virtual Status write_once(const std::string& path, std::string_view data) = 0;
  virtual Status make_durable() = 0;
  virtual Status write_checkpoint(std::string_view note) = 0;
  virtual Status remove(const std::string& path) = 0;

  // A digest of what is stored now that changes whenever a file is added, removed, replaced or
  // rewritten (the POSIX driver hashes every file's path, size, modification time and inode
  // number, reading no contents). Log::open compares it with the one recorded at the last clean
  // close to skip re-reading files nothing touched since (issue 16). Empty: this driver cannot
  // tell, so every open re-reads everything.
  virtual Result<std::string> fingerprint() const { return std::string(); }
};

struct PosixStorageOptions {
  // Private directory on the same file system as log_dir, for the temporaries of atomic
  // writes; created if needed and emptied when the storage is opened for writing. Empty: the
  // storage is read-only (write calls fail with kFailedPrecondition).
  std::string staging_dir;
  // Called with one line for each thing opening cleaned up (a leftover temporary removed).
  std::function<void(std::string_view)> notice;
};

// The POSIX driver over `log_dir` (files as in docs/formats/log.md) through `env`, which must
// outlive it. Opening for writing (staging_dir set) also removes temporaries left inside
// log_dir by older versions, which wrote them beside their targets ("<name>.tmp.<pid>.<n>").
Result<std::unique_ptr<LogStorage>> posix_log_storage(Env& env, std::string log_dir, PosixStorageOptions options = {});

// True for the names older versions gave temporaries inside log/: "<name>.tmp.<digits>[.<digits>]".
bool is_leftover_temporary(std::string_view name);

}  // namespace tallylog::log
