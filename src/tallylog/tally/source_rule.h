// Which sheets a tabulation counts: a rule over source names, parsed from the `--source` flag
// or the HTTP `source` parameter. Three forms (docs/formats/tally-json.md, "Source rules"):
//
//   official      exactly the source "official"
//   witness:*     every source whose name starts with "witness:" (a trailing '*' is a prefix)
//   *             every source (also the empty string): "latest non-conflicting"
//
// Whatever the form, a table counts when all current (not superseded) sheets matching the rule
// agree on every count; the latest of them (highest log index) represents it. When two matching
// current sheets differ, the table is conflicted: counted separately, never picked.
//
// Thread-safety: immutable value; safe to share.
#pragma once

#include <string>
#include <string_view>

#include "tallylog/base/error.h"

namespace tallylog::tally {

class SourceRule {
 public:
  enum class Kind { kAll, kExact, kPrefix };

  // Every source ("latest non-conflicting").
  SourceRule() = default;
  // Rejects names with control characters or whitespace, and a '*' anywhere but at the end.
  static Result<SourceRule> parse(std::string_view text);

  bool matches(std::string_view source) const;
  Kind kind() const { return kind_; }
  // The canonical text: "*", "official" or "witness:*".
  std::string to_string() const;

 private:
  Kind kind_ = Kind::kAll;
  std::string text_;  // the exact name, or the prefix without '*'
};

}  // namespace tallylog::tally
