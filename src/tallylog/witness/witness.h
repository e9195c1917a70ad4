// A C2SP tlog-witness (https://c2sp.org/tlog-witness): answers add-checkpoint requests for the
// logs it follows with cosignatures (tlog-cosignature v1, see note/cosignature.h), after checking
//
//   the log's signature        unknown origin 404, no valid signature by a key of that origin 403
//   the old size               above the checkpoint's size 400; not the size it last cosigned 409
//                              (body: that size, Content-Type text/x.tlog.size)
//   the consistency proof      from its last cosigned checkpoint to this one; does not verify 422;
//                              same size with another root 409
//
// and recording the checkpoint durably (WitnessState) before answering 200 with its cosignature
// line. A malformed request is 400 with the reason.
//
//   request = "old " size LF *(base64(hash) LF) LF checkpoint      (at most 63 proof lines)
//
// The log keys name the logs: a log's origin is its key name (as tallylog logs sign).
// Thread-safety: add_checkpoint() may be called from many threads; the state serialises what
// must be atomic. The Witness borrows the state and clock, which must outlive it.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tallylog/base/clock.h"
#include "tallylog/base/error.h"
#include "tallylog/merkle/hash.h"
#include "tallylog/note/cosignature.h"
#include "tallylog/note/note.h"
#include "tallylog/witness/state.h"

namespace tallylog::witness {

inline constexpr size_t kMaxProofLines = 63;
inline constexpr std::string_view kSizeContentType = "text/x.tlog.size";

struct AddCheckpointRequest {
  uint64_t old_size = 0;
  std::vector<merkle::Hash> proof;
  std::string checkpoint;  // the signed note
};

// Strict parser of the request body (kInvalidArgument naming the line).
Result<AddCheckpointRequest> parse_add_checkpoint(std::string_view body);
std::string format_add_checkpoint(uint64_t old_size, std::span<const merkle::Hash> proof, std::string_view checkpoint);

struct Answer {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

class Witness {
 public:
  Witness(note::Cosigner key, std::vector<note::Verifier> log_keys, WitnessState& state, Clock& clock);

  Answer add_checkpoint(std::string_view request_body);

  const note::Cosigner& key() const { return key_; }
  const std::vector<note::Verifier>& log_keys() const { return log_keys_; }

 private:
  note::Cosigner key_;
  std::vector<note::Verifier> log_keys_;
  WitnessState& state_;
  Clock& clock_;
};

}  // namespace tallylog::witness
