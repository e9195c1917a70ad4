// The arithmetic rules that tie a tally sheet's numbers together, e.g. "valid == candidates",
// "valid + null <= registered", "candidate.NM >= 0". Grammar (EBNF, also in
// docs/formats/election-toml.md):
//
//   rule       = expression comparison expression ;
//   expression = [ "-" ] term { ( "+" | "-" ) term } ;
//   term       = integer | "registered" | "candidates" | "cards" | "candidate." code | field ;
//   comparison = "==" | "!=" | "<=" | ">=" | "<" | ">" ;
//   integer    = digit { digit } ;                          (at most 2^53-1)
//   code, field = ( letter | "_" ) { letter | digit | "_" } ;
//
// Spaces between tokens are ignored. `candidates` is the sum of all candidate votes; `cards` is the
// sum of all card votes (equal to `candidates` for a sheet without cards, since every card belongs
// to a candidate); `registered` is the station's registered voters (a rule using it is not checked at a station whose
// registered voters are unknown); `candidate.<code>` one
// candidate's votes; a field is one of Election::fields.
//
// Rules are compiled once per election (compile_rules) into slot references and evaluated with
// 128-bit arithmetic, so no sum can overflow. A RuleSet is immutable and thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "tallylog/base/error.h"
#include "tallylog/election/model.h"

namespace tallylog::election {

// The numbers one sheet gives the rules, in the election's order.
struct RuleInputs {
  std::span<const int64_t> fields;      // by Election::fields index
  std::span<const int64_t> candidates;  // by Election::candidates index
  int64_t candidates_sum = 0;
  int64_t cards_sum = 0;
  int64_t registered = 0;
  // Per field (Election::fields index): 1 when the sheet reports it. Empty: every field is
  // reported. A rule that uses a field the sheet does not report (Election::optional) cannot be
  // checked on that sheet and is skipped: unknown is not zero.
  std::span<const uint8_t> field_known;
  // False when the station's registered voters are unknown (election::Station::registered
  // absent): a rule that uses `registered` is then not checked on the sheet (neither rejected nor
  // flagged); RuleSet::unchecked lists such rules, and `tallylog flags` reports them.
  bool registered_known = true;
};

struct RuleFailure {
  size_t rule = 0;      // index into Election::rules
  std::string message;  // rule "valid == candidates" fails: 364 != 363
};

class RuleSet {
 public:
  struct Term {
    enum class Kind { kConstant, kField, kCandidate, kCandidatesSum, kCardsSum, kRegistered };
    Kind kind = Kind::kConstant;
    int64_t value = 0;  // constant, or field/candidate index
    bool negate = false;
  };
  enum class Comparison { kEq, kNe, kLe, kGe, kLt, kGt };
  struct Rule {
    std::string text;
    std::vector<Term> lhs, rhs;
    Comparison comparison = Comparison::kEq;
  };

  RuleSet() = default;
  explicit RuleSet(std::vector<Rule> rules) : rules_(std::move(rules)) {}

  // The first rule that does not hold, or nullopt. Allocates only to build the failure message.
  std::optional<RuleFailure> check(const RuleInputs& in) const;
  // Every rule that does not hold, appended to `out` (flag rules: all are reported).
  void check_all(const RuleInputs& in, std::vector<RuleFailure>& out) const;
  // Whether rule `i` uses `registered` (not checkable where registered voters are unknown).
  bool uses_registered(size_t i) const;
  size_t size() const { return rules_.size(); }
  const std::vector<Rule>& rules() const { return rules_; }

 private:
  std::vector<Rule> rules_;
};

// Compiles Election::rules against the election's fields and candidates. An error names the rule
// (by index and text) and the 1-based column, e.g.
//   rules[1] "valid + nul <= registered": column 9: unknown field "nul".
Result<RuleSet> compile_rules(const Election& election);

// Compiles one rule (for tests and tooling).
Result<RuleSet::Rule> compile_rule(std::string_view text, const Election& election);

// Compiles Election::flags (the rules that flag instead of reject); errors name "flags[i]".
Result<RuleSet> compile_flag_rules(const Election& election);

// Compiles a sum without a comparison (`expression` in the grammar), as the figures of
// Election::figures are written; `registered` is refused there (a figure is a count of votes).
Result<std::vector<RuleSet::Term>> compile_sum(std::string_view text, const Election& election);

}  // namespace tallylog::election
