#include "tallylog/tally/local_race.h"

namespace tallylog::tally {

int decided_depth(const election::Election& e) {
  if (e.decided_at.empty()) return 0;
  for (size_t i = 0; i < e.levels.size(); ++i)
    if (e.levels[i].code == e.decided_at) return static_cast<int>(i) + 1;
  return 0;
}

Status check_report_depth(const election::Election& e, int depth) {
  const int decided = decided_depth(e);
  if (decided == 0 || depth >= decided) return ok();
  const std::string level = depth == 0 ? "national" : e.levels[depth - 1].code;
  return std::unexpected(Error{
      ErrorCode::kInvalidArgument,
      "level " + level + ": contest " + e.contest + " is decided per " + e.decided_at +
          " (each candidate stands in one " + e.decided_at + "), so a " + level +
          " row would add the votes of separate races and name a leader no voter chose between; "
          "ask for level " + e.decided_at + " or below (its rows and national total give tables, valid votes and turnout)",
      "level"});
}

bool stands_in(const Geography& g, AreaId area, size_t candidate) {
  const election::Candidate& c = g.election().candidates[candidate];
  if (c.area.empty() || area == g.national()) return true;
  const int decided = decided_depth(g.election());
  if (decided == 0) return true;
  const Area& a = g.area(area);
  if (a.depth >= decided) return g.area(g.ancestor(area, decided)).code == c.area;
  // Above the decided level: the area contains the candidate's.
  const AreaId own = g.find(decided, c.area);
  return own != kNoArea && g.ancestor(own, a.depth) == area;
}

}  // namespace tallylog::tally
