// Byte-string helpers shared by every module: lowercase hex and standard base64 (RFC 4648 §4,
// with padding), both strict on decode: any character outside the alphabet, bad padding or
// non-canonical trailing bits is an error, never silently skipped.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "tallylog/base/error.h"

namespace tallylog {

// Bytes are carried as std::string (owning) or std::string_view (borrowed) throughout tallylog.
std::string hex_encode(std::string_view bytes);
Result<std::string> hex_decode(std::string_view hex);

std::string base64_encode(std::string_view bytes);
Result<std::string> base64_decode(std::string_view b64);

// Big-endian fixed-width integers, as used in tiles, entry bundles and signed notes.
void put_u16_be(std::string& out, uint16_t v);
void put_u64_be(std::string& out, uint64_t v);
uint16_t get_u16_be(std::string_view in);  // requires in.size() >= 2
uint64_t get_u64_be(std::string_view in);  // requires in.size() >= 8

// `s` without the spaces, tabs, carriage returns and line feeds at either end (a value read from a
// file or pasted keeps its line end).
std::string_view trim_ascii_space(std::string_view s);

// True when `s` is well-formed UTF-8 (no overlongs, no surrogates, max U+10FFFF).
bool is_valid_utf8(std::string_view s);

}  // namespace tallylog
