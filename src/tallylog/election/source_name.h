// The grammar of a source name, the "who saw this sheet" of every sheet entry
// (docs/formats/entries.md "Source names"). One place, used by the Validator for every ingest
// path (CSV import, QR scan, HTTP) and by the HTTP API before a token is even consulted:
//
//   source = label [ ":" suffix ]                  ; at most 64 bytes
//   label  = lower *( lower / digit / "-" / "_" )  ; official, witness, observer, qr
//   suffix = word *( "." word )                    ; mud, carter.center, unit-7
//   word   = 1*( lower / digit / "-" / "_" )
//   lower  = %x61-7A                               ; a-z
//   digit  = %x30-39
//
// Deliberately conservative ASCII: no upper case (no "Witness:MUD" beside "witness:mud"), no
// spaces, slashes, dots at the ends or in a row, markup, control or bidirectional characters.
// Pure; thread-safe.
#pragma once

#include <string_view>

#include "tallylog/base/error.h"

namespace tallylog::election {

inline constexpr size_t kMaxSourceNameBytes = 64;

// ok() when `source` follows the grammar; else kInvalidArgument saying what is wrong, without
// quoting the offending bytes (they may be anything).
Status check_source_name(std::string_view source);

}  // namespace tallylog::election
