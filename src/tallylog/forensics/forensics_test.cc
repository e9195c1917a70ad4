#include "tallylog/forensics/forensics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "tallylog/forensics/random.h"

namespace tallylog::forensics {
namespace {

// A fair election: every table draws turnout ~ N(0.6, 0.05) and the leader's share ~ N(0.55, 0.05)
// binomially, no fabrication.
Sample fair(size_t tables, uint64_t seed, size_t groups = 4) {
  Sample s;
  s.candidates = {"A", "B"};
  for (size_t g = 0; g < groups; ++g) {
    s.group_codes.push_back("G" + std::to_string(g));
    s.group_names.push_back("Group " + std::to_string(g));
  }
  s.group_level = "region";
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> turnout(0.6, 0.05), share(0.55, 0.05);
  std::uniform_int_distribution<uint32_t> size(300, 2500);
  for (size_t t = 0; t < tables; ++t) {
    const uint32_t reg = size(rng);
    const uint32_t cast = std::binomial_distribution<uint32_t>(reg, std::clamp(turnout(rng), 0.05, 0.95))(rng);
    const uint32_t a = std::binomial_distribution<uint32_t>(cast, std::clamp(share(rng), 0.05, 0.95))(rng);
    const uint32_t v[2] = {a, cast - a};
    s.add(reg, cast, v, uint32_t(t % std::max<size_t>(1, groups)));
  }
  s.choose_leader();
  return s;
}

// Rewrites `fraction` of the tables of group `g` (or of all when g < 0) to a turnout of exactly
// `percent` %, all extra ballots going to the leader: round-number ballot stuffing.
void stuff(Sample& s, double fraction, uint32_t percent, int g = -1) {
  std::mt19937_64 rng(7);
  std::bernoulli_distribution pick(fraction);
  for (size_t t = 0; t < s.tables(); ++t) {
    if ((g >= 0 && s.group[t] != uint32_t(g)) || !pick(rng)) continue;
    const uint32_t target = uint32_t(std::llround(double(s.registered[t]) * percent / 100.0));
    if (target <= s.cast[t]) continue;
    s.votes[t * 2 + s.leader] += target - s.cast[t];
    s.cast[t] = target;
  }
}

TEST(RoundPercent, CountsTheNearestCountToEachRoundPercentage) {
  EXPECT_TRUE(at_round_percent(700, 1000));   // exactly 70 %
  EXPECT_FALSE(at_round_percent(701, 1000));  // 70.1 %
  EXPECT_TRUE(at_round_percent(984, 1406));   // 69.99 %: the nearest count to 70 % of 1406 (984.2)
  EXPECT_FALSE(at_round_percent(985, 1406));  // 70.06 %
  EXPECT_TRUE(at_round_percent(0, 500));
  EXPECT_TRUE(at_round_percent(500, 500));
  EXPECT_FALSE(at_round_percent(3, 0));
  EXPECT_FALSE(at_round_percent(6, 5));  // more than the base
  for (uint32_t k = 0; k <= 50; ++k) EXPECT_TRUE(at_round_percent(k, 50)) << k;  // small bases: always
}

TEST(RoundPercent, ProbabilityMatchesBruteForceBinomialSum) {
  for (uint32_t n : {100u, 137u, 999u, 1406u, 2000u}) {
    for (double p : {0.3, 0.5, 0.6789, 0.97}) {
      double brute = 0;
      const double lp = std::log(p), lq = std::log1p(-p);
      for (uint32_t k = 0; k <= n; ++k) {
        if (!at_round_percent(k, n)) continue;
        brute += std::exp(std::lgamma(n + 1.0) - std::lgamma(k + 1.0) - std::lgamma(n - k + 1.0) + k * lp + (n - k) * lq);
      }
      std::vector<double> by(101, 0.0);
      const double fast = round_percent_probability(n, p, by.data());
      EXPECT_NEAR(fast, brute, 1e-9) << n << " " << p;
      double sum = 0;
      for (double x : by) sum += x;
      EXPECT_NEAR(sum, fast, 1e-12);
    }
  }
}

TEST(RoundPercent, BernoulliShortcutHasTheBinomialResamplingMean) {
  // The Monte Carlo draws "is the resampled count at a round percentage" as one Bernoulli trial
  // per table; check that against drawing the binomial count itself.
  std::mt19937_64 rng(3);
  const uint32_t n = 1234;
  const double p = 0.617;
  std::binomial_distribution<uint32_t> binom(n, p);
  int hits = 0;
  const int draws = 200000;
  for (int i = 0; i < draws; ++i) hits += at_round_percent(binom(rng), n);
  const double q = round_percent_probability(n, p);
  EXPECT_NEAR(double(hits) / draws, q, 5 * std::sqrt(q * (1 - q) / draws));
}

TEST(ChiSquare, UpperTailMatchesKnownQuantiles) {
  EXPECT_NEAR(chi_square_upper(16.919, 9), 0.05, 1e-4);
  EXPECT_NEAR(chi_square_upper(21.666, 9), 0.01, 1e-4);
  EXPECT_NEAR(chi_square_upper(8.343, 9), 0.5, 1e-3);
  EXPECT_NEAR(chi_square_upper(2.088, 9), 0.99, 1e-3);
  EXPECT_DOUBLE_EQ(chi_square_upper(0, 9), 1.0);
  EXPECT_LT(chi_square_upper(200, 9), 1e-30);
}

TEST(Benford, SecondDigitLawSumsToOneAndFallsWithTheDigit) {
  double sum = 0;
  for (int d = 0; d < 10; ++d) sum += benford_second_digit(d);
  EXPECT_NEAR(sum, 1.0, 1e-12);
  EXPECT_NEAR(benford_second_digit(0), 0.11968, 1e-5);
  EXPECT_NEAR(benford_second_digit(9), 0.08500, 1e-5);
}

TEST(Forensics, AFairElectionPassesTheIntegerAndDigitTests) {
  Sample s = fair(5000, 1);
  Options o;
  o.resamples = 400;
  Report r = analyse(s, o);
  ASSERT_TRUE(r.integer_turnout.skipped.empty());
  EXPECT_EQ(r.integer_turnout.tables, 5000u);
  EXPECT_GT(r.integer_turnout.p_value, 0.001);
  EXPECT_GT(r.integer_share.p_value, 0.001);
  EXPECT_NEAR(double(r.integer_turnout.observed), r.integer_turnout.expected, 5 * r.integer_turnout.sd + 1);
  ASSERT_TRUE(r.last_digit.skipped.empty());
  EXPECT_GT(r.last_digit.p_value, 0.001);
  EXPECT_EQ(r.fingerprint.corner_tables, 0u);
  EXPECT_LT(std::fabs(r.shpilkin.anomalous_votes) / double(r.shpilkin.leader_votes), 0.03);
  for (const GroupResult& g : r.groups) EXPECT_TRUE(g.stands_out.empty()) << g.code << ": " << g.stands_out[0];
}

TEST(Forensics, RoundNumberStuffingIsFoundAndItsAreaNamed) {
  Sample s = fair(8000, 2);
  stuff(s, 0.3, 80, /*group=*/2);
  Options o;
  o.resamples = 400;
  Report r = analyse(s, o);
  EXPECT_GT(r.integer_turnout.observed, r.integer_turnout.expected + 10 * r.integer_turnout.sd);
  EXPECT_LT(r.integer_turnout.p_value, 0.01);
  ASSERT_FALSE(r.integer_turnout.peaks.empty());
  EXPECT_EQ(r.integer_turnout.peaks[0].percent, 80);
  // The stuffed votes are anomalous by Shpilkin's method: about what was added (the reference
  // share comes from one 0.5-point bin of ~200 tables, so the estimate carries that bin's noise).
  uint64_t added = 0;
  Sample clean = fair(8000, 2);
  for (size_t t = 0; t < s.tables(); ++t) added += s.cast[t] - clean.cast[t];
  EXPECT_GT(r.shpilkin.anomalous_votes, 0.5 * added);
  EXPECT_LT(r.shpilkin.anomalous_votes, 1.5 * added);
  ASSERT_EQ(r.groups.size(), 4u);
  EXPECT_FALSE(r.groups[2].stands_out.empty());
  for (size_t g : {0u, 1u, 3u}) EXPECT_TRUE(r.groups[g].stands_out.empty()) << g << ": " << r.groups[g].stands_out[0];
}

TEST(Forensics, ResultDoesNotDependOnTheNumberOfThreads) {
  Sample s = fair(3000, 4);
  stuff(s, 0.1, 75);
  Options one;
  one.resamples = 300;
  Options many = one;
  many.threads = 3;
  Report a = analyse(s, one), b = analyse(s, many);
  EXPECT_EQ(a.integer_turnout.resamples_at_least, b.integer_turnout.resamples_at_least);
  EXPECT_DOUBLE_EQ(a.integer_turnout.sd, b.integer_turnout.sd);
  EXPECT_DOUBLE_EQ(a.integer_share.sd, b.integer_share.sd);
  for (size_t g = 0; g < a.groups.size(); ++g) EXPECT_EQ(a.groups[g].integer_p_value, b.groups[g].integer_p_value);
}

TEST(Forensics, TooFewTablesSaysSoInsteadOfANumber) {
  Sample s = fair(30, 5, 2);  // 60 candidate counts: enough for last digits, not for 2BL
  Report r = analyse(s);
  EXPECT_EQ(r.integer_turnout.skipped, "too few tables with at least 100 in the base: 30 (the test needs at least 100)");
  EXPECT_EQ(r.integer_turnout.observed, 0u);
  EXPECT_EQ(r.integer_turnout.p_value, 1.0);
  EXPECT_FALSE(r.shpilkin.skipped.empty());
  EXPECT_EQ(r.shpilkin.anomalous_votes, 0.0);
  EXPECT_FALSE(r.fingerprint.skipped.empty());
  EXPECT_TRUE(r.fingerprint.cells.empty());
  EXPECT_EQ(r.second_digit.skipped, "too few candidate counts of 10 or more: 60 (the test needs at least 100)");
  EXPECT_TRUE(r.last_digit.skipped.empty());
  for (const GroupResult& g : r.groups) EXPECT_FALSE(g.integer_skipped.empty());
}

TEST(Forensics, DigitTestsSeeFabricatedLastDigits) {
  Sample s = fair(3000, 6);
  for (size_t t = 0; t < s.tables(); ++t) {  // every count ends in 0 or 5
    for (size_t c = 0; c < 2; ++c) s.votes[t * 2 + c] -= s.votes[t * 2 + c] % 5;
  }
  Report r = analyse(s);
  ASSERT_TRUE(r.last_digit.skipped.empty());
  EXPECT_LT(r.last_digit.p_value, 1e-10);
  EXPECT_EQ(r.last_digit.observed[1] + r.last_digit.observed[3], 0u);
}

TEST(Forensics, FingerprintCountsEveryTableOnceAndFindsTheCorner) {
  Sample s = fair(1000, 8);
  for (size_t t = 0; t < 50; ++t) {  // 50 tables at 100 % turnout, all for the leader
    s.cast[t] = s.registered[t];
    s.votes[t * 2 + s.leader] = s.cast[t];
    s.votes[t * 2 + 1 - s.leader] = 0;
  }
  Report r = analyse(s);
  uint64_t sum = 0;
  for (uint32_t c : r.fingerprint.cells) sum += c;
  EXPECT_EQ(sum, 1000u);
  EXPECT_EQ(r.fingerprint.corner_tables, 50u);
  EXPECT_EQ(r.fingerprint.cells[99 * 100 + 99], 50u);
}

TEST(Xoshiro, StreamsAreReproducibleAndDistinct) {
  Xoshiro256 a(1, 7), b(1, 7), c(1, 8);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(a.next(), b.next());
  EXPECT_NE(Xoshiro256(1, 7).next(), c.next());
}

}  // namespace
}  // namespace tallylog::forensics
