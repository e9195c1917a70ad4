#include "tallylog/forensics/declared.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <nlohmann/json.hpp>

#include "tallylog/tally/format.h"

namespace tallylog::forensics {
namespace {

using tally::AreaId;
using tally::Geography;
using tally::kNoArea;

std::string n(uint64_t v) { return tally::with_thousands(static_cast<int64_t>(v)); }
std::string n(int64_t v) { return tally::with_thousands(v); }

// Parses "96.87" as 9687 / 10^4.
uint64_t percent_e4(const std::string& s) {
  uint64_t whole = 0, frac = 0;
  size_t i = 0;
  for (; i < s.size() && s[i] != '.'; ++i) whole = whole * 10 + uint64_t(s[i] - '0');
  int digits = 0;
  for (++i; i < s.size(); ++i, ++digits) frac = frac * 10 + uint64_t(s[i] - '0');
  while (digits < 4) {
    frac *= 10;
    ++digits;
  }
  return whole * 10000 + frac;
}

AreaId find_any_depth(const Geography& g, const std::string& code) {
  for (int d = 1; d < g.depth_count(); ++d)
    if (AreaId a = g.find(d, code); a != kNoArea) return a;
  return kNoArea;
}

bool related(const Geography& g, AreaId a, AreaId b) {  // one contains the other
  if (a == kNoArea || b == kNoArea) return true;        // unknown: could be anywhere
  const int da = g.area(a).depth, db = g.area(b).depth;
  return da <= db ? g.ancestor(b, da) == a : g.ancestor(a, db) == b;
}

}  // namespace

RoundCheck round_percent_check(const election::DeclaredArea& a) {
  RoundCheck r;
  r.level = a.level;
  r.area = a.area;
  if (a.candidates.empty()) {
    r.skipped = "no candidate figures";
    return r;
  }
  int64_t sum = 0;
  for (const auto& [c, v] : a.candidates) sum += v;
  if (auto it = a.fields.find("valid"); it != a.fields.end()) {
    r.base = it->second;
    r.base_name = "valid";
    r.free_figures = int(a.candidates.size()) - (sum == r.base ? 1 : 0);
  } else {
    r.base = sum;
    r.base_name = "sum of the candidate figures";
    r.free_figures = int(a.candidates.size()) - 1;
  }
  if (r.free_figures < 1) {
    r.skipped = "one figure that is its own base: nothing to test";
    return r;
  }
  if (r.base < 100000) {
    r.skipped = "base " + n(r.base) + " is below 100,000: round percentages are common by chance";
    return r;
  }
  for (int d = 0; d <= 3 && r.decimals < 0; ++d) {
    const __int128 m = __int128(1) * int64_t(std::pow(10, d + 2));
    bool all = true;
    for (const auto& [c, v] : a.candidates) {
      const __int128 j = (__int128(v) * m * 2 + r.base) / (2 * __int128(r.base));  // nearest grid index
      __int128 diff = __int128(v) * m - j * r.base;
      if (diff < 0) diff = -diff;
      if (2 * diff > m) {
        all = false;
        break;
      }
    }
    if (all) r.decimals = d;
  }
  const int shown = r.decimals >= 0 ? r.decimals : 4;
  for (const auto& [c, v] : a.candidates) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%.*f", shown, 100.0 * double(v) / double(r.base));
    r.percents.emplace_back(c, buf);
  }
  if (r.decimals >= 0) r.probability = std::pow(std::pow(10.0, r.decimals + 2) / double(r.base), r.free_figures);
  return r;
}

Result<std::vector<DeclarationCheck>> check_declarations(const tally::Tabulation& tab,
                                                         const std::vector<index::DeclarationRecord>& declarations,
                                                         tally::UnregisteredBasis unregistered) {
  const Geography& g = tab.geography();
  const election::Election& e = g.election();
  const int td = g.table_depth();
  const uint64_t registry_tables = g.table_count();
  uint64_t largest_table = 0, registry_voters_all = 0;
  bool any_known = false;
  for (AreaId t = g.depth_begin(td); t < g.depth_end(td); ++t) {
    if (g.area(t).tables_registered_unknown != 0) continue;  // unknown registered voters
    any_known = true;
    largest_table = std::max(largest_table, g.area(t).registered_voters);
    registry_voters_all += g.area(t).registered_voters;
  }
  // As `bound`: with no known figure in a registry that has tables, nothing caps a table's voters.
  if (!any_known && g.table_count() != 0) largest_table = UINT64_MAX;
  const uint64_t cap = e.unregistered_tables.max_voters_per_table.value_or(largest_table);
  std::vector<DeclarationCheck> out;
  for (const index::DeclarationRecord& rec : declarations) {
    DeclarationCheck dc;
    dc.log_index = rec.log_index;
    dc.declaration = rec.declaration;
    const election::Declaration& d = rec.declaration;
    dc.total_tables = registry_tables + e.unregistered_tables.total();
    if (d.coverage_tables) {
      dc.covered_min = std::min(*d.coverage_tables, dc.total_tables);
      dc.coverage_note = "covers " + n(*d.coverage_tables) + " tables by its own claim";
    } else if (!d.coverage_percent.empty()) {
      dc.covered_min = uint64_t((unsigned __int128)(dc.total_tables) * percent_e4(d.coverage_percent) / 1000000);
      dc.coverage_note = "covers " + d.coverage_percent + " % of " + n(dc.total_tables) + " tables by its own claim: at least " +
                         n(dc.covered_min);
    } else {
      dc.covered_min = dc.total_tables;
      dc.coverage_note = "states no coverage: taken as complete (no counted table may be omitted)";
    }
    const uint64_t omittable_all = dc.total_tables - dc.covered_min;
    for (const election::DeclaredArea& da : d.areas) {
      AreaCheck ac;
      ac.level = da.level;
      ac.area = da.area;
      AreaId area = g.national();
      if (da.level != "national") {
        auto depth = g.depth_of(da.level);
        area = depth ? g.find(*depth, da.area) : kNoArea;
        if (area == kNoArea)
          return err(ErrorCode::kFailedPrecondition, "declaration at log index " + std::to_string(rec.log_index) + ": " +
                                                         da.level + " " + da.area + " is not in the registry");
      }
      ac.name = area == g.national() ? "national" : g.area(area).name;
      const int adepth = g.area(area).depth;
      // Tables of the area, counted or not.
      std::vector<AreaId> counted;
      uint64_t registry_voters = 0;
      uint64_t unknown_not_counted = 0;  // uncounted tables whose registered voters are unknown
      for (AreaId t = g.depth_begin(td); t < g.depth_end(td); ++t) {
        if (adepth > 0 && g.ancestor(t, adepth) != area) continue;
        ++ac.tables_registered;
        registry_voters += g.area(t).registered_voters;
        if (tab.table_status(t) == tally::TableStatus::kCounted) {
          counted.push_back(t);
        } else if (g.area(t).tables_registered_unknown != 0) {
          ++unknown_not_counted;  // an unknown maximum: bounded with the per-table cap below
        } else {
          ac.registered_not_counted += g.area(t).registered_voters;
        }
      }
      ac.tables_counted = counted.size();
      // Tables absent from the registry that may lie in this area.
      unsigned __int128 per_table = (unsigned __int128)(e.unregistered_tables.count + unknown_not_counted) * cap;
      for (const auto& [code, tables] : e.unregistered_tables.areas)
        if (related(g, find_any_depth(g, code), area)) per_table += (unsigned __int128)(tables) * cap;
      for (const auto& [code, voters] : e.unregistered_voters)
        if (related(g, find_any_depth(g, code), area)) per_table += voters;
      ac.unregistered_capacity = per_table > UINT64_MAX ? UINT64_MAX : uint64_t(per_table);
      ac.unregistered_basis = "per-table";
      std::optional<uint64_t> registry_total;
      if (area == g.national() && e.registry_totals.total) registry_total = e.registry_totals.total;
      if (area != g.national())
        if (auto it = e.registry_totals.areas.find(g.area(area).code); it != e.registry_totals.areas.end())
          registry_total = it->second;
      if (registry_total && unregistered == tally::UnregisteredBasis::kRegistryTotal) {
        const uint64_t outside = *registry_total > registry_voters ? *registry_total - registry_voters : 0;
        if (outside < ac.unregistered_capacity) {
          ac.unregistered_capacity = outside;
          ac.unregistered_basis = "registry-total";
        }
      }
      (void)registry_voters_all;
      ac.capacity = ac.registered_not_counted + ac.unregistered_capacity;
      ac.omittable = std::min<uint64_t>(counted.size(), omittable_all);
      auto check = [&](const std::string& name, bool candidate, size_t slot, int64_t declared) {
        FigureCheck f;
        f.name = name;
        f.candidate = candidate;
        f.declared = declared;
        std::vector<int64_t> values;
        values.reserve(counted.size());
        for (AreaId t : counted) values.push_back(std::max<int32_t>(0, tab.table_counts(t)[slot]));
        for (int64_t v : values) f.verified += v;
        if (ac.omittable > 0) {
          std::nth_element(values.begin(), values.begin() + (ac.omittable - 1), values.end(), std::greater<>());
          for (uint64_t i = 0; i < ac.omittable; ++i) f.omitted_max += values[i];
        }
        f.lower = f.verified - f.omitted_max;
        f.upper = uint64_t(f.verified) + ac.capacity;
        if (f.declared < f.lower) f.below = f.lower - f.declared;
        if (f.declared >= 0 && uint64_t(f.declared) > f.upper) f.above = int64_t(uint64_t(f.declared) - f.upper);
        if (f.contradicted()) ++dc.contradicted;
        ac.figures.push_back(std::move(f));
      };
      for (size_t c = 0; c < e.candidates.size(); ++c) {
        auto it = da.candidates.find(e.candidates[c].code);
        if (it != da.candidates.end()) check(it->first, true, g.field_count() + c, it->second);
      }
      for (size_t fi = 0; fi < g.field_count(); ++fi) {
        auto it = da.fields.find(g.fields()[fi]);
        if (it != da.fields.end()) check(it->first, false, fi, it->second);
      }
      dc.areas.push_back(std::move(ac));
      dc.round.push_back(round_percent_check(da));
    }
    out.push_back(std::move(dc));
  }
  return out;
}

std::string declared_to_json(const std::vector<DeclarationCheck>& checks, const std::string& context) {
  using nlohmann::ordered_json;
  ordered_json list = ordered_json::array();
  for (const DeclarationCheck& dc : checks) {
    const election::Declaration& d = dc.declaration;
    ordered_json j;
    j["log_index"] = dc.log_index;
    j["source"] = d.source;
    j["title"] = d.title;
    j["announced_at"] = d.announced_at;
    j["reference"] = d.reference;
    j["coverage_percent"] = d.coverage_percent.empty() ? ordered_json(nullptr) : ordered_json(d.coverage_percent);
    j["coverage_tables"] = d.coverage_tables ? ordered_json(*d.coverage_tables) : ordered_json(nullptr);
    j["total_tables"] = dc.total_tables;
    j["covered_min"] = dc.covered_min;
    j["coverage_note"] = dc.coverage_note;
    j["contradicted"] = dc.contradicted;
    ordered_json areas = ordered_json::array();
    for (size_t i = 0; i < dc.areas.size(); ++i) {
      const AreaCheck& a = dc.areas[i];
      ordered_json o;
      o["level"] = a.level;
      o["area"] = a.area;
      o["name"] = a.name;
      o["tables_registered"] = a.tables_registered;
      o["tables_counted"] = a.tables_counted;
      o["registered_not_counted"] = a.registered_not_counted;
      o["unregistered_capacity"] = a.unregistered_capacity;
      o["unregistered_basis"] = a.unregistered_basis;
      o["capacity"] = a.capacity;
      o["omittable_tables"] = a.omittable;
      ordered_json figs = ordered_json::array();
      for (const FigureCheck& f : a.figures) {
        figs.push_back({{"name", f.name},
                        {"kind", f.candidate ? "candidate" : "field"},
                        {"declared", f.declared},
                        {"verified", f.verified},
                        {"omitted_max", f.omitted_max},
                        {"lower", f.lower},
                        {"upper", f.upper},
                        {"contradicted", f.contradicted()},
                        {"below_by", f.below},
                        {"above_by", f.above}});
      }
      o["figures"] = figs;
      const RoundCheck& r = dc.round[i];
      ordered_json rj;
      if (!r.skipped.empty()) {
        rj["skipped"] = r.skipped;
      } else {
        rj["base"] = r.base;
        rj["base_name"] = r.base_name;
        rj["decimals"] = r.decimals >= 0 ? ordered_json(r.decimals) : ordered_json(nullptr);
        ordered_json pc = ordered_json::object();
        for (const auto& [name, p] : r.percents) pc[name] = p;
        rj["percents"] = pc;
        rj["free_figures"] = r.free_figures;
        rj["probability"] = r.decimals >= 0 ? ordered_json(r.probability) : ordered_json(nullptr);
      }
      o["round_percentages"] = rj;
      areas.push_back(o);
    }
    j["areas"] = areas;
    list.push_back(j);
  }
  ordered_json top;
  top["declarations"] = list;
  std::string body = top.dump();
  if (context.empty()) return body;
  return "{" + context + "," + body.substr(1);
}

std::string declared_to_text(const std::vector<DeclarationCheck>& checks) {
  if (checks.empty()) return "no declarations logged (tallylog declare <data> <file> --source <authority>)\n";
  std::string out;
  for (const DeclarationCheck& dc : checks) {
    const election::Declaration& d = dc.declaration;
    out += "declaration at log index " + std::to_string(dc.log_index) + ": " + d.source +
           (d.title.empty() ? "" : ", \"" + d.title + "\"") + (d.announced_at.empty() ? "" : ", " + d.announced_at) + "\n";
    if (!d.reference.empty()) out += "  reference: " + d.reference + "\n";
    out += "  " + dc.coverage_note + "\n";
    for (size_t i = 0; i < dc.areas.size(); ++i) {
      const AreaCheck& a = dc.areas[i];
      out += "  " + (a.area.empty() ? std::string("national") : a.level + " " + a.area + " (" + a.name + ")") + ": " +
             n(a.tables_counted) + " of " + n(a.tables_registered) + " registry tables counted; uncounted tables may hold " +
             n(a.capacity) + " voters (" + n(a.registered_not_counted) + " in uncounted registry tables + " +
             n(a.unregistered_capacity) + " outside the registry, " + a.unregistered_basis + ")";
      if (a.omittable > 0)
        out += "; the declaration may omit up to " + n(a.omittable) +
               " counted tables, so their largest possible contribution is subtracted from the lower bound";
      out += "\n";
      for (const FigureCheck& f : a.figures) {
        out += "    " + f.name + ": declared " + n(f.declared) + ", must lie in [" + n(f.lower) + ", " + n(f.upper) + "]";
        if (f.below > 0) {
          out += "  CONTRADICTED: declared " + n(f.declared) + "; the verified sheets alone give at least " + n(f.lower) +
                 " (short by " + n(f.below) + ")";
        } else if (f.above > 0) {
          out += "  CONTRADICTED: declared " + n(f.declared) + "; the verified sheets and every uncounted voter give at most " +
                 n(f.upper) + " (over by " + n(f.above) + ")";
        }
        out += "\n";
      }
      const RoundCheck& r = dc.round[i];
      if (!r.skipped.empty()) {
        out += "    round percentages: not tested, " + r.skipped + "\n";
      } else if (r.decimals < 0) {
        out += "    round percentages: no; the figures are not whole-number multiples of " + r.base_name + " " + n(r.base) +
               " at 0-3 decimal percentages\n";
      } else {
        char p[64];
        std::snprintf(p, sizeof p, "%.1e", r.probability);
        out += "    round percentages: YES, every candidate figure is " + r.base_name + " " + n(r.base) + " x a " +
               std::to_string(r.decimals) + "-decimal percentage (";
        for (size_t k = 0; k < r.percents.size(); ++k)
          out += (k ? ", " : "") + r.percents[k].first + " " + r.percents[k].second + " %";
        out += "); by chance: " + std::string(p) + " (" + std::to_string(r.free_figures) +
               " free figures, each uniform between grid points)\n";
      }
    }
    out += "  " + std::to_string(dc.contradicted) + " declared figure(s) contradicted by the verified sheets\n\n";
  }
  return out;
}

}  // namespace tallylog::forensics
