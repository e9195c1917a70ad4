// A sheet's counts as a flat vector in the election's slot order, with a presence mask, and its
// compact stored form: what the index keeps per sheet so that tally, compare and bound never
// decode a JSON entry (issue 16).
//
// Slots (CountLayout): fields (Election::fields, then "valid" and "null" when the election does
// not list them), candidates (Election::candidates order), cards (ballot order). The first
// fields + candidates slots are "compared" (two sheets agree when these are equal).
//
// Presence: bit i is set when the sheet reported slot i — a field or candidate it carries, every
// card when it carries cards, and every candidate when it carries only cards (candidate votes are
// then the sums of their cards, as Tabulation always did). An absent slot holds 0; today's
// tabulation adds it as 0. (Issue 13 makes absent mean "unknown"; the mask is what it needs.)
//
// Contest: which contest of the election day the sheet counts for; 0 until elections declare
// several (issue 13). It is stored with the counts so adding contests needs no index migration.
//
// Stored form (docs/formats/index.md, "counts"):
//   counts  = version contest width mask value*
//   version = %x01
//   contest = uvarint            ; 0
//   width   = uvarint            ; number of slots
//   mask    = ceil(width / 8) bytes, slot i is bit (i % 8) of byte (i / 8)
//   value   = zigzag uvarint      ; one per set bit, in slot order
// uvarint is LEB128 (7 bits per byte, least significant first).
//
// Thread-safety: immutable layout; free functions.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tallylog/base/error.h"
#include "tallylog/election/model.h"

namespace tallylog::tally {

class CountLayout {
 public:
  CountLayout() = default;
  explicit CountLayout(const election::Election& election);

  const std::vector<std::string>& fields() const { return fields_; }  // always has valid, null
  size_t field_count() const { return fields_.size(); }
  size_t candidate_count() const { return candidates_.size(); }
  size_t card_count() const { return card_candidate_.size(); }
  size_t compared() const { return fields_.size() + candidates_.size(); }
  size_t width() const { return compared() + card_count(); }
  size_t valid_field() const { return valid_field_; }
  size_t null_field() const { return null_field_; }
  std::optional<size_t> field_index(std::string_view name) const;

 private:
  friend struct CountVector;
  std::vector<std::string> fields_;
  std::vector<std::string> candidates_;                              // codes, election order
  std::vector<std::pair<std::string, uint32_t>> candidate_slots_;    // sorted by code
  std::vector<uint32_t> card_candidate_;                              // card -> candidate, or UINT32_MAX
  size_t valid_field_ = 0;
  size_t null_field_ = 1;
};

struct CountVector {
  static constexpr uint32_t kDefaultContest = 0;

  uint32_t contest = kDefaultContest;
  std::vector<int32_t> values;    // width() slots; absent ones are 0
  std::vector<uint8_t> present;   // ceil(width / 8) bytes

  bool has(size_t slot) const { return (present[slot / 8] >> (slot % 8)) & 1; }
  bool has_cards(const CountLayout& layout) const { return layout.card_count() > 0 && has(layout.compared()); }

  // The sheet's counts. Fails (kInvalidArgument, naming the sheet by `where`) on a field or
  // candidate the election does not define, a card list of the wrong length, or a count outside
  // the 32-bit range (a table has at most a few thousand voters; area totals are 64-bit).
  static Result<CountVector> of(const CountLayout& layout, const election::Sheet& sheet, std::string_view where);

  std::string encode() const;
  // Decodes the stored form into `out` (reusing its storage). Fails (kCorrupt) on a malformed
  // blob or one whose width differs from `width`.
  static Status decode(std::string_view blob, size_t width, CountVector& out);
};

}  // namespace tallylog::tally
