// What a tally report reads: the totals of each area under one source rule. Two things provide
// it: a Tabulation (every table in memory; needed for table-level reports, compare and bound) and
// a StoredTally (tally/from_index.h: the per-area totals the index keeps, for every level above
// the table). tally_to_json/csv/text (tally/format.h) take either, so both print the same bytes.
//
// Thread-safety: implementations are read-only once built.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tallylog/tally/geography.h"

namespace tallylog::tally {

// Totals of one area under a rule. Registry figures (tables_registered, registered_voters) live
// in Geography::area().
struct AreaTotals {
  AreaId area = kNoArea;
  int64_t tables_reported = 0;     // counted tables
  int64_t tables_conflicted = 0;   // tables whose matching current sheets disagree
  int64_t registered_covered = 0;  // registered voters of counted tables
  int64_t tables_with_cards = 0;   // counted tables whose sheet carries per-card counts
  // Counted tables whose registered voters are unknown: they cover no voters, and turnout leaves
  // them out, numerator and denominator; turnout_excluded is their turnout count (the election's
  // turnout figure summed over them): turnout = (turnout count - turnout_excluded) / covered.
  int64_t tables_registered_unknown = 0;
  int64_t turnout_excluded = 0;
  std::vector<int64_t> fields;      // in Geography::fields() order
  std::vector<int64_t> candidates;  // in Election::candidates order
  std::vector<int64_t> cards;       // in ballot order; sums over the tables_with_cards only
  // Per field: counted tables whose sheet reports it. Below tables_reported only for an optional
  // field (Election::optional) some sheets leave out: its sum is then partial, and a figure
  // using it is unknown (tally/figures.h), never a guess.
  std::vector<int64_t> reported;
};

class TallyView {
 public:
  virtual ~TallyView() = default;
  virtual const Geography& geography() const = 0;
  // `area` must be an area of geography() (for a StoredTally: above the table level).
  AreaTotals totals(AreaId area) const {
    AreaTotals out;
    totals(area, out);
    return out;
  }
  // The same into `out`, every member set, its vectors' storage reused: a report of half a
  // million tables asks once per table, and allocating four vectors each time was a tenth of
  // formatting it (issue 9).
  virtual void totals(AreaId area, AreaTotals& out) const = 0;
  // The source rule's canonical text ("*", "official", "witness:*").
  virtual std::string rule_text() const = 0;
  // Current sheets matching the rule for stations absent from the registry.
  virtual uint64_t unplaced_sheets() const = 0;
};

}  // namespace tallylog::tally
