// Is the outcome already decided? Given a tabulation, the leader's lead over each rival against
// the most votes the tables not yet counted could still hold, under two bounds:
//
//   full      every registered voter of every uncounted table votes (100 % turnout), plus
//             Election::unregistered_voters (voters of tables absent from the registry), plus
//             Election::unregistered_tables (tables absent from the registry whose voters are
//             unknown) x a cap per table: their max_voters_per_table, or else the largest
//             registered-voters figure of any table in the registry;
//   observed  each uncounted table votes at the highest turnout (the election's declared turnout
//             count, figures.turnout, over registered voters)
//             observed among counted tables of its area at `turnout_depth` (parish for
//             Venezuela), falling back to the parent area, up to national, when an area has no
//             counted table, and to 100 % when nothing is counted; capped at 100 %, rounded up
//             per table. Unregistered tables use the highest turnout of the area they are
//             given for (national for UnregisteredTables::count).
//
// A registry table whose registered voters are unknown (election::Station::registered absent)
// has an unknown maximum: uncounted, it is bounded like a table absent from the registry (the
// same per-table cap, at its area's highest observed turnout) and reported apart
// (registered_unknown_*); counted, it gives no observed turnout. With a registry total, its voters
// lie within registry_total - registry_voters (registry_voters sums the known figures only).
// When no registry table has a known figure and the election gives no cap, the cap is unbounded.
//
// Uncounted = unreported or conflicted. Decided under a bound means: there is a unique leader
// and, for every rival, lead > bound (strictly: if lead == bound the rival could still tie, and
// a tie is not a decision). A tie for first place is therefore never decided. The precise
// definitions are in docs/formats/tally-json.md ("Outcome bound").
//
// Pure: reads the tabulation, returns a value.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tallylog/base/error.h"
#include "tallylog/tally/tabulation.h"

namespace tallylog::tally {

// How the voters of tables absent from the registry are capped.
enum class UnregisteredBasis {
  kRegistryTotal,  // Election::registry_totals.total minus the registry's voters, when given
                   // (and smaller than the per-table figure); otherwise per table
  kPerTable,       // unregistered_voters + unregistered_tables x the per-table cap (worst case)
};

struct BoundOptions {
  // Depth whose areas define "the same area" for the observed bound; default: two levels above
  // the table (parish when the levels are state, municipality, parish, centre, table), or 1.
  std::optional<int> turnout_depth;
  UnregisteredBasis unregistered = UnregisteredBasis::kRegistryTotal;
  // A local race (tally/local_race.h): the bound of the race in this area (an area at the
  // contest's decided level): its tables and the candidates standing there only. Voters the
  // election gives for the whole country or for an area containing this one (unregistered
  // voters and tables, the registry total's remainder) could all be here, so they count in full:
  // the bound stays an upper bound. Empty: the national race.
  std::optional<AreaId> area;
};

// Where the voters-per-table cap of tables absent from the registry comes from.
enum class CapSource {
  kElection,         // UnregisteredTables::max_voters_per_table in the election file
  kRegistryLargest,  // the largest registered-voters figure of any table in the registry
};

struct RivalBound {
  std::string candidate;  // code
  int64_t votes = 0;
  int64_t lead = 0;  // leader's votes minus this rival's
  bool decided_full = false;
  bool decided_observed = false;
};

struct OutcomeBound {
  std::string source;             // rule text
  std::string leader;             // candidate code; empty when the election has no candidates
  int64_t leader_votes = 0;
  bool tied = false;              // another candidate has as many votes as the leader
  std::vector<RivalBound> rivals;  // by votes, descending, then ballot order
  int64_t tables_counted = 0;
  int64_t tables_unreported = 0;  // registered tables without a counted sheet (incl. conflicted)
  int64_t tables_conflicted = 0;
  uint64_t registered_unreported = 0;  // registered voters of those tables
  uint64_t unregistered_voters = 0;    // sum of Election::unregistered_voters
  // Tables absent from the registry with unknown voters (Election::unregistered_tables).
  uint64_t unregistered_tables = 0;          // every such table: count + per-area counts
  uint64_t unregistered_tables_in_areas = 0;  // of which given per area
  // Voters assumed per such table, and where that figure came from.
  uint64_t unregistered_table_cap = 0;
  CapSource unregistered_table_cap_source = CapSource::kRegistryLargest;
  std::string unregistered_table_cap_table;  // kRegistryLargest: the registry table holding it
  uint64_t unregistered_tables_voters = 0;   // unregistered_tables x cap (part of max_full)
  uint64_t unregistered_tables_observed = 0;  // their part of max_observed
  // Uncounted registry tables whose registered voters are unknown, bounded with the same cap.
  uint64_t registered_unknown_tables = 0;
  uint64_t registered_unknown_voters = 0;    // registered_unknown_tables x cap (part of max_full)
  uint64_t registered_unknown_observed = 0;  // their part of max_observed
  // Highest turnout (valid + null) / registered among counted tables nationally, as a fraction;
  // 0/0 when nothing is counted (100 % is then assumed).
  uint64_t national_turnout_cast = 0;
  uint64_t national_turnout_registered = 0;
  // The official registry total (Election::registry_totals), when the election states one: the
  // voters of tables absent from the registry are at most total - registry_voters.
  std::optional<uint64_t> registry_total;
  std::string registry_source;
  uint64_t registry_voters = 0;          // registered voters of every table in the registry
  uint64_t registry_unregistered = 0;    // registry_total - registry_voters (0 if negative)
  // Which cap max_full uses for tables absent from the registry: "registry-total" or "per-table".
  std::string unregistered_basis = "per-table";
  uint64_t unregistered_full = 0;  // that cap: min of the two when the registry total is used
  uint64_t max_full = 0;  // registered_unreported + unregistered_full
  uint64_t max_observed = 0;
  int turnout_depth = 0;
  std::string turnout_level;      // level code of turnout_depth
  // Why the observed bound has no turnout to go by (then it is the 100 % bound), or "".
  std::string turnout_unknown;
  int64_t tables_fallback = 0;    // uncounted tables whose turnout came from a higher area
  bool decided_full = false;
  bool decided_observed = false;
};

Result<OutcomeBound> outcome_bound(const Tabulation& tab, const BoundOptions& options = {});

// A local race (Election::decided_at): each area of the decided level is a race of its own, so
// the bound is decided per area (options.area is set for each in turn), in area order.
struct AreaBound {
  AreaId area = kNoArea;
  OutcomeBound bound;
};
Result<std::vector<AreaBound>> outcome_bounds_per_area(const Tabulation& tab, BoundOptions options = {});

}  // namespace tallylog::tally
