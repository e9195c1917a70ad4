#include "tallylog/ingest/mapping.h"

#include <charconv>
#include <limits>
#include <toml++/toml.h>

namespace tallylog::ingest {
namespace {

Error mapping_error(std::string_view where, std::string message) {
  return Error{ErrorCode::kInvalidArgument, std::string(where) + ": " + message};
}

Result<std::string> get_string(const toml::table& t, std::string_view key, std::string_view where,
                               bool required) {
  const toml::node* n = t.get(key);
  if (!n) {
    if (required) return std::unexpected(mapping_error(where, "missing key '" + std::string(key) + "'"));
    return std::string();
  }
  auto s = n->value<std::string>();
  if (!s) return std::unexpected(mapping_error(where, "'" + std::string(key) + "' must be a string"));
  return *s;
}

Result<std::vector<std::pair<std::string, std::string>>> get_string_table(const toml::table& t, std::string_view key,
                                                                          std::string_view where) {
  std::vector<std::pair<std::string, std::string>> out;
  const toml::node* n = t.get(key);
  if (!n) return out;
  const toml::table* tt = n->as_table();
  if (!tt) return std::unexpected(mapping_error(where, "'" + std::string(key) + "' must be a table"));
  for (auto&& [k, v] : *tt) {
    auto s = v.value<std::string>();
    if (!s)
      return std::unexpected(
          mapping_error(where, std::string(key) + "." + std::string(k.str()) + " must be a column name"));
    out.emplace_back(std::string(k.str()), *s);
  }
  return out;
}

}  // namespace

Result<Template> parse_template(std::string_view text) {
  Template out;
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '{') {
      size_t close = text.find('}', i);
      if (close == std::string_view::npos)
        return err(ErrorCode::kInvalidArgument, "template '" + std::string(text) + "': '{' without '}'");
      std::string_view inner = text.substr(i + 1, close - i - 1);
      TemplatePart p;
      p.is_column = true;
      size_t colon = inner.find(':');
      p.text = std::string(inner.substr(0, colon));
      if (colon != std::string_view::npos) {
        std::string_view spec = inner.substr(colon + 1);
        int width = 0;
        auto [ptr, ec] = std::from_chars(spec.data(), spec.data() + spec.size(), width);
        if (spec.size() < 2 || spec[0] != '0' || ec != std::errc() || ptr != spec.data() + spec.size() ||
            width < 1 || width > 32)
          return err(ErrorCode::kInvalidArgument, "template '" + std::string(text) + "': format '" +
                                                      std::string(spec) + "' is not 0N (zero-pad to N digits)");
        p.pad = width;
      }
      if (p.text.empty())
        return err(ErrorCode::kInvalidArgument, "template '" + std::string(text) + "': empty column name");
      out.push_back(std::move(p));
      i = close + 1;
    } else {
      size_t next = text.find('{', i);
      if (next == std::string_view::npos) next = text.size();
      std::string_view lit = text.substr(i, next - i);
      if (lit.find('}') != std::string_view::npos)
        return err(ErrorCode::kInvalidArgument, "template '" + std::string(text) + "': '}' without '{'");
      out.push_back(TemplatePart{false, std::string(lit), 0});
      i = next;
    }
  }
  return out;
}

std::expected<int64_t, std::string> parse_count(std::string_view s) {
  if (s.empty()) return std::unexpected(std::string("is empty"));
  bool negative = s[0] == '-';
  std::string_view digits = negative ? s.substr(1) : s;
  if (digits.empty() || digits.size() > 18) {
    if (digits.size() > 18) return std::unexpected("'" + std::string(s) + "' is too large");
    return std::unexpected("'" + std::string(s) + "' is not a whole number");
  }
  int64_t v = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::unexpected("'" + std::string(s) + "' is not a whole number");
    v = v * 10 + (c - '0');
  }
  return negative ? -v : v;
}

Result<Mapping> Mapping::parse(std::string_view toml_text, std::string_view source_name) {
  toml::table root;
  try {
    root = toml::parse(toml_text, std::string_view(source_name));
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    return err(ErrorCode::kInvalidArgument, std::string(source_name) + ":" + std::to_string(b.line) + ":" +
                                                std::to_string(b.column) + ": " + std::string(e.description()));
  }
  Mapping m;
  std::string where(source_name);
  TL_ASSIGN_OR_RETURN(m.name, get_string(root, "name", where, false));
  if (const toml::node* st = root.get("station")) {
    const toml::table* t = st->as_table();
    if (!t) return std::unexpected(mapping_error(where, "[station] must be a table"));
    std::string w = where + ": [station]";
    TL_ASSIGN_OR_RETURN(std::string code, get_string(*t, "code", w, true));
    TL_ASSIGN_OR_RETURN(m.station_code, parse_template(code));
    TL_ASSIGN_OR_RETURN(m.registered_column, get_string(*t, "registered", w, true));
    const toml::array* areas = t->get_as<toml::array>("areas");
    if (!areas) return std::unexpected(mapping_error(w, "missing array 'areas' (one per election level)"));
    size_t i = 0;
    for (auto&& a : *areas) {
      std::string aw = w + " areas[" + std::to_string(i++) + "]";
      const toml::table* at = a.as_table();
      if (!at) return std::unexpected(mapping_error(aw, "must be a table {level, code, name}"));
      AreaMapping am;
      TL_ASSIGN_OR_RETURN(am.level, get_string(*at, "level", aw, true));
      TL_ASSIGN_OR_RETURN(std::string c, get_string(*at, "code", aw, true));
      TL_ASSIGN_OR_RETURN(std::string nm, get_string(*at, "name", aw, false));
      TL_ASSIGN_OR_RETURN(am.code, parse_template(c));
      TL_ASSIGN_OR_RETURN(am.name, parse_template(nm));
      m.areas.push_back(std::move(am));
    }
  }
  if (const toml::node* sh = root.get("sheet")) {
    const toml::table* t = sh->as_table();
    if (!t) return std::unexpected(mapping_error(where, "[sheet] must be a table"));
    std::string w = where + ": [sheet]";
    TL_ASSIGN_OR_RETURN(std::string st, get_string(*t, "station", w, true));
    TL_ASSIGN_OR_RETURN(m.sheet_station, parse_template(st));
    if (const toml::node* cards = t->get("cards")) {
      const toml::array* arr = cards->as_array();
      if (!arr) return std::unexpected(mapping_error(w, "'cards' must be an array of column names"));
      for (auto&& c : *arr) {
        auto s = c.value<std::string>();
        if (!s) return std::unexpected(mapping_error(w, "'cards' must be an array of column names"));
        m.card_columns.push_back(*s);
      }
    }
    TL_ASSIGN_OR_RETURN(m.candidate_columns, get_string_table(*t, "candidates", w));
    TL_ASSIGN_OR_RETURN(m.field_columns, get_string_table(*t, "fields", w));
  }
  if (m.station_code.empty() && m.sheet_station.empty())
    return std::unexpected(mapping_error(where, "neither a [station] nor a [sheet] table"));
  return m;
}

Result<Mapping> Mapping::load(Env& env, const std::string& path) {
  TL_ASSIGN_OR_RETURN(std::string text, env.read_file(path));
  return parse(text, path);
}

Result<size_t> BoundMapping::find_column(std::string_view name, std::span<const std::string> header) {
  for (size_t i = 0; i < header.size(); ++i)
    if (header[i] == name) return i;
  return err(ErrorCode::kInvalidArgument, "the CSV header has no column '" + std::string(name) + "'");
}

Result<BoundMapping::BoundTemplate> BoundMapping::bind_template(const Template& t,
                                                                std::span<const std::string> header) {
  BoundTemplate out;
  for (const auto& p : t) {
    BoundPart b{p.is_column, p.text, 0, p.pad};
    if (p.is_column) {
      TL_ASSIGN_OR_RETURN(b.column, find_column(p.text, header));
    }
    out.push_back(std::move(b));
  }
  return out;
}

Result<BoundMapping> BoundMapping::bind_stations(const Mapping& m, std::span<const std::string> header,
                                                 const election::Election& e) {
  if (m.station_code.empty())
    return err(ErrorCode::kInvalidArgument, "mapping '" + m.name + "' has no [station] table");
  if (m.areas.size() != e.levels.size())
    return err(ErrorCode::kInvalidArgument, "mapping '" + m.name + "' maps " + std::to_string(m.areas.size()) +
                                                " area levels but election '" + e.id + "' has " +
                                                std::to_string(e.levels.size()));
  BoundMapping b;
  b.header_size_ = header.size();
  TL_ASSIGN_OR_RETURN(b.code_, bind_template(m.station_code, header));
  for (size_t i = 0; i < m.areas.size(); ++i) {
    if (m.areas[i].level != e.levels[i].code)
      return err(ErrorCode::kInvalidArgument, "mapping '" + m.name + "' areas[" + std::to_string(i) +
                                                  "] is level '" + m.areas[i].level + "' but the election's is '" +
                                                  e.levels[i].code + "'");
    TL_ASSIGN_OR_RETURN(auto code, bind_template(m.areas[i].code, header));
    TL_ASSIGN_OR_RETURN(auto name, bind_template(m.areas[i].name, header));
    b.areas_.emplace_back(std::move(code), std::move(name));
  }
  b.registered_.column_name = m.registered_column;
  TL_ASSIGN_OR_RETURN(b.registered_.column, find_column(m.registered_column, header));
  return b;
}

Result<BoundMapping> BoundMapping::bind_sheets(const Mapping& m, std::span<const std::string> header,
                                               const election::Election& e) {
  if (m.sheet_station.empty())
    return err(ErrorCode::kInvalidArgument, "mapping '" + m.name + "' has no [sheet] table");
  BoundMapping b;
  b.header_size_ = header.size();
  TL_ASSIGN_OR_RETURN(b.code_, bind_template(m.sheet_station, header));
  if (!m.card_columns.empty() && m.card_columns.size() != e.cards.size())
    return err(ErrorCode::kInvalidArgument, "mapping '" + m.name + "' maps " + std::to_string(m.card_columns.size()) +
                                                " cards but election '" + e.id + "' has " +
                                                std::to_string(e.cards.size()));
  for (const auto& col : m.card_columns) {
    BoundCount c{"", col, 0};
    TL_ASSIGN_OR_RETURN(c.column, find_column(col, header));
    b.cards_.push_back(std::move(c));
  }
  for (const auto& [code, col] : m.candidate_columns) {
    if (!e.find_candidate(code))
      return err(ErrorCode::kInvalidArgument,
                 "mapping '" + m.name + "' [sheet.candidates]: election '" + e.id + "' has no candidate '" + code + "'");
    BoundCount c{code, col, 0};
    TL_ASSIGN_OR_RETURN(c.column, find_column(col, header));
    b.candidates_.push_back(std::move(c));
  }
  for (const auto& [field, col] : m.field_columns) {
    bool known = false;
    for (const auto& f : e.fields) known = known || f == field;
    if (!known)
      return err(ErrorCode::kInvalidArgument,
                 "mapping '" + m.name + "' [sheet.fields]: election '" + e.id + "' has no field '" + field + "'");
    BoundCount c{field, col, 0};
    TL_ASSIGN_OR_RETURN(c.column, find_column(col, header));
    b.fields_.push_back(std::move(c));
  }
  return b;
}

std::expected<void, RowError> BoundMapping::check_width(std::span<const std::string> row) const {
  if (row.size() != header_size_)
    return std::unexpected(RowError{"row", "has " + std::to_string(row.size()) + " fields, the header has " +
                                               std::to_string(header_size_)});
  return {};
}

std::expected<void, RowError> BoundMapping::expand(const BoundTemplate& t, std::span<const std::string> row,
                                                   std::string& out) const {
  out.clear();
  for (const auto& p : t) {
    if (!p.is_column) {
      out += p.text;
      continue;
    }
    const std::string& v = row[p.column];
    if (p.pad == 0) {
      out += v;
      continue;
    }
    if (v.empty()) return std::unexpected(RowError{p.text, "is empty"});
    for (char c : v)
      if (c < '0' || c > '9') return std::unexpected(RowError{p.text, "'" + v + "' is not a whole number"});
    if (v.size() > static_cast<size_t>(p.pad))
      return std::unexpected(RowError{p.text, "'" + v + "' has more than " + std::to_string(p.pad) + " digits"});
    out.append(p.pad - v.size(), '0');
    out += v;
  }
  return {};
}

std::expected<int64_t, RowError> BoundMapping::count(const BoundCount& c, std::span<const std::string> row) const {
  auto v = parse_count(row[c.column]);
  if (!v) return std::unexpected(RowError{c.column_name, v.error()});
  return *v;
}

std::expected<election::Station, RowError> BoundMapping::station(std::span<const std::string> row) const {
  if (auto w = check_width(row); !w) return std::unexpected(w.error());
  election::Station s;
  if (auto r = expand(code_, row, s.code); !r) return std::unexpected(r.error());
  s.areas.resize(areas_.size());
  for (size_t i = 0; i < areas_.size(); ++i) {
    if (auto r = expand(areas_[i].first, row, s.areas[i].code); !r) return std::unexpected(r.error());
    if (auto r = expand(areas_[i].second, row, s.areas[i].name); !r) return std::unexpected(r.error());
  }
  auto reg = count(registered_, row);
  if (!reg) return std::unexpected(reg.error());
  if (*reg < 0) return std::unexpected(RowError{registered_.column_name, "is negative"});
  s.registered = static_cast<uint64_t>(*reg);
  return s;
}

std::expected<election::Sheet, RowError> BoundMapping::sheet(std::span<const std::string> row) const {
  if (auto w = check_width(row); !w) return std::unexpected(w.error());
  election::Sheet s;
  if (auto r = expand(code_, row, s.station); !r) return std::unexpected(r.error());
  s.cards.reserve(cards_.size());
  for (const auto& c : cards_) {
    auto v = count(c, row);
    if (!v) return std::unexpected(v.error());
    s.cards.push_back(*v);
  }
  for (const auto& c : candidates_) {
    auto v = count(c, row);
    if (!v) return std::unexpected(v.error());
    s.candidates.emplace(c.key, *v);
  }
  for (const auto& c : fields_) {
    auto v = count(c, row);
    if (!v) return std::unexpected(v.error());
    s.fields.emplace(c.key, *v);
  }
  return s;
}

}  // namespace tallylog::ingest
