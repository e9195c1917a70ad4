// The figures a report shows — valid votes, invalid votes, ballots cast, the turnout count and
// the base of candidate shares — as the election declares them (election::Figures,
// docs/formats/election-toml.md "Figures"), compiled once into weighted sums over the count
// layout of a Geography (fields, then candidates). No meaning hangs on a field's name: a figure
// the election does not declare is unknown, and says why, instead of being printed as 0.
//
// Pure value; immutable after compile(); safe to share between threads.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "tallylog/base/error.h"
#include "tallylog/election/model.h"

namespace tallylog::tally {

struct Figure {
  std::string name;  // "valid", "invalid", "cast", "turnout", "share_base"
  std::string text;  // the declared sum ("valid + null"), or how it was derived; "" when unknown
  std::string why_unknown;  // a sentence when the election does not give this figure
  // slot (fields first, then candidates, as in AreaTotals) and its weight (+1 or -1)
  std::vector<std::pair<uint32_t, int32_t>> terms;
  // Optional fields among the terms (Election::optional): (field index, its "reported" slot in
  // the count layout, tally/count_vector.h).
  std::vector<std::pair<uint32_t, uint32_t>> optional;

  bool known() const { return why_unknown.empty(); }
};

class FigureSet {
 public:
  // Slots: the election's fields in order, then its candidates in order.
  static Result<FigureSet> compile(const election::Election& election);

  const Figure& valid() const { return valid_; }
  const Figure& invalid() const { return invalid_; }
  const Figure& cast() const { return cast_; }
  const Figure& turnout() const { return turnout_; }      // over registered voters
  const Figure& share_base() const { return share_base_; }  // candidate shares are of this

  // The figure over counts laid out as fields then candidates; nullopt when unknown.
  static std::optional<int64_t> value(const Figure& f, std::span<const int64_t> fields,
                                      std::span<const int64_t> candidates);
  // The same over an area's totals, where reported[i] counted tables of `tables` report field i
  // (AreaTotals::reported): unknown when a term is an optional field some of them leave out; then
  // `why` (when given) says so, as it says why an undeclared figure is unknown.
  static std::optional<int64_t> value(const Figure& f, std::span<const int64_t> fields,
                                      std::span<const int64_t> candidates, std::span<const int64_t> reported,
                                      int64_t tables, const std::vector<std::string>& field_names,
                                      std::string* why = nullptr);
  // The same over one table's counts (Tabulation::table_counts: the full count layout): unknown
  // when the table's sheet leaves out an optional field among the terms.
  static std::optional<int64_t> value(const Figure& f, std::span<const int32_t> counts);

 private:
  Figure valid_, invalid_, cast_, turnout_, share_base_;
};

}  // namespace tallylog::tally
