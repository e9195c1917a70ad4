// Parsing a JSON object that comes from outside (log entries, receipts, invites): one place says
// what a malformed text is, so every decoder reports it the same way.
//
// Pure; thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "tallylog/base/error.h"

namespace tallylog {

// `text` as a JSON object, or kInvalidArgument "not valid JSON: <the parser's reason>" or
// "not a JSON object". Callers put their own context in front of the message.
inline Result<nlohmann::json> parse_json_object(std::string_view text) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::exception& e) {
    return err(ErrorCode::kInvalidArgument, std::string("not valid JSON: ") + e.what());
  }
  if (!j.is_object()) return err(ErrorCode::kInvalidArgument, "not a JSON object");
  return j;
}

}  // namespace tallylog
