#include "tallylog/ingest/expr.h"

#include <gtest/gtest.h>

namespace tallylog::ingest {
namespace {

// Evaluates one expression (or template) on one row of a small header.
class Eval {
 public:
  explicit Eval(std::vector<std::string> header, ExprProgram::Lookups lookups = {})
      : header_(std::move(header)), program_(std::move(lookups)) {}

  // "ok:<text>", "int:<n>", "absent" or "error:<column>:<reason>".
  std::string expr(std::string_view text, std::vector<std::string> row, bool is_template = false) {
    auto id = is_template ? program_.parse_template(text) : program_.parse_expression(text);
    if (!id) return "parse:" + id.error().message;
    std::vector<ExprId> roots = {*id};
    if (auto s = program_.bind(header_, roots); !s) return "bind:" + s.error().message;
    row_ = std::move(row);
    eval_.begin_row(program_, row_);
    auto v = eval_.eval(*id);
    if (!v) return "error:" + v.error().column + ":" + v.error().reason;
    switch (v->kind) {
      case ExprValue::Kind::kText:
        return "ok:" + std::string(v->text);
      case ExprValue::Kind::kInt:
        return "int:" + std::to_string(v->num);
      case ExprValue::Kind::kAbsent:
        return "absent";
    }
    return "?";
  }
  std::string tmpl(std::string_view text, std::vector<std::string> row) { return expr(text, std::move(row), true); }
  ExprProgram& program() { return program_; }

 private:
  std::vector<std::string> header_;
  ExprProgram program_;
  ExprEvaluator eval_;
  std::vector<std::string> row_;
};

TEST(Expr, ColumnsByNamePositionAndHeaderText) {
  Eval e({"A", "Число избирателей, включенных", "C"});
  EXPECT_EQ(e.expr("A", {"x", "y", "z"}), "ok:x");
  EXPECT_EQ(e.expr("$3", {"x", "y", "z"}), "ok:z");
  EXPECT_EQ(e.expr("col(\"Число избирателей, включенных\")", {"x", "y", "z"}), "ok:y");
  EXPECT_EQ(e.expr("'lit'", {"x", "y", "z"}), "ok:lit");
  EXPECT_EQ(e.expr("\"it\"\"s\"", {"x", "y", "z"}), "ok:it\"s");
}

TEST(Expr, ArithmeticBetweenColumnsWithEmptyCellsAbsent) {
  Eval e({"TOTAL", "NULL"});
  EXPECT_EQ(e.expr("TOTAL - NULL", {"120", "7"}), "int:113");
  EXPECT_EQ(e.expr("2 * (TOTAL + NULL) - -1", {"1", "2"}), "int:7");
  EXPECT_EQ(e.expr("TOTAL - NULL", {"120", ""}), "absent");
  EXPECT_EQ(e.expr("TOTAL - NULL", {"12x", "1"}), "error:TOTAL:'12x' is not a whole number");
  EXPECT_EQ(e.expr("TOTAL * TOTAL * TOTAL", {"9000000", "0"}), "error::arithmetic overflow");
}

TEST(Expr, SubstringsOfAPackedIdCountCharactersNotBytes) {
  Eval e({"ACTA", "NAME"});
  EXPECT_EQ(e.expr("left(ACTA, 12)", {"010113042.01.1.0001", ""}), "ok:010113042.01");
  EXPECT_EQ(e.expr("right(ACTA, 4)", {"010113042.01.1.0001", ""}), "ok:0001");
  EXPECT_EQ(e.expr("substr(ACTA, 2, 2)", {"0201130420", ""}), "ok:01");
  EXPECT_EQ(e.expr("substr(ACTA, -3)", {"0201130420", ""}), "ok:420");
  EXPECT_EQ(e.expr("left(NAME, 3)", {"", "Адыгея"}), "ok:Ады");
  EXPECT_EQ(e.expr("left(ACTA, 12)", {"0101.01", ""}), "error:ACTA:'0101.01' has 7 characters, fewer than 12");
  EXPECT_EQ(e.expr("substr(ACTA, 2, 9)", {"0201", ""}), "error:ACTA:'0201' has 4 characters, fewer than 11");
}

TEST(Expr, SplitAndRegexCaptures) {
  Eval e({"tik"});
  EXPECT_EQ(e.expr("split(tik, ' ', 0)", {"1 Адыгейская"}), "ok:1");
  EXPECT_EQ(e.expr("split(tik, ' ', -1)", {"12 Город Майкоп"}), "ok:Майкоп");
  EXPECT_EQ(e.expr("split(tik, ' ', 3)", {"1 Адыгейская"}),
            "error:tik:'1 Адыгейская' has 2 parts separated by ' ', there is no part 3");
  EXPECT_EQ(e.expr("match(tik, '^(\\d+) (.*)$', 2)", {"12 Город Майкоп"}), "ok:Город Майкоп");
  EXPECT_EQ(e.expr("match(tik, '^(\\d+) (.*)$')", {"12 Город Майкоп"}), "ok:12");
  EXPECT_EQ(e.expr("match(tik, '^(\\d+)( x)?', 2)", {"12 Город"}), "absent");
  EXPECT_EQ(e.expr("match(tik, '^(\\d+) ')", {"Город"}), "error:tik:'Город' does not match the regex \"^(\\d+) \"");
  EXPECT_NE(e.expr("match(tik, '(\\d+', 1)", {"1"}).find("parse:"), std::string::npos);
  EXPECT_NE(e.expr("match(tik, '(\\d+)', 2)", {"1"}).find("there is no group 2"), std::string::npos);
}

TEST(Expr, CatastrophicRegexFailsInsteadOfHanging) {
  Eval e({"X"});
  std::string r = e.expr("match(X, '^(a+)+$', 0)", {std::string(40, 'a') + "b"});
  EXPECT_EQ(r.rfind("error:X:", 0), 0u) << r;
}

TEST(Expr, IntNormalisesFloatsSeparatorsAndEmptyCells) {
  Eval e({"D"});
  EXPECT_EQ(e.expr("int(D)", {"14.0"}), "int:14");
  EXPECT_EQ(e.expr("int(D)", {" 14 "}), "int:14");
  EXPECT_EQ(e.expr("int(D)", {"14.00"}), "int:14");
  EXPECT_EQ(e.expr("int(D)", {""}), "absent");
  EXPECT_EQ(e.expr("int(D)", {"-3"}), "int:-3");
  EXPECT_EQ(e.expr("int(D)", {"14.5"}), "error:D:'14.5' is not a whole number");
  EXPECT_EQ(e.expr("int(D)", {"1,234"}), "error:D:'1,234' is not a number");
  EXPECT_EQ(e.expr("int(D, ',')", {"1,234,567"}), "int:1234567");
  EXPECT_EQ(e.expr("int(D, ',')", {"1234"}), "int:1234");
  EXPECT_EQ(e.expr("int(D, ',')", {"1,23"}), "error:D:'1,23' has a misplaced thousands separator ','");
  EXPECT_EQ(e.expr("int(D, ',')", {"12,3456"}), "error:D:'12,3456' has a misplaced thousands separator ','");
  EXPECT_EQ(e.expr("int(D, '.')", {"1.234,00"}), "int:1234");
  EXPECT_EQ(e.expr("int(D, ' ')", {"2 256"}), "int:2256");
  EXPECT_EQ(e.expr("int(D)", {"1e3"}), "error:D:'1e3' is not a number");
}

TEST(Expr, TemplatesPadAndConcatenate) {
  Eval e({"CENTRO", "MESA", "D"});
  EXPECT_EQ(e.tmpl("{CENTRO:09}.{MESA:02}", {"10113042", "1", ""}), "ok:010113042.01");
  EXPECT_EQ(e.tmpl("D{int(D):02}", {"", "", "4.0"}), "ok:D04");
  EXPECT_EQ(e.tmpl("{{x}}", {"", "", ""}), "ok:{x}");
  EXPECT_EQ(e.tmpl("{MESA:02}", {"", "123", ""}), "error:MESA:'123' has more than 2 digits");
  EXPECT_EQ(e.tmpl("{MESA:02}", {"", "", ""}), "error:MESA:is empty");
  EXPECT_EQ(e.tmpl("{MESA:02}", {"", "1a", ""}), "error:MESA:'1a' is not a whole number");
  EXPECT_EQ(e.tmpl("{int(D)}-x", {"", "", ""}), "absent");
  EXPECT_EQ(e.expr("concat(CENTRO, '-', 7)", {"a", "", ""}), "ok:a-7");
  EXPECT_EQ(e.expr("pad(int(D), 3)", {"", "", "7.0"}), "ok:007");
}

TEST(Expr, TextFunctions) {
  Eval e({"X"});
  EXPECT_EQ(e.expr("trim(X)", {"  a b \t"}), "ok:a b");
  EXPECT_EQ(e.expr("upper(X)", {"Mesa 1"}), "ok:MESA 1");
  EXPECT_EQ(e.expr("lower(X)", {"Mesa 1"}), "ok:mesa 1");
  EXPECT_EQ(e.expr("replace(X, '.', '')", {"1.234.567"}), "ok:1234567");
  EXPECT_EQ(e.expr("coalesce(X, 'none')", {""}), "ok:none");
  EXPECT_EQ(e.expr("coalesce(X, 'none')", {"a"}), "ok:a");
  EXPECT_EQ(e.expr("coalesce(int(X), 0)", {""}), "int:0");
}

TEST(Expr, LookupsJoinOnAKey) {
  auto states = LookupTable::from_json("states", R"({"1": "DTTO. CAPITAL", "24": "EDO. LA GUAIRA"})", "", "");
  ASSERT_TRUE(states) << states.error().to_string();
  auto parishes = LookupTable::from_csv("parishes", "code,name,muni\n13,PQ. EL RECREO,0101\n", "code");
  ASSERT_TRUE(parishes) << parishes.error().to_string();
  ExprProgram::Lookups l;
  l["states"] = std::make_shared<const LookupTable>(std::move(*states));
  l["parishes"] = std::make_shared<const LookupTable>(std::move(*parishes));
  Eval e({"S", "P"}, l);
  EXPECT_EQ(e.expr("lookup('states', S)", {"24", "13"}), "ok:EDO. LA GUAIRA");
  EXPECT_EQ(e.expr("lookup('states', int(S))", {"1.0", "13"}), "ok:DTTO. CAPITAL");
  EXPECT_EQ(e.expr("lookup('parishes', P, 'muni')", {"1", "13"}), "ok:0101");
  EXPECT_EQ(e.expr("lookup('states', S)", {"99", "13"}), "error:S:'99' is not a key of lookup 'states'");
  EXPECT_NE(e.expr("lookup('parishes', P)", {"1", "13"}).find("name the one to read"), std::string::npos);
  EXPECT_NE(e.expr("lookup('nope', P)", {"1", "13"}).find("no lookup table 'nope'"), std::string::npos);
  EXPECT_NE(e.expr("lookup('parishes', P, 'x')", {"1", "13"}).find("has no column 'x'"), std::string::npos);
}

TEST(Expr, JsonLookupShapes) {
  auto nested = LookupTable::from_json("d", R"({"provincia": {"secciones": [{"id": "001", "nombre": "Capital", "n": 3}]}})",
                                       "provincia.secciones", "id");
  ASSERT_TRUE(nested) << nested.error().to_string();
  EXPECT_EQ(*nested->find("001", *nested->column("nombre")), "Capital");
  EXPECT_EQ(*nested->find("001", *nested->column("n")), "3");
  auto objects = LookupTable::from_json("o", R"({"01": {"name": "A"}, "02": {"name": "B"}})", "", "");
  ASSERT_TRUE(objects) << objects.error().to_string();
  EXPECT_EQ(*objects->find("02", *objects->column("name")), "B");
  EXPECT_FALSE(LookupTable::from_json("x", "[{\"id\": 1}, {\"id\": 1}]", "", "id").has_value());  // duplicate key
  EXPECT_FALSE(LookupTable::from_json("x", "[{\"id\": 1}]", "", "").has_value());               // array needs key
  EXPECT_FALSE(LookupTable::from_json("x", "{\"a\": 1.5}", "", "").has_value());                // no floats
  EXPECT_FALSE(LookupTable::from_json("x", "{", "", "").has_value());
  EXPECT_FALSE(LookupTable::from_csv("x", "k,v\n1,a\n1,b\n", "").has_value());
}

TEST(Expr, IdenticalSubexpressionsAreStoredOnce) {
  ExprProgram p;
  auto a = p.parse_expression("match(tik, '^(\\d+) (.*)$', 1)");
  ASSERT_TRUE(a);
  const size_t after_first = p.size();
  auto b = p.parse_expression("match(tik, '^(\\d+) (.*)$', 2)");
  ASSERT_TRUE(b);
  // Only the literal 2 and the group node are new: the column and the regex run are shared.
  EXPECT_EQ(p.size(), after_first + 2);
  EXPECT_EQ(p.node(p.node(*a).args[0]).op, ExprProgram::Op::kMatchExec);
  EXPECT_EQ(p.node(*a).args[0], p.node(*b).args[0]);
  auto c = p.parse_template("{CENTRO:09}.{MESA:02}");
  auto d = p.parse_template("{CENTRO:09}.{MESA:02}");
  EXPECT_EQ(*c, *d);
}

TEST(Expr, ParseErrorsQuoteTheTextAndColumn) {
  ExprProgram p;
  auto e = p.parse_expression("left(ACTA 12)");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().message, "expression \"left(ACTA 12)\": column 11: expected ',' or ')'");
  EXPECT_NE(p.parse_expression("frobnicate(X)").error().message.find("unknown function 'frobnicate'"),
            std::string::npos);
  EXPECT_NE(p.parse_expression("left(X)").error().message.find("left() takes 2 arguments, got 1"), std::string::npos);
  EXPECT_NE(p.parse_expression("1abc").error().message.find("malformed number"), std::string::npos);
  EXPECT_NE(p.parse_expression("'open").error().message.find("unterminated string"), std::string::npos);
  EXPECT_NE(p.parse_template("{A").error().message.find("'{' without '}'"), std::string::npos);
  EXPECT_NE(p.parse_template("a}").error().message.find("'}' without '{'"), std::string::npos);
  EXPECT_NE(p.parse_template("{A:9}").error().message.find("is not 0N"), std::string::npos);
  EXPECT_NE(p.parse_template("{}").error().message.find("empty"), std::string::npos);
  EXPECT_NE(p.parse_expression(std::string(40, '(') + "1" + std::string(40, ')')).error().message.find("nested"),
            std::string::npos);
}

// Found by fuzz/mapping_toml_fuzzer.cc (campaign, 3 Dec 2026): "JOBR-----...-" (4 KB of minus
// signs) parsed into a 2,000-deep chain whose evaluation overflowed the stack. Chains are
// bounded at parse time; a long but reasonable sum still parses.
TEST(Expr, RefusesOperationChainsDeepEnoughToExhaustTheStack) {
  ExprProgram p;
  // Negations of a column chain (each is a node evaluation recurses through) ...
  auto minus = p.parse_expression("JOBR" + std::string(2000, '-') + "X");
  ASSERT_FALSE(minus);
  EXPECT_NE(minus.error().message.find("operations chained"), std::string::npos) << minus.error().message;
  // ... but negations of a number fold into one constant: 2,000 minus signs before 1 are "JOBR + 1".
  auto folded = p.parse_expression("JOBR" + std::string(2000, '-') + "1");
  ASSERT_TRUE(folded) << folded.error().message;
  EXPECT_EQ(p.node(*folded).op, ExprProgram::Op::kSub);
  EXPECT_EQ(p.node(p.node(*folded).args[1]).num, -1);
  std::string sum = "A";
  for (int i = 0; i < 300; ++i) sum += "+A" + std::to_string(i);
  EXPECT_FALSE(p.parse_expression(sum));
  std::string ok_sum = "A";
  for (int i = 0; i < 100; ++i) ok_sum += "+A" + std::to_string(i);
  EXPECT_TRUE(p.parse_expression(ok_sum));
  EXPECT_TRUE(p.parse_expression("-(-(-X))"));
}

TEST(Expr, BindNamesEveryMissingColumnAtOnceAndAmbiguousHeaders) {
  ExprProgram p;
  auto id = p.parse_expression("A + B + C + $9");
  ASSERT_TRUE(id);
  std::vector<std::string> header = {"A", "X", "X"};
  std::vector<ExprId> roots = {*id};
  auto s = p.bind(header, roots);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message, "the CSV header has no column 'B'; no column 'C'; no column $9 (the header has 3)");
  ExprProgram q;
  auto x = q.parse_expression("X");
  ASSERT_TRUE(x);
  std::vector<ExprId> xroots = {*x};
  auto t = q.bind(header, xroots);
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().message.find("column 'X' appears 2 times (refer to one by position: $2)"), std::string::npos);
}

}  // namespace
}  // namespace tallylog::ingest
