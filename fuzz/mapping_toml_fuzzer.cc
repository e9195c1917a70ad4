// CSV mapping TOML (ingest/mapping.h), as `--mapping` reads it: Mapping::parse, then binding to
// the bundled ve2024 CSV header and mapping sample rows; plus the template and count grammars.
//
// Properties: nothing crashes or hangs; parse_count agrees with std::from_chars on every string
// it accepts; a template that parses holds no empty column name and no zero pad width.
#include <charconv>
#include <vector>

#include "fuzz_support.h"
#include "tallylog/ingest/csv.h"
#include "tallylog/ingest/mapping.h"

namespace tallylog::fuzz {
namespace {

struct Sample {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
};

// The header and first rows of the bundled CSV, plus a row with hostile values.
const Sample& sample() {
  static const Sample* s = [] {
    auto* out = new Sample;
    std::string csv = repo_file("tests/fixtures/ingest/hostile.csv");
    ingest::CsvReader reader(csv);
    ingest::CsvRecord rec;
    while (reader.next(rec)) {
      if (out->header.empty()) {
        out->header = rec.fields;
      } else if (rec.fields.size() == out->header.size()) {
        out->rows.push_back(rec.fields);
      }
    }
    if (out->header.empty() || out->rows.empty()) fail("tests/fixtures/ingest/hostile.csv has no rows");
    return out;
  }();
  return *s;
}

void check_count(std::string_view s) {
  auto v = ingest::parse_count(s);
  if (!v) return;
  int64_t ref = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), ref);
  check(ec == std::errc() && p == s.data() + s.size(), "a count parse_count accepts is a whole decimal number",
        std::string(s));
  check(ref == *v, "parse_count gives the value std::from_chars gives", std::string(s));
}

void check_template(std::string_view s) {
  ingest::ExprProgram p;
  auto t = p.parse_template(s);
  if (!t) return;
  check(*t < p.size(), "a parsed template's root is a node of its program", std::string(s));
  for (size_t i = 0; i < p.size(); ++i) {
    const auto& n = p.node(static_cast<ingest::ExprId>(i));
    // Nodes are interned after their arguments: the program is a DAG evaluated in order.
    for (ingest::ExprId a : n.args) check(a < i, "a template node's arguments come before it", std::string(s));
    if (n.op == ingest::ExprProgram::Op::kPad)
      check(n.num >= 1 && n.num <= 32, "a parsed template pads to 1..32 digits", std::string(s));
  }
}

}  // namespace
}  // namespace tallylog::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tallylog;
  using namespace tallylog::fuzz;
  std::string_view text = as_text(data, size);
  if (size <= 64) {
    check_count(text);
    check_template(text);
  }
  auto m = ingest::Mapping::parse(text, "fuzz.mapping.toml");
  if (!m) return 0;
  const auto& s = sample();
  const auto& e = ve2024_election();
  if (auto b = ingest::BoundMapping::bind_stations(*m, s.header, e)) {
    for (const auto& row : s.rows) (void)b->station(row);
  }
  if (auto b = ingest::BoundMapping::bind_sheets(*m, s.header, e)) {
    for (const auto& row : s.rows) (void)b->sheet(row);
  }
  return 0;
}
