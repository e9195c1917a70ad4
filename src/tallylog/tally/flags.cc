#include "tallylog/tally/flags.h"

#include <nlohmann/json.hpp>

#include "tallylog/election/validate.h"

namespace tallylog::tally {

using Json = nlohmann::ordered_json;

Result<FlagReport> find_flags(index::IndexReader& reader, const Geography& g, const SourceRule& rule) {
  FlagReport out;
  out.source = rule.to_string();
  const election::Election& e = g.election();
  out.sheets_per_rule.assign(e.flags.size(), 0);
  const bool unknown_registered = g.area(g.national()).tables_registered_unknown != 0;
  if (e.flags.empty() && !unknown_registered) return out;
  TL_ASSIGN_OR_RETURN(auto validator, election::Validator::create(e));
  // Rules that use `registered`: not checkable at stations whose registered voters are unknown.
  if (unknown_registered) {
    for (const auto* set : {&validator.rules(), &validator.flag_rules()}) {
      for (size_t i = 0; i < set->size(); ++i) {
        if (!set->uses_registered(i)) continue;
        out.not_checked.push_back({set->rules()[i].text, set == &validator.flag_rules(), 0});
      }
    }
  }
  const std::string filter = rule.kind() == SourceRule::Kind::kExact ? rule.to_string() : "";
  election::Station station;
  std::vector<election::RuleFailure> failures;
  Status first = ok();
  TL_TRY(reader.for_each_current_sheet(filter, [&](const index::SheetRecord& r) {
    if (!first || !rule.matches(r.sheet.source)) return;
    const AreaId t = g.find_table(r.sheet.station);
    if (t == kNoArea) return;
    station.code = r.sheet.station;
    const bool known = g.area(t).tables_registered_unknown == 0;
    station.registered = known ? std::optional<uint64_t>(g.area(t).registered_voters) : std::nullopt;
    election::Sheet sheet = r.sheet;
    failures.clear();
    if (auto rejected = validator.validate_sheet(sheet, &station, &failures)) {
      // Logged under the same election, so this means the registry or the log is not what it was.
      first = err(ErrorCode::kCorrupt, "sheet at log index " + std::to_string(r.log_index) +
                                           " no longer validates: " + rejected->field + ": " + rejected->reason);
      return;
    }
    ++out.sheets_checked;
    if (!known) {
      ++out.sheets_registered_unknown;
      for (UncheckedRule& u : out.not_checked) ++u.sheets;
    }
    if (failures.empty()) return;
    FlaggedSheet f{r.log_index, r.sheet.station, r.sheet.source, {}};
    for (auto& x : failures) {
      ++out.sheets_per_rule[x.rule];
      f.broken.push_back({x.rule, std::move(x.message)});
    }
    out.sheets.push_back(std::move(f));
  }));
  TL_TRY(first);
  return out;
}

std::string flags_to_json(const FlagReport& r, const Geography& g) {
  const auto& flags = g.election().flags;
  Json j;
  j["source"] = r.source;
  j["sheets_checked"] = r.sheets_checked;
  j["sheets_flagged"] = r.sheets.size();
  Json rules = Json::array();
  for (size_t i = 0; i < flags.size(); ++i)
    rules.push_back(Json{{"rule", flags[i].rule}, {"note", flags[i].note}, {"sheets", r.sheets_per_rule[i]}});
  j["rules"] = std::move(rules);
  Json sheets = Json::array();
  for (const FlaggedSheet& s : r.sheets) {
    Json broken = Json::array();
    for (const auto& b : s.broken) broken.push_back(Json{{"rule", flags[b.rule].rule}, {"message", b.message}});
    sheets.push_back(Json{{"table", s.station}, {"source", s.source}, {"log_index", s.log_index}, {"flags", broken}});
  }
  j["sheets"] = std::move(sheets);
  if (r.sheets_registered_unknown != 0) {  // omitted when none, so other reports keep their bytes
    Json nc = Json::array();
    for (const UncheckedRule& u : r.not_checked)
      nc.push_back(Json{{"rule", u.rule}, {"kind", u.flag ? "flag" : "reject"}, {"sheets", u.sheets},
                        {"reason", "registered voters unknown"}});
    j["sheets_registered_unknown"] = r.sheets_registered_unknown;
    j["not_checked"] = std::move(nc);
  }
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string flags_to_text(const FlagReport& r, const Geography& g) {
  const auto& flags = g.election().flags;
  std::string out = "source: " + r.source + "\n";
  std::string unchecked;
  for (const UncheckedRule& u : r.not_checked) {
    unchecked += std::string(u.flag ? "flag" : "reject") + " rule \"" + u.rule + "\": not checked on " +
                 std::to_string(u.sheets) + " sheets: registered voters unknown\n";
  }
  if (r.sheets_registered_unknown != 0) {
    unchecked = std::to_string(r.sheets_registered_unknown) +
                " current sheets are at stations whose registered voters are unknown\n" + unchecked;
  }
  if (flags.empty()) return out + "the election has no flag rules\n" + unchecked;
  for (size_t i = 0; i < flags.size(); ++i) {
    out += "flag rule \"" + flags[i].rule + "\": " + std::to_string(r.sheets_per_rule[i]) + " sheets";
    if (!flags[i].note.empty()) out += " (" + flags[i].note + ")";
    out += "\n";
  }
  for (const FlaggedSheet& s : r.sheets) {
    for (const auto& b : s.broken)
      out += "  " + s.station + "  " + s.source + "  log " + std::to_string(s.log_index) + "  " + b.message + "\n";
  }
  out += std::to_string(r.sheets.size()) + " of " + std::to_string(r.sheets_checked) +
         " current sheets are flagged; they are accepted and counted\n";
  return out + unchecked;
}

}  // namespace tallylog::tally
