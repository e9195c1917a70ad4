// The one rule that decides what a tally sheet does to a station's standing: is it new, a
// duplicate, a conflict, a correction — or a correction that may not be made. Pure: it reads the
// sheets a station already has and the facts of the incoming sheet, and returns a value. The
// ingestor (before logging), catch-up and `reindex` (replaying the log) and every index backend
// (which only stores what this rule decided) share it, so the same log always yields the same
// index whatever wrote it.
//
// The rule, in order (docs/api.md "Who may correct what"; docs/formats/entries.md):
//   1. identical to a sheet already logged for the same station and source (identity digest,
//      superseded sheets included)                               -> duplicate, not logged again;
//   2. `supersedes` names a log index: it must be a CURRENT sheet of the SAME station AND the SAME
//      source; otherwise the sheet is rejected on field "supersedes" (a witness may not retract
//      the official sheet, nor one source another's: issue 10, finding 1). When it is, the sheet is
//      a correction and the named sheet becomes superseded;
//   3. another current sheet of the same station and source says something different (content
//      digest: what the sheet says, ignoring which sheet it corrects)    -> conflict;
//   4. otherwise                                                          -> new.
// Conflict standing: after the sheet is applied, every current sheet of its (station, source)
// group is `conflicted` exactly when the group holds more than one distinct content.
//
// A sheet that is already IN the log (catch-up, reindex) is never refused: decide_logged_sheet()
// applies the rule without the duplicate step and, if the correction may not be made, indexes the
// sheet as an ordinary sheet whose `supersedes` had no effect (SheetRecord::corrects stays empty).
//
// Thread-safety: pure functions.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tallylog::index {

using Digest = std::array<uint8_t, 32>;

// Copies the first 32 bytes of a raw digest (election::sheet_identity_digest).
Digest to_digest(std::string_view raw);
std::string_view digest_bytes(const Digest& d);

// What the rule knows of a sheet already logged for the station.
struct LoggedSheet {
  uint64_t log_index = 0;
  uint32_t source = 0;  // an interned source name: equal ids = equal names
  bool superseded = false;
  bool conflicted = false;
  Digest identity{};  // equal identities: an identical resubmission
  Digest content{};   // what it says, ignoring `supersedes`
};

// What the rule knows of the incoming sheet.
struct SheetFacts {
  uint32_t source = 0;
  Digest identity{};
  Digest content{};  // == identity unless `supersedes` is set
  std::optional<uint64_t> supersedes;
};

enum class SheetVerdict : uint8_t {
  kNew,         // logged, current, not conflicting
  kDuplicate,   // not logged: identical to `duplicate_of`
  kConflict,    // logged, differs from `conflicts_with` (same station and source)
  kCorrection,  // logged, supersedes `corrects`; may also conflict (`conflicts_with`)
  kRejected,    // not logged: `field` and `reason` say why
};

std::string_view verdict_name(SheetVerdict v);  // "new", "duplicate", ...

// A change of an earlier sheet's standing caused by the incoming one.
struct StandingChange {
  uint64_t log_index = 0;
  bool superseded = false;  // it is now superseded (by the incoming sheet)
  bool conflicted = false;  // its conflict flag from now on
};

struct SheetDecision {
  SheetVerdict verdict = SheetVerdict::kNew;
  std::optional<uint64_t> duplicate_of;
  std::optional<uint64_t> conflicts_with;  // the first differing current sheet of the group
  std::optional<uint64_t> corrects;        // the sheet this one supersedes (kCorrection)
  bool conflicted = false;                 // the incoming sheet's own standing once applied
  std::vector<StandingChange> changes;     // earlier sheets whose standing changes, by log index
  std::string field;                       // kRejected
  std::string reason;                      // kRejected

  bool logged() const { return verdict != SheetVerdict::kDuplicate && verdict != SheetVerdict::kRejected; }
};

// Decides a submission. `station_sheets` are every sheet logged so far for the sheet's station
// (any source, superseded ones too, any order); `station` names it in messages.
SheetDecision decide_sheet(std::span<const LoggedSheet> station_sheets, const SheetFacts& incoming,
                           std::string_view station, std::string_view source_name = {});

// Decides a sheet that is already in the log (never kDuplicate or kRejected; see above).
SheetDecision decide_logged_sheet(std::span<const LoggedSheet> station_sheets, const SheetFacts& incoming);

}  // namespace tallylog::index
