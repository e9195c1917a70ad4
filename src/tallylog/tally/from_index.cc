#include "tallylog/tally/from_index.h"

#include <unordered_map>
#include <vector>

#include "tallylog/tally/aggregates.h"
#include "tallylog/tally/table_row.h"

namespace tallylog::tally {

Result<std::shared_ptr<const Geography>> geography_from_index(index::IndexReader& reader) {
  TL_ASSIGN_OR_RETURN(election::Election e, reader.election());
  // While the stored areas are exact, they and the compact table rows give the same geography
  // as the station records, without decoding a million of them.
  TL_ASSIGN_OR_RETURN(std::string state, reader.aggregates_state());
  if (state.empty()) {
    std::vector<UpperArea> rows;
    std::unordered_map<uint32_t, uint32_t> position;  // stored area id -> position in `rows`
    TL_TRY(reader.for_each_area(INT32_MAX, [&](const index::AreaRow& a) {
      position.emplace(a.id, static_cast<uint32_t>(rows.size()));
      rows.push_back({a.depth, a.code, a.name, a.parent, a.tables_registered, a.registered_voters,
                      a.tables_registered_unknown});
    }));
    if (!rows.empty()) {
      const size_t areas = rows.size();
      if (auto n = reader.station_count()) rows.reserve(areas + *n);
      const int table_depth = static_cast<int>(e.levels.size());
      Status bad = ok();
      TL_TRY(reader.for_each_table([&](const index::TableRow& t) {
        auto it = position.find(t.parent);
        if (it == position.end()) {
          bad = err(ErrorCode::kCorrupt, "index: table \"" + std::string(t.code) + "\" has no stored parent area");
          return;
        }
        rows.push_back({table_depth, std::string(t.code), std::string(t.name), it->second, 1, t.registered.value_or(0),
                        t.registered ? 0u : 1u});
      }));
      TL_TRY(bad);
      for (size_t i = 0; i < areas; ++i) {
        if (rows[i].depth == 0) continue;
        auto it = position.find(rows[i].parent);
        if (it == position.end()) return err(ErrorCode::kCorrupt, "index: area \"" + rows[i].code + "\" has no stored parent");
        rows[i].parent = it->second;
      }
      return Geography::build_stored(e, rows);
    }
  }
  std::vector<election::Station> stations;
  if (auto n = reader.station_count()) stations.reserve(*n);
  TL_TRY(reader.for_each_station([&](const election::Station& s) { stations.push_back(s); }));
  return Geography::build(e, stations);
}

Result<std::optional<UpperGeography>> upper_geography_from_index(index::IndexReader& reader, int max_depth) {
  using Out = std::optional<UpperGeography>;
  TL_ASSIGN_OR_RETURN(std::string state, reader.aggregates_state());
  if (!state.empty()) return Out();
  TL_ASSIGN_OR_RETURN(election::Election e, reader.election());
  std::vector<UpperArea> areas;
  std::vector<uint32_t> stored_ids;
  std::unordered_map<uint32_t, uint32_t> position;  // stored id -> position in `areas`
  TL_TRY(reader.for_each_area(max_depth, [&](const index::AreaRow& a) {
    position.emplace(a.id, static_cast<uint32_t>(areas.size()));
    stored_ids.push_back(a.id);
    areas.push_back({a.depth, a.code, a.name, a.parent, a.tables_registered, a.registered_voters,
                     a.tables_registered_unknown});
  }));
  if (areas.empty()) return Out();
  for (UpperArea& a : areas) {
    if (a.depth == 0) continue;
    auto it = position.find(a.parent);
    if (it == position.end()) return err(ErrorCode::kCorrupt, "index: area \"" + a.code + "\" has no stored parent");
    a.parent = it->second;
  }
  TL_ASSIGN_OR_RETURN(auto g, Geography::build_stored(e, areas));
  UpperGeography out;
  out.max_depth = max_depth;
  uint32_t top = 0;
  for (uint32_t id : stored_ids) top = std::max(top, id + 1);
  out.of_stored.assign(top, kNoArea);
  for (size_t i = 0; i < areas.size(); ++i) out.of_stored[stored_ids[i]] = g->find(areas[i].depth, areas[i].code);
  out.geography = std::move(g);
  return Out(std::move(out));
}

Result<Tabulation> tabulate_index(index::IndexReader& reader, std::shared_ptr<const Geography> geography,
                                  const SourceRule& rule, const std::function<void(uint64_t)>& progress) {
  Tabulation tab(std::move(geography), rule);
  Status first = ok();
  uint64_t n = 0;
  // The index skips the sheets of other sources (an exact name or a prefix: "witness:*" reads no
  // official sheet, and reads nothing before any witness reports).
  const std::string filter = rule.kind() == SourceRule::Kind::kAll ? "" : rule.to_string();
  TL_TRY(reader.for_each_current_count(filter, [&](const index::CountRecord& r) {
    if (!first) return;
    if (auto s = tab.add_deferred(r); !s) first = s;
    if (progress && ++n % 8192 == 0) progress(n);
  }));
  TL_TRY(first);
  tab.recompute_totals();
  return tab;
}

StoredTally::StoredTally(std::shared_ptr<const Geography> upper, SourceRule rule,
                         std::vector<std::vector<int64_t>> rows)
    : geo_(std::move(upper)), rule_(std::move(rule)), rows_(std::move(rows)) {}

void StoredTally::totals(AreaId area, AreaTotals& out) const {
  const CountLayout& l = geo_->layout();
  out = AreaTotals{.area = area,
                   .fields = std::move(out.fields),
                   .candidates = std::move(out.candidates),
                   .cards = std::move(out.cards),
                   .reported = std::move(out.reported)};
  out.fields.assign(l.field_count(), 0);
  out.candidates.assign(l.candidate_count(), 0);
  out.cards.assign(l.card_count(), 0);
  out.reported.assign(l.field_count(), 0);
  if (area >= rows_.size() || rows_[area].empty()) return;
  const std::vector<int64_t>& r = rows_[area];
  out.tables_reported = r[kRowReported];
  out.tables_conflicted = r[kRowConflicted];
  out.registered_covered = r[kRowCovered];
  out.tables_with_cards = r[kRowWithCards];
  out.tables_registered_unknown = r[kRowRegisteredUnknown];
  out.turnout_excluded = r[kRowTurnoutExcluded];
  const int64_t* counts = r.data() + kRowHeader;
  std::copy(counts, counts + l.field_count(), out.fields.begin());
  std::copy(counts + l.field_count(), counts + l.compared(), out.candidates.begin());
  std::copy(counts + l.compared(), counts + l.compared() + l.card_count(), out.cards.begin());
  std::fill(out.reported.begin(), out.reported.end(), out.tables_reported);  // mandatory: every counted table
  for (const auto& [field, reported] : l.optional_slots()) out.reported[field] = counts[reported];
}

uint64_t StoredTally::unplaced_sheets() const {
  if (rows_.empty() || rows_[0].empty()) return 0;
  return static_cast<uint64_t>(rows_[0][kRowUnplaced]);
}

Result<std::optional<StoredTally>> stored_tally(index::IndexReader& reader, const UpperGeography& upper,
                                                const SourceRule& rule) {
  using Out = std::optional<StoredTally>;
  TL_ASSIGN_OR_RETURN(std::string state, reader.aggregates_state());
  if (!state.empty()) return Out();
  TL_ASSIGN_OR_RETURN(auto rules, reader.rules());
  std::optional<uint32_t> id;
  for (uint32_t i = 0; i < rules.size(); ++i) {
    if (rules[i] == rule.to_string()) id = i;
  }
  // An exact source without a sheet has no rule yet: nothing is counted under it.
  if (!id && rule.kind() != SourceRule::Kind::kExact) return Out();
  const Geography& g = *upper.geography;
  std::vector<std::vector<int64_t>> rows(g.area_count());
  if (id) {
    const size_t length = kRowHeader + g.layout().width();
    Status bad = ok();
    TL_TRY(reader.for_each_area_totals(*id, upper.max_depth, [&](uint32_t area, std::string_view blob) {
      if (!bad) return;
      if (area >= upper.of_stored.size() || upper.of_stored[area] == kNoArea) {
        bad = err(ErrorCode::kCorrupt, "index: totals for unknown area " + std::to_string(area));
        return;
      }
      bad = decode_area_row(blob, length, rows[upper.of_stored[area]]);
    }));
    TL_TRY(bad);
  }
  return Out(StoredTally(upper.geography, rule, std::move(rows)));
}

}  // namespace tallylog::tally
