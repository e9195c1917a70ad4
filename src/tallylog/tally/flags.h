// Sheets that break a flag rule of the election (election::FlagRule): accepted and counted, and
// listed here with the rule, its note and the numbers, for `tallylog flags`, GET /api/v1/flags and
// the page. Flags are derived, not stored: the current sheets are checked against the election's
// flag rules when asked, so the list always matches the election and the log (docs/api.md).
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

struct FlagReport {
  std::string source;                   // the source rule's text
  std::vector<uint64_t> sheets_per_rule;  // per Election::flags
  uint64_t sheets_checked = 0;          // current sheets matching the rule, of registered stations
  std::vector<FlaggedSheet> sheets;     // ordered by station, source, log index
};

Result<FlagReport> find_flags(index::IndexReader& reader, const Geography& geography, const SourceRule& rule);

std::string flags_to_json(const FlagReport& report, const Geography& geography);
std::string flags_to_text(const FlagReport& report, const Geography& geography);

}  // namespace tallylog::tally
