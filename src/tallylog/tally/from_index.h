// Tallies from the derived index (index::IndexReader), shared by the CLI and the HTTP server so
// both count exactly the same sheets. Two ways, one answer:
//   - stored_tally(): the per-area totals the index keeps for materialised rules
//     (tally/aggregates.h) — a national or state tally reads a few dozen rows, whatever the size
//     of the election (issue 16);
//   - tabulate_index(): every current sheet's stored counts into a Tabulation — for the table
//     level, compare and bound, other rules, and whenever the stored totals are not exact.
// The reader is the injected read interface; nothing here touches files itself.
//
// Thread-safety: as the reader's (index readers are thread-safe); the results are values.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include "tallylog/base/error.h"
#include "tallylog/index/reader.h"
#include "tallylog/tally/geography.h"
#include "tallylog/tally/source_rule.h"
#include "tallylog/tally/tabulation.h"
#include "tallylog/tally/tally_view.h"

namespace tallylog::tally {

// The election and every registered station of the index, as a Geography.
Result<std::shared_ptr<const Geography>> geography_from_index(index::IndexReader& reader);

// The election and the areas above the tables down to `max_depth`, from the index's area rows (no
// station is read), with where each stored area went; nullopt when the index's area rows are
// not exact (then use geography_from_index).
struct UpperGeography {
  std::shared_ptr<const Geography> geography;
  std::vector<AreaId> of_stored;  // stored area id -> AreaId (kNoArea below max_depth)
  int max_depth = 0;
};
Result<std::optional<UpperGeography>> upper_geography_from_index(index::IndexReader& reader, int max_depth);

// Streams the index's current sheets' counts matching `rule` into a new Tabulation and totals
// every level. `progress` (optional) gets the number of sheets read so far, every few thousand.
Result<Tabulation> tabulate_index(index::IndexReader& reader, std::shared_ptr<const Geography> geography,
                                  const SourceRule& rule, const std::function<void(uint64_t)>& progress = {});

// Per-area totals of one rule as the index stores them, over an upper geography.
class StoredTally : public TallyView {
 public:
  StoredTally(std::shared_ptr<const Geography> upper, SourceRule rule, std::vector<std::vector<int64_t>> rows);
  const Geography& geography() const override { return *geo_; }
  using TallyView::totals;
  void totals(AreaId area, AreaTotals& out) const override;
  std::string rule_text() const override { return rule_.to_string(); }
  uint64_t unplaced_sheets() const override;

 private:
  std::shared_ptr<const Geography> geo_;
  SourceRule rule_;
  std::vector<std::vector<int64_t>> rows_;  // by AreaId; empty = nothing counted
};

// The stored totals of `rule` over `upper` (from upper_geography_from_index), or nullopt when
// the index cannot answer from them: the rule is not materialised, or the totals are not exact.
Result<std::optional<StoredTally>> stored_tally(index::IndexReader& reader, const UpperGeography& upper,
                                                const SourceRule& rule);

}  // namespace tallylog::tally
