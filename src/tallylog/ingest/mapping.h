// How the columns of a CSV file become Station and Sheet records, read from a mapping TOML so
// that a new country's files need no code change. Grammar and examples:
// docs/formats/mapping-toml.md; shipped examples: elections/*/*.mapping.toml.
//
//   name = "convzla-v1"
//   [lookups.states]                  # optional: a second file joined on a key
//   file = "codes_estados.json"       # relative to the mapping file
//   [station]                         # for `tallylog stations import`
//   code = "{CENTRO:09}.{MESA:02}"    # a template: text with {expression[:0N]} parts
//   registered = "RE"                 # optional expression (here: the column RE); absent: unknown
//   areas = [ { level = "state", code = "{COD_EDO:02}", name = "{lookup('states', COD_EDO)}" }, ... ]
//   [sheet]                           # for `tallylog import`
//   station = "{left(ACTA, 12)}"
//   cards = ["C1", "C2", ...]         # optional: per-card expressions in ballot order
//   [sheet.candidates]                # candidate code = expression
//   EG = "EG"
//   [sheet.fields]                    # election field = expression
//   valid = "TOTAL - NULOS"
//
// Codes and names are templates; counts and registered voters are expressions (expr.h). Every
// expression is parsed once, when the mapping is read; binding to a CSV header resolves columns
// once per file and checks the mapping against the election, so every mistake that does not
// depend on a row's values stops the import before its first row, in one message.
//
// Mapping and BoundMapping are immutable values, safe to share between threads (each thread
// evaluates with its own scratch state).
#pragma once

#include <cstdint>
#include <expected>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tallylog/base/env.h"
#include "tallylog/base/error.h"
#include "tallylog/election/model.h"
#include "tallylog/ingest/expr.h"

namespace tallylog::ingest {

// Why one CSV row could not become a record: the column (or record field) and a sentence.
struct RowError {
  std::string field;
  std::string reason;
};

struct Mapping {
  // One mapped value: a record member (candidate code, field name, "registered", "cards[3]"),
  // its expression and the expression's text (for messages).
  struct Value {
    std::string key;
    ExprId expr = 0;
    std::string text;
  };
  struct Area {
    std::string level;
    Value code;
    Value name;
  };

  std::string name;
  ExprProgram program;  // every expression below, parsed once
  // [station] (has_station false: the mapping cannot register stations)
  bool has_station = false;
  Value station_code;
  // Optional: a mapping without it, or whose expression gives nothing for a row (an empty cell),
  // registers the station with unknown registered voters (election::Station::registered).
  bool has_registered = false;
  Value registered;
  std::vector<Area> areas;
  // [sheet] (has_sheet false: the mapping cannot import sheets)
  bool has_sheet = false;
  Value sheet_station;
  std::vector<Value> cards;       // in ballot order
  std::vector<Value> candidates;  // key = candidate code
  std::vector<Value> fields;      // key = election field
  // [sheet] contest: a template giving each row's contest id, for one CSV holding the sheets of
  // several contests (docs/formats/mapping-toml.md "Several contests in one file"). Without it,
  // every row is a sheet of the contest being imported.
  bool has_contest = false;
  Value sheet_contest;
  // [sheet.contests.<id>]: that contest's cards, candidates and fields, in place of [sheet]'s
  // (contests count different things; a contest without a table uses [sheet]'s).
  struct ContestSheet {
    std::vector<Value> cards, candidates, fields;
  };
  std::vector<std::pair<std::string, ContestSheet>> contest_sheets;

  // Reads a file a [lookups] table names, relative to the mapping (Mapping::load gives one).
  using FileReader = std::function<Result<std::string>(const std::string& relative_path)>;

  // Errors name the file, line and key: "m.toml:7: [sheet] feilds: unknown key".
  static Result<Mapping> parse(std::string_view toml_text, std::string_view source_name,
                               const FileReader& read_file = {});
  // Reads `path` and the lookup files it names (relative to its directory) through `env`.
  static Result<Mapping> load(Env& env, const std::string& path);
};

class BoundMapping {
 public:
  // Resolves columns against `header` and checks the mapping fits `election`: levels in order,
  // known candidates and fields, every candidate and field the election requires mapped. Errors
  // name every missing column at once, or the member that does not fit.
  static Result<BoundMapping> bind_stations(const Mapping& m, std::span<const std::string> header,
                                            const election::Election& election);
  static Result<BoundMapping> bind_sheets(const Mapping& m, std::span<const std::string> header,
                                          const election::Election& election);

  size_t column_count() const { return header_size_; }
  std::expected<election::Station, RowError> station(std::span<const std::string> row) const;
  // Fills station, cards, candidates and fields; the caller sets source and submitter.
  std::expected<election::Sheet, RowError> sheet(std::span<const std::string> row) const;
  // Whether the mapping names each row's contest ([sheet] contest), and the row's contest id.
  bool has_contest() const { return has_contest_; }
  std::expected<std::string, RowError> contest(std::span<const std::string> row) const;

 private:
  struct Bound {
    std::string key;    // record member, for messages when no single column is to blame
    std::string label;  // the column name for a bare column, else the member key
    ExprId expr = 0;
    bool optional = false;  // an optional field (Election::optional): absent leaves it out
  };
  static Bound bound_value(const ExprProgram& p, const Mapping::Value& v, std::string key);
  static Bound bound_count(ExprProgram& p, const Mapping::Value& v, std::string key, std::span<const std::string> header);

  std::vector<ExprId> roots() const;  // every expression this binding evaluates
  std::expected<void, RowError> check_width(std::span<const std::string> row) const;
  std::expected<void, RowError> text(const Bound& b, std::string& out, bool required) const;
  // A count: nullopt when the expression gives nothing (an empty cell).
  std::expected<std::optional<int64_t>, RowError> count(const Bound& b) const;

  ExprProgram program_;
  size_t header_size_ = 0;
  Bound code_;
  std::vector<std::pair<Bound, Bound>> areas_;
  Bound registered_;
  bool has_contest_ = false;
  Bound contest_;
  std::vector<Bound> cards_, candidates_, fields_;
};

// Parses a decimal integer count strictly ("-3" parses; "", "1.5", "12a", overflow do not).
std::expected<int64_t, std::string> parse_count(std::string_view s);

}  // namespace tallylog::ingest
