#include "tallylog/tally/table_row.h"

#include <algorithm>

namespace tallylog::tally {

size_t select_representative(std::span<const TableSheet> sheets, size_t compared) {
  if (sheets.empty()) return kNoSheet;
  size_t best = 0;
  const int32_t* first = sheets[0].counts;
  for (size_t i = 1; i < sheets.size(); ++i) {
    if (!std::equal(first, first + compared, sheets[i].counts)) return kConflictedTable;
    if (sheets[i].log_index > sheets[best].log_index) best = i;
  }
  return best;
}

void table_row(std::span<const TableSheet> sheets, size_t rep, uint64_t registered_voters, size_t width,
               int64_t* out) {
  std::fill(out, out + kRowHeader + width, 0);
  if (rep == kConflictedTable) {
    out[kRowConflicted] = 1;
  } else if (rep != kNoSheet) {
    out[kRowReported] = 1;
    out[kRowCovered] = static_cast<int64_t>(registered_voters);
    out[kRowWithCards] = sheets[rep].has_cards ? 1 : 0;
    std::copy(sheets[rep].counts, sheets[rep].counts + width, out + kRowHeader);
  }
}

}  // namespace tallylog::tally
