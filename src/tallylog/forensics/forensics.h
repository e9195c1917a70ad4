// Election forensics on per-table numbers: statistical fingerprints that fabricated counts have
// left in real elections. Every test, its model and its reference are written down in
// docs/forensics.md; in short:
//
//   fingerprint   the joint distribution of turnout and the leader's share as a 2-D histogram
//                 (Klimek, Yegorov, Hanel & Thurner, PNAS 109(41) 2012): fair elections give one
//                 compact blob; ballot stuffing smears it towards (100 %, 100 %).
//   integer       how many tables report a turnout / leader's share at a round percentage (the
//                 count is the nearest integer to m % of the base, m = 0..100), against the number
//                 expected if each table's count were drawn from a binomial with its own observed
//                 rate (Kobak, Shpilkin & Pshenichnikov, Ann. Appl. Stat. 10(1) 2016). Monte Carlo
//                 p-value over `resamples` resamplings of every table.
//   shpilkin      anomalous votes for the leader (Shpilkin's method as described by Kobak et al.):
//                 the turnout mode (of the voters' distribution, smoothed) is the clean reference; tables above it are assumed to have
//                 the leader's share found at the mode, and the leader's votes above that are
//                 counted anomalous. Decomposed per area with the national reference.
//   last digit    last digits of candidates' counts >= 10 against uniform (Beber & Scacco,
//                 Political Analysis 2012), chi-square.
//   second digit  second digits of counts >= 10 against Benford's second-digit law (2BL; Mebane,
//                 "Election forensics", 2013 and earlier). Mebane's own caveat: 2BL departures
//                 arise in fair elections with strategic voting, and fraud can leave 2BL intact.
//
// A test that has too few tables says so (`skipped` holds the reason) and carries no number.
//
// Pure: no I/O. analyse() may use `threads` worker threads for the Monte Carlo test; the result
// does not depend on the number of threads (each resample has its own seed).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "tallylog/forensics/sample.h"

namespace tallylog::forensics {

// Smallest samples a test accepts. Below these a test is skipped with the reason.
inline constexpr uint64_t kMinIntegerTables = 100;   // tables with base >= kMinIntegerBase
inline constexpr uint32_t kMinIntegerBase = 100;     // voters / ballots of a table in the test
inline constexpr uint64_t kMinShpilkinTables = 200;  // tables with registered voters
inline constexpr uint64_t kMinFingerprintTables = 100;
// The turnout mode of Shpilkin's estimate is found on the registered voters per bin summed over
// +-5 bins (+-2.5 points at the default width), so a spike at one round turnout is not the mode.
inline constexpr int kShpilkinSmoothBins = 5;
inline constexpr uint64_t kMinLastDigitCounts = 50;    // chi-square needs >= 5 expected per cell
inline constexpr uint64_t kMinSecondDigitCounts = 100;  // smallest 2BL cell is 8.5 %

struct Options {
  uint32_t resamples = 1000;  // Monte Carlo resamples of the integer test
  uint64_t seed = 20120101;
  unsigned threads = 1;
  int fingerprint_bins = 100;      // per axis
  double shpilkin_bin = 0.5;       // turnout bin width, percentage points
  size_t peaks = 5;                // round percentages listed per integer test
};

struct Fingerprint {
  std::string skipped;
  int bins = 0;
  std::vector<uint32_t> cells;  // bins x bins, row-major by share (y), then turnout (x)
  uint64_t tables = 0;          // tables with registered > 0 and cast > 0
  // Tables (and their share of the leader's votes) with turnout >= 95 % and share >= 95 %.
  uint64_t corner_tables = 0;
  double corner_leader_votes = 0;  // fraction of the leader's votes
  double correlation = 0;          // Pearson, turnout vs leader's share, over tables
  double median_turnout = 0;       // fractions
  double median_share = 0;
};

struct IntegerPeak {
  int percent = 0;
  uint64_t observed = 0;
  double expected = 0;
};

struct IntegerTest {
  std::string quantity;  // "turnout" or "leader_share"
  std::string skipped;
  uint64_t tables = 0;     // tables in the test (base >= kMinIntegerBase)
  uint64_t observed = 0;   // tables at a round percentage
  double expected = 0;     // under binomial resampling (exact mean)
  double sd = 0;           // of the resampled counts
  uint32_t resamples = 0;
  uint32_t resamples_at_least = 0;  // resamples with a count >= observed
  double p_value = 1;               // (1 + resamples_at_least) / (1 + resamples)
  std::vector<IntegerPeak> peaks;   // largest excesses over expectation, descending
};

struct ShpilkinEstimate {
  std::string skipped;
  double bin_width = 0;         // percentage points
  double mode = 0;              // centre of the modal turnout bin (percent)
  uint64_t reference_tables = 0;  // tables in the modal bin
  double reference_share = 0;     // leader's votes / ballots in the modal bin
  uint64_t tables_above = 0;      // tables with turnout above the modal bin
  uint64_t leader_votes = 0;      // the leader's votes in the sample
  double anomalous_votes = 0;     // leader's votes above the reference in tables above the mode
  // For the plot: per turnout bin (bin_width wide, from 0 %), the leader's and the other
  // ballots' votes.
  std::vector<uint64_t> leader_by_bin, others_by_bin;
};

struct DigitTest {
  std::string kind;  // "last" or "second"
  std::string skipped;
  uint64_t counts = 0;  // candidate counts used (>= 10)
  std::array<uint64_t, 10> observed{};
  std::array<double, 10> expected{};  // probabilities
  double chi2 = 0;
  double p_value = 1;  // chi-square, 9 degrees of freedom
};

struct GroupResult {
  std::string code, name;
  uint64_t tables = 0;
  uint64_t leader_votes = 0;
  // Integer test on turnout within the area (Monte Carlo, same resamples as the national test).
  std::string integer_skipped;
  uint64_t integer_tables = 0, integer_observed = 0;
  double integer_expected = 0, integer_p_value = 1;
  // Shpilkin decomposition with the national reference (empty skipped: present).
  std::string shpilkin_skipped;
  double anomalous_votes = 0;
  // Last-digit chi-square within the area.
  std::string last_digit_skipped;
  double last_digit_chi2 = 0, last_digit_p_value = 1;
  // Reasons the area stands out (p below alpha / number of areas), empty when it does not.
  std::vector<std::string> stands_out;
};

struct Report {
  std::string leader;  // candidate code
  uint64_t tables = 0;
  // Tables left out of every turnout-based test because their registered voters are unknown.
  uint64_t turnout_excluded_tables = 0;
  Options options;
  Fingerprint fingerprint;
  IntegerTest integer_turnout, integer_share;
  ShpilkinEstimate shpilkin;
  DigitTest last_digit, second_digit;
  // Tables per 0.1 percentage point (1001 bins, 0 % .. 100 %) of turnout and of the leader's
  // share: the histograms whose spikes at round percentages the integer test measures.
  std::vector<uint32_t> turnout_histogram, share_histogram;
  std::string group_level;
  double alpha = 0.01;  // family-wise level for "stands out" (Bonferroni over areas)
  std::vector<GroupResult> groups;
};

Report analyse(const Sample& sample, const Options& options = {});

// ---- building blocks, exposed for tests ---------------------------------------------------

// True when `k` of `n` is at a round percentage: |100k - m n| <= 50 for the nearest m (k is the
// whole number nearest to m % of n).
bool at_round_percent(uint64_t k, uint64_t n);
// Probability that a Binomial(n, p) count is at a round percentage; adds each round percentage's
// probability to expected_by_percent[m] when given (101 entries).
double round_percent_probability(uint32_t n, double p, double* expected_by_percent = nullptr);
// Upper tail of the chi-square distribution with `df` degrees of freedom.
double chi_square_upper(double x, int df);
// Benford's second-digit law: probability of second digit d.
double benford_second_digit(int d);

}  // namespace tallylog::forensics
