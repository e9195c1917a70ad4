// The tamper-evident, append-only log: the source of truth of tallylog.
//
// On disk (<data>/log/, servable as-is by any static web server, see docs/formats/log.md) it is a
// C2SP tlog-tiles tree: `checkpoint` (a C2SP signed note), hash tiles `tile/<L>/<N>[.p/<W>]` and
// entry bundles `tile/entries/<N>[.p/<W>]`. Private state (the signing key, the sequencing journal,
// the lock file) lives beside it in <data>/, never inside <data>/log/.
//
// Writers: one process at a time holds the log (a lock file); inside it, any number of threads may
// call append()/append_batch() concurrently; calls are group-committed into one journal record.
// A call returns only once its entries are DURABLE (the journal record is fsync'd: acknowledged
// means on disk), with the index of its first entry. A background publisher then integrates
// everything sequenced since its last run into tiles and bundles, makes them durable, signs one
// checkpoint for the lot and publishes it: at most one checkpoint per checkpoint_interval under
// load (right away after a quiet spell), so one-by-one appends do not cost one checkpoint and one
// set of partial tiles each. await_checkpoint(n) waits until a checkpoint covers n entries.
// After a crash or power cut, open() replays the journal; see docs/formats/log.md.
//
// Storage: public files through a LogStorage (storage.h; POSIX files by default), the journal
// through a Journal (journal.h); both are injectable, so other drivers (a database) fit.
//
// Readers see the integrated tree as of the latest published checkpoint, and authenticate every
// tile and entry they read against its signed root (tile_reader.h). LogReader is read-only and
// thread-safe; HTTP handlers, tally and verify get only a LogReader.
#pragma once

#include <chrono>
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

  // Waits until a checkpoint covering at least `size` entries is published and returns it (for
  // answers that carry proofs or receipts, and tests). A reader that does not append (opened
  // with open_reader) answers at once: its checkpoint, or kUnavailable if it is smaller. The
  // writer fails with kUnavailable after `timeout`, and with the publisher's error if publishing
  // failed or the log was closed first.
  virtual Result<std::string> await_checkpoint(uint64_t size,
                                               std::chrono::milliseconds timeout = std::chrono::seconds(30)) const;
};

struct CreateOptions {
  std::string origin;  // checkpoint origin line, e.g. "tallylog.example/ve2024"; UTF-8, no newline
};

class LogStorage;
class Journal;

// How much Log::open() checks of what is stored before it signs anything.
enum class OpenCheck {
  // Everything: every entry bundle, hash tile and partial is recomputed from the entries and
  // must match the tree rebuilt from the journal (the work of `tallylog verify`, ~4 M entries/s:
  // 0.25 s per million entries, far below the time to import them). The default: a writer must
  // never sign new checkpoints on top of stored data that disagrees with its tree.
  kFull,
  // Only what recovery touches: the right edge, the files rebuilt from the journal (write-once
  // compared) and the stored checkpoint's root. For logs too big to read at every start; readers
  // still authenticate every entry and tile they read.
  kRecent,
};

struct OpenOptions {
  Env* env = &Env::posix();
  // A new journal file is started once the current one holds this many bytes; files whose
  // entries are all published are deleted, so recovery replays little more than this.
  uint64_t journal_rotate_bytes = 8 << 20;
  // At most this many bytes of entries are sequenced in one journal record (group commit).
  uint64_t max_batch_bytes = 16 << 20;
  // Under load, checkpoints are published at most this often (each one batching every append
  // since the last); the first append after a quiet spell is published at once.
  std::chrono::milliseconds checkpoint_interval{200};
  // Appends wait (back-pressure) while this many bytes of entries await publication.
  uint64_t max_unpublished_bytes = 256 << 20;
  OpenCheck check = OpenCheck::kFull;
  // Cosigning hook (witnesses): called by the publisher with each new signed checkpoint note; it
  // returns the note with extra signature lines (cosignatures). The log publishes what it
  // returns if it still verifies with the log's key and has the same text, otherwise its own
  // note. It runs on its own thread: appends never wait for it, and the publisher waits at most
  // cosign_deadline (then publishes its own note; a hook still running is not called again until
  // it returns). close() waits for a running hook. A log opened with entries first sends the
  // hook the checkpoint it opened with, and publishes the answer if it carries more signatures
  // than the note on disk, so a log that no longer grows is cosigned too.
  std::function<Result<std::string>(const std::string& signed_checkpoint)> cosign;
  std::chrono::milliseconds cosign_deadline{2000};
  // One line for each thing recovery or the publisher wants an operator to know (a torn
  // checkpoint rebuilt, a temporary removed, a cosignature refused). Null: printed to stderr.
  std::function<void(std::string_view)> notice;
  // Storage drivers; null: the POSIX ones in <data_dir> (log/, journal/, staging/).
  std::shared_ptr<LogStorage> storage;
  std::shared_ptr<Journal> journal;
};

// Opens <data_dir>/log read-only: the tree as of the checkpoint on disk, whose signature is
// checked against <data_dir>/log.vkey (a directory holding only log/ and log.vkey, e.g. a mirror,
// is enough). Does not take the writer lock and does not see appends by another process (open it
// again for a newer view). Extra signature lines (cosignatures, unknown keys) are accepted.
Result<std::unique_ptr<LogReader>> open_reader(const std::string& data_dir, const OpenOptions& o = {});
// The same over any storage driver (e.g. a database several server nodes read).
Result<std::unique_ptr<LogReader>> open_reader(std::shared_ptr<const LogStorage> storage, const std::string& vkey);

class Log : public LogReader {
 public:
  // Creates <data_dir>/log/ with an empty tree, a new Ed25519 key (<data_dir>/log.key, mode 0600)
  // and <data_dir>/log.vkey. Fails with kAlreadyExists if a log is there.
  static Result<std::unique_ptr<Log>> create(const std::string& data_dir, const CreateOptions& c,
                                             const OpenOptions& o = {});
  // Opens an existing log for appending, recovering from a crash if needed.
  static Result<std::unique_ptr<Log>> open(const std::string& data_dir, const OpenOptions& o = {});

  // Appends entries (each at most kMaxEntrySize bytes) and returns the index of the first once
  // they are durable (they survive a crash or power cut); a checkpoint covering them follows
  // (await_checkpoint). All-or-nothing: a too-large entry rejects the whole batch.
  virtual Result<uint64_t> append_batch(std::span<const std::string> entries) = 0;
  Result<uint64_t> append(std::string_view entry);

  // The verifier key in note form, "<name>+<hex8>+<base64>".
  virtual std::string verifier_key() const = 0;
  // Index one past the last durable (acknowledged) entry; size() <= sequenced_size().
  virtual uint64_t sequenced_size() const = 0;
  // Publishes everything appended so far now (without waiting for the interval) and returns
  // the checkpoint.
  virtual Result<std::string> publish_now() = 0;
  // Integrates and signs anything pending, stops the publisher; further appends fail.
  virtual Status close() = 0;
};

}  // namespace tallylog::log
