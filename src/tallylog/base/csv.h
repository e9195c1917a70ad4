// Writing one CSV field (RFC 4180): as is, or quoted with inner quotes doubled when the value holds
// a comma, a quote or a line break. Used by every CSV tallylog writes (rejects, tally, export).
// Reading CSV is ingest/csv.h.
#pragma once

#include <string>
#include <string_view>

namespace tallylog {

void append_csv_field(std::string& out, std::string_view value);
std::string csv_field(std::string_view value);

}  // namespace tallylog
