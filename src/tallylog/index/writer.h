// Write side of the derived index: what the deriver (ingest/derive.h) tells a backend to store.
// A backend decides nothing — the verdict rule (index/verdict.h) and the aggregates
// (tally/aggregates.h) are computed before it is called — it stores rows and reads them back.
//
// Writes happen in transactions (IndexTransaction), each applying consecutive log entries from
// indexed_size() on: one RECORD method call per log entry, in log order (election(), station(),
// sheet(), declaration(), skip(); a new record type adds one method here and its table in each backend), plus
// any number of calls that maintain derived state beside the records (standing, areas, rules,
// area totals). commit() makes the whole transaction durable at once and advances indexed_size;
// destroying an uncommitted transaction rolls it back, so the index never holds part of a batch.
//
// Ownership: a transaction borrows its backend, which must outlive it. Thread-safety: one
// transaction at a time per backend (begin() fails while one is open); a transaction is used
// from one thread at a time. Readers (IndexReader) may read concurrently and see only committed
// transactions.
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

namespace tallylog::index {

class IndexTransaction {
 public:
  virtual ~IndexTransaction() = default;

  // The log index the next record call will be stored at.
  virtual uint64_t next_index() const = 0;

  // ---- records: one call per log entry, in log order ----
  virtual Status election(const election::Election& election, std::string_view entry) = 0;
  virtual Status station(const StationRow& station) = 0;
  virtual Status sheet(const SheetRow& sheet) = 0;
  // An authority's announced aggregate; `entry` is its canonical log entry.
  virtual Status declaration(const election::Declaration& declaration, std::string_view entry) = 0;
  // An entry that is not one of our records (a raw line, or one that does not decode).
  virtual Status skip(std::string_view why) = 0;

  // ---- derived state (does not advance next_index) ----
  // An earlier sheet's standing as the verdict rule changed it.
  virtual Status set_standing(uint64_t log_index, std::optional<uint64_t> superseded_by, bool conflicted) = 0;
  // Inserts or replaces a (non-table) area.
  virtual Status put_area(const AreaRow& area) = 0;
  virtual Status put_rule(uint32_t id, std::string_view text) = 0;
  virtual Status put_area_totals(uint32_t rule, int depth, uint32_t area, std::string_view row) = 0;
  // Adds `delta` (value by value) to the stored totals of (rule, area at depth), storing it as
  // they are if there are none. The default reads, adds and puts (area_totals, put_area_totals);
  // a backend may do it in one statement. Fails on a stored row of another length.
  virtual Status add_area_totals(uint32_t rule, int depth, uint32_t area,
                                 std::span<const int64_t> delta);
  // "" when the stored area totals are exact; otherwise why readers must recompute.
  virtual Status set_aggregates_state(std::string_view why_not_exact) = 0;

  // ---- reads that see this transaction's own writes ----
  // The stored totals of (rule, area at depth), or nullopt.
  virtual Result<std::optional<std::string>> area_totals(uint32_t rule, int depth, uint32_t area) = 0;
  // Every current (not superseded) sheet of the station, with its counts, by log index.
  virtual Status for_each_current_count(std::string_view station, const std::function<void(const CountRecord&)>& fn) = 0;

  // Makes everything durable and sets indexed_size to next_index().
  virtual Status commit() = 0;
};

class IndexWriter {
 public:
  virtual ~IndexWriter() = default;
  virtual Result<std::unique_ptr<IndexTransaction>> begin() = 0;
  // Rejected submissions (kept apart: they never reach the log, and reindex leaves them alone).
  virtual Status add_rejects(std::span<const Reject> rejects) = 0;
  // Empties the rejects store (`tallylog rejects clear`); returns how many were removed.
  virtual Result<uint64_t> clear_rejects() = 0;
};

// A backend: both sides over one store.
class Index : public IndexReader, public IndexWriter {};

}  // namespace tallylog::index
