// The embedded index backend: SQLite (<data>/index.sqlite, WAL; the writer commits with
// synchronous=NORMAL: derived, caught up from the log after a power cut), the default.
// Opened through index::open_index (index/open.h); other code sees only index::IndexReader and
// index::IndexWriter. Schema (docs/formats/index.md): meta (schema_version, indexed_size, the
// aggregates' state), election, stations, areas, sheets (narrow: standing, digests, counts),
// entries (the canonical entry of each sheet), sources, rules, area_totals, declarations, skipped.
//
// Rejected submissions never reach the log, so they live apart in their own file
// (<data>/rejects.sqlite), which a rebuild leaves alone.
//
// Concurrency: one writer transaction at a time on a writer connection; readers use their own
// connection (WAL lets them read the last committed state while the writer writes) behind a
// mutex. Crash behaviour: a transaction is all or nothing (SQLite's WAL); indexed_size commits
// with the rows, so after a crash the index is at some committed batch boundary and catches up.
#pragma once

#include <memory>
#include <string>

#include "tallylog/base/error.h"
#include "tallylog/index/writer.h"

namespace tallylog::index {

class SqliteIndex : public Index {
 public:
  // Opens (creating if absent) the index at `path` and the rejects store at `rejects_path`.
  // An index written with another schema version fails with kFailedPrecondition (rebuild it).
  static Result<std::unique_ptr<SqliteIndex>> open(const std::string& path, const std::string& rejects_path);
  ~SqliteIndex() override;

  // IndexWriter
  Result<std::unique_ptr<IndexTransaction>> begin() override;
  Status add_rejects(std::span<const Reject> rejects) override;
  Result<uint64_t> clear_rejects() override;

  // IndexReader
  Result<std::unique_ptr<ReadSnapshot>> snapshot() override;
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
  Result<std::vector<DeclarationRecord>> declarations() override;
  Status for_each_current_count(std::string_view source, const std::function<void(const CountRecord&)>& fn) override;
  Result<std::vector<std::pair<std::string, uint64_t>>> current_sheets_by_source() override;
  Status for_each_sheet_summary(const std::function<void(const SheetSummary&)>& fn) override;
  Status for_each_table(const std::function<void(const TableRow&)>& fn) override;
  Status for_each_table_in(uint32_t parent, const std::function<void(const TableRow&)>& fn) override;
  Status for_each_area(int max_depth, const std::function<void(const AreaRow&)>& fn) override;
  Result<std::vector<std::string>> rules() override;
  Status for_each_area_totals(uint32_t rule, int max_depth,
                              const std::function<void(uint32_t, std::string_view)>& fn) override;
  Result<std::string> aggregates_state() override;
  Result<std::string> dump() override;

  struct Impl;

 private:
  explicit SqliteIndex(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tallylog::index
