// Read side of the derived index: what tally, compare, export and the HTTP GET handlers read.
// The index is a view of the log and can always be rebuilt from it (`tallylog reindex`); which
// store holds it (SQLite today, index/sqlite_index.h; PostgreSQL later) is hidden behind this
// interface and the factory in index/open.h. The rows it holds are written through
// index::IndexWriter (index/writer.h) as the verdict rule (index/verdict.h) decided them.
//
// Thread-safety: implementations are thread-safe for concurrent readers; callbacks of
// for_each_* must not call back into the index.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tallylog/base/error.h"
#include "tallylog/election/declaration.h"
#include "tallylog/election/model.h"

namespace tallylog::index {

// A logged sheet with where it sits in the log and its standing.
struct SheetRecord {
  uint64_t log_index = 0;
  election::Sheet sheet;
  bool superseded = false;  // a later correction superseded this sheet
  bool conflicted = false;  // another current sheet from the same source for the same station differs
  // The sheet this one superseded, as the verdict rule applied it: set only when `sheet.supersedes`
  // named a current sheet of the same station and source (an entry in the log may claim more).
  std::optional<uint64_t> corrects;
};

// A SheetRecord from a stored sheet row (columns log_index, superseded_by IS NOT NULL, conflicted,
// corrects) and its entry bytes, as every backend reads it. Errors name the log index: an entry
// that does not decode, or one that is not a sheet (kCorrupt).
Result<SheetRecord> sheet_record_from_row(uint64_t log_index, bool superseded, bool conflicted,
                                          std::optional<uint64_t> corrects, std::string_view entry);

// A sheet's row as stored: the verdict's outcome, its digests, its counts and its entry.
struct SheetRow {
  uint64_t log_index = 0;
  std::string_view station;
  std::string_view source;
  std::string_view identity;  // election::sheet_identity_digest, 32 bytes
  std::string_view content;   // identity digest of the sheet without `supersedes`, 32 bytes
  std::optional<uint64_t> supersedes;  // as the entry claims
  std::optional<uint64_t> corrects;    // as the rule applied
  bool conflicted = false;
  std::string_view counts;        // tally::CountVector stored form; empty when counts_error is set
  std::string_view counts_error;  // why the sheet has no counts (a field the election lacks, ...)
  std::string_view entry;         // the canonical log entry
};

// A current sheet's counts, for tabulation without decoding entries.
struct CountRecord {
  uint64_t log_index = 0;
  std::string_view station;
  std::string_view source;
  std::optional<uint64_t> corrects;
  bool conflicted = false;
  std::string_view counts;
  std::string_view counts_error;
};

// A sheet's standing and digests, for the verdict rule's in-memory state (index/ledger.h).
struct SheetSummary {
  uint64_t log_index = 0;
  std::string_view station;
  std::string_view source;
  std::string_view identity;
  std::string_view content;
  bool superseded = false;
  bool conflicted = false;
};

// A registered station as stored: the record, plus the area it belongs to (AreaRow::id of its
// parent, the area at the level above the table; kNoAreaId when the areas could not be derived).
struct StationRow {
  election::Station station;
  uint64_t log_index = 0;
  uint32_t parent = UINT32_MAX;
};
inline constexpr uint32_t kNoAreaId = UINT32_MAX;

// A table (station) in the shape a geography needs.
struct TableRow {
  std::string_view code;
  std::string_view name;  // the station's name at the table level
  std::optional<uint64_t> registered;  // nullopt: the registry does not know them
  uint32_t parent = kNoAreaId;
};

// An area above the tables (id 0 is the national area), with registry figures summed over its
// tables. Its name is the name the registry gives it at its first station in code order.
struct AreaRow {
  uint32_t id = 0;
  int depth = 0;  // 0 national, 1 + index into Election::levels
  std::string code;
  std::string name;
  uint32_t parent = kNoAreaId;
  std::string name_from;  // code of the station whose record named it
  uint64_t tables_registered = 0;
  uint64_t registered_voters = 0;          // summed over its tables whose registered voters are known
  uint64_t tables_registered_unknown = 0;  // its tables whose registered voters are unknown
};

// A logged declaration (an authority's announced aggregate, election/declaration.h) and where it
// sits in the log.
struct DeclarationRecord {
  uint64_t log_index = 0;
  election::Declaration declaration;
};

// A station and source with more than one current, differing sheet.
struct Conflict {
  std::string station;
  std::string source;
  std::vector<uint64_t> log_indexes;  // ascending
};

// One rejected submission, kept for operators (rejects never reach the log).
struct Reject {
  std::string source;
  std::string origin;  // file:line, image path or "http"
  std::string field;
  std::string reason;
  std::string at;  // RFC 3339
};

// While alive, every read of the IndexReader that made it, from the thread that made it, sees one
// committed state of the index (a read transaction): a tally and the log size it states, or the
// two sides of a comparison, can never straddle a commit. Destroy it on the same thread.
class ReadSnapshot {
 public:
  virtual ~ReadSnapshot() = default;
};

class IndexReader {
 public:
  virtual ~IndexReader() = default;

  // Pins the index's committed state for this thread's reads until the snapshot is destroyed
  // (other threads' reads wait meanwhile). Snapshots do not nest.
  virtual Result<std::unique_ptr<ReadSnapshot>> snapshot() = 0;

  // The log size the index reflects (entries [0, indexed_size) have been applied).
  virtual Result<uint64_t> indexed_size() = 0;
  virtual Result<election::Election> election() = 0;
  virtual Result<std::optional<election::Station>> station(std::string_view code) = 0;
  virtual Status for_each_station(const std::function<void(const election::Station&)>& fn) = 0;
  virtual Result<uint64_t> station_count() = 0;
  // Current (not superseded) sheets, ordered by station then source then log index; for a
  // conflicted station/source every current sheet is given, each marked conflicted.
  // `source` empty means every source.
  virtual Status for_each_current_sheet(std::string_view source,
                                        const std::function<void(const SheetRecord&)>& fn) = 0;
  // Every sheet ever logged for a station (superseded ones too), by log index.
  virtual Result<std::vector<SheetRecord>> sheets_for_station(std::string_view station,
                                                              std::string_view source = {}) = 0;
  virtual Result<std::optional<SheetRecord>> sheet_at(uint64_t log_index) = 0;
  virtual Result<std::vector<Conflict>> conflicts() = 0;
  virtual Result<std::vector<std::string>> sources() = 0;  // sources with at least one sheet
  virtual Result<std::vector<Reject>> rejects(size_t limit) = 0;
  // Every logged declaration, by log index (declarations are never overwritten: a later bulletin
  // is a new record).
  virtual Result<std::vector<DeclarationRecord>> declarations() = 0;

  // ---- compact reads for tabulation at scale (issue 16) ----
  // Current sheets' counts, by log index, of the sources `source` names as a source rule's text
  // does (tally/source_rule.h): empty for every source, "<prefix>*" for every source starting
  // with <prefix> ("witness:*"), anything else for that source exactly.
  virtual Status for_each_current_count(std::string_view source,
                                        const std::function<void(const CountRecord&)>& fn) = 0;
  // Current sheets per source.
  virtual Result<std::vector<std::pair<std::string, uint64_t>>> current_sheets_by_source() = 0;
  // Every sheet's summary, by log index.
  virtual Status for_each_sheet_summary(const std::function<void(const SheetSummary&)>& fn) = 0;
  // Every station, by code.
  virtual Status for_each_table(const std::function<void(const TableRow&)>& fn) = 0;
  // The stations whose parent area is `parent`, by code.
  virtual Status for_each_table_in(uint32_t parent, const std::function<void(const TableRow&)>& fn) = 0;
  // Every area above the tables down to `max_depth`, by id (a parent before its children).
  virtual Status for_each_area(int max_depth, const std::function<void(const AreaRow&)>& fn) = 0;
  // Materialised source rules (tally/aggregates.h), by id.
  virtual Result<std::vector<std::string>> rules() = 0;
  // The stored totals of one rule, every area down to `max_depth` that has some:
  // fn(area id, stored row).
  virtual Status for_each_area_totals(uint32_t rule, int max_depth,
                                      const std::function<void(uint32_t, std::string_view)>& fn) = 0;
  // "" when the stored area totals are exact for indexed_size(); otherwise why they are not.
  virtual Result<std::string> aggregates_state() = 0;

  // Every stored row (rejects aside) as sorted text: two indexes of the same log dump equal, for
  // tests that compare a rebuilt or caught-up index with the original.
  virtual Result<std::string> dump() = 0;
};

}  // namespace tallylog::index
