#include "tallylog/forensics/from_tabulation.h"

#include <algorithm>
#include <optional>
#include <unordered_map>

namespace tallylog::forensics {

Result<Sample> sample_from_tabulation(const tally::Tabulation& tab, int group_depth) {
  const tally::Geography& g = tab.geography();
  if (group_depth < 0 || group_depth >= g.depth_count())
    return err(ErrorCode::kInvalidArgument, "forensics: no level at depth " + std::to_string(group_depth));
  Sample s;
  for (const auto& c : g.election().candidates) s.candidates.push_back(c.code);
  if (group_depth > 0) s.group_level = std::string(g.depth_name(group_depth));
  std::unordered_map<tally::AreaId, uint32_t> group_of;
  const int td = g.table_depth();
  std::vector<uint32_t> votes(s.candidates.size());
  for (tally::AreaId t = g.depth_begin(td); t < g.depth_end(td); ++t) {
    if (tab.table_status(t) != tally::TableStatus::kCounted) continue;
    std::span<const int32_t> c = tab.table_counts(t);
    auto clamp = [](int64_t v) { return static_cast<uint32_t>(std::clamp<int64_t>(v, 0, UINT32_MAX)); };
    // Ballots cast as the election declares them (tally/figures.h); a table whose sheet leaves out
    // a term of it (an optional count) has no turnout to test, so it is left out of the sample.
    const std::optional<int64_t> cast_value = tally::FigureSet::value(g.figures().cast(), c);
    if (!cast_value) continue;
    const uint32_t cast = clamp(*cast_value);
    for (size_t k = 0; k < votes.size(); ++k) votes[k] = clamp(c[g.field_count() + k]);
    uint32_t group = 0;
    if (group_depth > 0) {
      const tally::AreaId a = g.ancestor(t, group_depth);
      auto [it, inserted] = group_of.try_emplace(a, uint32_t(s.group_codes.size()));
      if (inserted) {
        s.group_codes.push_back(g.area(a).code);
        s.group_names.push_back(g.area(a).name.empty() ? g.area(a).code : g.area(a).name);
      }
      group = it->second;
    }
    if (g.area(t).tables_registered_unknown != 0) ++s.registered_unknown;  // registered 0: no turnout
    s.add(clamp(int64_t(g.area(t).registered_voters)), cast, votes.data(), group);
  }
  s.choose_leader();
  return s;
}

}  // namespace tallylog::forensics
