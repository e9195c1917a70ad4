// Sheets that break a flag rule of the election (election::FlagRule): accepted and counted, and
// listed here with the rule, its note and the numbers, for `tallylog flags`, GET /api/v1/flags and
// the page. Flags are derived, not stored: the current sheets are checked against the election's
// flag rules when asked, so the list always matches the election and the log (docs/api.md).
//
// A rule (reject or flag) that uses `registered` cannot be checked at a station whose registered
// voters are unknown: such a sheet is neither rejected nor flagged for it, and the report lists
// the rule under "not checked" with how many current sheets it could not be checked on (the
// report is where an operator looks for sheets accepted without a rule holding; it is derived
// from the log and the election like the flags themselves).
//
// Reads the index through the injected reader; the result is a value. Thread-safety: as the reader.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tallylog/base/error.h"
#include "tallylog/index/reader.h"
#include "tallylog/tally/geography.h"
#include "tallylog/tally/source_rule.h"

namespace tallylog::tally {

struct FlaggedSheet {
  uint64_t log_index = 0;
  std::string station;
  std::string source;
  struct Broken {
    size_t rule = 0;      // index into Election::flags
    std::string message;  // rule "valid + null <= registered" fails: 415 > 412
  };
  std::vector<Broken> broken;
};

// A rule that uses `registered`, not checked on sheets of stations whose registered voters are unknown.
struct UncheckedRule {
  std::string rule;  // its text
  bool flag = false;  // a flag rule (Election::flags), else a reject rule (Election::rules)
  uint64_t sheets = 0;  // current sheets it was not checked on
};

struct FlagReport {
  std::string source;                   // the source rule's text
  std::vector<uint64_t> sheets_per_rule;  // per Election::flags
  uint64_t sheets_checked = 0;          // current sheets matching the rule, of registered stations
  std::vector<FlaggedSheet> sheets;     // ordered by station, source, log index
  // Current sheets matching the rule at stations whose registered voters are unknown, and the
  // rules using `registered` that were not checked on them (empty when there are none).
  uint64_t sheets_registered_unknown = 0;
  std::vector<UncheckedRule> not_checked;
};

Result<FlagReport> find_flags(index::IndexReader& reader, const Geography& geography, const SourceRule& rule);

std::string flags_to_json(const FlagReport& report, const Geography& geography);
std::string flags_to_text(const FlagReport& report, const Geography& geography);

}  // namespace tallylog::tally
