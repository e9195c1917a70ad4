// Read side of the derived index (SQLite, see index/sqlite_index.h): what tally, compare, export
// and the HTTP GET handlers read. The index is a view of the log and can always be rebuilt from it
// (`tallylog reindex`). Implementations are thread-safe for concurrent readers.
#pragma once

#include <cstdint>
#include <functional>
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
  bool superseded = false;  // a later sheet names this one in `supersedes`
  bool conflicted = false;  // another current sheet from the same source for the same station differs
};

// A logged declaration (an authority's announced aggregate, election/declaration.h).
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

class IndexReader {
 public:
  virtual ~IndexReader() = default;

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
  // Every logged declaration, by log index. Backends that do not index declarations say so.
  virtual Result<std::vector<DeclarationRecord>> declarations() {
    return err(ErrorCode::kFailedPrecondition, "this index does not hold declarations");
  }
};

}  // namespace tallylog::index
