// A declaration: results an authority announced (a bulletin, a gazette, a press conference) as
// aggregates, not per table — per area at any level (or national), per candidate and field, with
// the coverage the authority claimed ("80 % of the tally sheets", or a number of tables), when it
// was announced and where (URL, gazette number). Logged as its own entry ("type":"declaration",
// grammar in docs/formats/entries.md) through `tallylog declare`; never overwritten: a later
// bulletin is a new record. `tallylog check-declared` holds each against the verified sheets.
//
// Reading a declaration file (TOML or CSV, docs/formats/declaration.md) and checking it against
// the election live here too; checks name the field that is wrong.
//
// Thread-safety: values and free functions without shared state.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tallylog/base/error.h"
#include "tallylog/election/model.h"

namespace tallylog::election {

// The figures announced for one area.
struct DeclaredArea {
  std::string level;  // "national" or an election level code
  std::string area;   // area code at that level; empty for national
  std::map<std::string, int64_t> candidates;  // candidate code -> votes
  std::map<std::string, int64_t> fields;      // election field -> count (e.g. valid, null)

  bool operator==(const DeclaredArea&) const = default;
};

struct Declaration {
  std::string source;        // the authority, e.g. "official" or "official:cne"
  std::string title;         // e.g. "Primer boletín"
  std::string announced_at;  // when: RFC 3339 (or a date YYYY-MM-DD)
  std::string reference;     // where: URL, gazette number, ...
  // Coverage the authority claimed: a percentage of tables as a decimal string ("80", "96.87"),
  // and/or a number of tables. Both empty: not stated (check-declared then assumes nothing was
  // left out only when told so: it treats an unstated coverage as 100 %).
  std::string coverage_percent;
  std::optional<uint64_t> coverage_tables;
  std::vector<DeclaredArea> areas;
  std::string submitted_by;
  std::string submitted_at;  // RFC 3339 UTC, set by the ingestor when empty
  // The contest it is about (election/contest.h tag): empty for a single-contest election (its
  // entries keep their bytes), the contest id otherwise. Set by the ingestor from its contest.
  std::string contest;

  bool operator==(const Declaration&) const = default;
};

// Canonical JSON (RFC 8785) of the declaration, "type":"declaration".
std::string encode_declaration(const Declaration& d);
// Parses a declaration entry strictly: unknown or ill-typed members are errors naming them. The
// caller (decode_entry) checks that the bytes are the canonical encoding.
Result<Declaration> decode_declaration(std::string_view bytes);

// Checks a declaration against the election: a source, at least one area, known levels,
// candidates and fields, non-negative counts <= 2^53-1, a coverage of 0..100 with at most 4
// decimals, strings valid UTF-8 and short, no area declared twice. `area_exists(depth, code)`
// says whether the registry has that area (depth 1 = the election's first level). Errors are
// kInvalidArgument and start with the field: "areas[0].candidates.XX: unknown candidate".
Status validate_declaration(const Declaration& d, const Election& election,
                            const std::function<bool(int depth, std::string_view code)>& area_exists);

// Reads a declaration file. TOML: keys title, announced_at, reference, coverage_percent,
// coverage_tables and [[areas]] {level, area, candidates = {..}, fields = {..}}. CSV: a header
// `level,area,name,count` and one row per figure (name = a candidate code or a field), the other
// members given by `base` (from command-line flags). `source` and `submitted_by` come from `base`.
Result<Declaration> parse_declaration_toml(std::string_view text, std::string_view file_name, const Declaration& base);
Result<Declaration> parse_declaration_csv(std::string_view text, std::string_view file_name, const Election& election,
                                          const Declaration& base);

}  // namespace tallylog::election
