// Comparing a published JSON answer with the one re-derived from the log, figure by figure, so a
// difference is reported where a person can find it: the route, the area (a table, parish or
// state code; "national" for totals), the field inside it, and both values.
//
// Arrays of objects that carry a "code" (areas) or "table" (compare's differing tables) are
// matched by that key, not by position, so one extra or missing area is one difference, not a
// cascade. Arrays of strings (lists of table codes) are compared as sets: each code listed on one
// side only is a difference. Other arrays are compared element by element.
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tallylog::audit {

struct Difference {
  std::string route;      // e.g. "/api/v1/tally?level=table&source=official"
  std::string area;       // "010113042.01", "national", or "" for the answer as a whole
  std::string field;      // e.g. "candidates.EG", "fields.EG[1]", "only_a_tables"
  std::string published;  // the value as published (JSON text), or "(absent)"
  std::string derived;    // the value re-derived from the log, or "(absent)"
};

// Appends the differences between two JSON texts (at most `limit` in total in `out`). Text that
// is not JSON on either side is one difference with field "(body)". Returns the number found
// (which may exceed what was appended).
uint64_t diff_json(std::string_view route, std::string_view published, std::string_view derived,
                   std::vector<Difference>& out, size_t limit);

// The number of JSON numbers in `json` (outside strings): the figures an answer publishes.
uint64_t count_figures(std::string_view json);

}  // namespace tallylog::audit
