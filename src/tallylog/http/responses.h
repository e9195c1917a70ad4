// JSON answers shared by the route handlers: a body, an error with the field at fault, an Error
// mapped to its status. Private to the http module (it exposes nlohmann::json): include it only
// from http/*.cc files.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "tallylog/base/error.h"
#include "tallylog/http/server.h"

namespace tallylog::http {

using Json = nlohmann::ordered_json;

Response json_response(int status, const Json& j);
// {"error": message, "field": field (when given)}.
Response error_response(int status, std::string_view message, std::string_view field = {});
// kInvalidArgument 400, kNotFound 404, kResourceExhausted 413, kFailedPrecondition and
// kUnavailable 503, anything else 500; "field" is the Error's field when it has one.
Response from_error(const Error& e);
// 503 "not recorded: <error>" for a submission the write side could not record, with
// `Retry-After: 1` when the cause passes by itself (kUnavailable: the ingestor still loading its
// state after start, an index backend briefly unreachable) and none when it does not (an ingestor
// stopped after an error needs its operator).
Response not_recorded(const Error& e);
// 405 with an Allow header.
Response method_not_allowed(std::string_view allow);

}  // namespace tallylog::http
