// Venezuela 2024 (the bundled witnesses' table, elections/ve2024/data) with the CNE's two
// announced bulletins (elections/ve2024/declarations): check-declared names the contradicted
// figures with their margins, and forensics runs on the witnesses' sheets. Every figure is checked
// against a computation done here from the raw CSV with a parser of its own, independent of ingest.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <sstream>

#include "tallylog/base/env.h"
#include "tallylog/base/testing.h"
#include "tallylog/election/declaration.h"
#include "tallylog/election/toml.h"
#include "tallylog/forensics/declared.h"
#include "tallylog/forensics/forensics.h"
#include "tallylog/forensics/from_tabulation.h"

namespace tallylog::forensics {
namespace {

const std::vector<std::string> kCandidates = {"EG", "NM", "LM", "JABE", "JOBR", "AE", "CF", "DC", "EM", "BERA"};

struct Row {
  std::string state, table;
  int64_t registered = 0, valid = 0, null = 0;
  std::vector<int64_t> votes;  // kCandidates order
};

std::string pad(const std::string& digits, size_t width) {
  return std::string(width > digits.size() ? width - digits.size() : 0, '0') + digits;
}

class Ve2024 : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const std::string dir = tallylog::testing::source_dir() + "/elections/ve2024";
    auto csv = Env::posix().read_file(dir + "/data/RESULTADOS_2024_CSV_V1.csv");
    ASSERT_TRUE(csv);
    auto e = election::load_election_toml(dir + "/election.toml");
    ASSERT_TRUE(e) << e.error().to_string();
    rows_ = new std::vector<Row>;
    std::istringstream in(*csv);
    std::string line;
    std::getline(in, line);
    std::vector<election::Station> stations;
    std::vector<index::SheetRecord> sheets;
    while (std::getline(in, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      std::vector<std::string> c;
      std::stringstream ss(line);
      for (std::string cell; std::getline(ss, cell, ',');) c.push_back(cell);
      ASSERT_EQ(c.size(), 22u) << line;
      Row r;
      r.state = pad(c[0], 2);
      const std::string centre = pad(c[6], 9);
      r.table = centre + "." + pad(c[7], 2);
      r.registered = std::stoll(c[8]);
      r.valid = std::stoll(c[9]);
      r.null = std::stoll(c[10]);
      for (size_t k = 0; k < kCandidates.size(); ++k) r.votes.push_back(std::stoll(c[11 + k]));
      election::Station st;
      st.code = r.table;
      st.areas = {{r.state, c[1]}, {r.state + pad(c[2], 2), c[3]}, {pad(c[4], 4), c[5]}, {centre, centre}, {r.table, ""}};
      st.registered = uint64_t(r.registered);
      stations.push_back(st);
      index::SheetRecord s;
      s.log_index = sheets.size() + 1;
      s.sheet.station = r.table;
      s.sheet.source = "witness:convzla";
      s.sheet.fields = {{"valid", r.valid}, {"null", r.null}};
      for (size_t k = 0; k < kCandidates.size(); ++k) s.sheet.candidates[kCandidates[k]] = r.votes[k];
      sheets.push_back(std::move(s));
      rows_->push_back(std::move(r));
    }
    auto geo = tally::Geography::build(*e, stations);
    ASSERT_TRUE(geo) << geo.error().to_string();
    tab_ = new tally::Tabulation(*geo, tally::SourceRule());
    for (const auto& s : sheets) ASSERT_TRUE(tab_->add_deferred(s));
    tab_->recompute_totals();
    std::vector<index::DeclarationRecord> decls;
    for (const char* name : {"cne-boletin-1.toml", "cne-boletin-2.toml"}) {
      auto text = Env::posix().read_file(dir + "/declarations/" + name);
      ASSERT_TRUE(text);
      election::Declaration base;
      base.source = "official";
      auto d = election::parse_declaration_toml(*text, name, base);
      ASSERT_TRUE(d) << d.error().to_string();
      ASSERT_TRUE(election::validate_declaration(*d, *e, [](int, std::string_view) { return true; }));
      decls.push_back({decls.size() + 100, *d});
    }
    auto checks = check_declarations(*tab_, decls, tally::UnregisteredBasis::kRegistryTotal);
    ASSERT_TRUE(checks) << checks.error().to_string();
    checks_ = new std::vector<DeclarationCheck>(std::move(*checks));
  }
  static void TearDownTestSuite() {
    delete rows_;
    delete tab_;
    delete checks_;
  }
  // Independent: the candidate's votes over all rows, and its k largest table counts.
  static int64_t total(size_t cand) {
    int64_t s = 0;
    for (const Row& r : *rows_) s += r.votes[cand];
    return s;
  }
  static int64_t largest(size_t cand, size_t k) {
    std::vector<int64_t> v;
    for (const Row& r : *rows_) v.push_back(r.votes[cand]);
    std::sort(v.begin(), v.end(), std::greater<>());
    int64_t s = 0;
    for (size_t i = 0; i < k; ++i) s += v[i];
    return s;
  }
  static int64_t registry_voters() {
    int64_t s = 0;
    for (const Row& r : *rows_) s += r.registered;
    return s;
  }
  static const FigureCheck& figure(size_t decl, const std::string& name) {
    for (const FigureCheck& f : (*checks_)[decl].areas[0].figures)
      if (f.name == name) return f;
    ADD_FAILURE() << "no figure " << name;
    return (*checks_)[decl].areas[0].figures[0];
  }
  static std::vector<Row>* rows_;
  static tally::Tabulation* tab_;
  static std::vector<DeclarationCheck>* checks_;
};
std::vector<Row>* Ve2024::rows_ = nullptr;
tally::Tabulation* Ve2024::tab_ = nullptr;
std::vector<DeclarationCheck>* Ve2024::checks_ = nullptr;

TEST_F(Ve2024, FirstBulletinGonzalezIsBelowWhatTheWitnessedSheetsProve) {
  ASSERT_EQ(rows_->size(), 24532u);
  // 80 % of 30,026 tables (24,532 in the registry + 5,494 absent): at least 24,020 covered, so up to
  // 6,006 counted tables may be missing from the bulletin: subtract González's 6,006 largest tables.
  const DeclarationCheck& d = (*checks_)[0];
  EXPECT_EQ(d.total_tables, 30026u);
  EXPECT_EQ(d.covered_min, 24020u);
  const FigureCheck& eg = figure(0, "EG");
  EXPECT_EQ(eg.verified, total(0));
  EXPECT_EQ(eg.lower, total(0) - largest(0, 6006));
  EXPECT_EQ(eg.declared, 4445978);
  EXPECT_EQ(eg.below, eg.lower - 4445978);
  EXPECT_GT(eg.below, 0);
  // Maduro's 5,150,092 fits: the registry total leaves 21,392,464 - registry voters outside.
  const FigureCheck& nm = figure(0, "NM");
  EXPECT_EQ(nm.upper, uint64_t(total(1) + (21392464 - registry_voters())));
  EXPECT_FALSE(nm.contradicted());
  EXPECT_EQ(d.contradicted, 1u);
  // Round percentages: 51.2 % and 44.2 % of 10,058,774, within half a vote.
  EXPECT_EQ(d.round[0].decimals, 1);
}

TEST_F(Ve2024, SecondBulletinGonzalezIsContradictedEvenGrantingItsCoverage) {
  // 96.87 % of 30,026 = 29,086.2: at least 29,086 covered, up to 940 counted tables omitted.
  const DeclarationCheck& d = (*checks_)[1];
  EXPECT_EQ(d.covered_min, 29086u);
  const FigureCheck& eg = figure(1, "EG");
  EXPECT_EQ(eg.lower, total(0) - largest(0, 940));
  EXPECT_EQ(eg.below, eg.lower - 5326104);
  EXPECT_GT(eg.below, 1000000);
  EXPECT_EQ(d.contradicted, 1u);
  EXPECT_EQ(d.round[0].decimals, -1);
}

TEST_F(Ve2024, ForensicsRunsOnTheWitnessesSheets) {
  auto sample = sample_from_tabulation(*tab_, 1);
  ASSERT_TRUE(sample);
  Options o;
  o.resamples = 200;
  Report r = analyse(*sample, o);
  EXPECT_EQ(r.leader, "EG");
  uint64_t hits = 0, in_test = 0;
  for (const Row& row : *rows_) {
    const int64_t n = row.registered, k = row.valid + row.null;
    if (n < 100) continue;
    ++in_test;
    for (int64_t m = 0; m <= 100; ++m)
      if (2 * std::llabs(100 * k - m * n) <= 100) {
        ++hits;
        break;
      }
  }
  EXPECT_EQ(r.integer_turnout.tables, in_test);
  EXPECT_EQ(r.integer_turnout.observed, hits);
  EXPECT_TRUE(r.fingerprint.skipped.empty());
  EXPECT_EQ(r.fingerprint.tables, 24532u);
  EXPECT_EQ(r.groups.size(), 24u);
}

}  // namespace
}  // namespace tallylog::forensics
