// The static shape a tabulation adds up over: the election's levels, every area of every level,
// and every registered table (station), built once from the election definition and the station
// registry. Areas are numbered densely (AreaId) level by level, outermost first, so that a parent
// always has a smaller id than its children; id 0 is the national area, and tables are the last
// block of ids. Also fixes the order of counts: fields (valid, null, ...), candidates, cards.
//
// Ownership: a value; Tabulations share it through std::shared_ptr<const Geography>.
// Thread-safety: immutable after build(); safe to read from any number of threads.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tallylog/base/error.h"
#include "tallylog/election/model.h"
#include "tallylog/tally/count_vector.h"
#include "tallylog/tally/figures.h"

namespace tallylog::tally {

using AreaId = uint32_t;
inline constexpr AreaId kNoArea = UINT32_MAX;

// Depth of the national area; election level i has depth i + 1.
inline constexpr int kNationalDepth = 0;

struct Area {
  std::string code;  // "" for the national area
  std::string name;
  AreaId parent = kNoArea;  // kNoArea for the national area
  int depth = 0;            // 0 national, 1 + index into Election::levels otherwise
  uint64_t tables_registered = 0;
  uint64_t registered_voters = 0;  // registry figure (sum over its tables whose figure is known)
  // Its tables whose registered voters are unknown (for a table: 1 when its own are unknown).
  // They count in tables_registered; turnout leaves them out (tally_view.h, AreaTotals).
  uint64_t tables_registered_unknown = 0;
};

// An area (or a table) as stored: `parent` indexes the same list (UINT32_MAX for national).
struct UpperArea {
  int depth = 0;
  std::string code;
  std::string name;
  uint32_t parent = UINT32_MAX;
  uint64_t tables_registered = 0;
  uint64_t registered_voters = 0;
  uint64_t tables_registered_unknown = 0;
};

class Geography {
 public:
  // Fails with kInvalidArgument naming the station when a station has the wrong number of areas,
  // a table code that differs from areas.back().code, a duplicate code, or an area code that
  // appears under two different parents.
  static Result<std::shared_ptr<const Geography>> build(const election::Election& election,
                                                        std::span<const election::Station> stations);

  const election::Election& election() const { return election_; }

  // Depths: 0 is national, 1..levels are Election::levels. depth_count() == levels + 1.
  int depth_count() const { return static_cast<int>(depth_begin_.size()) - 1; }
  int table_depth() const { return depth_count() - 1; }
  // "national", or Election::levels[depth - 1].code.
  std::string_view depth_name(int depth) const;
  // Depth of a level by its code ("national", "state", ...), or nullopt.
  std::optional<int> depth_of(std::string_view level) const;

  size_t area_count() const { return areas_.size(); }
  const Area& area(AreaId id) const { return areas_[id]; }
  AreaId national() const { return 0; }
  // Areas of one depth are the contiguous ids [depth_begin(d), depth_end(d)), sorted by code in
  // natural order (election::natural_less: "2" before "10").
  AreaId depth_begin(int depth) const { return depth_begin_[depth]; }
  AreaId depth_end(int depth) const { return depth_begin_[depth + 1]; }
  // The area with `code` at `depth`, or kNoArea.
  AreaId find(int depth, std::string_view code) const;
  AreaId find_table(std::string_view code) const { return find(table_depth(), code); }
  size_t table_count() const { return depth_end(table_depth()) - depth_begin(table_depth()); }
  // The ancestor of `id` at `depth` (<= the area's own depth).
  AreaId ancestor(AreaId id, int depth) const;

  // Count layout shared by tabulation, comparison and formatting (tally/count_vector.h).
  const CountLayout& layout() const { return layout_; }
  const std::vector<std::string>& fields() const { return layout_.fields(); }  // Election::fields
  size_t field_count() const { return layout_.field_count(); }
  size_t candidate_count() const { return election_.candidates.size(); }
  size_t card_count() const { return election_.cards.size(); }
  // What the reports' figures (valid, invalid, cast, turnout, share base) are, as the election
  // declares them; unknown ones say why (tally/figures.h).
  const FigureSet& figures() const { return figures_; }
  std::optional<size_t> field_index(std::string_view name) const { return layout_.field_index(name); }
  std::optional<size_t> candidate_index(std::string_view code) const;

  // From rows the index keeps (areas above the tables: ids, parents, names and registry figures;
  // optionally the tables too, at depth = levels), without reading a station record. Without
  // tables it serves reports that stop above the table level (the table level is then empty and
  // has_tables() is false). The same areas in the same order as build() over the registry.
  static Result<std::shared_ptr<const Geography>> build_stored(const election::Election& election,
                                                               std::span<const UpperArea> rows);
  bool has_tables() const { return has_tables_; }

 private:
  Geography() = default;

  election::Election election_;
  std::vector<Area> areas_;
  // Area::parent by id, packed: ancestor() walks it for every table of a comparison at each
  // level, and the Area records (names, codes, figures) are too large to walk in cache.
  std::vector<AreaId> parent_;
  void pack_parents();
  std::vector<AreaId> depth_begin_;  // depth_count() + 1 entries
  // Per depth, an open-addressing hash index over area codes: each slot holds the top 32 bits
  // of the code's hash and id + 1 (0 = empty). Flat, so a lookup among a million tables costs
  // about two cache misses.
  struct CodeIndex {
    std::vector<uint64_t> slots;
    uint64_t mask = 0;
  };
  std::vector<CodeIndex> by_code_;
  CountLayout layout_;
  FigureSet figures_;
  bool has_tables_ = true;
};

}  // namespace tallylog::tally
