// The tamper-evident, append-only log: the source of truth of tallylog.
//
// On disk (<data>/log/, servable as-is by any static web server, see docs/formats/log.md) it is a
// C2SP tlog-tiles tree: `checkpoint` (a C2SP signed note), hash tiles `tile/<L>/<N>[.p/<W>]` and
// entry bundles `tile/entries/<N>[.p/<W>]`. Private state (the signing key, the sequencing journal,
// the lock file) lives beside it in <data>/, never inside <data>/log/.
//
// Writers: one process at a time holds the log (a lock file); inside it, any number of threads may
// call append()/append_batch() concurrently; calls are group-committed. A call returns only after
// its entries are durable (fsync'd), with the index of its first entry. Integration into tiles and
// the signed checkpoint follows; after a crash, open() completes or repairs the last batch.
//
// Readers see the integrated tree as of the latest checkpoint. LogReader is read-only and
// thread-safe; HTTP handlers, tally and verify get only a LogReader.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tallylog/base/env.h"
#include "tallylog/base/error.h"
#include "tallylog/merkle/hash.h"

namespace tallylog::log {

// C2SP tlog-tiles entries are uint16 length-prefixed in entry bundles.
inline constexpr size_t kMaxEntrySize = 65535;

class LogReader {
 public:
  virtual ~LogReader() = default;

  // Size of the tree committed to by the latest signed checkpoint.
  virtual uint64_t size() const = 0;
  // The latest signed checkpoint, byte for byte as published at <data>/log/checkpoint.
  virtual Result<std::string> checkpoint() const = 0;
  virtual Result<merkle::Hash> root_hash(uint64_t tree_size) const = 0;
  virtual Result<std::string> entry(uint64_t index) const = 0;
  // Calls fn(index, entry) for each index in [begin, end) in order, reading whole bundles;
  // stops at and returns the first error (including one returned by fn).
  virtual Status for_each_entry(uint64_t begin, uint64_t end,
                                const std::function<Status(uint64_t, std::string_view)>& fn) const = 0;
  virtual Result<std::vector<merkle::Hash>> inclusion_proof(uint64_t index, uint64_t tree_size) const = 0;
  virtual Result<std::vector<merkle::Hash>> consistency_proof(uint64_t from_size, uint64_t to_size) const = 0;
};

struct CreateOptions {
  std::string origin;  // checkpoint origin line, e.g. "tallylog.example/ve2024"; UTF-8, no newline
};

struct OpenOptions {
  Env* env = &Env::posix();
  // The journal is rotated (tiles fsync'd, superseded partial tiles deleted, a new journal
  // started) once it holds this many bytes; recovery replays at most this much.
  uint64_t journal_rotate_bytes = 64 << 20;
  // At most this many bytes of entries are sequenced in one journal record (group commit).
  uint64_t max_batch_bytes = 16 << 20;
};

// Opens <data_dir>/log read-only: the tree as of the checkpoint on disk, whose signature is
// checked against <data_dir>/log.vkey. Does not take the writer lock and does not see appends by
// another process (open it again for a newer view).
Result<std::unique_ptr<LogReader>> open_reader(const std::string& data_dir, const OpenOptions& o = {});

class Log : public LogReader {
 public:
  // Creates <data_dir>/log/ with an empty tree, a new Ed25519 key (<data_dir>/log.key, mode 0600)
  // and <data_dir>/log.vkey. Fails with kAlreadyExists if a log is there.
  static Result<std::unique_ptr<Log>> create(const std::string& data_dir, const CreateOptions& c,
                                             const OpenOptions& o = {});
  // Opens an existing log for appending, recovering from a crash if needed.
  static Result<std::unique_ptr<Log>> open(const std::string& data_dir, const OpenOptions& o = {});

  // Appends entries (each at most kMaxEntrySize bytes) and returns the index of the first once
  // they are durable. All-or-nothing: a too-large entry rejects the whole batch.
  virtual Result<uint64_t> append_batch(std::span<const std::string> entries) = 0;
  Result<uint64_t> append(std::string_view entry);

  // The verifier key in note form, "<name>+<hex8>+<base64>".
  virtual std::string verifier_key() const = 0;
  // Flushes, integrates and signs anything pending; further appends fail.
  virtual Status close() = 0;
};

}  // namespace tallylog::log
