#include "tallylog/tally/table_row.h"

#include <algorithm>

#include "tallylog/tally/figures.h"

namespace tallylog::tally {

namespace {

// Whether two sheets agree: equal on every compared slot, an optional field either leaves out
// excepted (unknown, not a difference).
bool agree(const int32_t* a, const int32_t* b, size_t compared,
           std::span<const std::pair<uint32_t, uint32_t>> optional) {
  if (optional.empty()) return std::equal(a, a + compared, b);
  size_t next = 0;  // optional slots are in field order
  for (size_t i = 0; i < compared; ++i) {
    if (next < optional.size() && optional[next].first == i) {
      const uint32_t reported = optional[next++].second;
      if (!a[reported] || !b[reported]) continue;
    }
    if (a[i] != b[i]) return false;
  }
  return true;
}

int32_t reported_count(const int32_t* c, std::span<const std::pair<uint32_t, uint32_t>> optional) {
  int32_t n = 0;
  for (const auto& o : optional) n += c[o.second];
  return n;
}

}  // namespace

size_t select_representative(std::span<const TableSheet> sheets, size_t compared,
                             std::span<const std::pair<uint32_t, uint32_t>> optional) {
  if (sheets.empty()) return kNoSheet;
  size_t best = 0;
  int32_t best_reported = reported_count(sheets[0].counts, optional);
  for (size_t i = 1; i < sheets.size(); ++i) {
    // Agreement is checked pairwise: with unknowns it is not transitive (A leaves out null, B
    // and C report different nulls: A agrees with both, B and C do not agree).
    // Without unknowns equality is transitive: comparing with the first sheet is enough.
    const size_t upto = optional.empty() ? 1 : i;
    for (size_t j = 0; j < upto; ++j) {
      if (!agree(sheets[j].counts, sheets[i].counts, compared, optional)) return kConflictedTable;
    }
    const int32_t r = reported_count(sheets[i].counts, optional);
    if (r > best_reported || (r == best_reported && sheets[i].log_index > sheets[best].log_index)) {
      best = i;
      best_reported = r;
    }
  }
  return best;
}

int64_t turnout_excluded(const int32_t* counts, size_t width, std::optional<uint64_t> registered_voters,
                         const Figure* turnout) {
  if (registered_voters || turnout == nullptr) return 0;
  return FigureSet::value(*turnout, std::span<const int32_t>(counts, width)).value_or(0);
}

void table_row(std::span<const TableSheet> sheets, size_t rep, std::optional<uint64_t> registered_voters,
               size_t width, int64_t* out, const Figure* turnout) {
  std::fill(out, out + kRowHeader + width, 0);
  if (rep == kConflictedTable) {
    out[kRowConflicted] = 1;
  } else if (rep != kNoSheet) {
    out[kRowReported] = 1;
    out[kRowCovered] = static_cast<int64_t>(registered_voters.value_or(0));
    out[kRowWithCards] = sheets[rep].has_cards ? 1 : 0;
    if (!registered_voters) {
      out[kRowRegisteredUnknown] = 1;
      out[kRowTurnoutExcluded] = turnout_excluded(sheets[rep].counts, width, registered_voters, turnout);
    }
    std::copy(sheets[rep].counts, sheets[rep].counts + width, out + kRowHeader);
  }
}

}  // namespace tallylog::tally
