#include "tallylog/tally/from_index.h"

#include <vector>

namespace tallylog::tally {

Result<std::shared_ptr<const Geography>> geography_from_index(index::IndexReader& reader) {
  TL_ASSIGN_OR_RETURN(election::Election e, reader.election());
  std::vector<election::Station> stations;
  if (auto n = reader.station_count()) stations.reserve(*n);
  TL_TRY(reader.for_each_station([&](const election::Station& s) { stations.push_back(s); }));
  return Geography::build(e, stations);
}

Result<Tabulation> tabulate_index(index::IndexReader& reader, std::shared_ptr<const Geography> geography,
                                  const SourceRule& rule, const std::function<void(uint64_t)>& progress) {
  Tabulation tab(std::move(geography), rule);
  Status first = ok();
  uint64_t n = 0;
  // An exact source is filtered by the index; prefix and all-source rules by the tabulation.
  const std::string filter = rule.kind() == SourceRule::Kind::kExact ? rule.to_string() : "";
  TL_TRY(reader.for_each_current_sheet(filter, [&](const index::SheetRecord& r) {
    if (!first) return;
    if (auto s = tab.add_deferred(r); !s) first = s;
    if (progress && ++n % 8192 == 0) progress(n);
  }));
  TL_TRY(first);
  tab.recompute_totals();
  return tab;
}

}  // namespace tallylog::tally
