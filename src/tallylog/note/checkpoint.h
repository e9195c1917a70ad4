// C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint): the body a log signs.
//
//   checkpoint = origin LF size LF base64(root) LF *(extension LF)
//   origin     = non-empty UTF-8 without control characters
//   size       = decimal uint64, no leading zeros ("0" for the empty tree)
//   root       = canonical base64 of 32 bytes
//
// Plain values; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tallylog/base/error.h"
#include "tallylog/merkle/hash.h"
#include "tallylog/note/note.h"

namespace tallylog::note {

// Origin lines: non-empty, valid UTF-8, no control characters (so no newline).
Status check_origin(std::string_view origin);

struct Checkpoint {
  std::string origin;
  uint64_t size = 0;
  merkle::Hash root{};
  std::vector<std::string> extensions;  // opaque lines after the root, without their LF

  std::string body() const;
  static Result<Checkpoint> parse_body(std::string_view text);
};

// Signs the checkpoint body with the log key (whose name must equal the origin).
Result<std::string> sign_checkpoint(const Checkpoint& c, const Signer& log_key);

// Verifies a signed checkpoint against the log's verifier key: the note must carry a valid
// signature by that key, and the origin must equal the key name.
Result<Checkpoint> open_checkpoint(std::string_view signed_note, const Verifier& log_key);

}  // namespace tallylog::note
