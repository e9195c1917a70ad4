// The per-table numbers election forensics works on: for every table (polling station) with a
// counted sheet, its registered voters, the ballots in its box (valid + null), the votes of the
// leader (the candidate with the most votes over the whole sample) and of every candidate, and
// the area (at one chosen level) it belongs to. A plain value built once (from a tabulation by
// forensics/from_tabulation.h, or by hand in tests and benchmarks); the tests in forensics.h only
// read it.
//
// Thread-safety: a value; concurrent reads are safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tallylog::forensics {

struct Sample {
  std::vector<std::string> candidates;  // codes, in election order
  size_t leader = 0;                    // index into candidates
  std::vector<std::string> group_codes;  // areas at the chosen level ("" = national only)
  std::vector<std::string> group_names;
  std::string group_level;  // level code of the groups, e.g. "state"

  // One entry per table, all the same length.
  std::vector<uint32_t> registered;
  std::vector<uint32_t> cast;    // ballots in the box: valid + null
  std::vector<uint32_t> votes;   // table-major: candidates.size() counts per table
  std::vector<uint32_t> group;   // index into group_codes

  // Tables whose registered voters are unknown (election::Station::registered absent): they are
  // in the sample with registered 0, so every turnout-based test (fingerprint, integer turnout,
  // Shpilkin, turnout histogram) leaves them out, and the report says how many.
  uint64_t registered_unknown = 0;

  size_t tables() const { return registered.size(); }
  uint32_t leader_votes(size_t table) const { return votes[table * candidates.size() + leader]; }

  // Appends a table; `candidate_votes` has candidates.size() entries.
  void add(uint32_t registered_voters, uint32_t ballots_cast, const uint32_t* candidate_votes, uint32_t group_index);
  // Sets `leader` to the candidate with the most votes in total (the first on a tie).
  void choose_leader();
};

}  // namespace tallylog::forensics
