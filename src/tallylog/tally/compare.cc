#include "tallylog/tally/compare.h"

#include <algorithm>
#include <cstdlib>
#include <vector>

namespace tallylog::tally {

Result<Comparison> compare(const Tabulation& a, const Tabulation& b, int summary_depth) {
  if (a.shared_geography() != b.shared_geography()) {
    return err(ErrorCode::kInvalidArgument, "compare: the two tabulations use different registries");
  }
  const Geography& g = a.geography();
  if (summary_depth < 0 || summary_depth > g.table_depth()) {
    return err(ErrorCode::kInvalidArgument, "compare: no level at depth " + std::to_string(summary_depth));
  }
  Comparison out;
  out.source_a = a.rule().to_string();
  out.source_b = b.rule().to_string();
  out.summary_depth = summary_depth;
  const size_t compared = g.field_count() + g.candidate_count();
  // Per area of the summary depth, by id (a flat vector: at the table level there are as many
  // areas as tables); `seen` marks those with a table reported by either side.
  const AreaId first_area = g.depth_begin(summary_depth);
  std::vector<AreaComparison> areas(g.depth_end(summary_depth) - first_area);
  std::vector<uint8_t> seen(areas.size(), 0);
  const auto& optional = g.layout().optional_slots();
  std::vector<uint8_t> skip(compared, 0);
  const int td = g.table_depth();
  for (AreaId t = g.depth_begin(td); t < g.depth_end(td); ++t) {
    const TableStatus sa = a.table_status(t);
    const TableStatus sb = b.table_status(t);
    if (sa == TableStatus::kUnreported && sb == TableStatus::kUnreported) continue;
    const AreaId at = g.ancestor(t, summary_depth);
    if (at < first_area || at - first_area >= areas.size()) {
      return err(ErrorCode::kInternal, "compare: table " + g.area(t).code + " has no area at depth " +
                                           std::to_string(summary_depth));
    }
    AreaComparison& area = areas[at - first_area];
    if (!seen[at - first_area]) {
      seen[at - first_area] = 1;
      area.area = at;
    }
    const std::string& code = g.area(t).code;
    if (sa == TableStatus::kConflicted || sb == TableStatus::kConflicted) {
      out.conflicted_tables.push_back(code);
      ++area.conflicted;
    } else if (sb == TableStatus::kUnreported) {
      out.only_a_tables.push_back(code);
      ++out.only_a;
      ++area.only_a;
      area.valid_only_a += FigureSet::value(g.figures().valid(), a.table_counts(t)).value_or(0);
    } else if (sa == TableStatus::kUnreported) {
      out.only_b_tables.push_back(code);
      ++out.only_b;
      ++area.only_b;
      area.valid_only_b += FigureSet::value(g.figures().valid(), b.table_counts(t)).value_or(0);
    } else {
      std::span<const int32_t> ca = a.table_counts(t), cb = b.table_counts(t);
      // An optional field one of the sheets leaves out is unknown there: never a difference.
      std::fill(skip.begin(), skip.end(), 0);
      for (const auto& [field, reported] : optional) {
        if (!ca[reported] || !cb[reported]) skip[field] = 1;
      }
      bool same = true;
      for (size_t i = 0; i < compared && same; ++i) same = skip[i] || ca[i] == cb[i];
      if (same) {
        ++out.matching;
        ++area.matching;
        continue;
      }
      TableDifference d;
      d.table = t;
      d.code = code;
      d.log_index_a = *a.table_log_index(t);
      d.log_index_b = *b.table_log_index(t);
      for (size_t i = 0; i < compared; ++i) {
        if (skip[i] || ca[i] == cb[i]) continue;
        const std::string& name =
            i < g.field_count() ? g.fields()[i] : g.election().candidates[i - g.field_count()].code;
        d.fields.push_back({name, ca[i], cb[i]});
        d.size += std::llabs(int64_t{ca[i]} - cb[i]);
      }
      ++area.differing;
      area.difference += d.size;
      out.differing.push_back(std::move(d));
    }
  }
  for (size_t i = 0; i < areas.size(); ++i) {
    if (seen[i]) out.areas.push_back(areas[i]);
  }
  std::sort(out.areas.begin(), out.areas.end(), [&](const AreaComparison& x, const AreaComparison& y) {
    if (x.difference != y.difference) return x.difference > y.difference;
    const int64_t ox = x.only_a + x.only_b, oy = y.only_a + y.only_b;
    if (ox != oy) return ox > oy;
    return g.area(x.area).code < g.area(y.area).code;
  });
  return out;
}

}  // namespace tallylog::tally
