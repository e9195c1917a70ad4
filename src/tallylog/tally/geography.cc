#include "tallylog/tally/geography.h"

#include "tallylog/election/hierarchy.h"

#include <algorithm>
#include <functional>
#include <numeric>
#include <unordered_map>

namespace tallylog::tally {
namespace {

struct PendingArea {
  std::string code;
  std::string name;
  uint32_t parent_local = 0;  // index among the pending areas one depth up
  std::optional<uint64_t> registered;  // tables only; nullopt: unknown
};

// The order of areas within a level (and of tables): by code as people read it ("2" before "10",
// election::natural_less). One place, shared by build() and build_stored(), so a report over
// stored areas lists them exactly as one over the registry.
bool code_less(const std::string& a, const std::string& b) { return election::natural_less(a, b); }

}  // namespace

Result<std::shared_ptr<const Geography>> Geography::build(const election::Election& election,
                                                          std::span<const election::Station> stations) {
  const size_t levels = election.levels.size();
  if (levels == 0) return err(ErrorCode::kInvalidArgument, "election \"" + election.id + "\" defines no levels");
  std::shared_ptr<Geography> g(new Geography());
  g->election_ = election;

  // Pass 1: intern every area per depth, checking that each code keeps one parent.
  std::vector<std::vector<PendingArea>> pending(levels + 1);
  std::vector<std::unordered_map<std::string, uint32_t>> local(levels + 1);
  pending[0].push_back({"", "national", 0, 0});
  for (size_t s = 0; s < stations.size(); ++s) {
    const election::Station& st = stations[s];
    if (st.areas.size() != levels) {
      return err(ErrorCode::kInvalidArgument, "station \"" + st.code + "\" (#" + std::to_string(s) + ") has " +
                                                  std::to_string(st.areas.size()) + " areas, the election has " +
                                                  std::to_string(levels) + " levels");
    }
    if (st.areas.back().code != st.code) {
      return err(ErrorCode::kInvalidArgument, "station \"" + st.code + "\": last area code \"" +
                                                  st.areas.back().code + "\" is not the station code");
    }
    uint32_t parent = 0;
    for (size_t l = 0; l < levels; ++l) {
      const size_t d = l + 1;
      const election::AreaRef& ref = st.areas[l];
      if (ref.code.empty()) {
        return err(ErrorCode::kInvalidArgument,
                   "station \"" + st.code + "\": empty area code at level " + election.levels[l].code);
      }
      auto [it, inserted] = local[d].try_emplace(ref.code, static_cast<uint32_t>(pending[d].size()));
      if (inserted) {
        pending[d].push_back({ref.code, ref.name, parent, d == levels ? st.registered : std::optional<uint64_t>(0)});
      } else if (d == levels) {
        return err(ErrorCode::kInvalidArgument, "station \"" + st.code + "\" appears twice in the registry");
      } else if (pending[d][it->second].parent_local != parent) {
        return err(ErrorCode::kInvalidArgument,
                   "area \"" + ref.code + "\" at level " + election.levels[l].code + " has two parents (\"" +
                       pending[d - 1][pending[d][it->second].parent_local].code + "\" and \"" +
                       pending[d - 1][parent].code + "\"), seen at station \"" + st.code + "\"");
      }
      parent = it->second;
    }
  }

  // Pass 2: order each depth by code as people read it ("2" before "10") and assign dense ids.
  std::vector<std::vector<uint32_t>> final_of_local(levels + 1);
  g->depth_begin_.push_back(0);
  for (size_t d = 0; d <= levels; ++d) {
    std::vector<uint32_t> order(pending[d].size());
    std::iota(order.begin(), order.end(), 0u);
    std::sort(order.begin(), order.end(),
              [&](uint32_t a, uint32_t b) { return code_less(pending[d][a].code, pending[d][b].code); });
    final_of_local[d].resize(order.size());
    const AreaId base = static_cast<AreaId>(g->areas_.size());
    for (uint32_t i = 0; i < order.size(); ++i) final_of_local[d][order[i]] = base + i;
    for (uint32_t i = 0; i < order.size(); ++i) {
      PendingArea& p = pending[d][order[i]];
      Area a;
      a.code = std::move(p.code);
      a.name = std::move(p.name);
      a.depth = static_cast<int>(d);
      a.parent = d == 0 ? kNoArea : final_of_local[d - 1][p.parent_local];
      if (d == levels) {
        a.tables_registered = 1;
        a.registered_voters = p.registered.value_or(0);
        a.tables_registered_unknown = p.registered ? 0 : 1;
      }
      g->areas_.push_back(std::move(a));
    }
    g->depth_begin_.push_back(static_cast<AreaId>(g->areas_.size()));
  }
  // Registry totals, deepest first (children always have larger ids than parents).
  for (AreaId id = static_cast<AreaId>(g->areas_.size()); id-- > 1;) {
    Area& a = g->areas_[id];
    g->areas_[a.parent].tables_registered += a.tables_registered;
    g->areas_[a.parent].registered_voters += a.registered_voters;
    g->areas_[a.parent].tables_registered_unknown += a.tables_registered_unknown;
  }
  g->pack_parents();
  g->by_code_.resize(levels + 1);
  for (size_t d = 0; d <= levels; ++d) {
    CodeIndex& index = g->by_code_[d];
    size_t capacity = 16;
    while (capacity < 2 * pending[d].size()) capacity *= 2;
    index.slots.assign(capacity, 0);
    index.mask = capacity - 1;
    for (AreaId id = g->depth_begin_[d]; id < g->depth_begin_[d + 1]; ++id) {
      const uint64_t h = std::hash<std::string_view>{}(g->areas_[id].code);
      uint64_t i = h & index.mask;
      while (index.slots[i] != 0) i = (i + 1) & index.mask;
      index.slots[i] = (h >> 32 << 32) | (uint64_t{id} + 1);
    }
  }

  g->layout_ = CountLayout(election);
  TL_ASSIGN_OR_RETURN(g->figures_, FigureSet::compile(election));
  return std::shared_ptr<const Geography>(std::move(g));
}

Result<std::shared_ptr<const Geography>> Geography::build_stored(const election::Election& election,
                                                                 std::span<const UpperArea> areas) {
  const size_t levels = election.levels.size();
  if (levels == 0) return err(ErrorCode::kInvalidArgument, "election \"" + election.id + "\" defines no levels");
  std::shared_ptr<Geography> g(new Geography());
  g->election_ = election;
  g->has_tables_ = false;
  for (const UpperArea& a : areas) g->has_tables_ |= static_cast<size_t>(a.depth) == levels;
  // Order by depth, then code; remember where each stored area went.
  std::vector<uint32_t> order(areas.size());
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    if (areas[a].depth != areas[b].depth) return areas[a].depth < areas[b].depth;
    return code_less(areas[a].code, areas[b].code);
  });
  if (order.empty() || areas[order[0]].depth != 0 || (order.size() > 1 && areas[order[1]].depth == 0)) {
    return err(ErrorCode::kCorrupt, "stored areas: expected exactly one national area");
  }
  std::vector<AreaId> id_of(areas.size());
  for (uint32_t i = 0; i < order.size(); ++i) id_of[order[i]] = i;
  g->depth_begin_.push_back(0);
  for (uint32_t i = 0; i < order.size(); ++i) {
    const UpperArea& u = areas[order[i]];
    if (u.depth < 0 || static_cast<size_t>(u.depth) > levels) {
      return err(ErrorCode::kCorrupt, "stored area \"" + u.code + "\" has depth " + std::to_string(u.depth));
    }
    while (g->depth_begin_.size() <= static_cast<size_t>(u.depth)) g->depth_begin_.push_back(i);
    Area a;
    a.code = u.code;
    a.name = u.name;
    a.depth = u.depth;
    a.tables_registered = u.tables_registered;
    a.registered_voters = u.registered_voters;
    a.tables_registered_unknown = u.tables_registered_unknown;
    if (u.depth > 0) {
      if (u.parent >= areas.size() || areas[u.parent].depth != u.depth - 1) {
        return err(ErrorCode::kCorrupt, "stored area \"" + u.code + "\" has no parent one level up");
      }
      a.parent = id_of[u.parent];
    }
    g->areas_.push_back(std::move(a));
  }
  // Depths without areas (an election whose registry is still empty; the table level when no
  // table is given) are empty ranges.
  while (g->depth_begin_.size() <= levels + 1) g->depth_begin_.push_back(static_cast<AreaId>(g->areas_.size()));
  g->pack_parents();
  g->by_code_.resize(levels + 1);
  for (size_t d = 0; d <= levels; ++d) {
    CodeIndex& index = g->by_code_[d];
    size_t capacity = 16;
    while (capacity < 2 * (g->depth_begin_[d + 1] - g->depth_begin_[d])) capacity *= 2;
    index.slots.assign(capacity, 0);
    index.mask = capacity - 1;
    for (AreaId id = g->depth_begin_[d]; id < g->depth_begin_[d + 1]; ++id) {
      const uint64_t h = std::hash<std::string_view>{}(g->areas_[id].code);
      uint64_t i = h & index.mask;
      while (index.slots[i] != 0) i = (i + 1) & index.mask;
      index.slots[i] = (h >> 32 << 32) | (uint64_t{id} + 1);
    }
  }
  g->layout_ = CountLayout(election);
  TL_ASSIGN_OR_RETURN(g->figures_, FigureSet::compile(election));
  return std::shared_ptr<const Geography>(std::move(g));
}

std::string_view Geography::depth_name(int depth) const {
  if (depth <= 0) return "national";
  return election_.levels[depth - 1].code;
}

std::optional<int> Geography::depth_of(std::string_view level) const {
  if (level == "national") return 0;
  for (size_t i = 0; i < election_.levels.size(); ++i) {
    if (election_.levels[i].code == level) return static_cast<int>(i + 1);
  }
  return std::nullopt;
}

AreaId Geography::find(int depth, std::string_view code) const {
  if (depth < 0 || depth >= depth_count()) return kNoArea;
  if (depth == 0) return code.empty() ? 0 : kNoArea;
  const CodeIndex& index = by_code_[depth];
  const uint64_t h = std::hash<std::string_view>{}(code);
  for (uint64_t i = h & index.mask;; i = (i + 1) & index.mask) {
    const uint64_t slot = index.slots[i];
    if (slot == 0) return kNoArea;
    if ((slot >> 32) == (h >> 32)) {
      const AreaId id = static_cast<AreaId>((slot & 0xffffffffu) - 1);
      if (areas_[id].code == code) return id;
    }
  }
}

void Geography::pack_parents() {
  parent_.resize(areas_.size());
  for (size_t id = 0; id < areas_.size(); ++id) parent_[id] = areas_[id].parent;
}

AreaId Geography::ancestor(AreaId id, int depth) const {
  if (id >= parent_.size()) return kNoArea;
  // The id's depth from the ranges (children are always one level below their parent).
  int d = table_depth();
  while (d > 0 && id < depth_begin_[d]) --d;
  for (; d > depth && id != kNoArea; --d) id = parent_[id];
  return id;
}

std::optional<size_t> Geography::candidate_index(std::string_view code) const {
  for (size_t i = 0; i < election_.candidates.size(); ++i) {
    if (election_.candidates[i].code == code) return i;
  }
  return std::nullopt;
}

}  // namespace tallylog::tally
