#include "tallylog/base/error.h"

namespace tallylog {

std::string_view error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument: return "invalid argument";
    case ErrorCode::kNotFound: return "not found";
    case ErrorCode::kAlreadyExists: return "already exists";
    case ErrorCode::kCorrupt: return "corrupt";
    case ErrorCode::kVerificationFailed: return "verification failed";
    case ErrorCode::kFailedPrecondition: return "failed precondition";
    case ErrorCode::kResourceExhausted: return "resource exhausted";
    case ErrorCode::kIo: return "i/o error";
    case ErrorCode::kUnavailable: return "unavailable";
    case ErrorCode::kInternal: return "internal error";
  }
  return "unknown error";
}

std::string Error::to_string() const {
  std::string out(error_code_name(code));
  out += ": ";
  out += field_and_message();
  return out;
}

std::string Error::field_and_message() const {
  return field.empty() ? message : field + ": " + message;
}

Error with_context(Error e, std::string_view context) {
  std::string m(context);
  m += ": ";
  m += e.message;
  e.message = std::move(m);
  return e;
}

}  // namespace tallylog
