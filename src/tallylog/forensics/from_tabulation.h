// Builds a forensics Sample from a tabulation: one entry per counted table (the table's
// representative sheet under the tabulation's source rule), with the registry's registered
// voters, valid + null as the ballots cast, every candidate's votes, and the table's area at
// `group_depth` (0: no areas). Conflicted and unreported tables are left out.
//
// Pure: reads the tabulation.
#pragma once

#include "tallylog/base/error.h"
#include "tallylog/forensics/sample.h"
#include "tallylog/tally/tabulation.h"

namespace tallylog::forensics {

Result<Sample> sample_from_tabulation(const tally::Tabulation& tab, int group_depth);

}  // namespace tallylog::forensics
