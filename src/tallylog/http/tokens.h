// Bearer tokens for the write side of the HTTP API. A token is "tl_" + 64 hex characters of
// randomness; only its SHA-256 is stored, in <data>/tokens.json (written atomically, mode 0600 on
// creation), with the submitter name it is bound to and the sources it may submit for ("official",
// "witness:*"). `tallylog tokens add` prints the secret once; it cannot be recovered later.
//
// TokenStore re-reads the file on every call, so tokens added or revoked by the CLI while a server
// runs take effect at once. Thread-safe. Writers (add, revoke) are serialised across threads and
// processes by an exclusive flock on <data>/tokens.json.lock (a real file even when `env` is not
// the POSIX one), held around the whole read-modify-write, so no concurrent add or revoke is lost;
// the new file is written beside (mode 0600) and renamed over tokens.json, so readers see the old
// or the new list, never a mix.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tallylog/base/env.h"
#include "tallylog/base/error.h"

namespace tallylog::http {

struct TokenInfo {
  std::string name;                  // the submitter, recorded as Sheet::submitted_by
  std::vector<std::string> sources;  // allowed sources; a trailing '*' matches a prefix
  std::string sha256;                // hex SHA-256 of the secret
  std::string created_at;            // RFC 3339
  std::string revoked_at;            // RFC 3339, empty while active

  bool active() const { return revoked_at.empty(); }
  bool allows_source(std::string_view source) const;
};

class TokenStore {
 public:
  explicit TokenStore(std::string data_dir, Env& env = Env::posix());

  // Creates a token from `random_bytes` (at least 16 bytes; use random_token_bytes()) and returns
  // the secret. kAlreadyExists when `name` already has an active token; kInvalidArgument for an
  // empty name or no sources.
  Result<std::string> add(std::string_view name, const std::vector<std::string>& sources,
                          std::string_view random_bytes, std::string_view now_rfc3339);
  Result<std::vector<TokenInfo>> list() const;
  // Revokes the active token of `name`; kNotFound if there is none.
  Status revoke(std::string_view name, std::string_view now_rfc3339);
  // The active token whose secret is `secret`, or nullopt (unknown, revoked or malformed).
  Result<std::optional<TokenInfo>> authenticate(std::string_view secret) const;

  std::string path() const;

 private:
  Status save(const std::vector<TokenInfo>& tokens);  // caller holds the write lock
  std::string lock_path() const;
  std::string data_dir_;
  Env* env_;
};

// 32 bytes from the operating system's CSPRNG (OpenSSL RAND_bytes).
Result<std::string> random_token_bytes();

}  // namespace tallylog::http
