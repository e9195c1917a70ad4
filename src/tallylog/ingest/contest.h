// Which contest an ingestor or a reader of <data> works on (election/contest.h), and where that
// contest's index lives: a single-contest election keeps <data>/index.sqlite; each contest of an
// election with several has its own derived index, <data>/index.<contest id>.sqlite, rebuilt
// from the one log like any index (rejects stay in <data>/rejects.sqlite, shared).
//
// Why one index per contest: contests differ in what a sheet counts (candidates, cards, fields),
// so every per-sheet count vector, per-area total and rule is per contest anyway; separate
// derived files keep the index schema, and a single-contest election's index, unchanged.
//
// Thread-safety: free functions; they read entry 0 of the log.
#pragma once

#include <string>
#include <string_view>

#include "tallylog/base/error.h"
#include "tallylog/election/model.h"
#include "tallylog/log/log.h"

namespace tallylog::ingest {

// The election: entry 0 of `log` (kFailedPrecondition when the log is empty or entry 0 is not one).
Result<election::Election> logged_election(const log::LogReader& log);

struct ContestIndex {
  std::string tag;  // "" for a single-contest election, else the contest id
  std::string url;  // for index::open_index
};

// The index URL of the contest tagged `tag` in <data_dir>.
std::string contest_index_url(const std::string& data_dir, std::string_view tag);

// Resolves `requested` (a --contest value, maybe empty) against the logged election. With
// `first_if_unnamed`, an election with several contests and nothing requested gives its first
// contest (for work every contest shares, such as registering stations).
Result<ContestIndex> contest_index(const std::string& data_dir, const log::LogReader& log, std::string_view requested,
                                   bool first_if_unnamed = false);

}  // namespace tallylog::ingest
