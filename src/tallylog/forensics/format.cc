#include "tallylog/forensics/format.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "tallylog/tally/format.h"

namespace tallylog::forensics {
namespace {

using nlohmann::ordered_json;

std::string num(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}
std::string p_text(double p, uint32_t resamples) {
  if (resamples > 0 && p <= 1.0 / (1 + resamples) + 1e-12)
    return "p < " + num(1.0 / resamples, resamples >= 1000 ? 3 : 2);
  char buf[32];
  std::snprintf(buf, sizeof buf, "p = %.2g", p);
  return buf;
}
std::string chi_p_text(double p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, p < 1e-4 ? "p = %.1e" : "p = %.2g", p);
  return buf;
}
std::string thousands(double v) { return tally::with_thousands(static_cast<int64_t>(std::llround(v))); }
double round6(double v) { return std::round(v * 1e6) / 1e6; }

std::string xml_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

ordered_json integer_json(const IntegerTest& t) {
  ordered_json j;
  j["quantity"] = t.quantity;
  if (!t.skipped.empty()) {
    j["skipped"] = t.skipped;
    return j;
  }
  j["tables"] = t.tables;
  j["observed"] = t.observed;
  j["expected"] = round6(t.expected);
  j["sd"] = round6(t.sd);
  j["resamples"] = t.resamples;
  j["resamples_at_least"] = t.resamples_at_least;
  j["p_value"] = round6(t.p_value);
  ordered_json peaks = ordered_json::array();
  for (const auto& p : t.peaks)
    peaks.push_back({{"percent", p.percent}, {"observed", p.observed}, {"expected", round6(p.expected)}});
  j["peaks"] = peaks;
  return j;
}

ordered_json digit_json(const DigitTest& d) {
  ordered_json j;
  j["kind"] = d.kind;
  if (!d.skipped.empty()) {
    j["skipped"] = d.skipped;
    return j;
  }
  j["counts"] = d.counts;
  j["observed"] = d.observed;
  ordered_json e = ordered_json::array();
  for (double x : d.expected) e.push_back(round6(x));
  j["expected"] = e;
  j["chi2"] = round6(d.chi2);
  j["p_value"] = d.p_value < 1e-6 ? d.p_value : round6(d.p_value);
  return j;
}

ordered_json shpilkin_json(const ShpilkinEstimate& e) {
  ordered_json j;
  if (!e.skipped.empty()) {
    j["skipped"] = e.skipped;
    return j;
  }
  j["bin_width"] = e.bin_width;
  j["mode"] = round6(e.mode);
  j["reference_tables"] = e.reference_tables;
  j["reference_share"] = round6(e.reference_share);
  j["tables_above"] = e.tables_above;
  j["leader_votes"] = e.leader_votes;
  j["anomalous_votes"] = std::llround(e.anomalous_votes);
  return j;
}

ordered_json summary_json(const Report& r) {
  ordered_json j;
  j["tables"] = r.tables;
  j["leader"] = r.leader;
  j["integer"] = {{"turnout", integer_json(r.integer_turnout)}, {"leader_share", integer_json(r.integer_share)}};
  j["shpilkin"] = shpilkin_json(r.shpilkin);
  j["digits"] = {{"last", digit_json(r.last_digit)}, {"second", digit_json(r.second_digit)}};
  return j;
}

}  // namespace

void mark_sources(std::vector<SourceReport>& sources, double alpha) {
  if (sources.empty()) return;
  const double level = alpha / double(sources.size());
  for (auto& s : sources) {
    s.stands_out.clear();
    const Report& r = s.report;
    for (const IntegerTest* t : {&r.integer_turnout, &r.integer_share}) {
      if (t->skipped.empty() && t->p_value < level)
        s.stands_out.push_back(std::string(t == &r.integer_turnout ? "round-percentage turnouts" : "round-percentage leader's shares") +
                               ": " + std::to_string(t->observed) + " tables, " + thousands(t->expected) + " expected (" +
                               p_text(t->p_value, t->resamples) + ")");
    }
    if (r.last_digit.skipped.empty() && r.last_digit.p_value < level)
      s.stands_out.push_back("last digits not uniform (" + chi_p_text(r.last_digit.p_value) + ")");
  }
}

std::vector<std::string> readings(const Report& r) {
  std::vector<std::string> out;
  const Fingerprint& f = r.fingerprint;
  if (!f.skipped.empty()) {
    out.push_back("Fingerprint: not drawn, " + f.skipped + ".");
  } else {
    out.push_back("Fingerprint: " + thousands(double(f.tables)) + " tables, median turnout " + num(100 * f.median_turnout, 1) +
                  " %, median share of " + r.leader + " " + num(100 * f.median_share, 1) + " %; " +
                  thousands(double(f.corner_tables)) + " tables (" + num(100.0 * f.corner_tables / f.tables, 1) +
                  " %) at 95 % turnout and 95 % for the leader or more, holding " + num(100 * f.corner_leader_votes, 1) +
                  " % of the leader's votes; turnout-share correlation " + num(f.correlation, 2) + ".");
  }
  for (const IntegerTest* t : {&r.integer_turnout, &r.integer_share}) {
    const std::string what = t == &r.integer_turnout ? "Round-percentage turnouts" : "Round-percentage shares of " + r.leader;
    if (!t->skipped.empty()) {
      out.push_back(what + ": not tested, " + t->skipped + ".");
      continue;
    }
    std::string s = what + ": " + thousands(double(t->observed)) + " of " + thousands(double(t->tables)) + " tables, " +
                    thousands(t->expected) + " expected under binomial resampling (" + p_text(t->p_value, t->resamples) +
                    ", " + std::to_string(t->resamples) + " resamples)";
    if (!t->peaks.empty() && t->p_value < 0.01) {
      s += "; largest excesses at";
      for (size_t i = 0; i < t->peaks.size() && i < 3; ++i)
        s += (i ? ", " : " ") + std::to_string(t->peaks[i].percent) + " %";
    }
    out.push_back(s + ".");
  }
  const ShpilkinEstimate& e = r.shpilkin;
  if (!e.skipped.empty()) {
    out.push_back("Shpilkin estimate: not computed, " + e.skipped + ".");
  } else {
    out.push_back("Shpilkin estimate: " + thousands(e.anomalous_votes) + " anomalous votes for " + r.leader + " (" +
                  num(e.leader_votes ? 100 * e.anomalous_votes / e.leader_votes : 0, 1) + " % of " +
                  thousands(double(e.leader_votes)) + "), taking the turnout mode " + num(e.mode, 2) +
                  " % as clean with the leader's share there, " + num(100 * e.reference_share, 1) + " %.");
  }
  for (const DigitTest* d : {&r.last_digit, &r.second_digit}) {
    const std::string what = d == &r.last_digit ? "Last digits" : "Second digits (2BL)";
    if (!d->skipped.empty()) {
      out.push_back(what + ": not tested, " + d->skipped + ".");
      continue;
    }
    const bool fits = d->p_value >= 0.01;
    std::string s = what + ": " + (fits ? "consistent with " : "differ from ") +
                    (d == &r.last_digit ? "uniform" : "Benford's second-digit law") + " over " +
                    thousands(double(d->counts)) + " counts (chi-square " + num(d->chi2, 1) + ", " + chi_p_text(d->p_value) + ")";
    if (d == &r.second_digit) s += "; a weak test either way (Mebane 2013)";
    out.push_back(s + ".");
  }
  return out;
}

std::string report_to_json(const Report& r, const std::vector<SourceReport>& sources, const std::string& context) {
  ordered_json j;
  j["leader"] = r.leader;
  j["tables"] = r.tables;
  if (r.turnout_excluded_tables != 0) j["turnout_excluded_tables"] = r.turnout_excluded_tables;
  j["options"] = {{"resamples", r.options.resamples}, {"seed", r.options.seed},
                  {"fingerprint_bins", r.options.fingerprint_bins}, {"shpilkin_bin", r.options.shpilkin_bin}};
  ordered_json f;
  if (!r.fingerprint.skipped.empty()) {
    f["skipped"] = r.fingerprint.skipped;
  } else {
    f["bins"] = r.fingerprint.bins;
    f["tables"] = r.fingerprint.tables;
    f["corner_tables"] = r.fingerprint.corner_tables;
    f["corner_leader_votes"] = round6(r.fingerprint.corner_leader_votes);
    f["correlation"] = round6(r.fingerprint.correlation);
    f["median_turnout"] = round6(r.fingerprint.median_turnout);
    f["median_share"] = round6(r.fingerprint.median_share);
    f["cells"] = r.fingerprint.cells;
  }
  j["fingerprint"] = f;
  ordered_json full = summary_json(r);
  j["integer"] = full["integer"];
  j["shpilkin"] = full["shpilkin"];
  j["digits"] = full["digits"];
  ordered_json areas;
  areas["level"] = r.group_level;
  areas["alpha"] = r.alpha;
  ordered_json list = ordered_json::array();
  for (const GroupResult& g : r.groups) {
    ordered_json a;
    a["code"] = g.code;
    a["name"] = g.name;
    a["tables"] = g.tables;
    a["leader_votes"] = g.leader_votes;
    if (!g.integer_skipped.empty()) {
      a["integer_turnout"] = {{"skipped", g.integer_skipped}};
    } else {
      a["integer_turnout"] = {{"tables", g.integer_tables}, {"observed", g.integer_observed},
                              {"expected", round6(g.integer_expected)}, {"p_value", round6(g.integer_p_value)}};
    }
    if (!g.shpilkin_skipped.empty()) {
      a["anomalous_votes"] = nullptr;
    } else {
      a["anomalous_votes"] = std::llround(g.anomalous_votes);
    }
    if (!g.last_digit_skipped.empty()) {
      a["last_digit"] = {{"skipped", g.last_digit_skipped}};
    } else {
      a["last_digit"] = {{"chi2", round6(g.last_digit_chi2)}, {"p_value", g.last_digit_p_value}};
    }
    a["stands_out"] = g.stands_out;
    list.push_back(a);
  }
  areas["list"] = list;
  j["areas"] = areas;
  ordered_json src = ordered_json::array();
  for (const SourceReport& s : sources) {
    ordered_json o = summary_json(s.report);
    o["source"] = s.source;
    o["stands_out"] = s.stands_out;
    src.push_back(o);
  }
  j["sources"] = src;
  j["readings"] = readings(r);
  std::string body = j.dump();
  if (context.empty()) return body;
  return "{" + context + (body.size() > 2 ? "," + body.substr(1) : "}");
}

std::string report_to_text(const Report& r, const std::vector<SourceReport>& sources) {
  std::string out;
  out += "Forensics over " + thousands(double(r.tables)) + " counted tables; leader " + r.leader + "\n";
  if (r.turnout_excluded_tables != 0)
    out += thousands(double(r.turnout_excluded_tables)) +
           " of them have unknown registered voters and are left out of every turnout-based test\n";
  out += "\n";
  for (const std::string& line : readings(r)) out += "- " + line + "\n";
  for (const IntegerTest* t : {&r.integer_turnout, &r.integer_share}) {
    if (!t->skipped.empty() || t->peaks.empty()) continue;
    out += "\n" + std::string(t == &r.integer_turnout ? "Turnout" : "Leader's share") +
           " at round percentages (observed / expected):";
    for (const auto& p : t->peaks)
      out += "  " + std::to_string(p.percent) + " %: " + std::to_string(p.observed) + " / " + num(p.expected, 1);
    out += "\n";
  }
  if (!r.groups.empty()) {
    out += "\nBy " + r.group_level + " (stands out: p < " + num(r.alpha, 2) + " / " + std::to_string(r.groups.size()) +
           " areas, or anomalous votes >= 5 % of the leader's and twice the national rate)\n";
    char line[512];
    std::snprintf(line, sizeof line, "%-28s %8s %12s %14s %10s %12s\n", "area", "tables", "round/exp", "p(round)",
                  "anomalous", "p(last dig)");
    out += line;
    for (const GroupResult& g : r.groups) {
      std::string round = g.integer_skipped.empty() ? std::to_string(g.integer_observed) + "/" + num(g.integer_expected, 0) : "-";
      std::string pr = g.integer_skipped.empty() ? num(g.integer_p_value, 4) : "too few";
      std::string an = g.shpilkin_skipped.empty() ? thousands(g.anomalous_votes) : "-";
      std::string pl = g.last_digit_skipped.empty() ? chi_p_text(g.last_digit_p_value).substr(4) : "too few";
      std::string name = g.name.substr(0, 28);
      std::snprintf(line, sizeof line, "%-28s %8llu %12s %14s %10s %12s%s\n", name.c_str(),
                    static_cast<unsigned long long>(g.tables), round.c_str(), pr.c_str(), an.c_str(), pl.c_str(),
                    g.stands_out.empty() ? "" : "  *");
      out += line;
    }
    for (const GroupResult& g : r.groups)
      for (const std::string& why : g.stands_out) out += "* " + g.name + ": " + why + "\n";
  }
  if (!sources.empty()) {
    out += "\nBy source\n";
    for (const SourceReport& s : sources) {
      out += "  " + s.source + ": " + thousands(double(s.report.tables)) + " tables";
      const IntegerTest& t = s.report.integer_turnout;
      if (t.skipped.empty())
        out += ", round turnouts " + std::to_string(t.observed) + " / " + num(t.expected, 0) + " expected (" +
               p_text(t.p_value, t.resamples) + ")";
      if (s.report.shpilkin.skipped.empty()) out += ", anomalous " + thousands(s.report.shpilkin.anomalous_votes);
      if (s.report.last_digit.skipped.empty()) out += ", last digits " + chi_p_text(s.report.last_digit.p_value);
      out += s.stands_out.empty() ? "\n" : "  * stands out\n";
      for (const std::string& why : s.stands_out) out += "    * " + why + "\n";
    }
  }
  return out;
}

// ---- SVG ----------------------------------------------------------------------------------

namespace {

constexpr int kW = 640, kH = 520, kLeft = 60, kTop = 40, kPlot = 420;

std::string svg_open(const std::string& title, int w = kW, int h = kH) {
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(w) + "\" height=\"" + std::to_string(h) +
         "\" viewBox=\"0 0 " + std::to_string(w) + " " + std::to_string(h) +
         "\" font-family=\"sans-serif\" font-size=\"12\"><title>" + xml_escape(title) +
         "</title><rect width=\"100%\" height=\"100%\" fill=\"#fff\"/><text x=\"" + std::to_string(kLeft) +
         "\" y=\"22\" font-size=\"14\" font-weight=\"bold\">" + xml_escape(title) + "</text>";
}

std::string text_at(double x, double y, const std::string& s, const char* anchor = "middle", const char* extra = "") {
  return "<text x=\"" + num(x, 1) + "\" y=\"" + num(y, 1) + "\" text-anchor=\"" + anchor + "\"" + extra + ">" +
         xml_escape(s) + "</text>";
}

// Axes 0..100 % on both sides of a kPlot square at (kLeft, kTop).
std::string square_axes(const std::string& xlabel, const std::string& ylabel) {
  std::string out = "<rect x=\"" + std::to_string(kLeft) + "\" y=\"" + std::to_string(kTop) + "\" width=\"" +
                    std::to_string(kPlot) + "\" height=\"" + std::to_string(kPlot) +
                    "\" fill=\"none\" stroke=\"#333\"/>";
  for (int p = 0; p <= 100; p += 20) {
    const double x = kLeft + kPlot * p / 100.0, y = kTop + kPlot - kPlot * p / 100.0;
    out += text_at(x, kTop + kPlot + 16, std::to_string(p));
    out += text_at(kLeft - 6, y + 4, std::to_string(p), "end");
  }
  out += text_at(kLeft + kPlot / 2.0, kTop + kPlot + 34, xlabel);
  out += "<text transform=\"translate(16," + std::to_string(kTop + kPlot / 2) + ") rotate(-90)\" text-anchor=\"middle\">" +
         xml_escape(ylabel) + "</text>";
  return out;
}

// White -> dark blue -> red on a log scale of count / max.
std::string heat(uint32_t count, uint32_t max) {
  const double v = std::log1p(double(count)) / std::log1p(double(std::max<uint32_t>(1, max)));
  int r, g, b;
  if (v < 0.5) {
    const double u = v / 0.5;
    r = int(230 - 200 * u), g = int(240 - 150 * u), b = int(255 - 80 * u);
  } else {
    const double u = (v - 0.5) / 0.5;
    r = int(30 + 200 * u), g = int(90 - 70 * u), b = int(175 - 150 * u);
  }
  char buf[16];
  std::snprintf(buf, sizeof buf, "#%02x%02x%02x", r, g, b);
  return buf;
}

std::string skipped_svg(const std::string& title, const std::string& why) {
  return svg_open(title, kW, 120) + text_at(kLeft, 70, "Not drawn: " + why, "start") + "</svg>\n";
}

}  // namespace

std::string fingerprint_svg(const Report& r, const std::string& title) {
  const Fingerprint& f = r.fingerprint;
  if (!f.skipped.empty()) return skipped_svg(title, f.skipped);
  std::string out = svg_open(title);
  const uint32_t max = f.cells.empty() ? 1 : *std::max_element(f.cells.begin(), f.cells.end());
  const double cell = double(kPlot) / f.bins;
  for (int y = 0; y < f.bins; ++y) {
    for (int x = 0; x < f.bins; ++x) {
      const uint32_t c = f.cells[size_t(y) * f.bins + x];
      if (c == 0) continue;
      out += "<rect x=\"" + num(kLeft + x * cell, 2) + "\" y=\"" + num(kTop + kPlot - (y + 1) * cell, 2) + "\" width=\"" +
             num(cell + 0.05, 2) + "\" height=\"" + num(cell + 0.05, 2) + "\" fill=\"" + heat(c, max) + "\"/>";
    }
  }
  out += square_axes("turnout, %", "share of " + r.leader + ", %");
  // Colour key.
  const int kx = kLeft + kPlot + 30;
  for (int i = 0; i <= 10; ++i) {
    const uint32_t c = uint32_t(std::lround(std::expm1(std::log1p(double(max)) * i / 10.0)));
    out += "<rect x=\"" + std::to_string(kx) + "\" y=\"" + std::to_string(kTop + kPlot - (i + 1) * 30) +
           "\" width=\"20\" height=\"30\" fill=\"" + heat(c, max) + "\"/>";
    if (i % 2 == 0) out += text_at(kx + 26, kTop + kPlot - i * 30 - 10, std::to_string(c), "start");
  }
  out += text_at(kx, kTop - 8, "tables", "start");
  out += text_at(kLeft, kH - 12,
                 thousands(double(f.tables)) + " tables; " + thousands(double(f.corner_tables)) +
                     " at >= 95 % turnout and >= 95 % share (Klimek et al., PNAS 2012)",
                 "start");
  return out + "</svg>\n";
}

std::string integer_svg(const Report& r, const std::string& title) {
  if (r.turnout_histogram.empty()) return skipped_svg(title, "no tables");
  const int w = 760, panel = 180;
  std::string out = svg_open(title, w, 2 * panel + 110);
  auto draw = [&](const std::vector<uint32_t>& h, int top, const std::string& label, const IntegerTest& t) {
    const uint32_t max = std::max<uint32_t>(1, *std::max_element(h.begin(), h.end()));
    const double x0 = kLeft, width = w - kLeft - 20;
    out += "<rect x=\"" + num(x0, 0) + "\" y=\"" + std::to_string(top) + "\" width=\"" + num(width, 0) + "\" height=\"" +
           std::to_string(panel - 30) + "\" fill=\"none\" stroke=\"#333\"/>";
    std::string path = "M";
    for (size_t i = 0; i < h.size(); ++i) {
      const double x = x0 + width * i / double(h.size() - 1);
      const double y = top + (panel - 30) - (panel - 34) * double(h[i]) / max;
      path += num(x, 1) + "," + num(y, 1) + (i + 1 < h.size() ? " L" : "");
    }
    for (int p = 0; p <= 100; p += 10) {
      const double x = x0 + width * p / 100.0;
      out += "<line x1=\"" + num(x, 1) + "\" x2=\"" + num(x, 1) + "\" y1=\"" + std::to_string(top) + "\" y2=\"" +
             std::to_string(top + panel - 30) + "\" stroke=\"#ddd\"/>";
      out += text_at(x, top + panel - 16, std::to_string(p));
    }
    out += "<path d=\"" + path + "\" fill=\"none\" stroke=\"#1f4e9c\" stroke-width=\"1\"/>";
    std::string note = label + " (tables per 0.1 %)";
    if (t.skipped.empty())
      note += ": " + std::to_string(t.observed) + " at round percentages, " + num(t.expected, 0) + " expected, " +
              p_text(t.p_value, t.resamples);
    out += text_at(x0 + 4, top - 6, note, "start");
  };
  draw(r.turnout_histogram, kTop + 14, "Turnout", r.integer_turnout);
  draw(r.share_histogram, kTop + 14 + panel + 20, "Share of " + r.leader, r.integer_share);
  out += text_at(kLeft, 2 * panel + 100, "Integer-percentage test: Kobak, Shpilkin & Pshenichnikov, Ann. Appl. Stat. 2016",
                 "start");
  return out + "</svg>\n";
}

std::string shpilkin_svg(const Report& r, const std::string& title) {
  const ShpilkinEstimate& e = r.shpilkin;
  if (!e.skipped.empty()) return skipped_svg(title, e.skipped);
  std::string out = svg_open(title);
  const size_t n = e.leader_by_bin.size();
  uint64_t max = 1;
  for (size_t i = 0; i < n; ++i) max = std::max({max, e.leader_by_bin[i], e.others_by_bin[i]});
  auto series = [&](const std::vector<uint64_t>& v, const char* colour) {
    std::string path = "M";
    for (size_t i = 0; i < n; ++i) {
      const double x = kLeft + kPlot * (i + 0.5) * e.bin_width / 100.0;
      const double y = kTop + kPlot - kPlot * double(v[i]) / max;
      path += num(std::min(x, double(kLeft + kPlot)), 1) + "," + num(y, 1) + (i + 1 < n ? " L" : "");
    }
    out += "<path d=\"" + path + "\" fill=\"none\" stroke=\"" + colour + "\" stroke-width=\"1.2\"/>";
  };
  // The clean reference: others' votes x the reference ratio above the mode.
  std::vector<uint64_t> expected(n, 0);
  const double ratio = e.reference_share / (1 - e.reference_share);
  for (size_t i = 0; i < n; ++i) expected[i] = uint64_t(std::llround(e.others_by_bin[i] * ratio));
  series(e.others_by_bin, "#888");
  series(expected, "#2a9d55");
  series(e.leader_by_bin, "#c0392b");
  const double xm = kLeft + kPlot * e.mode / 100.0;
  out += "<line x1=\"" + num(xm, 1) + "\" x2=\"" + num(xm, 1) + "\" y1=\"" + std::to_string(kTop) + "\" y2=\"" +
         std::to_string(kTop + kPlot) + "\" stroke=\"#000\" stroke-dasharray=\"4 3\"/>";
  out += "<rect x=\"" + std::to_string(kLeft) + "\" y=\"" + std::to_string(kTop) + "\" width=\"" + std::to_string(kPlot) +
         "\" height=\"" + std::to_string(kPlot) + "\" fill=\"none\" stroke=\"#333\"/>";
  for (int p = 0; p <= 100; p += 20) out += text_at(kLeft + kPlot * p / 100.0, kTop + kPlot + 16, std::to_string(p));
  out += text_at(kLeft + kPlot / 2.0, kTop + kPlot + 34, "turnout, % (bins of " + num(e.bin_width, 1) + " %)");
  const int lx = kLeft + kPlot + 12;
  out += text_at(lx, kTop + 14, "votes per bin:", "start");
  out += text_at(lx, kTop + 32, r.leader, "start", " fill=\"#c0392b\"");
  out += text_at(lx, kTop + 50, "other ballots", "start", " fill=\"#888\"");
  out += text_at(lx, kTop + 68, "clean " + r.leader, "start", " fill=\"#2a9d55\"");
  out += text_at(lx, kTop + 86, "(reference share", "start");
  out += text_at(lx, kTop + 100, num(100 * e.reference_share, 1) + " % at the mode)", "start");
  out += text_at(kLeft, kH - 12,
                 "Anomalous votes for " + r.leader + ": " + thousands(e.anomalous_votes) + " (mode " + num(e.mode, 2) +
                     " %; Shpilkin's method)",
                 "start");
  return out + "</svg>\n";
}

}  // namespace tallylog::forensics
