// A receipt: what a submitter keeps to prove later that its entry was logged and is still there
// (issue 14). It holds the entry's bytes and log index, a checkpoint signed by the log that
// covers it, and the RFC 9162 inclusion proof of the entry in that checkpoint's tree. JSON form
// (docs/api.md "Receipts"):
//
//   {"receipt":"tallylog receipt v1","log_index":N,"entry":"<base64>",
//    "checkpoint":"<signed note text>","proof":{"leaf_index":N,"tree_size":S,"hashes":["<base64>",...]}}
//
// verify_receipt() checks a receipt against any copy of the published log (a mirror directory or
// the server's URL, through LogFiles): the checkpoint's signature by the log key, the inclusion
// of SHA-256(0x00 || entry) under its root, and that the copy's current tree is consistent with
// it — verify_log() with the receipt's checkpoint as the previous one, which recomputes the copy's
// tree from its entry bundles, so a rewritten or truncated log fails — and finally that the copy
// holds the same entry bytes at the index. Pure apart from the LogReader/LogFiles given.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "tallylog/base/error.h"
#include "tallylog/log/log.h"
#include "tallylog/log/verify.h"
#include "tallylog/merkle/hash.h"
#include "tallylog/note/note.h"

namespace tallylog::log {

inline constexpr std::string_view kReceiptVersion = "tallylog receipt v1";

struct Receipt {
  uint64_t log_index = 0;
  std::string entry;       // the entry's bytes
  std::string checkpoint;  // signed note text, covering log_index
  uint64_t tree_size = 0;  // the checkpoint's size
  std::vector<merkle::Hash> proof;
};

// Waits (up to `timeout`) for a checkpoint covering `index`, then reads the entry and its proof.
Result<Receipt> make_receipt(const LogReader& log, uint64_t index,
                             std::chrono::milliseconds timeout = std::chrono::seconds(10));

std::string receipt_to_json(const Receipt& r);
// kInvalidArgument naming the member that is missing or ill-typed.
Result<Receipt> receipt_from_json(std::string_view text);

// Checks the receipt on its own: the checkpoint verifies with `log_key`, its size is the proof's
// tree size, and the entry is included under its root. kVerificationFailed saying which.
Status check_receipt(const Receipt& r, const note::Verifier& log_key);

struct ReceiptCheck {
  uint64_t receipt_size = 0;  // the receipt's checkpoint size
  uint64_t current_size = 0;  // the copy's checkpoint size
  VerifyReport report;        // of the copy (verify_log)
};
// check_receipt, then the copy of the log: its whole tree recomputed, consistent with the
// receipt's checkpoint, holding the same entry at the same index. kVerificationFailed (or
// kNotFound / kCorrupt from the copy) with a message naming what failed.
Result<ReceiptCheck> verify_receipt(const Receipt& r, const note::Verifier& log_key, LogFiles& copy,
                                    const std::function<void(uint64_t, uint64_t)>& progress = {});

}  // namespace tallylog::log
