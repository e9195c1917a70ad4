// The sheet JSON of the write API (docs/api.md "Sheet JSON") and the JSON of a verdict. Pure
// functions, thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "tallylog/base/error.h"
#include "tallylog/election/model.h"
#include "tallylog/ingest/submit.h"

namespace tallylog::http {

// Parses a sheet submitted as JSON. Unknown keys are rejected. Errors are kInvalidArgument with
// the offending field first: "cards[3]: must be an integer".
Result<election::Sheet> sheet_from_json(std::string_view json);
// A sheet as the read API shows it (the inverse of sheet_from_json, plus the server-set members).
std::string sheet_to_json(const election::Sheet& sheet);
// The JSON answer for an Outcome, the same words the CLI prints.
std::string outcome_to_json(const ingest::Outcome& outcome);

}  // namespace tallylog::http
