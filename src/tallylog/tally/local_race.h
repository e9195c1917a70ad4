// Contests decided per area (Election::decided_at: a mayor per municipality), each candidate
// standing in one area (Candidate::area). docs/formats/election-toml.md, "Local races".
//
// What a report means for such a contest:
//   - at and below the level where it is decided, each area is one race (or part of one): its
//     rows list only the candidates standing there (national candidates, area "", everywhere);
//   - above that level a row would add the votes of separate races: a state's "leader" would be
//     whoever won the biggest municipality, and shares would compare candidates no voter could
//     choose between. So a report at a level above is refused with a message saying so, rather
//     than printed with a caveat people would not read. The figures that do add up across races
//     (tables counted, valid and invalid votes, turnout) are in every row of the reports at the
//     decided level, and in their national total row;
//   - the outcome bound decides each area's race on its own (tally/bound.h, BoundOptions::area).
//
// Pure functions; thread-safe.
#pragma once

#include <cstddef>

#include "tallylog/base/error.h"
#include "tallylog/election/model.h"
#include "tallylog/tally/geography.h"

namespace tallylog::tally {

// The depth of Election::decided_at (1 = the first level); 0 for a national contest.
int decided_depth(const election::Election& e);

// kInvalidArgument (field "level") when a candidate report at `depth` would add separate races:
// `depth` above the decided level of a local race. OK otherwise.
Status check_report_depth(const election::Election& e, int depth);

// Whether candidate `candidate` (an index into Election::candidates) stands in area `area`:
// always for a national contest or a candidate standing everywhere; for the national area
// (a total row); else when the area lies in the candidate's area (at or below the decided level)
// or contains it (above it).
bool stands_in(const Geography& g, AreaId area, size_t candidate);

}  // namespace tallylog::tally
