// Real data: the opposition's table of 24,532 actas (../shared/data/ve2024). Loaded here with a
// tiny test-local parser, independent of ingest, so the tally is checked against plain column sums.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

#include "tallylog/base/testing.h"
#include "tallylog/tally/bound.h"
#include "tallylog/tally/compare.h"
#include "tallylog/tally/tabulation.h"

namespace tallylog::tally {
namespace {

const std::vector<std::string> kCandidates = {"EG", "NM", "LM", "JABE", "JOBR", "AE", "CF", "DC", "EM", "BERA"};

std::string pad(const std::string& digits, size_t width) {
  return std::string(width > digits.size() ? width - digits.size() : 0, '0') + digits;
}

struct Ve2024 {
  election::Election election;
  std::vector<election::Station> stations;
  std::vector<index::SheetRecord> sheets;
  // Plain column sums: national and per state code ("01".."24"), columns RE, valid, null, candidates.
  std::map<std::string, std::vector<int64_t>> sums;
};

bool load(const std::string& path, Ve2024& out) {
  std::ifstream in(path);
  if (!in) return false;
  std::string line;
  std::getline(in, line);  // header (with a byte-order mark)
  election::Election& e = out.election;
  e.id = "ve2024";
  e.levels = {{"state", "Estado"}, {"municipality", "Municipio"}, {"parish", "Parroquia"}, {"centre", "Centro"},
              {"table", "Mesa"}};
  for (const auto& c : kCandidates) e.candidates.push_back({c, c, ""});
  e.fields = {"valid", "null"};
  uint64_t log_index = 1;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::vector<std::string> col;
    std::stringstream ss(line);
    for (std::string cell; std::getline(ss, cell, ',');) col.push_back(cell);
    if (col.size() != 22) return false;
    // Codes composed as elections/ve2024/convzla-v1.mapping.toml does.
    const std::string state = pad(col[0], 2), muni = state + pad(col[2], 2), parish = pad(col[4], 4);
    const std::string centre = pad(col[6], 9), table = centre + "." + pad(col[7], 2);
    election::Station st;
    st.code = table;
    st.areas = {{state, col[1]}, {muni, col[3]}, {parish, col[5]}, {centre, centre}, {table, "Mesa " + col[7]}};
    st.registered = std::stoull(col[8]);
    out.stations.push_back(st);
    index::SheetRecord r;
    r.log_index = log_index++;
    r.sheet.station = table;
    r.sheet.source = "witness:convzla";
    r.sheet.fields = {{"valid", std::stoll(col[9])}, {"null", std::stoll(col[10])}};
    for (size_t i = 0; i < kCandidates.size(); ++i) r.sheet.candidates[kCandidates[i]] = std::stoll(col[11 + i]);
    out.sheets.push_back(std::move(r));
    for (const std::string& key : {std::string("national"), state}) {
      auto& s = out.sums[key];
      s.resize(13, 0);
      for (size_t i = 0; i < 13; ++i) s[i] += std::stoll(col[8 + i]);
    }
  }
  return true;
}

class Ve2024Test : public ::testing::Test {
 protected:
  void SetUp() override {
    // The bundled copy of the real table (elections/ve2024/data, provenance in SOURCE.md).
    ASSERT_TRUE(load(tallylog::testing::source_dir() + "/elections/ve2024/data/RESULTADOS_2024_CSV_V1.csv", data_));
    auto g = Geography::build(data_.election, data_.stations);
    ASSERT_TRUE(g.has_value()) << g.error().to_string();
    geo_ = *g;
  }

  std::vector<int64_t> row_of(const Tabulation& tab, AreaId a) {
    const AreaTotals t = tab.totals(a);
    // fields are {valid, null} in this order (load() sets them)
    std::vector<int64_t> r = {static_cast<int64_t>(geo_->area(a).registered_voters), t.fields[0], t.fields[1]};
    r.insert(r.end(), t.candidates.begin(), t.candidates.end());
    return r;
  }

  Ve2024 data_;
  std::shared_ptr<const Geography> geo_;
};

TEST_F(Ve2024Test, EveryAreasAncestorAtEveryLevelIsTheOneItsParentsLeadTo) {
  // ancestor() walks a packed copy of the parents and reads an area's depth from the id ranges:
  // it must agree with the Area records for every area of the real registry, at every depth.
  size_t checked = 0;
  for (AreaId id = 0; id < geo_->area_count(); ++id) {
    AreaId up = id;
    for (int depth = geo_->area(id).depth; depth >= 0; --depth) {
      ASSERT_EQ(geo_->area(up).depth, depth);
      ASSERT_EQ(geo_->ancestor(id, depth), up) << geo_->area(id).code << " at depth " << depth;
      ++checked;
      up = geo_->area(up).parent;
    }
    EXPECT_EQ(geo_->ancestor(id, geo_->table_depth()), id);  // itself at or below its own depth
  }
  EXPECT_GT(checked, 24532u * 6);
  EXPECT_EQ(geo_->ancestor(kNoArea, 0), kNoArea);
}

TEST_F(Ve2024Test, NationalAndStateTotalsEqualTheColumnSums) {
  Tabulation tab(geo_, *SourceRule::parse("witness:*"));
  for (const auto& r : data_.sheets) ASSERT_TRUE(tab.add_deferred(r).has_value());
  tab.recompute_totals();
  EXPECT_EQ(row_of(tab, geo_->national()), data_.sums["national"]);
  EXPECT_EQ(geo_->depth_end(1) - geo_->depth_begin(1), 24u);
  for (AreaId s = geo_->depth_begin(1); s < geo_->depth_end(1); ++s) {
    EXPECT_EQ(row_of(tab, s), data_.sums[geo_->area(s).code]) << "state " << geo_->area(s).code;
  }
}

TEST_F(Ve2024Test, CoverageIs24532TablesAnd17745239RegisteredVoters) {
  Tabulation tab(geo_, {});
  for (const auto& r : data_.sheets) ASSERT_TRUE(tab.add(r).has_value());  // incremental path
  const AreaTotals n = tab.totals(geo_->national());
  EXPECT_EQ(n.tables_reported, 24532);
  EXPECT_EQ(n.tables_conflicted, 0);
  EXPECT_EQ(n.registered_covered, 17745239);
  EXPECT_EQ(geo_->area(geo_->national()).tables_registered, 24532u);
  EXPECT_EQ(row_of(tab, geo_->national()), data_.sums["national"]);
}

TEST_F(Ve2024Test, GonzalezLeadsAndASourceComparedWithItselfMatchesEverywhere) {
  Tabulation tab(geo_, {});
  for (const auto& r : data_.sheets) ASSERT_TRUE(tab.add_deferred(r).has_value());
  tab.recompute_totals();
  auto b = outcome_bound(tab);
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->leader, "EG");
  EXPECT_EQ(b->turnout_level, "parish");
  EXPECT_EQ(b->tables_unreported, 0);
  EXPECT_TRUE(b->decided_full);
  auto c = compare(tab, tab, 1);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->matching, 24532);
  EXPECT_TRUE(c->differing.empty());
}

// The published table covers 24,532 of 30,026 tables: with the 5,494 missing ones at the largest
// registered figure in the table (1,451, centre 10120033 table 1) the lead is no longer decisive.
TEST_F(Ve2024Test, TheMissingTablesAtTheLargestTablesSizeLeaveTheOutcomeUndecided) {
  election::Election e = data_.election;
  e.unregistered_tables.count = 5494;
  auto g = Geography::build(e, data_.stations);
  ASSERT_TRUE(g.has_value());
  Tabulation tab(*g, {});
  for (const auto& r : data_.sheets) ASSERT_TRUE(tab.add_deferred(r).has_value());
  tab.recompute_totals();
  auto b = *outcome_bound(tab);
  EXPECT_EQ(b.rivals[0].lead, 3915001);
  EXPECT_EQ(b.unregistered_table_cap, 1451u);
  EXPECT_EQ(b.unregistered_table_cap_table, "010120033.01");
  EXPECT_EQ(b.max_full, 5494u * 1451u);
  EXPECT_FALSE(b.decided_full);
  EXPECT_FALSE(b.decided_observed);
}

}  // namespace
}  // namespace tallylog::tally
