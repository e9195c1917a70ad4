// Where a data directory's log lives (issue 15): its public files (tiles, entry bundles, the
// checkpoint) and its private sequencing journal.
//
//   <data>/store.url absent           the POSIX drivers: files under <data>/log/ and <data>/journal/
//   <data>/store.url "postgresql://…" the PostgreSQL drivers: both in that database (schema in
//                                      docs/formats/store.md), so several server nodes, each with
//                                      its own small data directory (log.key, log.vkey, store.url,
//                                      its own derived index), read and append one log.
//
// Every command that opens a log goes through open_log_options()/open_reader() here, so a
// PostgreSQL-backed data directory works wherever a POSIX one does (read commands, verify,
// import, serve). The verdicts, integration and checks are the log module's, shared by every
// driver; a driver only stores bytes (log/storage.h, log/journal.h).
//
// Fencing: in PostgreSQL a one-row table tl_sequencer holds the sequencer lease's epoch. A store
// opened for writing with fence F > 0 checks, inside every write transaction, that the epoch is
// still F (taking a share lock on the row, so a node bumping the epoch waits for writes in
// flight) and otherwise writes nothing and fails with kUnavailable: a node that lost the lease
// can never append, publish or release anything after another node took over.
// open_postgres_store with F = 0 writes unfenced (tests); open_log_options with F = 0 takes the
// lease itself (cluster/lease.h) and fences by its epoch for as long as the journal is held, so
// init, import and the `log` commands never write beside running serve nodes.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "tallylog/base/error.h"
#include "tallylog/log/journal.h"
#include "tallylog/log/log.h"
#include "tallylog/log/storage.h"

namespace tallylog::store {

// The store URL of <data_dir>: "" for the POSIX files (no store.url), else its one line. A
// store.url that is not a postgresql:// or postgres:// URL is kInvalidArgument naming the file.
Result<std::string> store_url(const std::string& data_dir);

struct StoreOptions {
  bool write = false;   // also open the journal (appending)
  uint64_t fence = 0;   // PostgreSQL: the lease epoch every write is checked against (0: none)
};

struct Store {
  std::shared_ptr<log::LogStorage> storage;
  std::shared_ptr<log::Journal> journal;  // null unless opened for writing
  std::string description;               // the directory, or the redacted URL: for messages
};

// Opens the PostgreSQL drivers on `url`; the schema must exist (create_postgres_store).
Result<Store> open_postgres_store(const std::string& url, const StoreOptions& options = {});

// Creates the schema in the database at `url`. kAlreadyExists if it already holds a log (a
// checkpoint); a database holding tables of another schema version is named as such.
Status create_postgres_store(const std::string& url);

// The log options for opening <data_dir>'s log with Log::open/Log::create: `base` with the
// storage and journal drivers set when the data directory's log lives in PostgreSQL (POSIX:
// `base` unchanged, the log module opens its files).
Result<log::OpenOptions> open_log_options(const std::string& data_dir, log::OpenOptions base = {},
                                          uint64_t fence = 0);

// log::open_reader for <data_dir>, whichever store holds its log.
Result<std::unique_ptr<log::LogReader>> open_reader(const std::string& data_dir);

// The public files of <data_dir>'s log (tiles, entry bundles, checkpoint; paths relative to the
// log, "tile/0/x001/234"), read-only, whichever store holds them: for copying them out
// (`tallylog publish`).
Result<std::shared_ptr<const log::LogStorage>> open_storage(const std::string& data_dir);

// The sequencer lease's epoch now stored (tests, `tallylog nodes`): 0 for a POSIX store.
Result<uint64_t> sequencer_epoch(const std::string& url);

}  // namespace tallylog::store
