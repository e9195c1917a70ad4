// Errors are values. Every fallible function returns Result<T> (std::expected<T, Error>) or
// Status (Result<void>) with a specific code and a message a user can act on: it names the
// file, field, index or value that was wrong. Exceptions from third-party libraries are caught at
// the module edge and turned into an Error. assert/abort is only for programmer errors.
//
// Thread-safety: plain values; safe to copy between threads.
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <utility>

namespace tallylog {

enum class ErrorCode {
  kInvalidArgument,     // the caller's input is malformed (bad flag, bad field, bad syntax)
  kNotFound,            // a file, entry, station or key that should exist does not
  kAlreadyExists,       // creating something that is already there
  kCorrupt,             // stored data fails a structural check (truncated tile, bad length)
  kVerificationFailed,  // a hash, proof or signature does not match
  kFailedPrecondition,  // the system is not in a state that allows the call (log not initialised)
  kResourceExhausted,   // a size or rate limit was exceeded
  kIo,                  // the operating system refused a read, write or fsync
  kUnavailable,         // a remote peer or resource could not be reached
  kInternal,            // a bug: an invariant of our own code was broken
};

std::string_view error_code_name(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  // The input field the error is about ("station", "cards[3]", "candidates.EG", "level"), set by
  // the validator or parser that knows it (err_field); empty when there is none. The message
  // then says what is wrong with the field without repeating its name. Callers that answer per
  // field (the HTTP API's 400s) read it here instead of parsing the message.
  std::string field = {};

  // "<code name>: <message>", e.g. "corrupt: tile/0/000: 31 bytes is not a multiple of 32", or
  // "<code name>: <field>: <message>" when the field is set.
  std::string to_string() const;
  // "<field>: <message>", or the message alone when no field is set.
  std::string field_and_message() const;
};

// [[nodiscard]]: a Result or Status dropped on the floor is a compile error (-Werror), so an
// error can only be ignored on purpose, with `(void)` and a comment saying why. It is
// std::expected in every other respect (same layout, same members, converts both ways).
template <typename T>
class [[nodiscard]] Result : public std::expected<T, Error> {
 public:
  using std::expected<T, Error>::expected;
  Result(const std::expected<T, Error>& e) : std::expected<T, Error>(e) {}   // NOLINT: implicit by design
  Result(std::expected<T, Error>&& e) : std::expected<T, Error>(std::move(e)) {}  // NOLINT
};
using Status = Result<void>;

// `return err(ErrorCode::kNotFound, "no station " + code);`
inline std::unexpected<Error> err(ErrorCode code, std::string message) {
  return std::unexpected<Error>(Error{code, std::move(message), {}});
}

// An error about one input field: `return err_field(ErrorCode::kInvalidArgument, "station", "missing");`
inline std::unexpected<Error> err_field(ErrorCode code, std::string field, std::string message) {
  return std::unexpected<Error>(Error{code, std::move(message), std::move(field)});
}

// Prefixes context onto an error travelling up: `return std::unexpected(with_context(r.error(), "tile/0/001"))`.
// The field, if any, is kept.
Error with_context(Error e, std::string_view context);

inline Status ok() { return {}; }

}  // namespace tallylog

// Propagates an error from an expression returning Result/Status:
//   TL_TRY(env.sync(path));
#define TL_TRY(expr)                                                  \
  do {                                                                \
    auto&& tl_try_result_ = (expr);                                   \
    if (!tl_try_result_) return std::unexpected(tl_try_result_.error()); \
  } while (0)

// Declares `lhs` from the value of a Result, or returns its error:
//   TL_ASSIGN_OR_RETURN(auto data, env.read_file(path));
#define TL_CONCAT_INNER_(a, b) a##b
#define TL_CONCAT_(a, b) TL_CONCAT_INNER_(a, b)
#define TL_ASSIGN_OR_RETURN(lhs, expr) TL_ASSIGN_OR_RETURN_IMPL_(TL_CONCAT_(tl_r_, __LINE__), lhs, expr)
#define TL_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr)           \
  auto tmp = (expr);                                        \
  if (!tmp) return std::unexpected(std::move(tmp).error()); \
  lhs = std::move(tmp).value()
