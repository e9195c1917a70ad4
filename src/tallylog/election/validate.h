// Validation of stations and tally sheets against an election definition. Every rejection names
// the offending field and says why in a sentence a person can act on. Field names used:
//   "station", "source", "cards", "cards[<i>]" (0-based), "candidates", "candidates.<code>",
//   "<field>" (an Election::fields name, e.g. "valid"), "image_sha256", "qr_payload",
//   "submitted_by", "submitted_at", "supersedes", "rules" (an arithmetic rule failed; the reason
//   quotes it with the numbers), and for stations "code", "areas", "areas[<i>]", "registered".
//
// validate_election() checks the definition itself (used by the TOML loader and Validator).
//
// A Validator owns a copy of the election and its compiled rules; it is immutable after create()
// and safe to use from many threads at once.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tallylog/base/error.h"
#include "tallylog/election/model.h"
#include "tallylog/election/rules.h"

namespace tallylog::election {

inline constexpr size_t kMaxStringBytes = 256;    // codes, names, source, submitted_by, ...
inline constexpr size_t kMaxPayloadBytes = 4096;  // qr_payload

struct Rejection {
  std::string field;
  std::string reason;
};

// Checks the election definition: identifiers, uniqueness, cards 1..N in order mapping to known
// candidates, fields, sources, and that the rules compile. Errors name the member, e.g.
// "candidates[3].code: duplicate candidate code \"NM\"".
Status validate_election(const Election& election);

// True when `source` is accepted by one of the patterns ("official", "witness:*").
bool source_matches(std::string_view pattern, std::string_view source);

class Validator {
 public:
  static Result<Validator> create(Election election);

  const Election& election() const { return election_; }
  const RuleSet& rules() const { return rules_; }
  bool source_accepted(std::string_view source) const;

  std::optional<Rejection> validate_station(const Station& station) const;

  // Normalises and checks `sheet`. When cards are given, per-candidate votes are computed from
  // them (filled in when the sheet has none; must agree when it has). `station` is the registry
  // entry for sheet.station, or nullptr when unknown (then field "station", "unknown station …").
  // A sheet may leave out the fields the election lists as optional (unknown, not zero): rules
  // using them are then not checked on it.
  // When the sheet is accepted and `flags` is given, every flag rule (Election::flags) it breaks
  // is appended there (RuleFailure::rule indexes Election::flags).
  // A contest decided per area (Election::decided_at, a local race): a candidate standing in one
  // area (Candidate::area) may have votes > 0 only on sheets of tables in that area, which is
  // station->areas[decided_depth() - 1].code (the registry's; a caller that has no full record
  // fills at least that member), else field "candidates.<code>".
  std::optional<Rejection> validate_sheet(Sheet& sheet, const Station* station,
                                          std::vector<RuleFailure>* flags = nullptr) const;
  const RuleSet& flag_rules() const { return flag_rules_; }
  // The depth of Election::decided_at (1 = the first level), 0 for a national contest.
  int decided_depth() const { return decided_depth_; }

 private:
  Validator() = default;

  Election election_;
  RuleSet rules_;
  RuleSet flag_rules_;
  std::vector<size_t> card_candidate_;                    // card i -> candidate index
  std::vector<std::pair<std::string, size_t>> by_code_;   // candidate code -> index, sorted
  std::vector<std::pair<std::string, size_t>> by_field_;  // field name -> index, sorted
  std::vector<uint8_t> optional_;                         // by field index: may be left out
  int decided_depth_ = 0;
};

}  // namespace tallylog::election
