// The expression language of CSV mappings (grammar and examples: docs/formats/mapping-toml.md):
// how one CSV row's cells become station codes, area codes and names, registered voters and
// counts. Two forms:
//
//   expression   RE                          a column by name (an identifier)
//                col("Число избирателей") $4   a column by exact header text / by 1-based position
//                TOTAL - NULOS   2 * X   -X  integers with + - * (64-bit, overflow is an error)
//                'text' "text" 12            literals
//                left(ACTA, 12) split(tik, " ", 0) match(tik, "^(\d+) (.*)$", 2)
//                int(DISTRITO) int(VOTES, ",") lookup("states", COD_EDO) ...   functions
//   template     "{CENTRO:09}.{MESA:02}"     literal text with {expression} or {expression:0N}
//                                             (zero-padded to N digits) parts
//
// Values are text, integers or *absent* (nothing reported: an empty cell read as a number,
// int(""), a regex group that did not take part). Arithmetic and concatenation pass absent on.
//
// ExprProgram holds every expression of one mapping, parsed once: identical subexpressions are
// stored once (so `match(tik, re, 1)` and `match(tik, re, 2)` run the regex once per row), and
// bind() resolves column names to positions once per file. An ExprProgram is immutable after
// bind(); share it between threads. Evaluation state lives in an ExprEvaluator, one per thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tallylog/base/error.h"
#include "tallylog/ingest/lookup.h"
#include "tallylog/ingest/regex.h"

namespace tallylog::ingest {

using ExprId = uint32_t;

struct ExprValue {
  enum class Kind : uint8_t { kAbsent, kText, kInt };
  Kind kind = Kind::kAbsent;
  std::string_view text;  // kText: valid until the evaluator starts another row
  int64_t num = 0;        // kInt

  bool absent() const { return kind == Kind::kAbsent; }
};

// Why an expression failed on a row: the column whose value was wrong ("" when no single column
// is to blame) and a sentence.
struct ExprError {
  std::string column;
  std::string reason;
};

class ExprProgram {
 public:
  using Lookups = std::map<std::string, std::shared_ptr<const LookupTable>, std::less<>>;

  ExprProgram() = default;
  explicit ExprProgram(Lookups lookups) : lookups_(std::move(lookups)) {}

  // Parse errors quote the text and the 1-based column, e.g.
  //   expression "left(ACTA 12)": column 11: expected ',' or ')'.
  Result<ExprId> parse_expression(std::string_view text);
  Result<ExprId> parse_template(std::string_view text);
  // A count as mappings write it: an expression, or — when the text is not one — a header's
  // exact text (mappings before expressions wrote `registered = "VOTOS VALIDOS"`). Templates
  // read a {part} that is not an expression the same way. A header that does not exist is then
  // reported by bind() together with the parse error.
  Result<ExprId> parse_count(std::string_view text);
  // The column whose header is exactly `name`.
  ExprId column(std::string name);

  // Resolves the column references `roots` use against a CSV header. Every column that is
  // missing (or named twice in the header) is listed in the one error. Only `roots` (and what
  // they use) may be evaluated afterwards.
  Status bind(std::span<const std::string> header, std::span<const ExprId> roots);
  bool bound() const { return bound_; }

  // The column `id` is, when it is a bare column reference; otherwise "".
  std::string_view column_name(ExprId id) const;
  // Whether `id` reads any column at all (a code that reads none would be the same on every row).
  bool reads_columns(ExprId id) const;
  size_t size() const { return nodes_.size(); }

  enum class Op : uint8_t {
    kColumn, kText, kInt, kNeg, kAdd, kSub, kMul, kConcat, kPad,
    kLeft, kRight, kSubstr, kSplit, kMatchExec, kMatchGroup, kReplace, kTrim, kUpper, kLower,
    kToInt, kCoalesce, kLookup,
  };
  struct Node {
    Op op = Op::kText;
    std::vector<ExprId> args;
    std::string text;      // literal text, column name, separator, lookup name
    std::string why;       // kColumn read as a header's text because it did not parse: the error
    int64_t num = 0;       // literal, pad width, group, lookup column, $N position (1-based)
    size_t column = SIZE_MAX;  // kColumn after bind()
    std::shared_ptr<const Regex> regex;          // kMatchExec
    std::shared_ptr<const LookupTable> lookup;   // kLookup
  };
  const Node& node(ExprId id) const { return nodes_[id]; }
  uint64_t serial() const { return serial_; }

 private:
  friend class ExprParser;
  ExprId intern(Node n);
  void truncate(size_t size);  // forgets nodes [size, end): what a failed parse added

  Lookups lookups_;
  std::vector<Node> nodes_;
  std::vector<uint32_t> depth_;  // per node: the longest chain of nodes below it, itself included
  std::map<std::string, ExprId, std::less<>> interned_;
  bool bound_ = false;
  uint64_t serial_ = 0;  // distinct per bind(), so an evaluator notices a new program
};

// Evaluates expressions of one bound program on one row at a time; each node at most once per
// row. Not thread-safe: one per thread.
class ExprEvaluator {
 public:
  ExprEvaluator();
  ~ExprEvaluator();
  // Starts a row. `program` and `row` must outlive the evaluations of this row.
  void begin_row(const ExprProgram& program, std::span<const std::string> row);
  std::expected<ExprValue, ExprError> eval(ExprId id);

  // Conversions used by mappings: to a count (text must be a whole number; "" is absent) and to
  // text (integers in decimal). `column` labels errors.
  static std::expected<ExprValue, ExprError> to_int(const ExprValue& v, std::string_view column);

 private:
  struct Slot;
  std::expected<ExprValue, ExprError> compute(ExprId id, Slot& slot);
  std::expected<ExprValue, ExprError> int_arg(ExprId id);
  std::expected<ExprValue, ExprError> text_arg(ExprId id, std::string& scratch);

  const ExprProgram* program_ = nullptr;
  uint64_t serial_ = 0;
  std::span<const std::string> row_;
  uint64_t stamp_ = 0;
  std::vector<Slot> slots_;
};

}  // namespace tallylog::ingest
