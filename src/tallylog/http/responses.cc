#include "tallylog/http/responses.h"

namespace tallylog::http {

// Invalid UTF-8 that reached a message is replaced (U+FFFD) rather than thrown as a 500.
Response json_response(int status, const Json& j) {
  return Response::json(status, j.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n");
}

Response error_response(int status, std::string_view message, std::string_view field) {
  Json j;
  j["error"] = message;
  if (!field.empty()) j["field"] = field;
  return json_response(status, j);
}

Response from_error(const Error& e) {
  int status = 500;
  switch (e.code) {
    case ErrorCode::kInvalidArgument: status = 400; break;
    case ErrorCode::kNotFound: status = 404; break;
    case ErrorCode::kResourceExhausted: status = 413; break;
    case ErrorCode::kFailedPrecondition:
    case ErrorCode::kUnavailable: status = 503; break;
    default: status = 500;
  }
  return error_response(status, e.to_string(), e.field);
}

Response not_recorded(const Error& e) {
  Response r = error_response(503, "not recorded: " + e.to_string());
  if (e.code == ErrorCode::kUnavailable) r.headers.emplace_back("Retry-After", "1");
  return r;
}

Response method_not_allowed(std::string_view allow) {
  Response r = error_response(405, "method not allowed; use " + std::string(allow));
  r.headers.emplace_back("Allow", std::string(allow));
  return r;
}

}  // namespace tallylog::http
