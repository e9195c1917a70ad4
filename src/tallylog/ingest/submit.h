// The one door through which sheets enter tallylog, whatever their origin (CSV import, QR scan,
// HTTP POST): validate, recognise duplicates and conflicts, append to the log, update the index.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tallylog/election/model.h"

namespace tallylog::ingest {

enum class Verdict {
  kAccepted,   // logged at `log_index`
  kDuplicate,  // identical to the sheet already logged at `log_index`; not logged again
  kConflict,   // logged at `log_index`, but differs from `conflicts_with` (same station, source)
  kRejected,   // not logged; `field` and `reason` say why
};

struct Outcome {
  Verdict verdict = Verdict::kRejected;
  std::optional<uint64_t> log_index;
  std::optional<uint64_t> conflicts_with;
  std::string field;   // for kRejected: the offending field ("station", "cards[3]", "valid", ...)
  std::string reason;  // for kRejected: a sentence a person can act on
  // For a logged sheet: the flag rules it breaks (election "flag" rules), each as a sentence. The
  // sheet is accepted and counted; `tallylog flags` lists it.
  std::vector<std::string> flags;
};

// Verdict counts over a run (CSV import, QR scan), with the one summary line every ingest
// command prints last: "accepted A, duplicates D, conflicts C, rejected R".
struct VerdictCounts {
  uint64_t accepted = 0;
  uint64_t duplicates = 0;
  uint64_t conflicts = 0;
  uint64_t rejected = 0;
  uint64_t flagged = 0;  // logged sheets that break a flag rule (not part of the summary line)

  void add(const Outcome& o) {
    add(o.verdict);
    if (!o.flags.empty() && (o.verdict == Verdict::kAccepted || o.verdict == Verdict::kConflict)) ++flagged;
  }
  void add(Verdict v) {
    switch (v) {
      case Verdict::kAccepted: ++accepted; break;
      case Verdict::kDuplicate: ++duplicates; break;
      case Verdict::kConflict: ++conflicts; break;
      case Verdict::kRejected: ++rejected; break;
    }
  }
  std::string summary_line() const {
    return "accepted " + std::to_string(accepted) + ", duplicates " + std::to_string(duplicates) + ", conflicts " +
           std::to_string(conflicts) + ", rejected " + std::to_string(rejected);
  }
};

}  // namespace tallylog::ingest
