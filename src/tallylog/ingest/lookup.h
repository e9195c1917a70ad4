// Lookup tables for mapping expressions: `lookup("states", COD_EDO)` reads a name or code from a
// second file joined on a key (docs/formats/mapping-toml.md, "Lookups"). A table has named
// columns and one row per key; the key is text (a JSON number key is its decimal text).
//
// Sources:
//   CSV   a header row and one row per key; `key` names the key column (default: the first).
//   JSON  `path` (dot-separated member names, optional) leads to either
//           an object of scalars   {"1": "DTTO. CAPITAL", ...}          -> columns key, value
//           an object of objects   {"01": {"name": "...", "n": 3}, ...}  -> key + the members
//           an array of objects    [{"id": "01", "name": "..."}, ...]    -> `key` names the member
//         Member values must be strings, integers or null (null = an empty cell).
//   inline a TOML table key = "value" in the mapping itself -> columns key, value
// A duplicate key is an error (a join must not pick one of two rows silently).
//
// Immutable after construction; safe to share between threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "tallylog/base/error.h"

namespace tallylog::ingest {

class LookupTable {
 public:
  // `name` labels errors ("lookup 'states' (codes.json): ...").
  static Result<LookupTable> from_csv(std::string_view name, std::string_view text, std::string_view key_column);
  static Result<LookupTable> from_json(std::string_view name, std::string_view text, std::string_view path,
                                       std::string_view key_member);
  static Result<LookupTable> from_pairs(std::string_view name, std::vector<std::pair<std::string, std::string>> pairs);

  const std::string& name() const { return name_; }
  const std::vector<std::string>& columns() const { return columns_; }
  size_t size() const { return keys_.size(); }
  // Column index by name, or nullopt.
  std::optional<size_t> column(std::string_view name) const;
  // The one column that is not the key, when there is exactly one.
  std::optional<size_t> single_value_column() const;
  // The cell of `key`'s row in `column`, or nullptr when the key is absent.
  const std::string* find(std::string_view key, size_t column) const;

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  Status add_row(std::string key, std::vector<std::string> cells);

  std::string name_;
  std::vector<std::string> columns_;  // columns_[key_column_] is the key
  size_t key_column_ = 0;
  std::vector<std::string> keys_;
  std::vector<std::string> cells_;  // row-major, columns_.size() per row
  std::unordered_map<std::string, uint32_t, Hash, std::equal_to<>> rows_;
};

}  // namespace tallylog::ingest
