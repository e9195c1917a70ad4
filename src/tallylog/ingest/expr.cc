#include "tallylog/ingest/expr.h"

#include <algorithm>
#include <atomic>
#include <charconv>

namespace tallylog::ingest {
namespace {

using Op = ExprProgram::Op;
using Node = ExprProgram::Node;

constexpr size_t kMaxExpressionBytes = 4096;
constexpr int kMaxDepth = 32;
// Operations chained in one expression ("a - -b + c ..."): evaluation recurses once per level, so
// a hostile 4 KB expression of 2,000 minus signs must not exhaust the stack (found by fuzzing).
constexpr uint32_t kMaxChain = 256;
constexpr size_t kMaxNodes = 100000;
constexpr int kMaxPad = 32;
constexpr size_t kMaxTextBytes = 1 << 20;  // a computed text (concat, replace) may not grow beyond this

bool ident_start(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80; }
bool ident_char(unsigned char c) { return ident_start(c) || (c >= '0' && c <= '9'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string quoted(std::string_view s) {
  constexpr size_t kShown = 64;
  if (s.size() <= kShown) return "'" + std::string(s) + "'";
  size_t cut = kShown;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // whole code points only
  return "'" + std::string(s.substr(0, cut)) + "...'";
}

// Code points of valid UTF-8 text (the CSV reader and the TOML parser only let valid UTF-8 in).
size_t code_points(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// Byte offset of code point `k` (or s.size() when k >= code_points(s)).
size_t byte_offset(std::string_view s, size_t k) {
  size_t i = 0;
  while (i < s.size() && k > 0) {
    ++i;
    while (i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) ++i;
    --k;
  }
  return i;
}

ExprValue text_value(std::string_view s) { return ExprValue{ExprValue::Kind::kText, s, 0}; }
ExprValue int_value(int64_t v) { return ExprValue{ExprValue::Kind::kInt, {}, v}; }
ExprValue absent_value() { return ExprValue{}; }

std::unexpected<ExprError> fail(std::string_view column, std::string reason) {
  return std::unexpected(ExprError{std::string(column), std::move(reason)});
}

// Strict decimal integer: optional '-', 1-18 digits.
std::expected<int64_t, std::string> strict_int(std::string_view s) {
  bool negative = !s.empty() && s[0] == '-';
  std::string_view digits = negative ? s.substr(1) : s;
  if (digits.empty()) return std::unexpected(quoted(s) + " is not a whole number");
  if (digits.size() > 18) {
    for (char c : digits)
      if (!is_digit(c)) return std::unexpected(quoted(s) + " is not a whole number");
    return std::unexpected(quoted(s) + " is too large");
  }
  int64_t v = 0;
  for (char c : digits) {
    if (!is_digit(c)) return std::unexpected(quoted(s) + " is not a whole number");
    v = v * 10 + (c - '0');
  }
  return negative ? -v : v;
}

// int(x, sep): "14.0" -> 14, "1,234" -> 1234 (sep ","), " 7 " -> 7, "" -> absent.
std::expected<std::optional<int64_t>, std::string> normalise_int(std::string_view s, std::string_view sep) {
  const std::string_view original = s;
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  if (s.empty()) return std::optional<int64_t>();
  bool negative = false;
  if (s[0] == '-' || s[0] == '+') {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  const char mark = sep == "." ? ',' : '.';
  std::string digits;
  size_t group = 0;      // digits in the current group
  size_t groups = 0;     // separators seen
  size_t i = 0;
  for (; i < s.size(); ++i) {
    if (is_digit(s[i])) {
      digits.push_back(s[i]);
      ++group;
      continue;
    }
    if (!sep.empty() && s.substr(i).starts_with(sep)) {
      if (group == 0 || (groups == 0 ? group > 3 : group != 3))
        return std::unexpected(quoted(original) + " has a misplaced thousands separator '" + std::string(sep) + "'");
      ++groups;
      group = 0;
      i += sep.size() - 1;
      continue;
    }
    break;
  }
  if (digits.empty()) return std::unexpected(quoted(original) + " is not a number");
  if (groups > 0 && group != 3)
    return std::unexpected(quoted(original) + " has a misplaced thousands separator '" + std::string(sep) + "'");
  if (i < s.size()) {
    if (s[i] != mark || i + 1 == s.size()) return std::unexpected(quoted(original) + " is not a number");
    for (size_t j = i + 1; j < s.size(); ++j) {
      if (!is_digit(s[j])) return std::unexpected(quoted(original) + " is not a number");
      if (s[j] != '0') return std::unexpected(quoted(original) + " is not a whole number");
    }
  }
  size_t first = digits.find_first_not_of('0');
  if (first == std::string::npos) return std::optional<int64_t>(0);
  if (digits.size() - first > 18) return std::unexpected(quoted(original) + " is too large");
  int64_t v = 0;
  for (size_t j = first; j < digits.size(); ++j) v = v * 10 + (digits[j] - '0');
  return std::optional<int64_t>(negative ? -v : v);
}

std::atomic<uint64_t> g_serial{0};

Node make_node(Op op, std::vector<ExprId> args = {}, std::string text = {}, int64_t num = 0, std::string why = {}) {
  Node n;
  n.op = op;
  n.args = std::move(args);
  n.text = std::move(text);
  n.num = num;
  n.why = std::move(why);
  return n;
}

}  // namespace

// ---- parsing ---------------------------------------------------------------------------------

class ExprParser {
 public:
  ExprParser(ExprProgram& program, std::string_view text, std::string_view kind)
      : p_(program), text_(text), kind_(kind) {}

  Result<ExprId> whole_expression() {
    TL_TRY(check_size());
    TL_ASSIGN_OR_RETURN(ExprId id, sum());
    skip_spaces();
    if (pos_ != text_.size()) return error(pos_, "unexpected '" + std::string(1, text_[pos_]) + "'");
    TL_TRY(check_chain(id));
    return id;
  }

  Result<ExprId> whole_template() {
    TL_TRY(check_size());
    std::vector<ExprId> parts;
    std::string literal;
    auto flush_literal = [&] {
      if (!literal.empty()) parts.push_back(p_.intern(make_node(Op::kText, {}, std::move(literal))));
      literal.clear();
    };
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c == '}') {
        if (pos_ + 1 < text_.size() && text_[pos_ + 1] == '}') {
          literal.push_back('}');
          pos_ += 2;
          continue;
        }
        return error(pos_, "'}' without '{' (write '}}' for a literal brace)");
      }
      if (c != '{') {
        literal.push_back(c);
        ++pos_;
        continue;
      }
      if (pos_ + 1 < text_.size() && text_[pos_ + 1] == '{') {
        literal.push_back('{');
        pos_ += 2;
        continue;
      }
      const size_t open = pos_++;
      skip_spaces();
      if (pos_ < text_.size() && text_[pos_] == '}') return error(open, "empty '{}'");
      const size_t mark = p_.nodes_.size();
      auto parsed = sum();
      skip_spaces();
      if (!parsed || pos_ >= text_.size() || (text_[pos_] != ':' && text_[pos_] != '}')) {
        // Not an expression: read it as the mappings before expressions did, a header text up to
        // '}' (with an optional :0N). bind() reports the parse error if no header matches.
        const size_t close = text_.find('}', open);
        if (close == std::string_view::npos) return error(open, "'{' without '}'");
        std::string_view inner = text_.substr(open + 1, close - open - 1);
        const size_t colon = inner.find(':');
        std::string why = parsed ? "column " + std::to_string(pos_ + 1) + ": expected ':' or '}'"
                                 : parsed.error().message;
        p_.truncate(mark);
        ExprId raw = p_.intern(make_node(Op::kColumn, {}, std::string(inner.substr(0, colon)), 0, std::move(why)));
        pos_ = open + 1 + (colon == std::string_view::npos ? inner.size() : colon);
        parsed = raw;
      }
      ExprId part = *parsed;
      if (pos_ < text_.size() && text_[pos_] == ':') {
        const size_t spec_start = ++pos_;
        while (pos_ < text_.size() && text_[pos_] != '}') ++pos_;
        std::string_view spec = text_.substr(spec_start, pos_ - spec_start);
        int width = 0;
        auto [ptr, ec] = std::from_chars(spec.data(), spec.data() + spec.size(), width);
        if (spec.size() < 2 || spec[0] != '0' || ec != std::errc() || ptr != spec.data() + spec.size() || width < 1 ||
            width > kMaxPad)
          return error(spec_start, "format '" + std::string(spec) + "' is not 0N (zero-pad to N digits, N <= 32)");
        part = p_.intern(make_node(Op::kPad, {part}, {}, width));
      }
      if (pos_ >= text_.size() || text_[pos_] != '}') return error(open, "'{' without '}'");
      ++pos_;
      flush_literal();
      parts.push_back(part);
    }
    flush_literal();
    if (parts.empty()) return p_.intern(make_node(Op::kText, {}, ""));
    ExprId id = parts.size() == 1 ? parts[0] : p_.intern(make_node(Op::kConcat, std::move(parts)));
    TL_TRY(check_chain(id));
    return id;
  }

 private:
  Status check_chain(ExprId id) const {
    if (p_.depth_[id] > kMaxChain)
      return error(0, "more than " + std::to_string(kMaxChain) + " operations chained (" + std::to_string(p_.depth_[id]) +
                          "): split it");
    return ok();
  }

  Status check_size() const {
    if (text_.size() > kMaxExpressionBytes)
      return err(ErrorCode::kInvalidArgument, std::string(kind_) + " is " + std::to_string(text_.size()) +
                                                  " bytes long, at most " + std::to_string(kMaxExpressionBytes));
    if (p_.nodes_.size() > kMaxNodes)
      return err(ErrorCode::kInvalidArgument, "the mapping has more than " + std::to_string(kMaxNodes) + " expression parts");
    return ok();
  }

  std::unexpected<Error> error(size_t at, const std::string& what) const {
    return err(ErrorCode::kInvalidArgument,
               std::string(kind_) + " \"" + std::string(text_) + "\": column " + std::to_string(at + 1) + ": " + what);
  }

  void skip_spaces() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r'))
      ++pos_;
  }

  bool eat(char c) {
    skip_spaces();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  Result<ExprId> sum() {
    TL_ASSIGN_OR_RETURN(ExprId left, product());
    for (;;) {
      skip_spaces();
      if (pos_ >= text_.size() || (text_[pos_] != '+' && text_[pos_] != '-')) return left;
      const Op op = text_[pos_++] == '+' ? Op::kAdd : Op::kSub;
      TL_ASSIGN_OR_RETURN(ExprId right, product());
      left = p_.intern(make_node(op, {left, right}));
    }
  }

  Result<ExprId> product() {
    TL_ASSIGN_OR_RETURN(ExprId left, unary());
    while (eat('*')) {
      TL_ASSIGN_OR_RETURN(ExprId right, unary());
      left = p_.intern(make_node(Op::kMul, {left, right}));
    }
    return left;
  }

  // Leading minus signs are counted, not recursed into: "- - - x" of a hostile length costs no stack.
  Result<ExprId> unary() {
    size_t minuses = 0;
    while (eat('-')) ++minuses;
    TL_ASSIGN_OR_RETURN(ExprId id, primary());
    for (; minuses > 0; --minuses) {
      const Node& n = p_.nodes_[id];
      id = n.op == Op::kInt ? p_.intern(make_node(Op::kInt, {}, {}, -n.num)) : p_.intern(make_node(Op::kNeg, {id}));
    }
    return id;
  }

  Result<ExprId> primary() {
    if (++depth_ > kMaxDepth) return error(pos_, "nested more than " + std::to_string(kMaxDepth) + " deep");
    struct Leave {
      int& d;
      ~Leave() { --d; }
    } leave{depth_};
    skip_spaces();
    if (pos_ >= text_.size()) return error(pos_, "expected a value at the end");
    const size_t start = pos_;
    const char c = text_[pos_];
    if (c == '(') {
      ++pos_;
      TL_ASSIGN_OR_RETURN(ExprId inner, sum());
      if (!eat(')')) return error(pos_, "expected ')'");
      return inner;
    }
    if (is_digit(c)) {
      while (pos_ < text_.size() && is_digit(text_[pos_])) ++pos_;
      if (pos_ < text_.size() && ident_char(static_cast<unsigned char>(text_[pos_])))
        return error(start, "malformed number (a column name must not start with a digit; use col(\"...\"))");
      auto v = strict_int(text_.substr(start, pos_ - start));
      if (!v) return error(start, v.error());
      return p_.intern(make_node(Op::kInt, {}, {}, *v));
    }
    if (c == '\'' || c == '"') return string_literal();
    if (c == '$') {
      ++pos_;
      const size_t digits = pos_;
      while (pos_ < text_.size() && is_digit(text_[pos_])) ++pos_;
      int64_t n = 0;
      auto [ptr, ec] = std::from_chars(text_.data() + digits, text_.data() + pos_, n);
      if (digits == pos_ || ec != std::errc() || n < 1 || n > 100000)
        return error(start, "expected a column position after '$' ($1 is the first column)");
      return p_.intern(make_node(Op::kColumn, {}, "$" + std::to_string(n), n));
    }
    if (!ident_start(static_cast<unsigned char>(c))) return error(start, "unexpected '" + std::string(1, c) + "'");
    while (pos_ < text_.size() && ident_char(static_cast<unsigned char>(text_[pos_]))) ++pos_;
    std::string name(text_.substr(start, pos_ - start));
    skip_spaces();
    if (pos_ < text_.size() && text_[pos_] == '(') {
      ++pos_;
      std::vector<ExprId> args;
      std::vector<size_t> at;
      skip_spaces();
      if (!eat(')')) {
        for (;;) {
          skip_spaces();
          at.push_back(pos_);
          TL_ASSIGN_OR_RETURN(ExprId a, sum());
          args.push_back(a);
          if (eat(')')) break;
          if (!eat(',')) return error(pos_, "expected ',' or ')'");
        }
      }
      return call(name, start, std::move(args), at);
    }
    return p_.intern(make_node(Op::kColumn, {}, std::move(name)));
  }

  Result<ExprId> string_literal() {
    const char q = text_[pos_];
    const size_t start = pos_++;
    std::string out;
    for (;;) {
      if (pos_ >= text_.size()) return error(start, std::string("unterminated string (doubled ") + q + q + " is a quote)");
      if (text_[pos_] == q) {
        if (pos_ + 1 < text_.size() && text_[pos_ + 1] == q) {
          out.push_back(q);
          pos_ += 2;
          continue;
        }
        ++pos_;
        return p_.intern(make_node(Op::kText, {}, std::move(out)));
      }
      out.push_back(text_[pos_++]);
    }
  }

  // A literal argument (text or integer) of a function, for parameters fixed at parse time.
  Result<const Node*> literal(std::string_view fn, size_t i, const std::vector<ExprId>& args,
                              const std::vector<size_t>& at, Op want) {
    const Node& n = p_.nodes_[args[i]];
    if (n.op != want)
      return error(at[i], fn.empty() ? "expected a literal"
                                     : std::string(fn) + "(): argument " + std::to_string(i + 1) + " must be " +
                                           (want == Op::kText ? "a quoted string" : "an integer"));
    return &n;
  }

  Result<ExprId> call(const std::string& fn, size_t start, std::vector<ExprId> args, const std::vector<size_t>& at) {
    auto arity = [&](size_t lo, size_t hi) -> Status {
      if (args.size() >= lo && args.size() <= hi) return ok();
      std::string want = lo == hi ? std::to_string(lo) : std::to_string(lo) + " to " + std::to_string(hi);
      return error(start, fn + "() takes " + want + " arguments, got " + std::to_string(args.size()));
    };
    auto simple = [&](Op op, size_t lo, size_t hi) -> Result<ExprId> {
      TL_TRY(arity(lo, hi));
      return p_.intern(make_node(op, std::move(args)));
    };
    if (fn == "col") {
      TL_TRY(arity(1, 1));
      TL_ASSIGN_OR_RETURN(const Node* n, literal(fn, 0, args, at, Op::kText));
      if (n->text.empty()) return error(at[0], "col(): the column name is empty");
      return p_.intern(make_node(Op::kColumn, {}, n->text));
    }
    if (fn == "left") return simple(Op::kLeft, 2, 2);
    if (fn == "right") return simple(Op::kRight, 2, 2);
    if (fn == "substr") return simple(Op::kSubstr, 2, 3);
    if (fn == "trim") return simple(Op::kTrim, 1, 1);
    if (fn == "upper") return simple(Op::kUpper, 1, 1);
    if (fn == "lower") return simple(Op::kLower, 1, 1);
    if (fn == "coalesce") return simple(Op::kCoalesce, 1, 64);
    if (fn == "concat") return simple(Op::kConcat, 1, 64);
    if (fn == "split") {
      TL_TRY(arity(3, 3));
      TL_ASSIGN_OR_RETURN(const Node* sep, literal(fn, 1, args, at, Op::kText));
      if (sep->text.empty()) return error(at[1], "split(): the separator is empty");
      TL_ASSIGN_OR_RETURN(const Node* index, literal(fn, 2, args, at, Op::kInt));
      return p_.intern(make_node(Op::kSplit, {args[0]}, sep->text, index->num));
    }
    if (fn == "replace") {
      TL_TRY(arity(3, 3));
      TL_ASSIGN_OR_RETURN(const Node* from, literal(fn, 1, args, at, Op::kText));
      if (from->text.empty()) return error(at[1], "replace(): the text to replace is empty");
      return p_.intern(make_node(Op::kReplace, {args[0], args[2]}, from->text));
    }
    if (fn == "pad") {
      TL_TRY(arity(2, 2));
      TL_ASSIGN_OR_RETURN(const Node* width, literal(fn, 1, args, at, Op::kInt));
      if (width->num < 1 || width->num > kMaxPad) return error(at[1], "pad(): the width must be 1 to 32");
      return p_.intern(make_node(Op::kPad, {args[0]}, {}, width->num));
    }
    if (fn == "int") {
      TL_TRY(arity(1, 2));
      std::string sep;
      if (args.size() == 2) {
        TL_ASSIGN_OR_RETURN(const Node* s, literal(fn, 1, args, at, Op::kText));
        if (s->text.empty() || s->text.size() > 4 || is_digit(s->text[0]) || s->text[0] == '-' || s->text[0] == '+')
          return error(at[1], "int(): the thousands separator must be 1-4 bytes and not a digit or sign");
        sep = s->text;
      }
      return p_.intern(make_node(Op::kToInt, {args[0]}, std::move(sep)));
    }
    if (fn == "match") {
      TL_TRY(arity(2, 3));
      TL_ASSIGN_OR_RETURN(const Node* re, literal(fn, 1, args, at, Op::kText));
      auto regex = Regex::compile(re->text);
      if (!regex) return error(at[1], regex.error().message);
      int64_t group = (*regex)->group_count() > 0 ? 1 : 0;
      if (args.size() == 3) {
        TL_ASSIGN_OR_RETURN(const Node* g, literal(fn, 2, args, at, Op::kInt));
        group = g->num;
        if (group < 0 || static_cast<size_t>(group) > (*regex)->group_count())
          return error(at[2], "match(): the regex has " + std::to_string((*regex)->group_count()) +
                                  " groups, there is no group " + std::to_string(group));
      }
      Node exec = make_node(Op::kMatchExec, {args[0]}, re->text);
      exec.regex = *regex;
      ExprId e = p_.intern(std::move(exec));
      return p_.intern(make_node(Op::kMatchGroup, {e}, {}, group));
    }
    if (fn == "lookup") {
      TL_TRY(arity(2, 3));
      TL_ASSIGN_OR_RETURN(const Node* name, literal(fn, 0, args, at, Op::kText));
      auto it = p_.lookups_.find(name->text);
      if (it == p_.lookups_.end()) {
        std::string known;
        for (const auto& [k, v] : p_.lookups_) known += (known.empty() ? "" : ", ") + k;
        return error(at[0], "lookup(): no lookup table '" + name->text + "' (declare it as [lookups." + name->text +
                                "]" + (known.empty() ? "" : "; declared: " + known) + ")");
      }
      const LookupTable& table = *it->second;
      std::optional<size_t> column;
      if (args.size() == 3) {
        TL_ASSIGN_OR_RETURN(const Node* col, literal(fn, 2, args, at, Op::kText));
        column = table.column(col->text);
        if (!column) {
          std::string known;
          for (const auto& c : table.columns()) known += (known.empty() ? "" : ", ") + c;
          return error(at[2], "lookup(): table '" + name->text + "' has no column '" + col->text + "' (it has " +
                                  known + ")");
        }
      } else {
        column = table.single_value_column();
        if (!column)
          return error(start, "lookup(): table '" + name->text + "' has " + std::to_string(table.columns().size()) +
                                  " columns; name the one to read as the third argument");
      }
      Node n = make_node(Op::kLookup, {args[1]}, name->text, static_cast<int64_t>(*column));
      n.lookup = it->second;
      return p_.intern(std::move(n));
    }
    return error(start, "unknown function '" + fn +
                            "' (known: col, left, right, substr, split, match, replace, trim, upper, lower, pad, int, "
                            "concat, coalesce, lookup)");
  }

  ExprProgram& p_;
  std::string_view text_;
  std::string_view kind_;
  size_t pos_ = 0;
  int depth_ = 0;
};

ExprId ExprProgram::intern(Node n) {
  std::string key;
  key.push_back(static_cast<char>(n.op));
  key += std::to_string(n.num);
  key.push_back('|');
  for (ExprId a : n.args) key += std::to_string(a) + ",";
  key.push_back('|');
  key += n.text;
  auto it = interned_.find(key);
  if (it != interned_.end()) return it->second;
  const ExprId id = static_cast<ExprId>(nodes_.size());
  uint32_t depth = 1;
  for (ExprId a : n.args) depth = std::max(depth, depth_[a] + 1);  // arguments come first
  nodes_.push_back(std::move(n));
  depth_.push_back(depth);
  interned_.emplace(std::move(key), id);
  bound_ = false;
  return id;
}

Result<ExprId> ExprProgram::parse_expression(std::string_view text) {
  const size_t mark = nodes_.size();
  auto id = ExprParser(*this, text, "expression").whole_expression();
  if (!id) truncate(mark);
  return id;
}

Result<ExprId> ExprProgram::parse_count(std::string_view text) {
  auto id = parse_expression(text);
  if (id || text.empty() || text.size() > kMaxExpressionBytes || text.find('{') != std::string_view::npos) return id;
  // Before expressions, a count was a header's text: keep reading it so. bind() reports the
  // parse error if no header matches.
  return intern(make_node(Op::kColumn, {}, std::string(text), 0, id.error().message));
}

ExprId ExprProgram::column(std::string name) { return intern(make_node(Op::kColumn, {}, std::move(name))); }

Result<ExprId> ExprProgram::parse_template(std::string_view text) {
  const size_t mark = nodes_.size();
  auto id = ExprParser(*this, text, "template").whole_template();
  if (!id) truncate(mark);
  return id;
}

void ExprProgram::truncate(size_t size) {
  if (size >= nodes_.size()) return;
  nodes_.resize(size);
  depth_.resize(size);
  std::erase_if(interned_, [&](const auto& kv) { return kv.second >= size; });
}

Status ExprProgram::bind(std::span<const std::string> header, std::span<const ExprId> roots) {
  // Only what the roots use: a count overridden by a header of the same text leaves its parsed
  // form unused, and an unused column must not stop the import.
  std::vector<char> used(nodes_.size(), 0);
  std::vector<ExprId> stack(roots.begin(), roots.end());
  while (!stack.empty()) {
    ExprId id = stack.back();
    stack.pop_back();
    if (used[id]) continue;
    used[id] = 1;
    for (ExprId a : nodes_[id].args) stack.push_back(a);
  }
  std::vector<std::string> problems;
  for (ExprId id = 0; id < nodes_.size(); ++id) {
    Node& n = nodes_[id];
    if (n.op != Op::kColumn || !used[id]) continue;
    if (n.num > 0) {
      if (static_cast<size_t>(n.num) > header.size()) {
        problems.push_back("no column " + n.text + " (the header has " + std::to_string(header.size()) + ")");
        continue;
      }
      n.column = static_cast<size_t>(n.num - 1);
      continue;
    }
    size_t found = SIZE_MAX, count = 0;
    for (size_t i = 0; i < header.size(); ++i) {
      if (header[i] == n.text) {
        if (found == SIZE_MAX) found = i;
        ++count;
      }
    }
    if (count == 0) {
      problems.push_back("no column '" + n.text + "'" +
                         (n.why.empty() ? "" : " (and it is not an expression: " + n.why + ")"));
    } else if (count > 1) {
      problems.push_back("column '" + n.text + "' appears " + std::to_string(count) +
                         " times (refer to one by position: $" + std::to_string(found + 1) + ")");
    }
    n.column = found;
  }
  if (!problems.empty()) {
    // "the CSV header has no column 'X'; no column 'Y'": every problem in one message.
    std::string msg = "the CSV header has ";
    for (size_t i = 0; i < problems.size(); ++i) msg += (i ? "; " : "") + problems[i];
    return err(ErrorCode::kInvalidArgument, msg);
  }
  bound_ = true;
  serial_ = ++g_serial;
  return ok();
}

std::string_view ExprProgram::column_name(ExprId id) const {
  const Node& n = nodes_[id];
  return n.op == Op::kColumn ? std::string_view(n.text) : std::string_view();
}

bool ExprProgram::reads_columns(ExprId id) const {
  const Node& n = nodes_[id];
  if (n.op == Op::kColumn) return true;
  return std::any_of(n.args.begin(), n.args.end(), [&](ExprId a) { return reads_columns(a); });
}

// ---- evaluation ------------------------------------------------------------------------------

struct ExprEvaluator::Slot {
  uint64_t stamp = 0;
  ExprValue value;
  std::string buf;     // text this node computed
  std::string tmp[2];  // integer arguments formatted as text
  std::vector<std::pair<size_t, size_t>> groups;  // kMatchExec
  std::unique_ptr<RegexMatcher> matcher;          // kMatchExec
};

ExprEvaluator::ExprEvaluator() = default;
ExprEvaluator::~ExprEvaluator() = default;

void ExprEvaluator::begin_row(const ExprProgram& program, std::span<const std::string> row) {
  if (program_ != &program || serial_ != program.serial() || slots_.size() != program.size()) {
    program_ = &program;
    serial_ = program.serial();
    slots_.clear();
    slots_.resize(program.size());
    stamp_ = 0;
  }
  row_ = row;
  ++stamp_;
}

std::expected<ExprValue, ExprError> ExprEvaluator::to_int(const ExprValue& v, std::string_view column) {
  if (v.kind != ExprValue::Kind::kText) return v;
  if (v.text.empty()) return absent_value();
  auto n = strict_int(v.text);
  if (!n) return fail(column, n.error());
  return int_value(*n);
}

std::expected<ExprValue, ExprError> ExprEvaluator::eval(ExprId id) {
  Slot& s = slots_[id];
  if (s.stamp == stamp_) return s.value;
  auto v = compute(id, s);
  if (v) {
    s.value = *v;
    s.stamp = stamp_;
  }
  return v;
}

std::expected<ExprValue, ExprError> ExprEvaluator::int_arg(ExprId id) {
  auto v = eval(id);
  if (!v) return v;
  return to_int(*v, program_->column_name(id));
}

std::expected<ExprValue, ExprError> ExprEvaluator::text_arg(ExprId id, std::string& scratch) {
  auto v = eval(id);
  if (!v || v->kind != ExprValue::Kind::kInt) return v;
  scratch = std::to_string(v->num);
  return text_value(scratch);
}

std::expected<ExprValue, ExprError> ExprEvaluator::compute(ExprId id, Slot& s) {
  const Node& n = program_->node(id);
  auto col = [&](size_t arg) { return program_->column_name(n.args[arg]); };
  switch (n.op) {
    case Op::kColumn:
      return text_value(row_[n.column]);
    case Op::kText:
      return text_value(n.text);
    case Op::kInt:
      return int_value(n.num);
    case Op::kNeg: {
      auto a = int_arg(n.args[0]);
      if (!a || a->absent()) return a;
      if (a->num == INT64_MIN) return fail("", "arithmetic overflow");
      return int_value(-a->num);
    }
    case Op::kAdd:
    case Op::kSub:
    case Op::kMul: {
      auto a = int_arg(n.args[0]);
      if (!a) return a;
      auto b = int_arg(n.args[1]);
      if (!b) return b;
      if (a->absent() || b->absent()) return absent_value();
      int64_t r = 0;
      bool overflow = n.op == Op::kAdd   ? __builtin_add_overflow(a->num, b->num, &r)
                      : n.op == Op::kSub ? __builtin_sub_overflow(a->num, b->num, &r)
                                         : __builtin_mul_overflow(a->num, b->num, &r);
      if (overflow) return fail("", "arithmetic overflow");
      return int_value(r);
    }
    case Op::kConcat: {
      // Children first: their text may live in their own buffers, never in ours.
      std::string& out = s.buf;
      out.clear();
      bool absent = false;
      for (ExprId a : n.args) {
        auto v = eval(a);
        if (!v) return v;
        if (v->absent()) absent = true;
      }
      if (absent) return absent_value();
      for (ExprId a : n.args) {
        const ExprValue& v = slots_[a].value;
        if (v.kind == ExprValue::Kind::kInt) {
          char buf[24];
          auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v.num);
          out.append(buf, end);
        } else {
          out.append(v.text);
        }
        if (out.size() > kMaxTextBytes) return fail("", "the text grows beyond 1 MiB");
      }
      return text_value(out);
    }
    case Op::kPad: {
      auto v = eval(n.args[0]);
      if (!v || v->absent()) return v;
      std::string_view digits;
      if (v->kind == ExprValue::Kind::kInt) {
        if (v->num < 0) return fail(col(0), std::to_string(v->num) + " is negative; it cannot be zero-padded");
        s.tmp[0] = std::to_string(v->num);
        digits = s.tmp[0];
      } else {
        digits = v->text;
        if (digits.empty()) return fail(col(0), "is empty");
        for (char c : digits)
          if (!is_digit(c)) return fail(col(0), quoted(digits) + " is not a whole number");
      }
      if (digits.size() > static_cast<size_t>(n.num))
        return fail(col(0), quoted(digits) + " has more than " + std::to_string(n.num) + " digits");
      if (digits.size() == static_cast<size_t>(n.num)) return text_value(digits);
      s.buf.assign(static_cast<size_t>(n.num) - digits.size(), '0');
      s.buf.append(digits);
      return text_value(s.buf);
    }
    case Op::kLeft:
    case Op::kRight:
    case Op::kSubstr: {
      auto t = text_arg(n.args[0], s.tmp[0]);
      if (!t || t->absent()) return t;
      auto a = int_arg(n.args[1]);
      if (!a) return a;
      if (a->absent()) return absent_value();
      std::optional<int64_t> len;
      if (n.op == Op::kSubstr && n.args.size() == 3) {
        auto l = int_arg(n.args[2]);
        if (!l) return l;
        if (l->absent()) return absent_value();
        if (l->num < 0) return fail("", "substr(): the length " + std::to_string(l->num) + " is negative");
        len = l->num;
      }
      const std::string_view text = t->text;
      const int64_t size = static_cast<int64_t>(code_points(text));
      int64_t begin = 0, count = 0;
      if (n.op == Op::kLeft || n.op == Op::kRight) {
        if (a->num < 0) return fail("", std::string(n.op == Op::kLeft ? "left" : "right") + "(): the count is negative");
        if (a->num > size)
          return fail(col(0), quoted(text) + " has " + std::to_string(size) + " characters, fewer than " +
                                  std::to_string(a->num));
        begin = n.op == Op::kLeft ? 0 : size - a->num;
        count = a->num;
      } else {
        begin = a->num < 0 ? size + a->num : a->num;
        if (begin < 0 || begin > size)
          return fail(col(0), quoted(text) + " has " + std::to_string(size) + " characters; substr() starts at " +
                                  std::to_string(a->num));
        count = len ? *len : size - begin;
        if (begin + count > size)
          return fail(col(0), quoted(text) + " has " + std::to_string(size) + " characters, fewer than " +
                                  std::to_string(begin + count));
      }
      const size_t from = byte_offset(text, static_cast<size_t>(begin));
      const size_t to = from + byte_offset(text.substr(from), static_cast<size_t>(count));
      return text_value(text.substr(from, to - from));
    }
    case Op::kSplit: {
      auto t = text_arg(n.args[0], s.tmp[0]);
      if (!t || t->absent()) return t;
      const std::string_view text = t->text;
      std::vector<std::pair<size_t, size_t>>& parts = s.groups;
      parts.clear();
      size_t start = 0;
      for (;;) {
        size_t at = text.find(n.text, start);
        if (at == std::string_view::npos) {
          parts.emplace_back(start, text.size() - start);
          break;
        }
        parts.emplace_back(start, at - start);
        start = at + n.text.size();
      }
      const int64_t count = static_cast<int64_t>(parts.size());
      const int64_t i = n.num < 0 ? count + n.num : n.num;
      if (i < 0 || i >= count)
        return fail(col(0), quoted(text) + " has " + std::to_string(count) + " parts separated by '" + n.text +
                                "', there is no part " + std::to_string(n.num));
      return text_value(text.substr(parts[i].first, parts[i].second));
    }
    case Op::kMatchExec: {
      auto t = text_arg(n.args[0], s.tmp[0]);
      if (!t || t->absent()) return t;
      if (!s.matcher) s.matcher = std::make_unique<RegexMatcher>(n.regex);
      auto found = s.matcher->search(t->text, s.groups);
      if (!found) return fail(col(0), found.error().message);
      if (!*found) return fail(col(0), quoted(t->text) + " does not match the regex \"" + n.text + "\"");
      return *t;
    }
    case Op::kMatchGroup: {
      auto e = eval(n.args[0]);
      if (!e || e->absent()) return e;
      const auto& [at, len] = slots_[n.args[0]].groups[static_cast<size_t>(n.num)];
      if (at == std::string_view::npos) return absent_value();
      return text_value(e->text.substr(at, len));
    }
    case Op::kReplace: {
      auto t = text_arg(n.args[0], s.tmp[0]);
      if (!t || t->absent()) return t;
      auto to = text_arg(n.args[1], s.tmp[1]);
      if (!to) return to;
      if (to->absent()) return absent_value();
      std::string& out = s.buf;
      out.clear();
      size_t start = 0;
      for (;;) {
        size_t at = t->text.find(n.text, start);
        if (at == std::string_view::npos) break;
        out.append(t->text.substr(start, at - start));
        out.append(to->text);
        if (out.size() > kMaxTextBytes) return fail("", "the text grows beyond 1 MiB");
        start = at + n.text.size();
      }
      out.append(t->text.substr(start));
      return text_value(out);
    }
    case Op::kTrim: {
      auto t = text_arg(n.args[0], s.tmp[0]);
      if (!t || t->absent()) return t;
      std::string_view v = t->text;
      auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
      while (!v.empty() && space(v.front())) v.remove_prefix(1);
      while (!v.empty() && space(v.back())) v.remove_suffix(1);
      return text_value(v);
    }
    case Op::kUpper:
    case Op::kLower: {
      auto t = text_arg(n.args[0], s.tmp[0]);
      if (!t || t->absent()) return t;
      s.buf.assign(t->text);
      for (char& c : s.buf) {
        if (n.op == Op::kUpper && c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
        if (n.op == Op::kLower && c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      }
      return text_value(s.buf);
    }
    case Op::kToInt: {
      auto v = eval(n.args[0]);
      if (!v || v->kind != ExprValue::Kind::kText) return v;
      auto r = normalise_int(v->text, n.text);
      if (!r) return fail(col(0), r.error());
      return *r ? int_value(**r) : absent_value();
    }
    case Op::kCoalesce: {
      for (ExprId a : n.args) {
        auto v = eval(a);
        if (!v) return v;
        if (v->kind == ExprValue::Kind::kInt || (v->kind == ExprValue::Kind::kText && !v->text.empty())) return v;
      }
      return absent_value();
    }
    case Op::kLookup: {
      auto k = text_arg(n.args[0], s.tmp[0]);
      if (!k || k->absent()) return k;
      const std::string* cell = n.lookup->find(k->text, static_cast<size_t>(n.num));
      if (!cell) return fail(col(0), quoted(k->text) + " is not a key of lookup '" + n.text + "'");
      return text_value(*cell);
    }
  }
  return fail("", "unknown expression node");
}

}  // namespace tallylog::ingest
