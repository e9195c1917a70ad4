// The one door through which sheets enter tallylog, whatever their origin (CSV import, QR scan,
// HTTP POST): validate, recognise duplicates and conflicts, append to the log, update the index.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

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
};

}  // namespace tallylog::ingest
