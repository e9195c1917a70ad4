#include "tallylog/tally/compare.h"

#include <algorithm>
#include <cstdlib>
#include <vector>

namespace tallylog::tally {

Result<PairComparison> compare_tables(const Tabulation& a, const Tabulation& b) {
  if (a.shared_geography() != b.shared_geography()) {
    return err(ErrorCode::kInvalidArgument, "compare: the two tabulations use different registries");
  }
  const Geography& g = a.geography();
  PairComparison pair;
  pair.geography = a.shared_geography();
  Comparison& out = pair.tables;
  out.source_a = a.rule().to_string();
  out.source_b = b.rule().to_string();
  const size_t compared = g.field_count() + g.candidate_count();
  const auto& optional = g.layout().optional_slots();
  std::vector<uint8_t> skip(compared, 0);
  const int td = g.table_depth();
  using Kind = PairComparison::Kind;
  for (AreaId t = g.depth_begin(td); t < g.depth_end(td); ++t) {
    const TableStatus sa = a.table_status(t);
    const TableStatus sb = b.table_status(t);
    if (sa == TableStatus::kUnreported && sb == TableStatus::kUnreported) continue;
    const std::string& code = g.area(t).code;
    if (sa == TableStatus::kConflicted || sb == TableStatus::kConflicted) {
      out.conflicted_tables.push_back(code);
      pair.facts.push_back({t, Kind::kConflicted, 0});
    } else if (sb == TableStatus::kUnreported) {
      out.only_a_tables.push_back(code);
      ++out.only_a;
      pair.facts.push_back({t, Kind::kOnlyA, FigureSet::value(g.figures().valid(), a.table_counts(t)).value_or(0)});
    } else if (sa == TableStatus::kUnreported) {
      out.only_b_tables.push_back(code);
      ++out.only_b;
      pair.facts.push_back({t, Kind::kOnlyB, FigureSet::value(g.figures().valid(), b.table_counts(t)).value_or(0)});
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
        pair.facts.push_back({t, Kind::kMatching, 0});
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
      pair.facts.push_back({t, Kind::kDiffering, d.size});
      out.differing.push_back(std::move(d));
    }
  }
  return pair;
}

Result<std::vector<AreaComparison>> summarize_areas(const PairComparison& pair, int summary_depth) {
  std::vector<AreaComparison> areas;
  TL_TRY(summarize_areas(pair, summary_depth, areas));
  return areas;
}

Status summarize_areas(const PairComparison& pair, int summary_depth, std::vector<AreaComparison>& areas) {
  const Geography& g = *pair.geography;
  if (summary_depth < 0 || summary_depth > g.table_depth()) {
    return err(ErrorCode::kInvalidArgument, "compare: no level at depth " + std::to_string(summary_depth));
  }
  // Per area of the summary depth, by id (a flat vector: at the table level there are as many
  // areas as tables); `seen` marks those with a table reported by either side.
  const AreaId first_area = g.depth_begin(summary_depth);
  areas.assign(g.depth_end(summary_depth) - first_area, AreaComparison{});
  thread_local std::vector<uint8_t> seen;
  seen.assign(areas.size(), 0);
  using Kind = PairComparison::Kind;
  for (const PairComparison::TableFact& f : pair.facts) {
    const AreaId at = g.ancestor(f.table, summary_depth);
    if (at < first_area || at - first_area >= areas.size()) {
      return err(ErrorCode::kInternal, "compare: table " + g.area(f.table).code + " has no area at depth " +
                                           std::to_string(summary_depth));
    }
    AreaComparison& area = areas[at - first_area];
    if (!seen[at - first_area]) {
      seen[at - first_area] = 1;
      area.area = at;
    }
    switch (f.kind) {
      case Kind::kMatching: ++area.matching; break;
      case Kind::kDiffering:
        ++area.differing;
        area.difference += f.amount;
        break;
      case Kind::kOnlyA:
        ++area.only_a;
        area.valid_only_a += f.amount;
        break;
      case Kind::kOnlyB:
        ++area.only_b;
        area.valid_only_b += f.amount;
        break;
      case Kind::kConflicted: ++area.conflicted; break;
    }
  }
  // The areas seen, compacted in place (at the table level, half a million of them: growing a
  // second vector one push_back at a time was ~3 % of the server's compare answers, issue 9).
  size_t kept = 0;
  for (size_t i = 0; i < areas.size(); ++i) {
    if (seen[i]) areas[kept++] = areas[i];
  }
  areas.resize(kept);
  // Largest difference first, then most tables on one side only, then by code (byte order).
  // Within a level, areas are numbered in natural code order (geography.h); when that is also
  // the codes' byte order (fixed-width codes, the usual case), the numbers break ties without
  // reading a string: the string comparisons of table codes were a third of this function.
  bool ids_in_code_order = true;
  for (size_t i = 1; i < areas.size() && ids_in_code_order; ++i)
    ids_in_code_order = g.area(areas[i - 1].area).code < g.area(areas[i].area).code;
  auto before = [&](const AreaComparison& x, const AreaComparison& y) {
    if (x.difference != y.difference) return x.difference > y.difference;
    const int64_t ox = x.only_a + x.only_b, oy = y.only_a + y.only_b;
    if (ox != oy) return ox > oy;
    return ids_in_code_order ? x.area < y.area : g.area(x.area).code < g.area(y.area).code;
  };
  if (!std::is_sorted(areas.begin(), areas.end(), before)) std::sort(areas.begin(), areas.end(), before);
  return ok();
}

Result<Comparison> summarize(const PairComparison& pair, int summary_depth) {
  TL_ASSIGN_OR_RETURN(auto areas, summarize_areas(pair, summary_depth));
  Comparison out = pair.tables;
  out.summary_depth = summary_depth;
  out.areas = std::move(areas);
  return out;
}

Result<Comparison> compare(const Tabulation& a, const Tabulation& b, int summary_depth) {
  const Geography& g = a.geography();
  if (a.shared_geography() == b.shared_geography() && (summary_depth < 0 || summary_depth > g.table_depth())) {
    return err(ErrorCode::kInvalidArgument, "compare: no level at depth " + std::to_string(summary_depth));
  }
  TL_ASSIGN_OR_RETURN(PairComparison pair, compare_tables(a, b));
  TL_ASSIGN_OR_RETURN(auto areas, summarize_areas(pair, summary_depth));
  Comparison out = std::move(pair.tables);
  out.summary_depth = summary_depth;
  out.areas = std::move(areas);
  return out;
}

}  // namespace tallylog::tally
