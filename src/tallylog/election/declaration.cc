// Declarations: canonical JSON through nlohmann (keys are ASCII member names, candidate codes
// and field names, all identifiers, so its byte-ordered keys are RFC 8785's UTF-16 order; it
// writes UTF-8 unescaped and control characters as RFC 8785 does), TOML through toml++, CSV
// through base/csv.
#include "tallylog/election/declaration.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <sstream>
#include <nlohmann/json.hpp>
#include <set>

#include "tallylog/base/bytes.h"
#include "tallylog/base/json.h"
#include "tallylog/election/entry.h"
#include "tallylog/election/validate.h"

namespace tallylog::election {
namespace {

// toml++'s value<int64_t>() converts a float without a range check (undefined behaviour past
// int64, found by fuzzing): integers are read only from integer nodes.
std::optional<int64_t> integer_of(const toml::node& n) {
  if (const auto* i = n.as_integer()) return i->get();
  return std::nullopt;
}

using nlohmann::json;

std::unexpected<Error> bad(std::string message) { return err(ErrorCode::kInvalidArgument, std::move(message)); }

void put_if(json& j, const char* key, const std::string& v) {
  if (!v.empty()) j[key] = v;
}

Result<std::string> get_string(const json& v, const std::string& path) {
  if (!v.is_string()) return bad("entry: " + path + " must be a string");
  return v.get<std::string>();
}

Result<int64_t> get_count(const json& v, const std::string& path) {
  if (v.is_number_unsigned() && v.get<uint64_t>() <= uint64_t(kMaxJsonInteger)) return int64_t(v.get<uint64_t>());
  if (v.is_number_integer() && !v.is_number_unsigned())
    return bad("entry: " + path + " must not be negative");
  return bad("entry: " + path + " must be an integer from 0 to 2^53-1");
}

Result<std::map<std::string, int64_t>> get_counts(const json& v, const std::string& path) {
  if (!v.is_object()) return bad("entry: " + path + " must be an object");
  std::map<std::string, int64_t> out;
  for (auto it = v.begin(); it != v.end(); ++it) {
    TL_ASSIGN_OR_RETURN(out[it.key()], get_count(it.value(), path + "." + it.key()));
  }
  return out;
}

bool is_decimal_percent(std::string_view s) {
  // 1-3 digits, optionally '.' and 1-4 digits; no leading zero unless "0"; value <= 100.
  size_t i = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
  if (i == 0 || i > 3 || (i > 1 && s[0] == '0')) return false;
  if (i < s.size()) {
    if (s[i] != '.' || s.size() - i - 1 < 1 || s.size() - i - 1 > 4) return false;
    for (size_t k = i + 1; k < s.size(); ++k)
      if (!std::isdigit(static_cast<unsigned char>(s[k]))) return false;
    if (s.back() == '0') return false;  // canonical: no trailing zeros ("80", not "80.0")
  }
  const double v = std::stod(std::string(s));
  return v <= 100.0;
}

std::optional<std::string> text_problem(std::string_view s, bool required) {
  if (s.empty()) return required ? std::optional<std::string>("is missing") : std::nullopt;
  if (s.size() > kMaxStringBytes * 8) return fmt::format("is longer than {} bytes", kMaxStringBytes * 8);
  if (!is_valid_utf8(s)) return "is not valid UTF-8";
  return std::nullopt;
}

}  // namespace

std::string encode_declaration(const Declaration& d) {
  json j = json::object();
  put_if(j, "announced_at", d.announced_at);
  json areas = json::array();
  for (const DeclaredArea& a : d.areas) {
    json o = json::object();
    put_if(o, "area", a.area);
    if (!a.candidates.empty()) o["candidates"] = a.candidates;
    if (!a.fields.empty()) o["fields"] = a.fields;
    put_if(o, "level", a.level);
    areas.push_back(std::move(o));
  }
  if (!areas.empty()) j["areas"] = std::move(areas);
  put_if(j, "contest", d.contest);  // omitted when empty: old bytes kept
  put_if(j, "coverage_percent", d.coverage_percent);
  if (d.coverage_tables) j["coverage_tables"] = *d.coverage_tables;
  put_if(j, "reference", d.reference);
  put_if(j, "source", d.source);
  put_if(j, "submitted_at", d.submitted_at);
  put_if(j, "submitted_by", d.submitted_by);
  put_if(j, "title", d.title);
  j["type"] = "declaration";
  j["v"] = kEntryFormatVersion;
  return j.dump(-1, ' ', false, json::error_handler_t::strict);
}

Result<Declaration> decode_declaration(std::string_view bytes) {
  auto parsed = parse_json_object(bytes);
  if (!parsed) return bad("entry: " + parsed.error().message);
  json j = std::move(*parsed);
  Declaration d;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    const json& v = it.value();
    if (k == "type" || k == "v") continue;
    if (k == "announced_at") {
      TL_ASSIGN_OR_RETURN(d.announced_at, get_string(v, k));
    } else if (k == "contest") {
      TL_ASSIGN_OR_RETURN(d.contest, get_string(v, k));
      if (d.contest.empty()) return bad("entry: contest must not be empty (omit it instead)");
    } else if (k == "coverage_percent") {
      TL_ASSIGN_OR_RETURN(d.coverage_percent, get_string(v, k));
    } else if (k == "coverage_tables") {
      TL_ASSIGN_OR_RETURN(int64_t n, get_count(v, k));
      d.coverage_tables = uint64_t(n);
    } else if (k == "reference") {
      TL_ASSIGN_OR_RETURN(d.reference, get_string(v, k));
    } else if (k == "source") {
      TL_ASSIGN_OR_RETURN(d.source, get_string(v, k));
    } else if (k == "submitted_at") {
      TL_ASSIGN_OR_RETURN(d.submitted_at, get_string(v, k));
    } else if (k == "submitted_by") {
      TL_ASSIGN_OR_RETURN(d.submitted_by, get_string(v, k));
    } else if (k == "title") {
      TL_ASSIGN_OR_RETURN(d.title, get_string(v, k));
    } else if (k == "areas") {
      if (!v.is_array()) return bad("entry: areas must be an array");
      for (size_t i = 0; i < v.size(); ++i) {
        const std::string path = fmt::format("areas[{}]", i);
        if (!v[i].is_object()) return bad("entry: " + path + " must be an object");
        DeclaredArea a;
        for (auto m = v[i].begin(); m != v[i].end(); ++m) {
          if (m.key() == "area") {
            TL_ASSIGN_OR_RETURN(a.area, get_string(m.value(), path + ".area"));
          } else if (m.key() == "level") {
            TL_ASSIGN_OR_RETURN(a.level, get_string(m.value(), path + ".level"));
          } else if (m.key() == "candidates") {
            TL_ASSIGN_OR_RETURN(a.candidates, get_counts(m.value(), path + ".candidates"));
          } else if (m.key() == "fields") {
            TL_ASSIGN_OR_RETURN(a.fields, get_counts(m.value(), path + ".fields"));
          } else {
            return bad(fmt::format("entry: {}: unknown member \"{}\"", path, m.key()));
          }
        }
        d.areas.push_back(std::move(a));
      }
    } else {
      return bad(fmt::format("entry: declaration: unknown member \"{}\"", k.substr(0, 64)));
    }
  }
  if (d.source.empty()) return bad("entry: declaration: member \"source\" is missing");
  if (d.areas.empty()) return bad("entry: declaration: member \"areas\" is missing");
  return d;
}

Status validate_declaration(const Declaration& d, const Election& e,
                            const std::function<bool(int, std::string_view)>& area_exists) {
  if (auto p = text_problem(d.source, true)) return bad("source " + *p);
  for (char c : d.source) {
    if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) ||
          c == '_' || c == '-' || c == '.' || c == ':'))
      return bad("source: \"" + d.source + "\" may hold only a-z 0-9 _ - . :");
  }
  for (auto [name, value] : {std::pair{"title", &d.title}, std::pair{"announced_at", &d.announced_at},
                             std::pair{"reference", &d.reference}, std::pair{"submitted_by", &d.submitted_by},
                             std::pair{"submitted_at", &d.submitted_at}}) {
    if (auto p = text_problem(*value, false)) return bad(std::string(name) + " " + *p);
  }
  if (!d.coverage_percent.empty() && !is_decimal_percent(d.coverage_percent))
    return bad("coverage_percent: \"" + d.coverage_percent +
               "\" must be a percentage from 0 to 100 with at most 4 decimals and no trailing zeros, e.g. \"96.87\"");
  if (d.coverage_tables && *d.coverage_tables > 1000000000ULL)
    return bad("coverage_tables: " + std::to_string(*d.coverage_tables) + " is more than 10^9 tables");
  if (d.areas.empty()) return bad("areas: a declaration needs at least one area");
  std::set<std::pair<std::string, std::string>> seen;
  for (size_t i = 0; i < d.areas.size(); ++i) {
    const DeclaredArea& a = d.areas[i];
    const std::string path = fmt::format("areas[{}]", i);
    int depth = -1;
    if (a.level == "national") {
      depth = 0;
      if (!a.area.empty()) return bad(path + ".area: the national level has no area code (got \"" + a.area + "\")");
    } else {
      for (size_t l = 0; l < e.levels.size(); ++l)
        if (e.levels[l].code == a.level) depth = int(l) + 1;
      if (depth < 0) {
        std::string known = "national";
        for (const auto& l : e.levels) known += ", " + l.code;
        return bad(path + ".level: unknown level \"" + a.level + "\" (this election has " + known + ")");
      }
      if (a.area.empty()) return bad(path + ".area: missing (the area code at level " + a.level + ")");
      if (auto p = text_problem(a.area, true)) return bad(path + ".area " + *p);
      if (!area_exists(depth, a.area))
        return bad(path + ".area: unknown " + a.level + " \"" + a.area + "\" (not in the station registry)");
    }
    if (!seen.emplace(a.level, a.area).second)
      return bad(path + ": " + (a.area.empty() ? std::string("national") : a.level + " " + a.area) +
                 " is declared twice");
    if (a.candidates.empty() && a.fields.empty()) return bad(path + ": no figures (candidates or fields)");
    for (const auto& [code, votes] : a.candidates) {
      if (!e.find_candidate(code)) return bad(path + ".candidates." + code + ": unknown candidate \"" + code + "\"");
      if (votes < 0 || votes > kMaxJsonInteger)
        return bad(path + ".candidates." + code + ": " + std::to_string(votes) + " is out of range (0 to 2^53-1)");
    }
    for (const auto& [name, count] : a.fields) {
      if (std::find(e.fields.begin(), e.fields.end(), name) == e.fields.end()) {
        std::string known;
        for (const auto& f : e.fields) known += (known.empty() ? "" : ", ") + f;
        return bad(path + ".fields." + name + ": unknown field \"" + name + "\" (this election has " + known + ")");
      }
      if (count < 0 || count > kMaxJsonInteger)
        return bad(path + ".fields." + name + ": " + std::to_string(count) + " is out of range (0 to 2^53-1)");
    }
  }
  return ok();
}

namespace {

std::string toml_error(std::string_view file, const toml::node& n, const std::string& path, std::string_view what) {
  return fmt::format("{}:{}: {}: {}", file, n.source().begin.line, path, what);
}

Result<std::map<std::string, int64_t>> toml_counts(std::string_view file, const toml::node& n, const std::string& path) {
  const toml::table* t = n.as_table();
  if (!t) return bad(toml_error(file, n, path, "must be a table of name = count"));
  std::map<std::string, int64_t> out;
  for (const auto& [k, v] : *t) {
    auto i = integer_of(v);
    if (!v.is_integer() || !i) return bad(toml_error(file, v, path + "." + std::string(k.str()), "must be an integer"));
    out[std::string(k.str())] = *i;
  }
  return out;
}

}  // namespace

Result<Declaration> parse_declaration_toml(std::string_view text, std::string_view file, const Declaration& base) {
  toml::table root;
  try {
    root = toml::parse(text, file);
  } catch (const toml::parse_error& e) {
    return bad(fmt::format("{}:{}:{}: {}", file, e.source().begin.line, e.source().begin.column, e.description()));
  }
  Declaration d = base;
  static const std::set<std::string_view> kKnown = {"title", "announced_at", "reference", "coverage_percent",
                                                    "coverage_tables", "areas"};
  for (const auto& [k, n] : root) {
    if (!kKnown.contains(k.str())) return bad(toml_error(file, n, std::string(k.str()), "unknown key"));
  }
  auto str = [&](const char* key, std::string& out) -> Status {
    const toml::node* n = root.get(key);
    if (!n) return ok();
    if (auto s = n->as_string()) {
      out = s->get();
    } else if (auto dt = n->as_date_time()) {
      std::ostringstream os;
      os << *dt;
      out = os.str();
    } else if (auto da = n->as_date()) {
      std::ostringstream os;
      os << *da;
      out = os.str();
    } else {
      return bad(toml_error(file, *n, key, "must be a string"));
    }
    return ok();
  };
  TL_TRY(str("title", d.title));
  TL_TRY(str("announced_at", d.announced_at));
  TL_TRY(str("reference", d.reference));
  if (const toml::node* n = root.get("coverage_percent")) {
    if (auto s = n->as_string()) {
      d.coverage_percent = s->get();
    } else if (n->is_integer()) {
      d.coverage_percent = std::to_string(*integer_of(*n));
    } else {
      return bad(toml_error(file, *n, "coverage_percent", "must be a string such as \"96.87\" or an integer"));
    }
  }
  if (const toml::node* n = root.get("coverage_tables")) {
    auto i = integer_of(*n);
    if (!n->is_integer() || !i || *i < 0) return bad(toml_error(file, *n, "coverage_tables", "must be a non-negative integer"));
    d.coverage_tables = uint64_t(*i);
  }
  const toml::node* areas = root.get("areas");
  if (!areas) return bad(fmt::format("{}: areas: missing ([[areas]] with level and candidates or fields)", file));
  const toml::array* arr = areas->as_array();
  if (!arr) return bad(toml_error(file, *areas, "areas", "must be an array of tables ([[areas]])"));
  for (size_t i = 0; i < arr->size(); ++i) {
    const std::string path = fmt::format("areas[{}]", i);
    const toml::table* t = (*arr)[i].as_table();
    if (!t) return bad(toml_error(file, (*arr)[i], path, "must be a table"));
    DeclaredArea a;
    for (const auto& [k, n] : *t) {
      const std::string key(k.str());
      if (key == "level" || key == "area") {
        auto s = n.as_string();
        if (!s) return bad(toml_error(file, n, path + "." + key, "must be a string"));
        (key == "level" ? a.level : a.area) = s->get();
      } else if (key == "candidates") {
        TL_ASSIGN_OR_RETURN(a.candidates, toml_counts(file, n, path + ".candidates"));
      } else if (key == "fields") {
        TL_ASSIGN_OR_RETURN(a.fields, toml_counts(file, n, path + ".fields"));
      } else {
        return bad(toml_error(file, n, path + "." + key, "unknown key"));
      }
    }
    if (a.level.empty()) return bad(toml_error(file, *t, path + ".level", "missing (\"national\" or a level code)"));
    d.areas.push_back(std::move(a));
  }
  return d;
}

Result<Declaration> parse_declaration_csv(std::string_view text, std::string_view file, const Election& e,
                                          const Declaration& base) {
  Declaration d = base;
  std::map<std::pair<std::string, std::string>, size_t> where;
  size_t line_no = 0;
  size_t pos = 0;
  if (text.starts_with("\xEF\xBB\xBF")) pos = 3;
  bool header = true;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    std::vector<std::string> cols;
    size_t start = 0;
    while (true) {
      size_t comma = line.find(',', start);
      cols.emplace_back(line.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
    if (header) {
      if (cols != std::vector<std::string>{"level", "area", "name", "count"})
        return bad(fmt::format("{}:{}: the header must be level,area,name,count", file, line_no));
      header = false;
      continue;
    }
    if (cols.size() != 4)
      return bad(fmt::format("{}:{}: {} columns, expected 4 (level,area,name,count; no quoting)", file, line_no, cols.size()));
    int64_t count = 0;
    auto [p, ec] = std::from_chars(cols[3].data(), cols[3].data() + cols[3].size(), count);
    if (ec != std::errc() || p != cols[3].data() + cols[3].size())
      return bad(fmt::format("{}:{}: count: \"{}\" is not an integer", file, line_no, cols[3]));
    auto key = std::make_pair(cols[0], cols[1]);
    auto it = where.find(key);
    if (it == where.end()) {
      it = where.emplace(key, d.areas.size()).first;
      d.areas.push_back(DeclaredArea{cols[0], cols[1], {}, {}});
    }
    DeclaredArea& a = d.areas[it->second];
    if (e.find_candidate(cols[2])) {
      a.candidates[cols[2]] = count;
    } else if (std::find(e.fields.begin(), e.fields.end(), cols[2]) != e.fields.end()) {
      a.fields[cols[2]] = count;
    } else {
      return bad(fmt::format("{}:{}: name: \"{}\" is neither a candidate nor a field of the election", file, line_no,
                             cols[2]));
    }
  }
  if (header) return bad(fmt::format("{}: empty (expected the header level,area,name,count)", file));
  return d;
}

}  // namespace tallylog::election
