#include "tallylog/tally/bound.h"

#include <algorithm>
#include <numeric>

#include "tallylog/tally/local_race.h"

namespace tallylog::tally {
namespace {

// A turnout as an exact fraction num/den (den > 0), so bounds never suffer rounding.
struct Turnout {
  uint64_t num = 0;
  uint64_t den = 0;  // 0: nothing observed
  bool known() const { return den != 0; }
  bool operator<(const Turnout& o) const {
    return static_cast<unsigned __int128>(num) * o.den < static_cast<unsigned __int128>(o.num) * den;
  }
};

// ceil(voters * t), with t capped at 1 and unknown meaning 1.
uint64_t votes_at(uint64_t voters, const Turnout& t) {
  if (!t.known() || t.num >= t.den) return voters;
  const unsigned __int128 p = static_cast<unsigned __int128>(voters) * t.num;
  return static_cast<uint64_t>((p + t.den - 1) / t.den);
}

}  // namespace

Result<OutcomeBound> outcome_bound(const Tabulation& tab, const BoundOptions& options) {
  const Geography& g = tab.geography();
  const int td = g.table_depth();
  OutcomeBound out;
  out.source = tab.rule().to_string();
  out.turnout_depth = options.turnout_depth.value_or(std::max(1, td - 2));
  if (out.turnout_depth < 0 || out.turnout_depth > td) {
    return err(ErrorCode::kInvalidArgument, "bound: no level at depth " + std::to_string(out.turnout_depth));
  }
  out.turnout_level = std::string(g.depth_name(out.turnout_depth));
  out.turnout_unknown = g.figures().turnout().why_unknown;

  // The race: national, or one area's (BoundOptions::area).
  const AreaId scope = options.area.value_or(g.national());
  if (scope >= g.area_count() || g.area(scope).depth >= td)
    return err(ErrorCode::kInvalidArgument, "bound: the area must be above the table level");
  const int scope_depth = g.area(scope).depth;
  auto in_scope = [&](AreaId t) { return scope == g.national() || g.ancestor(t, scope_depth) == scope; };
  // Voters given for `area` could be in the race when it lies in the scope or contains it.
  auto may_be_in_scope = [&](AreaId area) {
    if (scope == g.national() || area == kNoArea) return true;
    return g.area(area).depth <= scope_depth ? g.ancestor(scope, g.area(area).depth) == area
                                             : g.ancestor(area, scope_depth) == scope;
  };

  // Leader and rivals from the race's totals, among the candidates standing in it.
  const AreaTotals national = tab.totals(scope);
  std::vector<size_t> order;
  for (size_t i = 0; i < g.candidate_count(); ++i)
    if (scope == g.national() || stands_in(g, scope, i)) order.push_back(i);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t x, size_t y) { return national.candidates[x] > national.candidates[y]; });

  // Highest observed turnout per area at depth <= turnout_depth (a subtree maximum).
  const AreaId end = g.depth_end(out.turnout_depth);
  std::vector<Turnout> best(end);
  for (AreaId t = g.depth_begin(td); t < g.depth_end(td); ++t) {
    const TableStatus s = tab.table_status(t);
    if (s == TableStatus::kCounted) {
      if (in_scope(t)) ++out.tables_counted;
      const uint64_t reg = g.area(t).registered_voters;
      if (reg == 0) continue;
      // What turnout counts is the election's declaration (figures.turnout); unknown: 100 %.
      const auto votes = FigureSet::value(g.figures().turnout(), tab.table_counts(t));
      if (!votes) continue;
      Turnout tt{static_cast<uint64_t>(std::max<int64_t>(0, *votes)), reg};
      for (AreaId a = g.ancestor(t, out.turnout_depth); a != kNoArea; a = g.area(a).parent) {
        if (best[a].known() && !(best[a] < tt)) break;  // ancestors already at least as high
        best[a] = tt;
      }
    }
  }
  auto turnout_for = [&](AreaId a, bool& fell_back) {
    fell_back = false;
    for (; a != kNoArea; a = g.area(a).parent) {
      if (best[a].known()) return best[a];
      fell_back = true;
    }
    return Turnout{};
  };

  for (AreaId t = g.depth_begin(td); t < g.depth_end(td); ++t) {
    const TableStatus s = tab.table_status(t);
    if (s == TableStatus::kCounted || !in_scope(t)) continue;
    ++out.tables_unreported;
    if (s == TableStatus::kConflicted) ++out.tables_conflicted;
    if (g.area(t).tables_registered_unknown != 0) {  // unknown maximum: bounded with the cap below
      ++out.registered_unknown_tables;
      continue;
    }
    const uint64_t reg = g.area(t).registered_voters;
    out.registered_unreported += reg;
    bool fell_back = false;
    out.max_observed += votes_at(reg, turnout_for(g.ancestor(t, out.turnout_depth), fell_back));
    if (fell_back) ++out.tables_fallback;
  }
  for (const auto& [code, voters] : g.election().unregistered_voters) {
    AreaId area = kNoArea;
    for (int d = 1; d <= td && area == kNoArea; ++d) area = g.find(d, code);
    if (area == kNoArea) area = g.national();
    if (!may_be_in_scope(area)) continue;
    out.unregistered_voters += voters;
    bool fell_back = false;
    out.max_observed += votes_at(voters, turnout_for(g.ancestor(area, out.turnout_depth), fell_back));
  }
  if (best[g.national()].known()) {
    out.national_turnout_cast = best[g.national()].num;
    out.national_turnout_registered = best[g.national()].den;
  }

  // Tables absent from the registry whose voters are unknown: each holds up to `cap` voters.
  const election::UnregisteredTables& ut = g.election().unregistered_tables;
  if (ut.max_voters_per_table) {
    out.unregistered_table_cap = *ut.max_voters_per_table;
    out.unregistered_table_cap_source = CapSource::kElection;
  } else {
    for (AreaId t = g.depth_begin(td); t < g.depth_end(td); ++t) {
      if (g.area(t).tables_registered_unknown != 0) continue;  // no figure to go by
      if (out.unregistered_table_cap_table.empty() || g.area(t).registered_voters > out.unregistered_table_cap) {
        out.unregistered_table_cap = g.area(t).registered_voters;
        out.unregistered_table_cap_table = g.area(t).code;
      }
    }
    // Registry tables exist but none has a known figure: nothing caps a table's voters.
    if (out.unregistered_table_cap_table.empty() && g.area(g.national()).tables_registered_unknown != 0)
      out.unregistered_table_cap = UINT64_MAX;
  }
  // Validation keeps tables <= 10^9 and a given cap <= 10^9; a registry figure is <= 2^53, so
  // the products are computed in 128 bits and saturate.
  auto saturated = [](unsigned __int128 v) {
    return v > UINT64_MAX ? UINT64_MAX : static_cast<uint64_t>(v);
  };
  auto add_tables = [&](uint64_t tables, AreaId area) {
    bool fell_back = false;
    const uint64_t per_table = votes_at(out.unregistered_table_cap, turnout_for(area, fell_back));
    out.unregistered_tables += tables;
    out.unregistered_tables_voters =
        saturated(static_cast<unsigned __int128>(tables) * out.unregistered_table_cap + out.unregistered_tables_voters);
    out.unregistered_tables_observed =
        saturated(static_cast<unsigned __int128>(tables) * per_table + out.unregistered_tables_observed);
  };
  if (ut.count != 0) add_tables(ut.count, g.national());
  // Uncounted registry tables whose registered voters are unknown: the same cap, each at its area's
  // highest observed turnout.
  if (out.registered_unknown_tables != 0) {
    for (AreaId t = g.depth_begin(td); t < g.depth_end(td); ++t) {
      if (g.area(t).tables_registered_unknown == 0 || tab.table_status(t) == TableStatus::kCounted || !in_scope(t))
        continue;
      bool fell_back = false;
      const uint64_t per_table = votes_at(out.unregistered_table_cap,
                                          turnout_for(g.ancestor(t, out.turnout_depth), fell_back));
      if (fell_back) ++out.tables_fallback;
      out.registered_unknown_voters =
          saturated(static_cast<unsigned __int128>(out.registered_unknown_voters) + out.unregistered_table_cap);
      out.registered_unknown_observed =
          saturated(static_cast<unsigned __int128>(out.registered_unknown_observed) + per_table);
    }
  }
  for (const auto& [code, tables] : ut.areas) {
    AreaId area = kNoArea;
    for (int d = 1; d <= td && area == kNoArea; ++d) area = g.find(d, code);
    if (area == kNoArea) area = g.national();
    if (!may_be_in_scope(area)) continue;
    add_tables(tables, g.ancestor(area, out.turnout_depth));
    out.unregistered_tables_in_areas += tables;
  }
  // Per table: what the election file says about tables absent from the registry.
  const uint64_t per_table_full = saturated(static_cast<unsigned __int128>(out.unregistered_voters) +
                                            out.unregistered_tables_voters + out.registered_unknown_voters);
  // unregistered_voters' part is in max_observed
  uint64_t unregistered_observed =
      saturated(static_cast<unsigned __int128>(out.unregistered_tables_observed) + out.registered_unknown_observed);
  out.unregistered_full = per_table_full;
  for (AreaId t = g.depth_begin(td); t < g.depth_end(td); ++t) out.registry_voters += g.area(t).registered_voters;
  if (const auto& rt = g.election().registry_totals; rt.total) {
    out.registry_total = rt.total;
    out.registry_source = rt.source;
    out.registry_unregistered = *rt.total > out.registry_voters ? *rt.total - out.registry_voters : 0;
    if (options.unregistered == UnregisteredBasis::kRegistryTotal && out.registry_unregistered < per_table_full) {
      out.unregistered_basis = "registry-total";
      out.unregistered_full = out.registry_unregistered;
      // The observed bound: those voters at the highest turnout seen nationally.
      bool fell_back = false;
      const uint64_t capped = votes_at(out.registry_unregistered, turnout_for(g.national(), fell_back));
      // Replace the per-table observed figures (unregistered_voters were added per area above).
      uint64_t per_area_voters_observed = 0;
      for (const auto& [code, voters] : g.election().unregistered_voters) {
        AreaId area = kNoArea;
        for (int d = 1; d <= td && area == kNoArea; ++d) area = g.find(d, code);
        if (area == kNoArea) area = g.national();
        if (!may_be_in_scope(area)) continue;
        bool fb = false;
        per_area_voters_observed += votes_at(voters, turnout_for(g.ancestor(area, out.turnout_depth), fb));
      }
      const uint64_t per_table_observed = saturated(static_cast<unsigned __int128>(per_area_voters_observed) +
                                                    out.unregistered_tables_observed + out.registered_unknown_observed);
      if (capped < per_table_observed) {
        out.max_observed -= per_area_voters_observed;
        unregistered_observed = capped;
      }
    }
  }
  out.max_observed = saturated(static_cast<unsigned __int128>(out.max_observed) + unregistered_observed);
  out.max_full = saturated(static_cast<unsigned __int128>(out.registered_unreported) + out.unregistered_full);

  if (order.empty()) return out;
  // `order` holds the race's candidates (all of them nationally).
  out.leader = g.election().candidates[order[0]].code;
  out.leader_votes = national.candidates[order[0]];
  out.decided_full = out.decided_observed = true;
  for (size_t i = 1; i < order.size(); ++i) {
    RivalBound r;
    r.candidate = g.election().candidates[order[i]].code;
    r.votes = national.candidates[order[i]];
    r.lead = out.leader_votes - r.votes;
    if (r.lead == 0) out.tied = true;
    // lead > bound, compared without overflow (lead >= 0 here).
    r.decided_full = r.lead > 0 && static_cast<uint64_t>(r.lead) > out.max_full;
    r.decided_observed = r.lead > 0 && static_cast<uint64_t>(r.lead) > out.max_observed;
    out.decided_full = out.decided_full && r.decided_full;
    out.decided_observed = out.decided_observed && r.decided_observed;
    out.rivals.push_back(std::move(r));
  }
  return out;
}

Result<std::vector<AreaBound>> outcome_bounds_per_area(const Tabulation& tab, BoundOptions options) {
  const Geography& g = tab.geography();
  const int depth = decided_depth(g.election());
  if (depth == 0) return err(ErrorCode::kInvalidArgument, "bound: contest " + g.election().contest +
                                                              " is one national race (no decided_at)");
  std::vector<AreaBound> out;
  for (AreaId a = g.depth_begin(depth); a < g.depth_end(depth); ++a) {
    options.area = a;
    TL_ASSIGN_OR_RETURN(OutcomeBound b, outcome_bound(tab, options));
    out.push_back(AreaBound{a, std::move(b)});
  }
  return out;
}

}  // namespace tallylog::tally
