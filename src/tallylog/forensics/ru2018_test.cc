// Russia 2018 (the bundled CEC table, elections/ru2018/data/2018.csv.zip): the election file and
// mapping turn every row into a station and a sheet, and forensics on them gives the published
// picture. Every figure is checked against a computation done here, with a parser of its own
// (numbers read from the right of each line), independent of ingest and of forensics.
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "tallylog/base/env.h"
#include "tallylog/base/testing.h"
#include "tallylog/base/zip.h"
#include "tallylog/election/toml.h"
#include "tallylog/forensics/forensics.h"
#include "tallylog/forensics/from_tabulation.h"
#include "tallylog/ingest/csv.h"
#include "tallylog/ingest/mapping.h"
#include "tallylog/tally/tabulation.h"

namespace tallylog::forensics {
namespace {

struct Row {
  std::string region;
  std::vector<int64_t> n;  // the 12 protocol lines then the 8 candidates
};

std::vector<Row> parse_independently(const std::string& csv) {
  std::vector<Row> rows;
  size_t pos = csv.find('\n') + 1;  // after the header (its quoted names hold no newline)
  while (pos < csv.size()) {
    size_t end = csv.find('\n', pos);
    if (end == std::string::npos) end = csv.size();
    std::string_view line(csv.data() + pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    pos = end + 1;
    if (line.empty()) continue;
    Row r;
    r.region = std::string(line.substr(0, line.find(',')));
    // url, then 20 numbers, from the right (the url has no comma).
    std::vector<std::string_view> right;
    size_t cut = line.size();
    for (int k = 0; k < 21; ++k) {
      size_t comma = line.rfind(',', cut - 1);
      right.push_back(line.substr(comma + 1, cut - comma - 1));
      cut = comma;
    }
    for (int k = 20; k >= 1; --k) r.n.push_back(std::stoll(std::string(right[k])));
    rows.push_back(std::move(r));
  }
  return rows;
}

class Ru2018 : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const std::string dir = tallylog::testing::source_dir() + "/elections/ru2018";
    auto zip = Env::posix().read_file(dir + "/data/2018.csv.zip");
    ASSERT_TRUE(zip) << zip.error().to_string();
    auto csv = unzip_single(*zip, "2018.csv.zip");
    ASSERT_TRUE(csv) << csv.error().to_string();
    auto election = election::load_election_toml(dir + "/election.toml");
    ASSERT_TRUE(election) << election.error().to_string();
    auto mapping = ingest::Mapping::load(Env::posix(), dir + "/cec-uik.mapping.toml");
    ASSERT_TRUE(mapping) << mapping.error().to_string();

    ingest::CsvReader reader(*csv);
    ingest::CsvRecord rec;
    ASSERT_TRUE(reader.next(rec));
    auto bs = ingest::BoundMapping::bind_stations(*mapping, rec.fields, *election);
    ASSERT_TRUE(bs) << bs.error().to_string();
    auto bh = ingest::BoundMapping::bind_sheets(*mapping, rec.fields, *election);
    ASSERT_TRUE(bh) << bh.error().to_string();
    std::vector<election::Station> stations;
    std::vector<index::SheetRecord> sheets;
    while (reader.next(rec)) {
      ASSERT_TRUE(rec.error.empty()) << rec.line << ": " << rec.error;
      auto st = bs->station(rec.fields);
      ASSERT_TRUE(st) << rec.line << ": " << st.error().field << ": " << st.error().reason;
      auto sh = bh->sheet(rec.fields);
      ASSERT_TRUE(sh) << rec.line << ": " << sh.error().field << ": " << sh.error().reason;
      stations.push_back(std::move(*st));
      index::SheetRecord r;
      r.log_index = sheets.size() + 1;
      r.sheet = std::move(*sh);
      r.sheet.source = "official";
      sheets.push_back(std::move(r));
    }
    auto geo = tally::Geography::build(*election, stations);
    ASSERT_TRUE(geo) << geo.error().to_string();
    tally::Tabulation tab(*geo, *tally::SourceRule::parse("official"));
    for (const auto& r : sheets) ASSERT_TRUE(tab.add_deferred(r));
    tab.recompute_totals();
    auto sample = sample_from_tabulation(tab, 1);
    ASSERT_TRUE(sample) << sample.error().to_string();
    Options o;
    o.resamples = 100;
    report_ = new Report(analyse(*sample, o));
    rows_ = new std::vector<Row>(parse_independently(*csv));
  }
  static void TearDownTestSuite() {
    delete report_;
    delete rows_;
  }
  static Report* report_;
  static std::vector<Row>* rows_;
};
Report* Ru2018::report_ = nullptr;
std::vector<Row>* Ru2018::rows_ = nullptr;

constexpr int kRegistered = 0, kInvalid = 8, kValid = 9, kPutin = 12 + 3;

// The checks below share one import of the 97,699 rows (one test, so ctest's one process per
// test loads the data once).
class Ru2018Checks : public Ru2018 {
 public:

void EveryRowBecomesACountedTableWithPutinLeading() {
  ASSERT_EQ(rows_->size(), 97699u);
  EXPECT_EQ(report_->tables, 97699u);
  EXPECT_EQ(report_->leader, "PUTIN");
  int64_t putin = 0;
  for (const Row& r : *rows_) putin += r.n[kPutin];
  EXPECT_EQ(putin, 56430712);
  EXPECT_EQ(report_->shpilkin.leader_votes, uint64_t(putin));
}

void RoundPercentageTurnoutsAreCountedAsAnIndependentCountFinds() {
  uint64_t turnout_hits = 0, turnout_tables = 0, share_hits = 0, share_tables = 0;
  for (const Row& r : *rows_) {
    const int64_t reg = r.n[kRegistered], cast = r.n[kInvalid] + r.n[kValid], putin = r.n[kPutin];
    // Round percentage m: k is within half a vote of m % of the base, |k - m n / 100| <= 1/2.
    auto round_pct = [](int64_t k, int64_t n) {
      for (int64_t m = 0; m <= 100; ++m)
        if (2 * std::llabs(100 * k - m * n) <= 100) return true;
      return false;
    };
    if (reg >= 100) {
      ++turnout_tables;
      turnout_hits += round_pct(cast, reg);
    }
    if (cast >= 100) {
      ++share_tables;
      share_hits += round_pct(putin, cast);
    }
  }
  EXPECT_EQ(report_->integer_turnout.tables, turnout_tables);
  EXPECT_EQ(report_->integer_turnout.observed, turnout_hits);
  EXPECT_EQ(report_->integer_share.tables, share_tables);
  EXPECT_EQ(report_->integer_share.observed, share_hits);
  // The published finding: far more round percentages than binomial chance gives.
  EXPECT_GT(double(turnout_hits), report_->integer_turnout.expected + 10 * report_->integer_turnout.sd);
  EXPECT_LT(report_->integer_turnout.p_value, 0.01);
  EXPECT_LT(report_->integer_share.p_value, 0.01);
}

void ShpilkinEstimateMatchesAnIndependentComputationAndThePublishedFigure() {
  // Mode: the 0.5-point turnout bin at the peak of the registered voters (smoothed); reference share: the
  // leader's votes / ballots there; anomalous: the leader's votes above that share times the
  // other ballots, in tables above the modal bin.
  std::map<int, int64_t> voters;
  for (const Row& r : *rows_) {
    const double t = std::min(100.0, 100.0 * (r.n[kInvalid] + r.n[kValid]) / r.n[kRegistered]);
    voters[int(t / 0.5)] += r.n[kRegistered];
  }
  // The peak of the voters per bin summed over the 11 bins around it (+-2.5 points).
  auto window = [&](int b) {
    int64_t sum = 0;
    for (int k = b - 5; k <= b + 5; ++k)
      if (auto it = voters.find(k); it != voters.end()) sum += it->second;
    return sum;
  };
  int mode = 0;
  for (int b = 0; b <= 200; ++b)
    if (window(b) > window(mode)) mode = b;
  int64_t ref_leader = 0, ref_cast = 0;
  for (const Row& r : *rows_) {
    const double t = std::min(100.0, 100.0 * (r.n[kInvalid] + r.n[kValid]) / r.n[kRegistered]);
    if (int(t / 0.5) == mode) {
      ref_leader += r.n[kPutin];
      ref_cast += r.n[kInvalid] + r.n[kValid];
    }
  }
  const double s0 = double(ref_leader) / ref_cast;
  double anomalous = 0;
  for (const Row& r : *rows_) {
    const int64_t cast = r.n[kInvalid] + r.n[kValid];
    const double t = std::min(100.0, 100.0 * cast / r.n[kRegistered]);
    if (int(t / 0.5) > mode) anomalous += r.n[kPutin] - (cast - r.n[kPutin]) * s0 / (1 - s0);
  }
  const ShpilkinEstimate& e = report_->shpilkin;
  ASSERT_TRUE(e.skipped.empty()) << e.skipped;
  EXPECT_DOUBLE_EQ(e.mode, (mode + 0.5) * 0.5);
  EXPECT_NEAR(e.reference_share, s0, 1e-12);
  EXPECT_NEAR(e.anomalous_votes, anomalous, 1.0);
  // Shpilkin's published estimate for 2018: 9,947 thousand. Within 25 %.
  EXPECT_GT(e.anomalous_votes, 0.75 * 9947000);
  EXPECT_LT(e.anomalous_votes, 1.25 * 9947000);
  // Regions add up to the national estimate.
  double regions = 0;
  for (const GroupResult& g : report_->groups) regions += g.anomalous_votes;
  EXPECT_NEAR(regions, e.anomalous_votes, 1.0);
  EXPECT_EQ(report_->groups.size(), 87u);
}

void RegionsThatStandOutAreNamed() {
  size_t named = 0;
  for (const GroupResult& g : report_->groups) named += !g.stands_out.empty();
  EXPECT_GT(named, 0u);
  EXPECT_LT(named, report_->groups.size());
}

};

TEST_F(Ru2018Checks, ImportsEveryRowAndFindsThePublishedFingerprints) {
  {
    SCOPED_TRACE("every row becomes a counted table, PUTIN leading");
    EveryRowBecomesACountedTableWithPutinLeading();
  }
  {
    SCOPED_TRACE("round-percentage counts equal an independent count");
    RoundPercentageTurnoutsAreCountedAsAnIndependentCountFinds();
  }
  {
    SCOPED_TRACE("Shpilkin estimate: independent computation and the published figure");
    ShpilkinEstimateMatchesAnIndependentComputationAndThePublishedFigure();
  }
  {
    SCOPED_TRACE("regions that stand out are named");
    RegionsThatStandOutAreNamed();
  }
}

}  // namespace
}  // namespace tallylog::forensics
