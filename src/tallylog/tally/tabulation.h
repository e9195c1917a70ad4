// A live tabulation: what the sheets selected by one SourceRule add up to in every area of a
// Geography, from each table up to the national total. Built in bulk from the index (stream the
// current sheets' counts through add_deferred(), then recompute_totals()), then kept up to date
// one sheet at a time with add(): a new sheet, or a correction that supersedes an earlier one,
// changes its table and that table's ancestors only, so an update costs O(depth x counts).
//
// Which sheet counts for a table: tally/table_row.h (shared with the per-area totals the index
// keeps). The index's own `conflicted` flag is not trusted or needed; superseded records are
// ignored; a correction retracts the sheet the index says it corrects (SheetRecord::corrects,
// set by the verdict rule only for a current sheet of the same station and source), never what
// its `supersedes` merely claims.
//
// Ownership: shares the Geography (immutable). Thread-safety: none; a server that updates it
// while serving reads must hold a lock (or tabulate into a copy and swap).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "tallylog/base/error.h"
#include "tallylog/index/reader.h"
#include "tallylog/tally/geography.h"
#include "tallylog/tally/count_vector.h"
#include "tallylog/tally/source_rule.h"
#include "tallylog/tally/table_row.h"
#include "tallylog/tally/tally_view.h"

namespace tallylog::tally {

enum class TableStatus : uint8_t { kUnreported, kCounted, kConflicted };

class Tabulation : public TallyView {
 public:
  Tabulation(std::shared_ptr<const Geography> geography, SourceRule rule);

  const Geography& geography() const override { return *geo_; }
  const std::shared_ptr<const Geography>& shared_geography() const { return geo_; }
  const SourceRule& rule() const { return rule_; }

  // Adds one logged sheet and updates every level. A sheet matching the rule that corrects an
  // earlier one (`record.corrects`) retracts it first. Sheets of other sources, superseded
  // records and log indexes already present are ignored; sheets for stations absent from the
  // registry are counted in unplaced_sheets(). Fails (changing nothing) on a candidate code or
  // field the election does not define, a card list of the wrong length, or a count outside the
  // 32-bit range (CountVector::of).
  Status add(const index::SheetRecord& record);
  // Same, but leaves area totals stale until recompute_totals(): for bulk loading.
  Status add_deferred(const index::SheetRecord& record);
  // The same from the index's stored counts (no entry decoded): a stored counts error fails.
  Status add_deferred(const index::CountRecord& record);
  // Recomputes every area's totals from the tables: O(areas x counts).
  void recompute_totals();
  // Removes the sheet at `log_index` if it is held; returns whether it was. The first lookup of a
  // sheet outside the correcting sheet's own table builds a log-index map (O(held sheets), once);
  // later lookups are O(1). Corrections of the same table (all the ingestor accepts) never need it.
  bool retract(uint64_t log_index);

  using TallyView::totals;
  void totals(AreaId area, AreaTotals& out) const override;
  std::string rule_text() const override { return rule_.to_string(); }
  TableStatus table_status(AreaId table) const;
  // The representative sheet of a counted table: its log index and counts laid out as
  // fields, candidates, cards (Geography order); nullopt / empty unless the table is counted.
  // One sheet's counts are held as 32-bit integers (add() rejects anything outside that range;
  // a table has at most a few thousand voters); area totals are 64-bit.
  std::optional<uint64_t> table_log_index(AreaId table) const;
  std::span<const int32_t> table_counts(AreaId table) const;
  std::string_view table_source(AreaId table) const;
  // Log indexes of every current matching sheet held for the table, ascending.
  std::vector<uint64_t> table_log_indexes(AreaId table) const;

  uint64_t unplaced_sheets() const override { return unplaced_.size(); }
  uint64_t sheets_held() const { return contribs_.size() - free_.size(); }

 private:
  static constexpr uint32_t kNone = UINT32_MAX;
  static constexpr uint32_t kConflict = UINT32_MAX - 1;
  // reported, conflicted, covered, with cards, registered unknown, turnout excluded (table_row.h)
  static constexpr size_t kHeader = 6;

  struct Contribution {
    uint64_t log_index = 0;
    uint32_t next = kNone;
    uint32_t table = 0;  // index among tables
    uint32_t source = 0;
    bool has_cards = false;
  };

  // One current sheet: its counts are in incoming_ when `counts_ok`, else `counts_error` says why.
  struct Incoming {
    uint64_t log_index = 0;
    std::string_view station;
    std::string_view source;
    std::optional<uint64_t> corrects;
    bool has_cards = false;
  };
  Status add_deferred_or_now(const index::SheetRecord& record, bool propagate);
  Status add_impl(const Incoming& in, const std::function<Status()>& load_counts, bool propagate);
  AreaId find_table(std::string_view station);
  bool retract_impl(uint64_t log_index, uint32_t hint_table, bool propagate);
  void select(uint32_t t);                        // recomputes rep_[t]
  void row(uint32_t t, int64_t* out) const;       // header + counts of table t
  void propagate(uint32_t t, const int64_t* old_row, const int64_t* new_row);
  const int32_t* counts_of(uint32_t c) const { return &counts_[size_t(c) * width_]; }

  std::shared_ptr<const Geography> geo_;
  SourceRule rule_;
  size_t width_;    // fields + candidates + cards
  size_t compared_;  // fields + candidates: what must agree
  size_t stride_;    // kHeader + width_
  AreaId table_begin_;

  std::vector<Contribution> contribs_;
  std::vector<int32_t> counts_;  // width_ per contribution
  std::vector<uint32_t> free_;
  std::vector<uint32_t> head_;   // per table
  std::vector<uint32_t> rep_;    // per table: contribution, kNone or kConflict
  std::vector<int64_t> agg_;     // stride_ per non-table area
  std::vector<std::string> sources_;
  // log index -> contribution, built on the first retraction that misses its own table.
  std::unordered_map<uint64_t, uint32_t> where_;
  bool where_built_ = false;
  std::unordered_set<uint64_t> unplaced_;  // log indexes of held sheets whose station is unknown
  std::vector<int64_t> scratch_;  // 2 rows, reused by add()
  CountVector incoming_;           // the counts of the sheet being added
  uint32_t last_table_ = 0;        // sheets arrive ordered by station: try the next table first
  std::vector<TableSheet> select_scratch_;
  std::vector<uint32_t> select_ids_;
};

}  // namespace tallylog::tally
