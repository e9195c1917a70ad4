// Which sheet counts for a table under a source rule, and what the table then adds to its areas:
// the one definition shared by Tabulation (in memory), the per-area aggregates the index keeps
// (tally/aggregates.h) and every reader of per-sheet counts, so they can never drift apart.
//
// docs/formats/tally-json.md, "Source rules": among the table's current sheets matching the rule,
// if all agree on every compared count (fields and candidates) the table is counted and the
// latest (highest log index) represents it; if any two differ the table is conflicted.
//
// A table row is what one table adds to each of its areas: a header (tables reported, tables
// conflicted, registered voters covered, tables with cards, unplaced sheets) then the counts
// (CountLayout order), all 64-bit.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace tallylog::tally {

// One current sheet of a table, as selection needs it.
struct TableSheet {
  uint64_t log_index = 0;
  const int32_t* counts = nullptr;  // CountLayout::width() values
  bool has_cards = false;
};

inline constexpr size_t kNoSheet = SIZE_MAX;
inline constexpr size_t kConflictedTable = SIZE_MAX - 1;

// The representative among `sheets` (all matching the rule): its position, kNoSheet when empty,
// or kConflictedTable when two differ in their first `compared` counts.
size_t select_representative(std::span<const TableSheet> sheets, size_t compared);

// Row header slots.
inline constexpr size_t kRowReported = 0;
inline constexpr size_t kRowConflicted = 1;
inline constexpr size_t kRowCovered = 2;
inline constexpr size_t kRowWithCards = 3;
inline constexpr size_t kRowUnplaced = 4;
inline constexpr size_t kRowHeader = 5;

// Writes the row of a table whose selection is `rep` (over `sheets`) into out[0, kRowHeader + width).
void table_row(std::span<const TableSheet> sheets, size_t rep, uint64_t registered_voters, size_t width,
               int64_t* out);

}  // namespace tallylog::tally
