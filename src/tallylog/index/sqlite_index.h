// The derived index in SQLite (<data>/index.sqlite, WAL, synchronous=FULL): a view of the log
// that tally, compare and the HTTP GET handlers read through index::IndexReader. It holds the
// election, the stations (with their area code and name per level), every logged sheet (log
// index, station, source, identity digest, canonical entry, superseded/conflicted standing) and
// a `meta` row `indexed_size`: entries [0, indexed_size) have been applied. The index never holds
// anything the log does not: deleting index.sqlite and calling rebuild() reproduces it exactly.
//
// Rejected submissions never reach the log, so they live apart in <data>/rejects.sqlite, which
// rebuild() leaves alone.
//
// Writing: one writer (the Ingestor, or rebuild/catch_up) applies entries strictly in log order
// through a WriteBatch (one transaction; commit() also advances indexed_size). A crash between a
// log append and the index commit is healed by catch_up(), which applies the entries the index
// lacks. Reading: thread-safe; readers use their own connection (WAL lets them read while the
// writer writes) behind a mutex. Callbacks of for_each_* must not call back into the writer.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "tallylog/base/error.h"
#include "tallylog/election/model.h"
#include "tallylog/index/reader.h"
#include "tallylog/log/log.h"

namespace tallylog::index {

std::string index_path(std::string_view data_dir);    // <data>/index.sqlite
std::string rejects_path(std::string_view data_dir);  // <data>/rejects.sqlite

// What a sheet SAYS, ignoring which sheet it corrects: the identity digest of the sheet with
// `supersedes` cleared (32 bytes). Two current sheets of one station and source conflict when
// their content digests differ; a correction that restates another current sheet does not.
std::string sheet_content_digest(const election::Sheet& sheet, std::string_view identity_digest);

// A sheet as the ingestor keeps it in memory (loaded once at open).
struct SheetSummary {
  uint64_t log_index = 0;
  std::string station;
  std::string source;
  std::string identity_digest;  // election::sheet_identity_digest, 32 bytes
  std::string content_digest;   // sheet_content_digest
  bool superseded = false;
};

class SqliteIndex : public IndexReader {
 public:
  // Opens (creating if absent) <data>/index.sqlite and <data>/rejects.sqlite.
  static Result<std::unique_ptr<SqliteIndex>> open(const std::string& data_dir);
  // Deletes <data>/index.sqlite (and its WAL) and rebuilds it from `log` alone.
  static Result<std::unique_ptr<SqliteIndex>> rebuild(const std::string& data_dir, const log::LogReader& log,
                                                      const std::function<void(uint64_t, uint64_t)>& progress = {});
  ~SqliteIndex() override;

  // Applies entries [indexed_size(), end) read from `log` (decoding each), in transactions of a
  // few thousand entries. `end` defaults to log.size(). Progress gets (done, total).
  Status catch_up(const log::LogReader& log, uint64_t end = UINT64_MAX,
                  const std::function<void(uint64_t, uint64_t)>& progress = {});

  // One write transaction applying consecutive log entries from indexed_size() on. Records are
  // passed already decoded (the ingestor has them) together with their entry bytes. Destroying
  // an uncommitted batch rolls it back. Only one batch may be open at a time.
  class WriteBatch {
   public:
    ~WriteBatch();
    WriteBatch(WriteBatch&&) noexcept;
    uint64_t next_index() const { return next_; }
    Status election(const election::Election& e, std::string_view entry);
    Status station(const election::Station& s);
    // `identity_digest` is election::sheet_identity_digest(sheet). `differs`, when the caller
    // knows it (the ingestor does), says whether another current sheet of the same station and
    // source says something different; it saves a query, and is ignored for corrections.
    Status sheet(const election::Sheet& s, std::string_view entry, std::string_view identity_digest,
                 std::optional<bool> differs = std::nullopt);
    Status skip(std::string_view why);  // an entry that is not one of our records
    Status commit();

   private:
    friend class SqliteIndex;
    WriteBatch(SqliteIndex* index, uint64_t next) : index_(index), next_(next) {}
    SqliteIndex* index_;
    uint64_t next_;
    bool done_ = false;
  };
  Result<WriteBatch> begin_batch();

  // Decodes `entry` and adds it to `batch` (used by catch_up; exposed for tests).
  static Status apply_entry(WriteBatch& batch, std::string_view entry);

  // Rejected submissions (kept apart from the derived index).
  Status add_rejects(std::span<const Reject> rejects);
  // Empties the rejects store (`tallylog rejects clear`); returns how many were removed.
  Result<uint64_t> clear_rejects();

  // Every sheet's summary, by log index (for the ingestor's in-memory state).
  Status for_each_sheet_summary(const std::function<void(const SheetSummary&)>& fn);
  // Every station's code and registered voters (for the ingestor's in-memory registry).
  Status for_each_station_brief(const std::function<void(std::string_view code, uint64_t registered)>& fn);

  // Every table's rows as sorted text, for tests that compare a rebuilt index with the original.
  Result<std::string> dump();

  // IndexReader
  Result<uint64_t> indexed_size() override;
  Result<election::Election> election() override;
  Result<std::optional<election::Station>> station(std::string_view code) override;
  Status for_each_station(const std::function<void(const election::Station&)>& fn) override;
  Result<uint64_t> station_count() override;
  Status for_each_current_sheet(std::string_view source, const std::function<void(const SheetRecord&)>& fn) override;
  Result<std::vector<SheetRecord>> sheets_for_station(std::string_view station, std::string_view source = {}) override;
  Result<std::optional<SheetRecord>> sheet_at(uint64_t log_index) override;
  Result<std::vector<Conflict>> conflicts() override;
  Result<std::vector<std::string>> sources() override;
  Result<std::vector<Reject>> rejects(size_t limit) override;  // newest first

  struct Impl;

 private:
  explicit SqliteIndex(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tallylog::index
