// How the columns of a CSV file become Station and Sheet records, read from a mapping TOML so
// that a new country's files need no code change (format: docs/operator-guide.md, example:
// elections/ve2024/convzla-v1.mapping.toml).
//
// Values are templates: literal text with column references `{COLUMN}` (the value verbatim) or
// `{COLUMN:0N}` (a non-negative integer left-padded with zeros to N digits; more digits is an
// error). Counts name a column holding a decimal integer.
//
//   [station]                       # for `tallylog stations import`
//   code = "{CENTRO:09}.{MESA:02}"
//   registered = "RE"
//   areas = [ { level = "state", code = "{COD_EDO:02}", name = "{EDO}" }, ... ]  # one per level
//   [sheet]                         # for `tallylog import`
//   station = "{CENTRO:09}.{MESA:02}"
//   cards = ["C1", "C2", ...]       # optional: per-card columns in ballot order
//   [sheet.candidates]              # optional: candidate code = column
//   EG = "EG"
//   [sheet.fields]                  # election fields: field name = column
//   valid = "VOTOS_VALIDOS"
//
// A Mapping is an immutable value; BoundMapping (a mapping resolved against one CSV header) is
// immutable too, and both are safe to share between threads.
#pragma once

#include <cstdint>
#include <expected>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tallylog/base/env.h"
#include "tallylog/base/error.h"
#include "tallylog/election/model.h"

namespace tallylog::ingest {

// Why one CSV row could not become a record: the column (or record field) and a sentence.
struct RowError {
  std::string field;
  std::string reason;
};

// One piece of a template: literal text, or a column reference with an optional zero-pad width.
struct TemplatePart {
  bool is_column = false;
  std::string text;  // literal text, or column name
  int pad = 0;       // {COL:0N}: N; 0 = verbatim
};
using Template = std::vector<TemplatePart>;

struct AreaMapping {
  std::string level;
  Template code;
  Template name;
};

struct Mapping {
  std::string name;
  // Station registry (empty station_code = the mapping has no [station] table).
  Template station_code;
  std::string registered_column;
  std::vector<AreaMapping> areas;
  // Sheets (empty sheet_station = no [sheet] table).
  Template sheet_station;
  std::vector<std::string> card_columns;
  std::vector<std::pair<std::string, std::string>> candidate_columns;  // candidate code, column
  std::vector<std::pair<std::string, std::string>> field_columns;      // field name, column

  static Result<Mapping> parse(std::string_view toml_text, std::string_view source_name);
  static Result<Mapping> load(Env& env, const std::string& path);
};

// Parses "{A:09}.{B}" into parts; errors name the template.
Result<Template> parse_template(std::string_view text);

class BoundMapping {
 public:
  // Resolves column names against `header` and checks the mapping fits `election` (levels,
  // candidates, fields). Errors name the missing column or mismatched level.
  static Result<BoundMapping> bind_stations(const Mapping& m, std::span<const std::string> header,
                                            const election::Election& election);
  static Result<BoundMapping> bind_sheets(const Mapping& m, std::span<const std::string> header,
                                          const election::Election& election);

  size_t column_count() const { return header_size_; }
  std::expected<election::Station, RowError> station(std::span<const std::string> row) const;
  // Fills station, cards, candidates and fields; the caller sets source and submitter.
  std::expected<election::Sheet, RowError> sheet(std::span<const std::string> row) const;

 private:
  struct BoundPart {
    bool is_column = false;
    std::string text;  // literal, or column name (for messages)
    size_t column = 0;
    int pad = 0;
  };
  using BoundTemplate = std::vector<BoundPart>;
  struct BoundCount {
    std::string key;  // candidate code or field name (empty for cards)
    std::string column_name;
    size_t column = 0;
  };

  static Result<BoundTemplate> bind_template(const Template& t, std::span<const std::string> header);
  static Result<size_t> find_column(std::string_view name, std::span<const std::string> header);
  std::expected<void, RowError> expand(const BoundTemplate& t, std::span<const std::string> row,
                                       std::string& out) const;
  std::expected<int64_t, RowError> count(const BoundCount& c, std::span<const std::string> row) const;
  std::expected<void, RowError> check_width(std::span<const std::string> row) const;

  size_t header_size_ = 0;
  BoundTemplate code_;
  std::vector<std::pair<BoundTemplate, BoundTemplate>> areas_;
  BoundCount registered_;
  std::vector<BoundCount> cards_, candidates_, fields_;
};

// Parses a decimal integer count strictly ("-3" parses; "", "1.5", "12a", overflow do not).
std::expected<int64_t, std::string> parse_count(std::string_view s);

}  // namespace tallylog::ingest
