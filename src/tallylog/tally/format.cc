#include "tallylog/tally/format.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "tallylog/base/csv.h"

namespace tallylog::tally {
namespace {

using Json = nlohmann::ordered_json;

Json ratio(int64_t num, int64_t den) {
  if (den <= 0) return nullptr;
  return std::round(static_cast<double>(num) / static_cast<double>(den) * 1e6) / 1e6;
}

std::string percent(int64_t num, int64_t den) {
  if (den <= 0) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f%%", 100.0 * static_cast<double>(num) / static_cast<double>(den));
  return buf;
}

std::string dump(const Json& j) {
  // Invalid UTF-8 in a name must not abort a report: replace it.
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Json area_json(const TallyView& tab, AreaId id) {
  const Geography& g = tab.geography();
  const Area& area = g.area(id);
  const AreaTotals t = tab.totals(id);
  Json j;
  j["code"] = id == g.national() ? "national" : area.code;
  j["name"] = id == g.national() ? g.election().name : area.name;
  j["tables_reported"] = t.tables_reported;
  j["tables_registered"] = area.tables_registered;
  j["tables_conflicted"] = t.tables_conflicted;
  j["registered_voters"] = area.registered_voters;
  j["registered_covered"] = t.registered_covered;
  j["coverage"] = ratio(t.tables_reported, static_cast<int64_t>(area.tables_registered));
  j["valid"] = t.valid(g);
  j["null"] = t.null(g);
  j["turnout"] = ratio(t.valid(g) + t.null(g), t.registered_covered);
  if (g.field_count() > 2) {
    Json fields = Json::object();
    for (size_t i = 0; i < g.field_count(); ++i) {
      if (i != g.valid_field() && i != g.null_field()) fields[g.fields()[i]] = t.fields[i];
    }
    j["fields"] = std::move(fields);
  }
  Json cands = Json::object();
  for (size_t i = 0; i < g.candidate_count(); ++i) cands[g.election().candidates[i].code] = t.candidates[i];
  j["candidates"] = std::move(cands);
  if (g.card_count() > 0) {
    j["tables_with_cards"] = t.tables_with_cards;
    j["cards"] = t.cards;
  }
  return j;
}

// Display width of UTF-8 text: code points (names such as "Elección" are not all ASCII).
size_t display_width(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// A column-aligned text table: first `left` columns left-aligned, the rest right-aligned.
std::string render(const std::vector<std::vector<std::string>>& rows, size_t left, size_t rule_before_last) {
  std::vector<size_t> width;
  for (const auto& r : rows) {
    if (width.size() < r.size()) width.resize(r.size(), 0);
    for (size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], display_width(r[i]));
  }
  auto line = [&](const std::vector<std::string>& r) {
    std::string out;
    for (size_t i = 0; i < r.size(); ++i) {
      if (i) out += "  ";
      const std::string pad(width[i] - display_width(r[i]), ' ');
      out += i < left ? r[i] + (i + 1 == r.size() ? "" : pad) : pad + r[i];
    }
    return out + "\n";
  };
  size_t total = 0;
  for (size_t w : width) total += w + 2;
  std::string out;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (i == 1 || (rule_before_last && i + 1 == rows.size() && rows.size() > 2)) {
      out += std::string(total > 2 ? total - 2 : 0, '-') + "\n";
    }
    out += line(rows[i]);
  }
  return out;
}

}  // namespace

std::string with_thousands(int64_t n) {
  const bool neg = n < 0;
  uint64_t u = neg ? 0 - static_cast<uint64_t>(n) : static_cast<uint64_t>(n);
  std::string digits = std::to_string(u);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return neg ? "-" + out : out;
}

std::string tally_to_json(const TallyView& tab, int depth, std::optional<uint64_t> log_size) {
  const Geography& g = tab.geography();
  Json j;
  j["level"] = g.depth_name(depth);
  j["source"] = tab.rule_text();
  if (log_size) j["log_size"] = *log_size;
  Json areas = Json::array();
  for (AreaId a = g.depth_begin(depth); a < g.depth_end(depth); ++a) areas.push_back(area_json(tab, a));
  j["areas"] = std::move(areas);
  j["total"] = area_json(tab, g.national());
  j["unplaced_sheets"] = tab.unplaced_sheets();
  return dump(j);
}

std::string tally_to_csv(const TallyView& tab, int depth) {
  const Geography& g = tab.geography();
  std::string out =
      "level,code,name,tables_reported,tables_registered,tables_conflicted,registered_voters,registered_covered";
  for (const std::string& f : g.fields()) out += "," + csv_field(f);
  for (const auto& c : g.election().candidates) out += "," + csv_field(c.code);
  out += "\n";
  auto row = [&](AreaId a, std::string_view level) {
    const Area& area = g.area(a);
    const AreaTotals t = tab.totals(a);
    out += csv_field(level) + "," + csv_field(a == g.national() ? "national" : area.code) + "," +
           csv_field(a == g.national() ? g.election().name : area.name) + "," + std::to_string(t.tables_reported) +
           "," + std::to_string(area.tables_registered) + "," + std::to_string(t.tables_conflicted) + "," +
           std::to_string(area.registered_voters) + "," + std::to_string(t.registered_covered);
    for (int64_t v : t.fields) out += "," + std::to_string(v);
    for (int64_t v : t.candidates) out += "," + std::to_string(v);
    out += "\n";
  };
  for (AreaId a = g.depth_begin(depth); a < g.depth_end(depth); ++a) row(a, g.depth_name(depth));
  if (depth != 0) row(g.national(), "national");
  return out;
}

std::string tally_to_text(const TallyView& tab, int depth) {
  const Geography& g = tab.geography();
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> head = {std::string(g.depth_name(depth)), "name", "counted", "tables", "coverage",
                                   "voters counted / registered", "valid", "null", "turnout"};
  for (const auto& c : g.election().candidates) {
    head.push_back(c.code);
    head.push_back("%");
  }
  rows.push_back(head);
  auto row = [&](AreaId a) {
    const Area& area = g.area(a);
    const AreaTotals t = tab.totals(a);
    std::vector<std::string> r = {a == g.national() ? "TOTAL" : area.code,
                                  a == g.national() ? g.election().name : area.name,
                                  with_thousands(t.tables_reported),
                                  with_thousands(static_cast<int64_t>(area.tables_registered)),
                                  percent(t.tables_reported, static_cast<int64_t>(area.tables_registered)),
                                  with_thousands(t.registered_covered) + " / " +
                                      with_thousands(static_cast<int64_t>(area.registered_voters)),
                                  with_thousands(t.valid(g)),
                                  with_thousands(t.null(g)),
                                  percent(t.valid(g) + t.null(g), t.registered_covered)};
    for (size_t i = 0; i < g.candidate_count(); ++i) {
      r.push_back(with_thousands(t.candidates[i]));
      r.push_back(percent(t.candidates[i], t.valid(g)));
    }
    rows.push_back(std::move(r));
  };
  for (AreaId a = g.depth_begin(depth); a < g.depth_end(depth); ++a) row(a);
  if (depth != 0) row(g.national());
  std::string out = render(rows, 2, depth != 0);
  out += "source: " + tab.rule_text() + "; counted = tables with a counted sheet, of the registry's tables; " +
         "turnout = (valid + null) / voters of counted tables; % = share of valid votes\n";
  const AreaTotals n = tab.totals(g.national());
  if (n.tables_conflicted > 0) {
    out += with_thousands(n.tables_conflicted) + " conflicted tables (sheets disagree) are not counted\n";
  }
  if (tab.unplaced_sheets() > 0) {
    out += with_thousands(static_cast<int64_t>(tab.unplaced_sheets())) +
           " sheets name stations absent from the registry and are not counted\n";
  }
  return out;
}

std::string compare_to_json(const Comparison& c, const Geography& g, std::optional<uint64_t> log_size) {
  Json j;
  j["source_a"] = c.source_a;
  j["source_b"] = c.source_b;
  if (log_size) j["log_size"] = *log_size;
  j["matching"] = c.matching;
  j["only_a"] = c.only_a;
  j["only_b"] = c.only_b;
  j["conflicted"] = c.conflicted_tables.size();
  Json diffs = Json::array();
  for (const TableDifference& d : c.differing) {
    Json dj;
    dj["table"] = d.code;
    dj["log_index_a"] = d.log_index_a;
    dj["log_index_b"] = d.log_index_b;
    Json fields = Json::object();
    for (const FieldDifference& f : d.fields) fields[f.name] = Json::array({f.a, f.b});
    dj["fields"] = std::move(fields);
    dj["size"] = d.size;
    diffs.push_back(std::move(dj));
  }
  j["differing"] = std::move(diffs);
  j["only_a_tables"] = c.only_a_tables;
  j["only_b_tables"] = c.only_b_tables;
  j["conflicted_tables"] = c.conflicted_tables;
  j["level"] = g.depth_name(c.summary_depth);
  Json areas = Json::array();
  for (const AreaComparison& a : c.areas) {
    Json aj;
    aj["code"] = a.area == g.national() ? "national" : g.area(a.area).code;
    aj["name"] = a.area == g.national() ? g.election().name : g.area(a.area).name;
    aj["matching"] = a.matching;
    aj["differing"] = a.differing;
    aj["only_a"] = a.only_a;
    aj["only_b"] = a.only_b;
    aj["conflicted"] = a.conflicted;
    aj["difference"] = a.difference;
    aj["valid_only_a"] = a.valid_only_a;
    aj["valid_only_b"] = a.valid_only_b;
    areas.push_back(std::move(aj));
  }
  j["areas"] = std::move(areas);
  return dump(j);
}

std::string compare_to_text(const Comparison& c, const Geography& g) {
  std::string out = "A = " + c.source_a + ", B = " + c.source_b + "\n";
  out += "matching tables:    " + with_thousands(c.matching) + "\n";
  out += "differing tables:   " + with_thousands(static_cast<int64_t>(c.differing.size())) + "\n";
  out += "only in A:          " + with_thousands(c.only_a) + "\n";
  out += "only in B:          " + with_thousands(c.only_b) + "\n";
  out += "conflicted (A or B): " + with_thousands(static_cast<int64_t>(c.conflicted_tables.size())) + "\n";
  if (!c.areas.empty()) {
    out += "\nby " + std::string(g.depth_name(c.summary_depth)) + ", largest difference first:\n";
    std::vector<std::vector<std::string>> rows = {
        {"code", "name", "matching", "differing", "difference", "only A", "only B", "conflicted"}};
    size_t quiet = 0;
    for (const AreaComparison& a : c.areas) {
      if (a.differing + a.only_a + a.only_b + a.conflicted == 0) {
        ++quiet;
        continue;
      }
      rows.push_back({a.area == g.national() ? "national" : g.area(a.area).code,
                      a.area == g.national() ? g.election().name : g.area(a.area).name, with_thousands(a.matching),
                      with_thousands(a.differing), with_thousands(a.difference), with_thousands(a.only_a),
                      with_thousands(a.only_b), with_thousands(a.conflicted)});
    }
    if (rows.size() > 1) out += render(rows, 2, false);
    out += with_thousands(static_cast<int64_t>(quiet)) + " " + std::string(g.depth_name(c.summary_depth)) +
           " areas where A and B agree on every table they report\n";
  }
  if (!c.differing.empty()) {
    out += "\ndiffering tables (field: A -> B):\n";
    for (const TableDifference& d : c.differing) {
      out += "  " + d.code + " (log " + std::to_string(d.log_index_a) + " vs " + std::to_string(d.log_index_b) + "):";
      for (const FieldDifference& f : d.fields) {
        out += " " + f.name + " " + with_thousands(f.a) + " -> " + with_thousands(f.b) + ";";
      }
      out.back() = '\n';
    }
  }
  return out;
}

std::string bound_to_json(const OutcomeBound& b, const Geography& g, std::optional<uint64_t> log_size) {
  Json j;
  j["source"] = b.source;
  if (log_size) j["log_size"] = *log_size;
  if (b.leader.empty()) {
    j["leader"] = nullptr;
  } else {
    const auto* cand = &g.election().candidates[*g.candidate_index(b.leader)];
    j["leader"] = Json{{"candidate", b.leader}, {"name", cand->name}, {"votes", b.leader_votes}};
  }
  j["tied"] = b.tied;
  Json rivals = Json::array();
  for (const RivalBound& r : b.rivals) {
    rivals.push_back(Json{{"candidate", r.candidate},
                          {"votes", r.votes},
                          {"lead", r.lead},
                          {"decided_full", r.decided_full},
                          {"decided_observed", r.decided_observed}});
  }
  j["rivals"] = std::move(rivals);
  j["tables_counted"] = b.tables_counted;
  j["tables_unreported"] = b.tables_unreported;
  j["tables_conflicted"] = b.tables_conflicted;
  j["registered_unreported"] = b.registered_unreported;
  j["unregistered_voters"] = b.unregistered_voters;
  const bool cap_from_election = b.unregistered_table_cap_source == CapSource::kElection;
  j["unregistered_tables"] = Json{
      {"count", b.unregistered_tables},
      {"in_areas", b.unregistered_tables_in_areas},
      {"max_voters_per_table", b.unregistered_table_cap},
      {"cap_source", cap_from_election ? "election" : "registry_largest"},
      {"cap_table", cap_from_election || b.unregistered_table_cap_table.empty() ? Json(nullptr)
                                                                                : Json(b.unregistered_table_cap_table)},
      {"max_voters", b.unregistered_tables_voters},
      {"max_votes_observed", b.unregistered_tables_observed},
      {"national_turnout", ratio(static_cast<int64_t>(b.national_turnout_cast),
                                 static_cast<int64_t>(b.national_turnout_registered))}};
  Json bounds;
  bounds["full"] = Json{{"turnout", "100%"}, {"max_votes", b.max_full}, {"decided", b.decided_full}};
  bounds["observed"] = Json{{"turnout", "highest observed"},
                            {"level", b.turnout_level},
                            {"max_votes", b.max_observed},
                            {"tables_fallback", b.tables_fallback},
                            {"decided", b.decided_observed}};
  j["bounds"] = std::move(bounds);
  j["decided"] = b.decided_full;
  return dump(j);
}

std::string bound_to_text(const OutcomeBound& b, const Geography& g) {
  auto yes = [](bool v) { return v ? "yes" : "no"; };
  std::string out = "source: " + b.source + "\n";
  if (b.leader.empty()) return out + "no candidates\n";
  const auto& leader = g.election().candidates[*g.candidate_index(b.leader)];
  out += "leader: " + leader.code + " (" + leader.name + ") with " + with_thousands(b.leader_votes) + " votes" +
         (b.tied ? " (tied)" : "") + "\n";
  out += "counted tables: " + with_thousands(b.tables_counted) + "; not counted: " +
         with_thousands(b.tables_unreported) + " (" + with_thousands(b.tables_conflicted) + " conflicted) with " +
         with_thousands(static_cast<int64_t>(b.registered_unreported)) + " registered voters; outside the registry: " +
         with_thousands(static_cast<int64_t>(b.unregistered_voters)) + " voters\n";
  if (b.unregistered_tables != 0) {
    const auto n = [](uint64_t v) { return with_thousands(static_cast<int64_t>(v)); };
    out += "tables absent from the registry, voters unknown: " + n(b.unregistered_tables) +
           " (election file, [unregistered_tables]";
    if (b.unregistered_tables_in_areas != 0) out += "; " + n(b.unregistered_tables_in_areas) + " of them given per area";
    out += ")\n  assumed at most " + n(b.unregistered_table_cap) + " voters each: ";
    if (b.unregistered_table_cap_source == CapSource::kElection) {
      out += "max_voters_per_table in the election file";
    } else {
      out += "the largest registered-voters figure of any table in the registry";
      if (!b.unregistered_table_cap_table.empty()) out += " (" + b.unregistered_table_cap_table + ")";
      out += ", as the election file gives no max_voters_per_table";
    }
    out += "\n  adds up to " + n(b.unregistered_tables_voters) + " voters at 100% turnout and " +
           n(b.unregistered_tables_observed) + " votes at the highest observed turnout (";
    out += b.unregistered_tables_in_areas == b.unregistered_tables ? std::string("per area given")
           : b.national_turnout_registered == 0
               ? std::string("nothing counted: 100%")
               : "nationally " + percent(static_cast<int64_t>(b.national_turnout_cast),
                                         static_cast<int64_t>(b.national_turnout_registered));
    if (b.unregistered_tables_in_areas != 0 && b.unregistered_tables_in_areas != b.unregistered_tables)
      out += "; per area for those given per area";
    out += ")\n";
  }
  out += "unreported maximum at 100% turnout:             " + with_thousands(static_cast<int64_t>(b.max_full)) +
         " votes\n";
  out += "unreported maximum at highest observed turnout: " + with_thousands(static_cast<int64_t>(b.max_observed)) +
         " votes (per " + b.turnout_level + ", " + with_thousands(b.tables_fallback) +
         " tables fell back to a larger area)\n\n";
  std::vector<std::vector<std::string>> rows = {{"rival", "votes", "lead", "decided (100%)", "decided (observed)"}};
  for (const RivalBound& r : b.rivals) {
    rows.push_back({r.candidate, with_thousands(r.votes), with_thousands(r.lead), yes(r.decided_full),
                    yes(r.decided_observed)});
  }
  out += render(rows, 1, false);
  out += "\nbound 100% turnout: decided: " + std::string(yes(b.decided_full)) + "\n";
  out += "bound observed turnout: decided: " + std::string(yes(b.decided_observed)) + "\n";
  return out;
}

std::string SheetExporter::begin() {
  rows_ = 0;
  if (format_ == ExportFormat::kJson) return "{\"election\":" + dump(Json(g_.election().id)) + ",\"sheets\":[\n";
  std::string out = "table";
  const auto& levels = g_.election().levels;
  for (size_t i = 0; i + 1 < levels.size(); ++i) out += "," + csv_field(levels[i].code);
  out += ",source,log_index,supersedes,conflicted,registered";
  for (const std::string& f : g_.fields()) out += "," + csv_field(f);
  for (const auto& c : g_.election().candidates) out += "," + csv_field(c.code);
  for (const auto& card : g_.election().cards) out += ",card" + std::to_string(card.position);
  return out + ",image_sha256\n";
}

std::string SheetExporter::row(const index::SheetRecord& r) {
  const election::Sheet& s = r.sheet;
  const AreaId t = g_.find_table(s.station);
  const auto& levels = g_.election().levels;
  auto field = [&](const std::string& name) -> std::optional<int64_t> {
    auto it = s.fields.find(name);
    if (it == s.fields.end()) return std::nullopt;
    return it->second;
  };
  auto candidate = [&](const std::string& code) -> std::optional<int64_t> {
    auto it = s.candidates.find(code);
    if (it == s.candidates.end()) return std::nullopt;
    return it->second;
  };
  ++rows_;
  if (format_ == ExportFormat::kJson) {
    Json j;
    j["table"] = s.station;
    Json areas = Json::object();
    for (size_t i = 0; i + 1 < levels.size(); ++i) {
      areas[levels[i].code] = t == kNoArea ? Json(nullptr) : Json(g_.area(g_.ancestor(t, int(i) + 1)).code);
    }
    j["areas"] = std::move(areas);
    j["source"] = s.source;
    j["log_index"] = r.log_index;
    j["supersedes"] = s.supersedes ? Json(*s.supersedes) : Json(nullptr);
    j["conflicted"] = r.conflicted;
    j["registered"] = t == kNoArea ? Json(nullptr) : Json(g_.area(t).registered_voters);
    Json fields = Json::object();
    for (const std::string& f : g_.fields()) fields[f] = field(f) ? Json(*field(f)) : Json(nullptr);
    j["fields"] = std::move(fields);
    Json cands = Json::object();
    for (const auto& c : g_.election().candidates) cands[c.code] = candidate(c.code) ? Json(*candidate(c.code)) : Json(nullptr);
    j["candidates"] = std::move(cands);
    if (!s.cards.empty()) j["cards"] = s.cards;
    j["image_sha256"] = s.image_sha256;
    return (rows_ > 1 ? ",\n" : "") + dump(j);
  }
  std::string out = csv_field(s.station);
  for (size_t i = 0; i + 1 < levels.size(); ++i) {
    out += "," + (t == kNoArea ? std::string() : csv_field(g_.area(g_.ancestor(t, int(i) + 1)).code));
  }
  out += "," + csv_field(s.source) + "," + std::to_string(r.log_index) + "," +
         (s.supersedes ? std::to_string(*s.supersedes) : std::string()) + "," + (r.conflicted ? "1" : "0") + "," +
         (t == kNoArea ? std::string() : std::to_string(g_.area(t).registered_voters));
  for (const std::string& f : g_.fields()) out += "," + (field(f) ? std::to_string(*field(f)) : std::string());
  for (const auto& c : g_.election().candidates) {
    out += "," + (candidate(c.code) ? std::to_string(*candidate(c.code)) : std::string());
  }
  for (size_t i = 0; i < g_.card_count(); ++i) {
    out += "," + (i < s.cards.size() && s.cards.size() == g_.card_count() ? std::to_string(s.cards[i]) : std::string());
  }
  return out + "," + csv_field(s.image_sha256) + "\n";
}

std::string SheetExporter::end() { return format_ == ExportFormat::kJson ? "\n]}\n" : std::string(); }

}  // namespace tallylog::tally
