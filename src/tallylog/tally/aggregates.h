// Per-area totals kept up to date as sheets arrive, so a national or state tally reads a few
// dozen stored rows instead of a million sheets (issue 16). Pure: the deriver (ingest/derive.h)
// tells it how one table's current sheets changed; it works out, for every materialised source
// rule, the change of that table's row (tally/table_row.h) and adds it to every ancestor area;
// the deriver stores the sums in the index in the same transaction as the sheets.
//
// Materialised rules: "*", every prefix rule the election declares among its sources
// ("witness:*"), and every exact source that has a sheet. A rule outside that set (another
// prefix) is tabulated from the per-sheet counts instead.
//
// Stored row (docs/formats/index.md, "area totals"): kRowHeader + width signed 64-bit values,
// each a zigzag uvarint; the national row's header also counts unplaced sheets (sheets for
// stations absent from the registry).
//
// Thread-safety: none; one per writer.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "tallylog/base/error.h"
#include "tallylog/election/model.h"
#include "tallylog/index/area_row.h"
#include "tallylog/tally/figures.h"
#include "tallylog/tally/source_rule.h"
#include "tallylog/tally/table_row.h"

namespace tallylog::tally {

// A row as stored (encode) and read back (decode): the index's codec (index/area_row.h).
using index::decode_area_row;
using index::encode_area_row;

// The rules whose area totals are materialised, with stable ids (their order of appearance).
class MaterialisedRules {
 public:
  // "*" and the election's prefix sources, ids 0..n-1.
  static MaterialisedRules for_election(const election::Election& election);

  // Restores a rule read back from the index (id order).
  void restore(uint32_t id, const SourceRule& rule);
  // The id of the exact rule for `source`, adding it (new = true) if absent.
  uint32_t exact(std::string_view source, bool& added);
  std::optional<uint32_t> find(const SourceRule& rule) const;
  // Ids of every rule matching `source`.
  const std::vector<uint32_t>& matching(std::string_view source);
  const SourceRule& rule(uint32_t id) const { return rules_[id]; }
  size_t size() const { return rules_.size(); }

 private:
  uint32_t exact_rule(std::string_view source, bool& added);

  std::vector<SourceRule> rules_;
  std::unordered_map<std::string, std::vector<uint32_t>> matching_;  // by source
  std::unordered_map<std::string, uint32_t> exact_;                  // source -> its exact rule
};

// A table's current sheet with its source, for the aggregator.
struct SourcedSheet {
  std::string_view source;
  TableSheet sheet;
};

class AreaAggregator {
 public:
  // `parent_of(area)` is the parent area (UINT32_MAX above the national area, id 0).
  // `optional` is CountLayout::optional_slots() (how sheets that leave out a field agree).
  // `turnout` is the election's turnout figure (FigureSet::turnout): what a counted table whose
  // registered voters are unknown leaves out of turnout (kRowTurnoutExcluded).
  AreaAggregator(size_t width, size_t compared, std::function<uint32_t(uint32_t)> parent_of,
                 std::vector<std::pair<uint32_t, uint32_t>> optional = {}, std::optional<Figure> turnout = {});

  size_t row_length() const { return kRowHeader + width_; }

  // Table `parent` (its parent area; UINT32_MAX for a station absent from the registry) went from
  // the current sheets `before` to `after`; `changed_sources` are the sources whose sheets changed
  // (rules matching none of them are untouched).
  void table_changed(MaterialisedRules& rules, uint32_t parent, std::optional<uint64_t> registered_voters,
                     std::span<const SourcedSheet> before, std::span<const SourcedSheet> after,
                     std::span<const std::string_view> changed_sources);

  // Hands over the accumulated deltas, fn(rule, area, row change), and forgets them: what the
  // next table_changed() adds starts from zero (the next transaction's change).
  template <typename Fn>
  void take_deltas(Fn&& fn) {
    settle();
    for (size_t k = 0; k < keys_.size(); ++k) {
      fn(static_cast<uint32_t>(keys_[k] >> 32), static_cast<uint32_t>(keys_[k]),
         std::span<const int64_t>(&sums_[k * row_length()], row_length()));
    }
    clear();
  }
  // Forgets the accumulated deltas unread.
  void clear() {
    slot_.clear();
    keys_.clear();
    sums_.clear();
  }

 private:
  // Returns the slot of (rule, area), adding a zero row for it if absent.
  uint32_t slot(uint32_t rule, uint32_t area);
  void add_row(uint32_t rule, uint32_t area, const int64_t* row, int sign);
  // table_changed() adds a table's change to its parent area only; this adds every area's
  // accumulated change to its ancestors, deepest areas first (each area once per rule, where
  // adding every table's change to every ancestor took one lookup and one row sum per table per
  // rule per level: a tenth of a bulk import's index thread).
  void settle();
  void rule_row(const SourceRule& rule, std::span<const SourcedSheet> sheets, std::optional<uint64_t> registered,
                int64_t* out);

  size_t width_;
  size_t compared_;
  std::function<uint32_t(uint32_t)> parent_of_;
  std::vector<std::pair<uint32_t, uint32_t>> optional_;
  std::optional<Figure> turnout_;
  // Deltas, flat: slot_[(rule << 32) | area] indexes keys_ and sums_ (row_length() values each).
  std::unordered_map<uint64_t, uint32_t> slot_;
  std::vector<uint64_t> keys_;
  std::vector<int64_t> sums_;
  std::vector<TableSheet> scratch_;
  std::vector<uint32_t> ids_;
  std::vector<int64_t> old_row_, new_row_;
};

}  // namespace tallylog::tally
