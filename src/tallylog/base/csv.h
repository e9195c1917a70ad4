// Writing one CSV field (RFC 4180): as is, or quoted with inner quotes doubled when the value holds
// a comma, a quote or a line break. Used by every CSV tallylog writes (rejects, tally, export).
// Reading CSV is ingest/csv.h.
//
// Reports of rejected input (rejects.csv) quote what was wrong, and what was wrong may be any
// bytes: they go through printable_text first, so a NUL, an escape sequence, a line break or a
// right-to-left override from a hostile file never reaches a spreadsheet or terminal raw.
#pragma once

#include <string>
#include <string_view>

namespace tallylog {

void append_csv_field(std::string& out, std::string_view value);
std::string csv_field(std::string_view value);

// `value` with every control character written as a visible escape: C0 controls and DEL as \xNN,
// C1 controls and the bidirectional formatting characters (U+061C, U+200E/F, U+202A..U+202E,
// U+2066..U+2069) as \u{NNNN}, bytes that are not UTF-8 as \xNN, and a backslash as \\ (so a
// `\x00` in the output always stands for a NUL byte, never for those four characters).
// Everything else, including non-ASCII letters, is kept.
std::string printable_text(std::string_view value);

// append_csv_field(out, printable_text(value)).
void append_csv_text_field(std::string& out, std::string_view value);

}  // namespace tallylog
