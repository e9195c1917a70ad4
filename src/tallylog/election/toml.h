// Reading an election definition written by operators as TOML (docs/formats/election-toml.md).
// A new country's election is configured by this file alone: levels, candidates, cards in ballot
// order, sheet fields, arithmetic rules, accepted sources, QR profile and registered voters of
// tables missing from the registry. The result is checked with validate_election() before it is
// returned, so a returned Election always compiles into a Validator.
//
// Every error names the file, the key and the line, e.g.
//   "election.toml:12: candidates[3].code: duplicate candidate code \"NM\"".
//
// Thread-safety: free functions without shared state.
#pragma once

#include <string>
#include <string_view>

#include "tallylog/base/env.h"
#include "tallylog/base/error.h"
#include "tallylog/election/model.h"

namespace tallylog::election {

// Parses TOML text; `file_name` only prefixes error messages.
Result<Election> parse_election_toml(std::string_view text, std::string_view file_name);

// Reads `path` through `env` and parses it.
Result<Election> load_election_toml(const std::string& path, Env& env = Env::posix());

}  // namespace tallylog::election
