// Parsing the parts of a request the server hands over raw: percent-decoding, the query string,
// path segments and multipart/form-data bodies. Pure functions, no I/O; thread-safe.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "tallylog/base/error.h"

namespace tallylog::http {

// Query parameters by name; the first occurrence of a name wins.
using Query = std::map<std::string, std::string, std::less<>>;

// Decodes %XX escapes (and '+' as a space when `plus_is_space`, as in a query). A '%' not
// followed by two hex digits is kept as is.
std::string percent_decode(std::string_view s, bool plus_is_space);

// Splits "a=1&b=x%20y" into names and decoded values.
Query parse_query(std::string_view query);

// The non-empty segments of a path: "/api//v1/x" -> {"api", "v1", "x"}. Views into `path`.
std::vector<std::string_view> split_path(std::string_view path);

// A minimal multipart/form-data reader: part name -> part body (first part of each name wins;
// at most 16 parts). `content_type` carries the boundary. Errors are kInvalidArgument.
Result<std::map<std::string, std::string>> parse_multipart(std::string_view content_type, std::string_view body);

}  // namespace tallylog::http
