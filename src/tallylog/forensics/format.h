// Forensics results as text: JSON (docs/forensics.md, "JSON"), a table for people, one-line
// readings (what the page shows beside each plot) and SVG plots a user opens in any browser:
//   fingerprint.svg  2-D histogram of turnout (x) and the leader's share (y), log colour scale
//   integer.svg      tables per 0.1 % of turnout and of the leader's share, round percentages marked
//   shpilkin.svg     the leader's and the other ballots per turnout bin, the mode and the reference
// Shared by the CLI and the HTTP server so both serve the same bytes.
//
// Pure functions.
#pragma once

#include <string>
#include <vector>

#include "tallylog/forensics/forensics.h"

namespace tallylog::forensics {

// The same tests for one source alone, for the per-source comparison.
struct SourceReport {
  std::string source;
  Report report;
  std::vector<std::string> stands_out;  // filled by mark_sources()
};

// Names each source whose integer or last-digit p-value is below alpha / sources.size().
void mark_sources(std::vector<SourceReport>& sources, double alpha = 0.01);

// One sentence per test, in the order fingerprint, integer turnout, integer share, Shpilkin,
// last digit, second digit; a skipped test says why.
std::vector<std::string> readings(const Report& r);

// `context` is a JSON object's members to put first (e.g. "\"log_size\":12,\"source\":\"*\""),
// or empty.
std::string report_to_json(const Report& r, const std::vector<SourceReport>& sources, const std::string& context);
std::string report_to_text(const Report& r, const std::vector<SourceReport>& sources);

std::string fingerprint_svg(const Report& r, const std::string& title);
std::string integer_svg(const Report& r, const std::string& title);
std::string shpilkin_svg(const Report& r, const std::string& title);

}  // namespace tallylog::forensics
