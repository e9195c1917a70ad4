// Search of the geography by name, code or place, for the citizen view (GET /api/v1/search):
// accent- and case-insensitive ("soublette" finds "PQ. CARLOS SOUBLETTE" and its centres).
// Pure: no I/O. Thread-safety: free functions over an immutable Geography.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "tallylog/base/error.h"
#include "tallylog/tally/geography.h"

namespace tallylog::tally {

// Folds UTF-8 text for matching: ASCII letters lowercased; the Latin-1 letters with accents,
// tilde, cedilla or diaeresis (Á…ý, Ñ/ñ, Ç/ç) to their base ASCII letter; combining diacritical
// marks (U+0300–U+036F, decomposed input) dropped; any other well-formed character kept as is.
// Fails (kInvalidArgument) on ill-formed UTF-8 (overlong forms, surrogates, truncation).
Result<std::string> fold_for_search(std::string_view utf8);

// The text an area's own words are looked for in: its folded name, a space, its code with ASCII
// letters lowercased (" <code>" alone should the name not be well-formed UTF-8). search_areas
// matches in it, and GET /api/v1/search-index ships it to the static site's page.
std::string search_text(const Area& area);

struct SearchHit {
  AreaId id = kNoArea;
  // 0 when the query's words are all in the area's own name or code, 1 when some are only in
  // an enclosing area's name (a centre found by its parish).
  int via_place = 0;
};

inline constexpr size_t kMaxSearchQueryBytes = 200;
inline constexpr size_t kMaxSearchWords = 8;

// The areas (every depth from 1 to the last above the tables, plus tables when `with_tables`)
// whose own name or code, or the names of the areas enclosing it, contain every word of `query`
// (words split on spaces and punctuation, folded as above). Order: own-name matches first, then
// outer levels first, then by id (code order). At most `limit` hits. Fails (kInvalidArgument) on
// ill-formed UTF-8, a query longer than kMaxSearchQueryBytes, more than kMaxSearchWords words, or
// no word at all.
Result<std::vector<SearchHit>> search_areas(const Geography& g, std::string_view query, size_t limit,
                                            bool with_tables = false);

}  // namespace tallylog::tally
