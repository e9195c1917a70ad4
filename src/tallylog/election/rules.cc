#include "tallylog/election/rules.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "tallylog/election/entry.h"

namespace tallylog::election {
namespace {

using Term = RuleSet::Term;
using Comparison = RuleSet::Comparison;

bool is_ident_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool is_ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

class RuleParser {
 public:
  RuleParser(std::string_view text, const Election& election) : text_(text), election_(election) {}

  Result<std::vector<Term>> parse_sum() {
    std::vector<Term> out;
    if (text_.empty()) return fail(0, "empty expression");
    TL_TRY(parse_expression(out));
    skip_spaces();
    if (pos_ != text_.size()) return fail(pos_, fmt::format("unexpected '{}'", text_[pos_]));
    return out;
  }

  Result<RuleSet::Rule> parse() {
    RuleSet::Rule rule;
    rule.text = std::string(text_);
    if (text_.empty()) return fail(0, "empty rule");
    TL_TRY(parse_expression(rule.lhs));
    skip_spaces();
    size_t at = pos_;
    auto cmp = parse_comparison();
    if (!cmp)
      return fail(at, at < text_.size() ? "expected a comparison (== != <= >= < >)"
                                        : "expected a comparison (== != <= >= < >) at end of rule");
    rule.comparison = *cmp;
    TL_TRY(parse_expression(rule.rhs));
    skip_spaces();
    if (pos_ != text_.size()) return fail(pos_, fmt::format("unexpected '{}'", text_[pos_]));
    return rule;
  }

 private:
  std::unexpected<Error> fail(size_t at, std::string what) const {
    return err(ErrorCode::kInvalidArgument, fmt::format("column {}: {}", at + 1, what));
  }

  void skip_spaces() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t')) ++pos_;
  }

  std::optional<Comparison> parse_comparison() {
    auto rest = text_.substr(pos_);
    auto take = [&](size_t n, Comparison c) {
      pos_ += n;
      return c;
    };
    if (rest.starts_with("==")) return take(2, Comparison::kEq);
    if (rest.starts_with("!=")) return take(2, Comparison::kNe);
    if (rest.starts_with("<=")) return take(2, Comparison::kLe);
    if (rest.starts_with(">=")) return take(2, Comparison::kGe);
    if (rest.starts_with("<")) return take(1, Comparison::kLt);
    if (rest.starts_with(">")) return take(1, Comparison::kGt);
    return std::nullopt;
  }

  Status parse_expression(std::vector<Term>& out) {
    skip_spaces();
    bool negate = false;
    if (pos_ < text_.size() && text_[pos_] == '-') {
      negate = true;
      ++pos_;
    }
    for (;;) {
      if (out.size() >= 256) return fail(pos_, "too many terms (at most 256)");
      TL_ASSIGN_OR_RETURN(Term t, parse_term());
      t.negate = negate;
      out.push_back(t);
      skip_spaces();
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) {
        negate = text_[pos_] == '-';
        ++pos_;
        continue;
      }
      return ok();
    }
  }

  Result<Term> parse_term() {
    skip_spaces();
    if (pos_ >= text_.size()) return fail(pos_, "expected a term at end of rule");
    size_t start = pos_;
    char c = text_[pos_];
    Term t;
    if (c >= '0' && c <= '9') {
      int64_t v = 0;
      while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
        v = v * 10 + (text_[pos_] - '0');
        if (v > kMaxJsonInteger) return fail(start, "integer too large (at most 2^53-1)");
        ++pos_;
      }
      if (pos_ < text_.size() && is_ident_char(text_[pos_]))
        return fail(start, "malformed integer");
      t.kind = Term::Kind::kConstant;
      t.value = v;
      return t;
    }
    if (!is_ident_start(c)) return fail(start, fmt::format("expected a term, found '{}'", c));
    while (pos_ < text_.size() && is_ident_char(text_[pos_])) ++pos_;
    std::string_view word = text_.substr(start, pos_ - start);
    if (word == "registered") {
      t.kind = Term::Kind::kRegistered;
      return t;
    }
    if (word == "candidates") {
      t.kind = Term::Kind::kCandidatesSum;
      return t;
    }
    if (word == "cards") {
      t.kind = Term::Kind::kCardsSum;
      return t;
    }
    if (word == "candidate") {
      if (pos_ >= text_.size() || text_[pos_] != '.')
        return fail(pos_, "expected '.' and a candidate code after \"candidate\"");
      ++pos_;
      size_t code_start = pos_;
      while (pos_ < text_.size() && is_ident_char(text_[pos_])) ++pos_;
      std::string_view code = text_.substr(code_start, pos_ - code_start);
      if (code.empty()) return fail(code_start, "expected a candidate code after \"candidate.\"");
      for (size_t i = 0; i < election_.candidates.size(); ++i) {
        if (election_.candidates[i].code == code) {
          t.kind = Term::Kind::kCandidate;
          t.value = static_cast<int64_t>(i);
          return t;
        }
      }
      return fail(code_start, fmt::format("unknown candidate \"{}\"", code));
    }
    for (size_t i = 0; i < election_.fields.size(); ++i) {
      if (election_.fields[i] == word) {
        t.kind = Term::Kind::kField;
        t.value = static_cast<int64_t>(i);
        return t;
      }
    }
    return fail(start, fmt::format("unknown field \"{}\"", word));
  }

  std::string_view text_;
  const Election& election_;
  size_t pos_ = 0;
};

__int128 sum_terms(const std::vector<Term>& terms, const RuleInputs& in) {
  __int128 total = 0;
  for (const Term& t : terms) {
    int64_t v = 0;
    switch (t.kind) {
      case Term::Kind::kConstant:
        v = t.value;
        break;
      case Term::Kind::kField:
        v = in.fields[static_cast<size_t>(t.value)];
        break;
      case Term::Kind::kCandidate:
        v = in.candidates[static_cast<size_t>(t.value)];
        break;
      case Term::Kind::kCandidatesSum:
        v = in.candidates_sum;
        break;
      case Term::Kind::kCardsSum:
        v = in.cards_sum;
        break;
      case Term::Kind::kRegistered:
        v = in.registered;
        break;
    }
    total += t.negate ? -static_cast<__int128>(v) : static_cast<__int128>(v);
  }
  return total;
}

std::string int128_string(__int128 v) {
  if (v >= INT64_MIN && v <= INT64_MAX) return std::to_string(static_cast<int64_t>(v));
  bool neg = v < 0;
  unsigned __int128 u =
      neg ? -static_cast<unsigned __int128>(v) : static_cast<unsigned __int128>(v);
  std::string s;
  while (u > 0) {
    s.push_back(static_cast<char>('0' + static_cast<int>(u % 10)));
    u /= 10;
  }
  if (neg) s.push_back('-');
  std::reverse(s.begin(), s.end());
  return s;
}

// The operator that held instead, so the message reads as a fact: "364 != 363".
std::string_view negation_text(Comparison c) {
  switch (c) {
    case Comparison::kEq:
      return "!=";
    case Comparison::kNe:
      return "==";
    case Comparison::kLe:
      return ">";
    case Comparison::kGe:
      return "<";
    case Comparison::kLt:
      return ">=";
    case Comparison::kGt:
      return "<=";
  }
  return "?";
}

}  // namespace

Result<RuleSet::Rule> compile_rule(std::string_view text, const Election& election) {
  return RuleParser(text, election).parse();
}

Result<std::vector<RuleSet::Term>> compile_sum(std::string_view text, const Election& election) {
  TL_ASSIGN_OR_RETURN(auto terms, RuleParser(text, election).parse_sum());
  for (const Term& t : terms) {
    if (t.kind == Term::Kind::kRegistered)
      return err(ErrorCode::kInvalidArgument, "\"registered\" is not a count of votes");
    if (t.kind == Term::Kind::kConstant && t.value != 0)
      return err(ErrorCode::kInvalidArgument, "a constant is not a count (figures add up over tables)");
  }
  return terms;
}

Result<RuleSet> compile_flag_rules(const Election& election) {
  std::vector<RuleSet::Rule> rules;
  rules.reserve(election.flags.size());
  for (size_t i = 0; i < election.flags.size(); ++i) {
    auto rule = compile_rule(election.flags[i].rule, election);
    if (!rule) {
      return err(ErrorCode::kInvalidArgument,
                 fmt::format("flags[{}] \"{}\": {}", i, election.flags[i].rule, rule.error().message));
    }
    rules.push_back(std::move(*rule));
  }
  return RuleSet(std::move(rules));
}

Result<RuleSet> compile_rules(const Election& election) {
  std::vector<RuleSet::Rule> rules;
  rules.reserve(election.rules.size());
  for (size_t i = 0; i < election.rules.size(); ++i) {
    auto rule = compile_rule(election.rules[i], election);
    if (!rule) {
      return err(ErrorCode::kInvalidArgument,
                 fmt::format("rules[{}] \"{}\": {}", i, election.rules[i], rule.error().message));
    }
    rules.push_back(std::move(*rule));
  }
  return RuleSet(std::move(rules));
}

namespace {

// Whether every field the rule uses is reported by the sheet.
bool uses(const RuleSet::Rule& r, RuleSet::Term::Kind kind) {
  for (const auto* side : {&r.lhs, &r.rhs}) {
    for (const RuleSet::Term& t : *side) {
      if (t.kind == kind) return true;
    }
  }
  return false;
}

// Whether every field the rule uses is reported by the sheet, and the station's registered voters
// are known if it uses them.
bool checkable(const RuleSet::Rule& r, const RuleInputs& in) {
  if (!in.registered_known && uses(r, RuleSet::Term::Kind::kRegistered)) return false;
  if (in.field_known.empty()) return true;
  for (const auto* side : {&r.lhs, &r.rhs}) {
    for (const RuleSet::Term& t : *side) {
      if (t.kind == RuleSet::Term::Kind::kField && !in.field_known[static_cast<size_t>(t.value)]) return false;
    }
  }
  return true;
}

bool holds(const RuleSet::Rule& r, const RuleInputs& in, __int128& a, __int128& b) {
  if (!checkable(r, in)) return true;  // unknown counts: nothing to check
  a = sum_terms(r.lhs, in);
  b = sum_terms(r.rhs, in);
  switch (r.comparison) {
    case Comparison::kEq:
      return a == b;
    case Comparison::kNe:
      return a != b;
    case Comparison::kLe:
      return a <= b;
    case Comparison::kGe:
      return a >= b;
    case Comparison::kLt:
      return a < b;
    case Comparison::kGt:
      return a > b;
  }
  return false;
}

}  // namespace

bool RuleSet::uses_registered(size_t i) const { return uses(rules_[i], Term::Kind::kRegistered); }

void RuleSet::check_all(const RuleInputs& in, std::vector<RuleFailure>& out) const {
  for (size_t i = 0; i < rules_.size(); ++i) {
    __int128 a = 0, b = 0;
    if (holds(rules_[i], in, a, b)) continue;
    out.push_back(RuleFailure{i, fmt::format("rule \"{}\" fails: {} {} {}", rules_[i].text, int128_string(a),
                                             negation_text(rules_[i].comparison), int128_string(b))});
  }
}

std::optional<RuleFailure> RuleSet::check(const RuleInputs& in) const {
  for (size_t i = 0; i < rules_.size(); ++i) {
    __int128 a = 0, b = 0;
    if (holds(rules_[i], in, a, b)) continue;
    return RuleFailure{i, fmt::format("rule \"{}\" fails: {} {} {}", rules_[i].text, int128_string(a),
                                      negation_text(rules_[i].comparison), int128_string(b))};
  }
  return std::nullopt;
}

}  // namespace tallylog::election
