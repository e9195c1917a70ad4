#include "tallylog/forensics/forensics.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <thread>

#include "tallylog/forensics/random.h"

namespace tallylog::forensics {

void Sample::add(uint32_t registered_voters, uint32_t ballots_cast, const uint32_t* candidate_votes,
                 uint32_t group_index) {
  registered.push_back(registered_voters);
  cast.push_back(ballots_cast);
  votes.insert(votes.end(), candidate_votes, candidate_votes + candidates.size());
  group.push_back(group_index);
}

void Sample::choose_leader() {
  std::vector<uint64_t> totals(candidates.size(), 0);
  for (size_t t = 0; t < tables(); ++t)
    for (size_t c = 0; c < candidates.size(); ++c) totals[c] += votes[t * candidates.size() + c];
  leader = 0;
  for (size_t c = 1; c < totals.size(); ++c)
    if (totals[c] > totals[leader]) leader = c;
}

bool at_round_percent(uint64_t k, uint64_t n) {
  if (n == 0 || k > n) return false;
  // m = the round percentage nearest to 100k/n; |k - m n / 100| <= 1/2, i.e. |100k - m n| <= 50,
  // means k is the nearest count (or one of two equally near counts) to m % of n.
  const uint64_t m = (200 * k + n) / (2 * n);
  const uint64_t a = 100 * k, b = m * n;
  const uint64_t d = a > b ? a - b : b - a;
  return d <= 50;
}

namespace {

double log_binomial_pmf(uint32_t n, uint32_t k, double log_p, double log_q, double log_n_fact) {
  return log_n_fact - std::lgamma(double(k) + 1) - std::lgamma(double(n - k) + 1) + k * log_p + (n - k) * log_q;
}

}  // namespace

double round_percent_probability(uint32_t n, double p, double* expected_by_percent) {
  if (n == 0) return 0;
  if (p <= 0 || p >= 1) {
    // A degenerate binomial always returns its observed count: 0 % or 100 %, both round.
    if (expected_by_percent) expected_by_percent[p <= 0 ? 0 : 100] += 1;
    return 1;
  }
  const double mean = n * p;
  const double sd = std::sqrt(n * p * (1 - p));
  const double lo = std::max(0.0, mean - 10 * sd - 2), hi = std::min(double(n), mean + 10 * sd + 2);
  const double log_p = std::log(p), log_q = std::log1p(-p), log_n_fact = std::lgamma(double(n) + 1);
  double total = 0;
  const int m_lo = std::max(0, int(std::floor(lo * 100 / n)) - 1);
  const int m_hi = std::min(100, int(std::ceil(hi * 100 / n)) + 1);
  uint32_t last = UINT32_MAX;
  for (int m = m_lo; m <= m_hi; ++m) {
    // Every count within n/200 of m % of n (one or, on a tie, two counts).
    const double centre = double(m) * n / 100.0;
    const uint32_t k0 = static_cast<uint32_t>(std::max(0.0, std::floor(centre - 0.5)));
    for (uint32_t k = k0; k <= n && double(k) <= centre + 0.5; ++k) {
      if (k == last || !at_round_percent(k, n)) continue;
      const uint64_t near_m = (200 * uint64_t(k) + n) / (2 * uint64_t(n));
      if (near_m != uint64_t(m)) continue;
      last = k;
      if (k < lo || k > hi) continue;
      const double pr = std::exp(log_binomial_pmf(n, k, log_p, log_q, log_n_fact));
      total += pr;
      if (expected_by_percent) expected_by_percent[m] += pr;
    }
  }
  return std::min(total, 1.0);
}

double benford_second_digit(int d) {
  double p = 0;
  for (int k = 1; k <= 9; ++k) p += std::log10(1.0 + 1.0 / (10.0 * k + d));
  return p;
}

namespace {

// Regularised lower incomplete gamma P(a, x) by its series, upper Q(a, x) by Lentz's continued
// fraction (each where it converges fast).
double gamma_p_series(double a, double x) {
  double sum = 1.0 / a, term = sum;
  for (int n = 1; n < 1000; ++n) {
    term *= x / (a + n);
    sum += term;
    if (std::fabs(term) < std::fabs(sum) * 1e-15) break;
  }
  return sum * std::exp(-x + a * std::log(x) - std::lgamma(a));
}

double gamma_q_fraction(double a, double x) {
  const double tiny = 1e-300;
  double b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d;
  for (int i = 1; i < 1000; ++i) {
    const double an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (std::fabs(d) < tiny) d = tiny;
    c = b + an / c;
    if (std::fabs(c) < tiny) c = tiny;
    d = 1 / d;
    const double delta = d * c;
    h *= delta;
    if (std::fabs(delta - 1) < 1e-15) break;
  }
  return std::exp(-x + a * std::log(x) - std::lgamma(a)) * h;
}

}  // namespace

double chi_square_upper(double x, int df) {
  if (x <= 0) return 1;
  const double a = df / 2.0, y = x / 2.0;
  if (y < a + 1) return std::clamp(1 - gamma_p_series(a, y), 0.0, 1.0);
  return std::clamp(gamma_q_fraction(a, y), 0.0, 1.0);
}

namespace {

std::string too_few(uint64_t have, uint64_t need, std::string_view what) {
  return "too few " + std::string(what) + ": " + std::to_string(have) + " (the test needs at least " +
         std::to_string(need) + ")";
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  auto mid = v.begin() + v.size() / 2;
  std::nth_element(v.begin(), mid, v.end());
  return *mid;
}

Fingerprint fingerprint(const Sample& s, const Options& o) {
  Fingerprint f;
  f.bins = std::max(1, o.fingerprint_bins);
  f.cells.assign(size_t(f.bins) * f.bins, 0);
  std::vector<double> turnout, share;
  uint64_t leader_total = 0, corner_leader = 0;
  for (size_t t = 0; t < s.tables(); ++t) {
    if (s.registered[t] == 0 || s.cast[t] == 0) continue;
    const double x = std::min(1.0, double(s.cast[t]) / s.registered[t]);
    const double y = std::min(1.0, double(s.leader_votes(t)) / s.cast[t]);
    turnout.push_back(x);
    share.push_back(y);
    const int bx = std::min(f.bins - 1, int(x * f.bins)), by = std::min(f.bins - 1, int(y * f.bins));
    ++f.cells[size_t(by) * f.bins + bx];
    leader_total += s.leader_votes(t);
    if (x >= 0.95 && y >= 0.95) {
      ++f.corner_tables;
      corner_leader += s.leader_votes(t);
    }
  }
  f.tables = turnout.size();
  if (f.tables < kMinFingerprintTables) {
    f.skipped = too_few(f.tables, kMinFingerprintTables, "tables with voters and ballots");
    f.cells.clear();
    f.corner_tables = 0;
    return f;
  }
  f.corner_leader_votes = leader_total ? double(corner_leader) / leader_total : 0;
  const double mx = std::accumulate(turnout.begin(), turnout.end(), 0.0) / f.tables;
  const double my = std::accumulate(share.begin(), share.end(), 0.0) / f.tables;
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < turnout.size(); ++i) {
    sxy += (turnout[i] - mx) * (share[i] - my);
    sxx += (turnout[i] - mx) * (turnout[i] - mx);
    syy += (share[i] - my) * (share[i] - my);
  }
  f.correlation = sxx > 0 && syy > 0 ? sxy / std::sqrt(sxx * syy) : 0;
  f.median_turnout = median(std::move(turnout));
  f.median_share = median(std::move(share));
  return f;
}

// The integer test's inputs for one quantity: per table, whether it is in the test, its observed
// hit and its hit probability under resampling as a 32-bit threshold (2^32 = always).
struct IntegerInputs {
  std::vector<uint32_t> table;      // tables in the test
  std::vector<uint64_t> threshold;  // per entry of `table`
  std::vector<uint8_t> hit;
  std::array<double, 101> expected_by_percent{};
  std::array<uint64_t, 101> observed_by_percent{};
  double expected = 0;
  uint64_t observed = 0;
};

template <typename BaseFn, typename CountFn>
IntegerInputs integer_inputs(const Sample& s, BaseFn base, CountFn count) {
  IntegerInputs in;
  for (size_t t = 0; t < s.tables(); ++t) {
    const uint32_t n = base(t), k = count(t);
    if (n < kMinIntegerBase || k > n) continue;
    const double pr = round_percent_probability(n, double(k) / n, in.expected_by_percent.data());
    in.table.push_back(uint32_t(t));
    in.threshold.push_back(pr >= 1 ? (uint64_t(1) << 32) : uint64_t(std::ldexp(pr, 32)));
    const bool hit = at_round_percent(k, n);
    in.hit.push_back(hit);
    in.expected += pr;
    if (hit) {
      ++in.observed;
      ++in.observed_by_percent[(200 * uint64_t(k) + n) / (2 * uint64_t(n))];
    }
  }
  return in;
}

// Monte Carlo: resample r draws, for every table of both tests, whether its resampled count is at
// a round percentage (a Bernoulli trial with the table's exact probability: the same distribution
// as drawing the binomial count and testing it). Counts per resample, nationally and per group.
struct Resampled {
  std::vector<uint32_t> turnout, share;  // per resample
  std::vector<uint32_t> turnout_group;   // resample-major, per group
};

Resampled resample(const Sample& s, const IntegerInputs& a, const IntegerInputs& b, const Options& o) {
  const size_t groups = std::max<size_t>(1, s.group_codes.size());
  Resampled r;
  r.turnout.assign(o.resamples, 0);
  r.share.assign(o.resamples, 0);
  r.turnout_group.assign(size_t(o.resamples) * groups, 0);
  // Group of each test-a table, precomputed so the loop reads one array.
  std::vector<uint32_t> a_group(a.table.size());
  for (size_t i = 0; i < a.table.size(); ++i) a_group[i] = s.group.empty() ? 0 : s.group[a.table[i]];
  auto run = [&](uint32_t from, uint32_t to) {
    for (uint32_t k = from; k < to; ++k) {
      Xoshiro256 rng(o.seed, k);
      uint32_t* per_group = &r.turnout_group[size_t(k) * groups];
      uint32_t hits = 0;
      const size_t common = std::min(a.table.size(), b.table.size());
      uint32_t hits_b = 0;
      size_t i = 0;
      for (; i < common; ++i) {
        const uint64_t x = rng.next();
        const bool ha = (x & 0xffffffffu) < a.threshold[i];
        const bool hb = (x >> 32) < b.threshold[i];
        hits += ha;
        hits_b += hb;
        per_group[a_group[i]] += ha;
      }
      for (size_t j = i; j < a.table.size(); ++j) {
        const bool ha = (rng.next() & 0xffffffffu) < a.threshold[j];
        hits += ha;
        per_group[a_group[j]] += ha;
      }
      for (size_t j = i; j < b.table.size(); ++j) hits_b += (rng.next() >> 32) < b.threshold[j];
      r.turnout[k] = hits;
      r.share[k] = hits_b;
    }
  };
  const unsigned threads = std::max(1u, std::min<unsigned>(o.threads, o.resamples ? o.resamples : 1));
  if (threads == 1) {
    run(0, o.resamples);
  } else {
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < threads; ++t) {
      const uint32_t from = uint32_t(uint64_t(o.resamples) * t / threads);
      const uint32_t to = uint32_t(uint64_t(o.resamples) * (t + 1) / threads);
      pool.emplace_back(run, from, to);
    }
    for (auto& th : pool) th.join();
  }
  return r;
}

IntegerTest integer_result(std::string quantity, const IntegerInputs& in, const std::vector<uint32_t>& counts,
                           const Options& o) {
  IntegerTest t;
  t.quantity = std::move(quantity);
  t.tables = in.table.size();
  if (t.tables < kMinIntegerTables) {
    t.skipped = too_few(t.tables, kMinIntegerTables, "tables with at least 100 in the base");
    t.tables = 0;
    return t;
  }
  t.observed = in.observed;
  t.expected = in.expected;
  t.resamples = o.resamples;
  double sum = 0, sum2 = 0;
  for (uint32_t c : counts) {
    sum += c;
    sum2 += double(c) * c;
    if (c >= in.observed) ++t.resamples_at_least;
  }
  if (!counts.empty()) {
    const double mean = sum / counts.size();
    t.sd = std::sqrt(std::max(0.0, sum2 / counts.size() - mean * mean));
  }
  t.p_value = double(1 + t.resamples_at_least) / double(1 + t.resamples);
  std::vector<IntegerPeak> peaks;
  for (int m = 0; m <= 100; ++m) {
    if (double(in.observed_by_percent[m]) > in.expected_by_percent[m])
      peaks.push_back({m, in.observed_by_percent[m], in.expected_by_percent[m]});
  }
  std::sort(peaks.begin(), peaks.end(), [](const IntegerPeak& x, const IntegerPeak& y) {
    const double ex = double(x.observed) - x.expected, ey = double(y.observed) - y.expected;
    return ex != ey ? ex > ey : x.percent < y.percent;
  });
  if (peaks.size() > o.peaks) peaks.resize(o.peaks);
  t.peaks = std::move(peaks);
  return t;
}

ShpilkinEstimate shpilkin(const Sample& s, const Options& o, std::vector<double>* per_table_excess) {
  ShpilkinEstimate e;
  e.bin_width = o.shpilkin_bin > 0 ? o.shpilkin_bin : 0.5;
  const int nbins = int(std::ceil(100.0 / e.bin_width)) + 1;
  std::vector<double> voters(nbins, 0);
  std::vector<int> bin(s.tables(), -1);
  uint64_t usable = 0;
  for (size_t t = 0; t < s.tables(); ++t) {
    e.leader_votes += s.leader_votes(t);
    if (s.registered[t] == 0) continue;
    const double turnout = std::min(100.0, 100.0 * s.cast[t] / s.registered[t]);
    bin[t] = std::min(nbins - 1, int(turnout / e.bin_width));
    voters[bin[t]] += s.registered[t];
    ++usable;
  }
  if (usable < kMinShpilkinTables) {
    e.skipped = too_few(usable, kMinShpilkinTables, "tables with registered voters");
    e.leader_votes = 0;
    return e;
  }
  // The clean reference: the turnout bin at the peak of the registered voters' distribution,
  // smoothed over +-kSmooth bins so that a spike of tables at one round turnout (the very
  // fabrication measured) cannot become the reference.
  std::vector<double> smooth(nbins, 0);
  for (int b = 0; b < nbins; ++b)
    for (int k = std::max(0, b - kShpilkinSmoothBins); k <= std::min(nbins - 1, b + kShpilkinSmoothBins); ++k)
      smooth[b] += voters[k];
  const int mode = int(std::max_element(smooth.begin(), smooth.end()) - smooth.begin());
  e.mode = (mode + 0.5) * e.bin_width;
  uint64_t ref_leader = 0, ref_cast = 0;
  for (size_t t = 0; t < s.tables(); ++t) {
    if (bin[t] == mode) {
      ++e.reference_tables;
      ref_leader += s.leader_votes(t);
      ref_cast += s.cast[t];
    }
  }
  if (ref_cast == 0 || ref_leader >= ref_cast) {
    e.skipped = "the modal turnout bin has no ballots for other candidates, so there is no clean reference";
    e.leader_votes = 0;
    return e;
  }
  e.reference_share = double(ref_leader) / ref_cast;
  const double ratio = e.reference_share / (1 - e.reference_share);
  e.leader_by_bin.assign(nbins, 0);
  e.others_by_bin.assign(nbins, 0);
  for (size_t t = 0; t < s.tables(); ++t) {
    if (bin[t] < 0) continue;
    e.leader_by_bin[bin[t]] += s.leader_votes(t);
    e.others_by_bin[bin[t]] += s.cast[t] - std::min(s.cast[t], s.leader_votes(t));
  }
  if (per_table_excess) per_table_excess->assign(s.tables(), 0);
  for (size_t t = 0; t < s.tables(); ++t) {
    if (bin[t] <= mode) continue;
    ++e.tables_above;
    const double others = double(s.cast[t]) - s.leader_votes(t);
    const double excess = s.leader_votes(t) - others * ratio;
    e.anomalous_votes += excess;
    if (per_table_excess) (*per_table_excess)[t] = excess;
  }
  return e;
}

template <typename Fn>
DigitTest digit_test(std::string kind, const Sample& s, uint64_t min_counts, Fn digit_of,
                     const std::array<double, 10>& expected, const std::vector<uint8_t>* in_group = nullptr) {
  DigitTest d;
  d.kind = std::move(kind);
  d.expected = expected;
  const size_t nc = s.candidates.size();
  for (size_t t = 0; t < s.tables(); ++t) {
    if (in_group && !(*in_group)[t]) continue;
    for (size_t c = 0; c < nc; ++c) {
      const uint32_t v = s.votes[t * nc + c];
      if (v < 10) continue;
      ++d.observed[digit_of(v)];
      ++d.counts;
    }
  }
  if (d.counts < min_counts) {
    d.skipped = too_few(d.counts, min_counts, "candidate counts of 10 or more");
    d.observed = {};
    d.counts = 0;
    return d;
  }
  for (int i = 0; i < 10; ++i) {
    const double e = expected[i] * d.counts;
    d.chi2 += (d.observed[i] - e) * (d.observed[i] - e) / e;
  }
  d.p_value = chi_square_upper(d.chi2, 9);
  return d;
}

int last_digit(uint32_t v) { return int(v % 10); }
int second_digit(uint32_t v) {
  while (v >= 100) v /= 10;
  return int(v % 10);
}

std::string format_p(double p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2g", p);
  return buf;
}

}  // namespace

Report analyse(const Sample& s, const Options& o) {
  Report r;
  r.options = o;
  r.tables = s.tables();
  r.turnout_excluded_tables = s.registered_unknown;
  r.group_level = s.group_level;
  if (!s.candidates.empty()) r.leader = s.candidates[s.leader];
  r.fingerprint = fingerprint(s, o);
  r.turnout_histogram.assign(1001, 0);
  r.share_histogram.assign(1001, 0);
  for (size_t t = 0; t < s.tables(); ++t) {
    if (s.registered[t] > 0 && s.cast[t] <= s.registered[t])
      ++r.turnout_histogram[(2000 * uint64_t(s.cast[t]) + s.registered[t]) / (2 * uint64_t(s.registered[t]))];
    if (s.cast[t] > 0 && s.leader_votes(t) <= s.cast[t])
      ++r.share_histogram[(2000 * uint64_t(s.leader_votes(t)) + s.cast[t]) / (2 * uint64_t(s.cast[t]))];
  }

  IntegerInputs turnout_in = integer_inputs(s, [&](size_t t) { return s.registered[t]; },
                                            [&](size_t t) { return s.cast[t]; });
  IntegerInputs share_in = integer_inputs(s, [&](size_t t) { return s.cast[t]; },
                                          [&](size_t t) { return s.leader_votes(t); });
  Resampled res = resample(s, turnout_in, share_in, o);
  r.integer_turnout = integer_result("turnout", turnout_in, res.turnout, o);
  r.integer_share = integer_result("leader_share", share_in, res.share, o);

  std::vector<double> excess;
  r.shpilkin = shpilkin(s, o, &excess);

  std::array<double, 10> uniform;
  uniform.fill(0.1);
  std::array<double, 10> benford2;
  for (int d = 0; d < 10; ++d) benford2[d] = benford_second_digit(d);
  r.last_digit = digit_test("last", s, kMinLastDigitCounts, last_digit, uniform);
  r.second_digit = digit_test("second", s, kMinSecondDigitCounts, second_digit, benford2);

  // Per area.
  const size_t groups = s.group_codes.size();
  if (groups == 0) return r;
  r.groups.resize(groups);
  std::vector<uint64_t> group_hits(groups, 0), group_tables_in(groups, 0);
  std::vector<double> group_expected(groups, 0);
  for (size_t i = 0; i < turnout_in.table.size(); ++i) {
    const uint32_t g = s.group[turnout_in.table[i]];
    ++group_tables_in[g];
    group_hits[g] += turnout_in.hit[i];
    group_expected[g] += turnout_in.threshold[i] >= (uint64_t(1) << 32) ? 1.0 : std::ldexp(double(turnout_in.threshold[i]), -32);
  }
  for (size_t t = 0; t < s.tables(); ++t) {
    GroupResult& g = r.groups[s.group[t]];
    ++g.tables;
    g.leader_votes += s.leader_votes(t);
    if (!excess.empty()) g.anomalous_votes += excess[t];
  }
  const double national_fraction =
      r.shpilkin.skipped.empty() && r.shpilkin.leader_votes ? r.shpilkin.anomalous_votes / r.shpilkin.leader_votes : 0;
  const double level = r.alpha / double(groups);
  std::vector<uint8_t> in_group(s.tables());
  for (size_t gi = 0; gi < groups; ++gi) {
    GroupResult& g = r.groups[gi];
    g.code = s.group_codes[gi];
    g.name = gi < s.group_names.size() ? s.group_names[gi] : g.code;
    if (group_tables_in[gi] < kMinIntegerTables) {
      g.integer_skipped = too_few(group_tables_in[gi], kMinIntegerTables, "tables with at least 100 voters");
    } else {
      g.integer_tables = group_tables_in[gi];
      g.integer_observed = group_hits[gi];
      g.integer_expected = group_expected[gi];
      uint32_t at_least = 0;
      for (uint32_t k = 0; k < o.resamples; ++k)
        if (res.turnout_group[size_t(k) * groups + gi] >= g.integer_observed) ++at_least;
      g.integer_p_value = double(1 + at_least) / double(1 + o.resamples);
      if (g.integer_p_value < level)
        g.stands_out.push_back("round-percentage turnouts: " + std::to_string(g.integer_observed) + " tables, " +
                               std::to_string(int(std::lround(g.integer_expected))) + " expected (p = " +
                               format_p(g.integer_p_value) + ")");
    }
    if (!r.shpilkin.skipped.empty()) {
      g.shpilkin_skipped = r.shpilkin.skipped;
      g.anomalous_votes = 0;
    } else if (g.leader_votes > 0) {
      const double f = g.anomalous_votes / g.leader_votes;
      if (f >= 0.05 && f >= 2 * national_fraction)
        g.stands_out.push_back("anomalous votes " + std::to_string(int(std::lround(100 * f))) +
                               " % of the leader's votes (national " +
                               std::to_string(int(std::lround(100 * national_fraction))) + " %)");
    }
    for (size_t t = 0; t < s.tables(); ++t) in_group[t] = s.group[t] == gi;
    DigitTest d = digit_test("last", s, kMinLastDigitCounts, last_digit, uniform, &in_group);
    g.last_digit_skipped = d.skipped;
    g.last_digit_chi2 = d.chi2;
    g.last_digit_p_value = d.p_value;
    if (d.skipped.empty() && d.p_value < level)
      g.stands_out.push_back("last digits not uniform (chi-square " + format_p(d.chi2) + ", p = " +
                             format_p(d.p_value) + ")");
  }
  return r;
}

}  // namespace tallylog::forensics
