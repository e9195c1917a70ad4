// Several contests on one election day (president and mayor; list and constituency): one
// election file, one log, one station registry, sheets per contest (docs/formats/election-toml.md,
// "Several contests"). Everything that checks or reports sheets works on ONE contest at a time,
// as a single-contest Election: contest_election() makes that view.
//
// Naming: a "contest tag" is what a sheet of that contest carries in its "contest" member: empty
// for the only contest of a single-contest election (so its entries keep their bytes), the
// Contest::id otherwise. resolve_contest() turns what a user asked for (`--contest`, `?contest=`,
// possibly empty) into that tag, or an error that lists the contests.
//
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "tallylog/base/error.h"
#include "tallylog/election/model.h"

namespace tallylog::election {

// The contest ids of `e`, in file order ({e.contest} for a single-contest election).
std::vector<std::string> contest_ids(const Election& e);

// The tag of the contest `requested` names. Empty `requested`: the only contest (an election with
// several is then kInvalidArgument, listing them: "choose one with --contest"). A single-contest
// election accepts its own `contest` name too (tag ""). An unknown contest is kNotFound, listing
// the contests.
Result<std::string> resolve_contest(const Election& e, std::string_view requested);

// The single-contest election of the contest tagged `tag` (as resolve_contest returns): `e`
// itself for a single-contest election (tag ""), else `e` with that contest's ballot (candidates,
// cards, fields, optional, rules, flags, figures, qr_profile) in place, `contest` = its id and no
// `contests`. kInvalidArgument / kNotFound as resolve_contest.
Result<Election> contest_election(const Election& e, std::string_view tag);

}  // namespace tallylog::election
