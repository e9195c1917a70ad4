// Which sheet counts for a table under a source rule, and what the table then adds to its areas:
// the one definition shared by Tabulation (in memory), the per-area aggregates the index keeps
// (tally/aggregates.h) and every reader of per-sheet counts, so they can never drift apart.
//
// docs/formats/tally-json.md, "Source rules": among the table's current sheets matching the rule,
// if all agree on every compared count (fields and candidates) the table is counted and the
// latest (highest log index) represents it; if any two differ the table is conflicted. An
// optional field (Election::optional) that a sheet does not report is unknown: two sheets agree
// on it when either leaves it out, and the representative is the agreeing sheet that reports the
// most optional fields, then the latest.
//
// A table row is what one table adds to each of its areas: a header (tables reported, tables
// conflicted, registered voters covered, tables with cards, unplaced sheets, counted tables whose
// registered voters are unknown, and those tables' turnout count) then the counts (CountLayout
// order), all 64-bit. A counted table whose registered voters are unknown covers no voters, and
// turnout leaves its votes out too: turnout = (turnout count - excluded count) / covered.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <utility>

namespace tallylog::tally {

struct Figure;

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
// `optional` is CountLayout::optional_slots() (field slot, reported slot): empty when the election
// has no optional fields.
size_t select_representative(std::span<const TableSheet> sheets, size_t compared,
                             std::span<const std::pair<uint32_t, uint32_t>> optional = {});

// Row header slots.
inline constexpr size_t kRowReported = 0;
inline constexpr size_t kRowConflicted = 1;
inline constexpr size_t kRowCovered = 2;
inline constexpr size_t kRowWithCards = 3;
inline constexpr size_t kRowUnplaced = 4;
inline constexpr size_t kRowRegisteredUnknown = 5;  // counted, registered voters unknown
inline constexpr size_t kRowTurnoutExcluded = 6;    // their turnout count (left out of turnout)
inline constexpr size_t kRowHeader = 7;

// Writes the row of a table whose selection is `rep` (over `sheets`) into out[0, kRowHeader + width).
// `registered_voters` is nullopt when unknown; `turnout` is the election's turnout figure
// (FigureSet::turnout; may be null or unknown: the excluded count is then 0).
void table_row(std::span<const TableSheet> sheets, size_t rep, std::optional<uint64_t> registered_voters,
               size_t width, int64_t* out, const Figure* turnout = nullptr);

// The turnout count one counted table leaves out of turnout when its registered voters are unknown
// (0 when known, or when the figure cannot be computed for the table).
int64_t turnout_excluded(const int32_t* counts, size_t width, std::optional<uint64_t> registered_voters,
                         const Figure* turnout);

}  // namespace tallylog::tally
