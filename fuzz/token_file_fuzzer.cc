// The token file <data>/tokens.json (http/tokens.h), read on every authenticated request: the
// server must not crash or authenticate wrongly whatever the file holds (hand-edited, truncated
// by a full disk, written by another version).
//
// Properties: list() fails with kCorrupt or gives tokens; authenticate() gives only an active
// token whose sha256 is the secret's SHA-256, the first such token list() gives.
#include "fuzz_support.h"
#include "tallylog/base/bytes.h"
#include "tallylog/base/env.h"
#include "tallylog/base/sha256.h"
#include "tallylog/base/testing.h"
#include "tallylog/http/tokens.h"

namespace tallylog::fuzz {
namespace {

struct Dir {
  testing::TempDir tmp;
  http::TokenStore store{tmp.path()};
};

Dir& dir() {
  static Dir* d = new Dir;
  return *d;
}

// Secrets of the seeds' tokens: made from fixed_bytes('t') (as in the HTTP fixture) and ('u').
const std::string kSecrets[] = {"tl_" + hex_encode(fixed_bytes('t')), "tl_" + hex_encode(fixed_bytes('u')),
                                "tl_" + hex_encode(fixed_bytes('v'))};

}  // namespace
}  // namespace tallylog::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tallylog;
  using namespace tallylog::fuzz;
  auto& d = dir();
  auto w = Env::posix().write_file_atomic(d.store.path(), as_text(data, size), Durability::kNoSync);
  check(w.has_value(), "write tokens.json", w ? "" : w.error().to_string());
  auto tokens = d.store.list();
  if (!tokens) {
    check(tokens.error().code == ErrorCode::kCorrupt, "an unreadable token file is reported as corrupt",
          tokens.error().to_string());
  }
  for (const std::string& secret : kSecrets) {
    auto who = d.store.authenticate(secret);
    if (!tokens) {
      check(!who.has_value(), "a corrupt token file authenticates nobody");
      continue;
    }
    check(who.has_value(), "a readable token file answers authenticate()", who ? "" : who.error().to_string());
    std::optional<http::TokenInfo> expected;
    for (const auto& t : *tokens)
      if (t.active() && t.sha256 == sha256_hex(secret)) {
        expected = t;
        break;
      }
    check(who->has_value() == expected.has_value(), "authenticate() finds the active token with the secret's hash");
    if (*who) {
      check((*who)->active() && (*who)->sha256 == sha256_hex(secret), "only an active token with the secret's hash");
      check((*who)->name == expected->name, "authenticate() gives the first matching token");
    }
  }
  if (tokens) {
    for (const auto& t : *tokens) (void)t.allows_source("witness:fuzz");
  }
  return 0;
}
