// The log's side of C2SP tlog-witness: asking witnesses to cosign each new checkpoint.
//
// WitnessClient talks to one witness: it sends add-checkpoint with a consistency proof from the
// size the witness last cosigned (learned from its 409 answer, then remembered), checks that the
// answer holds a valid cosignature by that witness's key on this very checkpoint, and returns the
// cosignature line. One thread at a time.
//
// Collector is the log's cosigning hook: for each new checkpoint it asks every configured witness
// at once (one worker thread per witness), waits at most `deadline`, and returns the note with
// the cosignatures that arrived. A witness that is down or slow only costs its own cosignature:
// appends never wait for it, and while it is still busy with an older checkpoint it is skipped.
// The shortfall against the quorum is kept in status() for the metrics and the API.
// Thread-safety: cosign() is called by one thread (the publisher) at a time; status() from any.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tallylog/base/clock.h"
#include "tallylog/base/error.h"
#include "tallylog/merkle/hash.h"
#include "tallylog/net/http_client.h"
#include "tallylog/note/cosignature.h"

namespace tallylog::witness {

// A witness as a log is configured with it: its cosignature key and its submission prefix.
struct WitnessEndpoint {
  note::CosignatureVerifier key;
  std::string url;  // submission prefix; add-checkpoint is POSTed to <url>/add-checkpoint
};

// "<vkey>@<url>" (a vkey never contains '@').
Result<WitnessEndpoint> parse_witness_endpoint(std::string_view spec);

// Consistency proof between two sizes of the tree being published (thread-safety: called by one
// thread at a time).
using ConsistencyProofFn = std::function<Result<std::vector<merkle::Hash>>(uint64_t from, uint64_t to)>;

class WitnessClient {
 public:
  WitnessClient(WitnessEndpoint endpoint, net::HttpClientOptions options = {});
  ~WitnessClient();

  // The witness's cosignature line(s) on `checkpoint_note`, checked. Errors: kUnavailable (cannot
  // reach it), kFailedPrecondition (it refuses: unknown log, key, or it cosigned a larger size),
  // kVerificationFailed (it says the checkpoint conflicts with what it cosigned, or the proof
  // failed, or its answer does not verify).
  Result<std::string> add_checkpoint(std::string_view checkpoint_note, const ConsistencyProofFn& proof);
  // The size this witness last cosigned, as far as this client knows.
  std::optional<uint64_t> known_size() const { return known_size_; }
  const WitnessEndpoint& endpoint() const { return endpoint_; }

 private:
  WitnessEndpoint endpoint_;
  net::HttpClientOptions options_;
  std::unique_ptr<net::HttpClient> http_;
  std::string target_;
  std::optional<uint64_t> known_size_;
};

struct CollectorOptions {
  std::chrono::milliseconds deadline{3000};  // longest wait for cosignatures per checkpoint
  size_t quorum = 0;                         // cosignatures wanted per checkpoint (for status only)
  net::HttpClientOptions http;
};

struct WitnessStatus {
  std::string key;          // "<name>+<hex8>"
  std::string vkey;         // the witness's verifier key (type 0x04)
  std::string url;
  uint64_t cosigned_size = 0;   // largest size it cosigned for us (0: none yet)
  std::string last_cosigned_at;  // RFC 3339, or empty
  std::string last_error;        // of the latest attempt, empty when it succeeded
  uint64_t consecutive_failures = 0;
};

struct CollectorStatus {
  std::vector<WitnessStatus> witnesses;
  size_t quorum = 0;
  uint64_t checkpoint_size = 0;      // size of the latest checkpoint the hook saw
  size_t checkpoint_cosignatures = 0;  // cosignatures it got
  bool quorum_met = true;              // false until a checkpoint gets its quorum (when quorum > 0)
  uint64_t checkpoints_short = 0;    // checkpoints published with fewer than quorum cosignatures
};

class Collector {
 public:
  Collector(std::vector<WitnessEndpoint> witnesses, CollectorOptions options, Clock& clock = Clock::real());
  ~Collector();  // stops the workers (waits for requests in flight, bounded by the HTTP timeout)
  Collector(const Collector&) = delete;
  Collector& operator=(const Collector&) = delete;

  // The hook: `signed_note` with the cosignature lines of the witnesses that answered in time.
  // Never fails because of a witness; `proof` is not used after cosign() returns.
  std::string cosign(std::string_view signed_note, const ConsistencyProofFn& proof);

  CollectorStatus status() const;
  // {"quorum":..,"checkpoint":{"size":..,"cosignatures":..,"quorum_met":..},"witnesses":[...]}
  std::string status_json() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace tallylog::witness
