// Portable evidence that a log's key signed two histories (a split view or a rewritten log):
// two checkpoints signed by the same key, and a proof that the tree of the larger one held, at the
// size of the smaller one, a root other than the one the smaller one states. Anyone can check it
// offline with `tallylog verify-fork <file>`: no trust in whoever wrote the file is needed, only
// in the log's verifier key. Format (docs/formats/fork-evidence.md):
//
//   evidence = "tallylog fork evidence v1" LF
//              *("# " text LF)                          ; notes for people (source, time), not checked
//              "log-key " vkey LF
//              "checkpoint " len LF note                ; first: the smaller (or equal) size
//              "checkpoint " len LF note                ; second
//              "second-root-at-first-size " b64hash LF  ; root of the second's tree at the first's size
//              "proof " count LF count*(b64hash LF)     ; RFC 6962 consistency proof, first -> second size
//
// `len` is the note's length in bytes (decimal), so notes carry their own blank lines.
// The evidence proves a fork when: both notes verify with the key; size1 <= size2; and either
// size1 == size2 and the roots differ (empty proof), or the proof verifies from
// (size1, second-root-at-first-size) to (size2, root2) and second-root-at-first-size != root1.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tallylog/base/error.h"
#include "tallylog/merkle/hash.h"
#include "tallylog/note/note.h"

namespace tallylog::mirror {

struct ForkEvidence {
  std::vector<std::string> comments;  // without "# "
  std::string log_key;                // vkey text
  std::string first, second;          // signed checkpoint notes, first.size <= second.size
  merkle::Hash second_root_at_first{};
  std::vector<merkle::Hash> proof;
};

std::string format_fork_evidence(const ForkEvidence& e);
Result<ForkEvidence> parse_fork_evidence(std::string_view text);

struct ForkVerdict {
  std::string origin;
  std::string key;  // "<name>+<hex8>"
  uint64_t size1 = 0, size2 = 0;
  merkle::Hash root1{}, root2{}, root2_at_size1{};
  // One paragraph a person can read: what was signed twice.
  std::string explanation;
};

// Checks that `e` proves a fork of the log with key `trusted` (pass the key you know out of band;
// the key inside the file must be the same). kVerificationFailed saying why when it does not.
Result<ForkVerdict> verify_fork(const ForkEvidence& e, const note::Verifier& trusted);

}  // namespace tallylog::mirror
