// Mapping TOML reader (toml++ stays in this file) and the per-row evaluation of a bound mapping.
#include "tallylog/ingest/mapping.h"

#include <toml++/toml.h>

#include <algorithm>
#include <initializer_list>

namespace tallylog::ingest {
namespace {

class Reader {
 public:
  Reader(std::string_view file, const Mapping::FileReader& read_file) : file_(file), read_file_(read_file) {}

  Result<Mapping> read(const toml::table& root) {
    Mapping m;
    TL_TRY(only_keys(root, "", {"name", "lookups", "station", "sheet"}));
    if (const toml::node* n = root.get("name")) {
      TL_ASSIGN_OR_RETURN(m.name, string_of(*n, "name"));
    }
    ExprProgram::Lookups lookups;
    if (const toml::node* l = root.get("lookups")) {
      const toml::table* t = l->as_table();
      if (!t) return fail(*l, "lookups", "must be a table of [lookups.<name>] tables");
      for (const auto& [name, node] : *t) {
        TL_ASSIGN_OR_RETURN(auto table, lookup(std::string(name.str()), node));
        lookups.emplace(std::string(name.str()), std::make_shared<const LookupTable>(std::move(table)));
      }
    }
    m.program = ExprProgram(std::move(lookups));
    if (const toml::node* st = root.get("station")) {
      const toml::table* t = st->as_table();
      if (!t) return fail(*st, "station", "must be a table");
      TL_TRY(only_keys(*t, "[station]", {"code", "registered", "areas"}));
      m.has_station = true;
      TL_ASSIGN_OR_RETURN(m.station_code, value(m, *t, "code", "[station]", Kind::kCode));
      // Optional: without it (or where it gives nothing for a row) registered voters are unknown.
      if (t->get("registered")) {
        TL_ASSIGN_OR_RETURN(m.registered, value(m, *t, "registered", "[station]", Kind::kCount));
        m.has_registered = true;
      }
      const toml::node* a = t->get("areas");
      if (!a) return fail(*t, "[station] areas", "missing (one {level, code, name} per election level)");
      const toml::array* areas = a->as_array();
      if (!areas) return fail(*a, "[station] areas", "must be an array of {level, code, name} tables");
      for (size_t i = 0; i < areas->size(); ++i) {
        const std::string where = "[station] areas[" + std::to_string(i) + "]";
        const toml::table* at = (*areas)[i].as_table();
        if (!at) return fail((*areas)[i], where, "must be a table {level, code, name}");
        TL_TRY(only_keys(*at, where, {"level", "code", "name"}));
        Mapping::Area area;
        const toml::node* level = at->get("level");
        if (!level) return fail(*at, where + " level", "missing");
        TL_ASSIGN_OR_RETURN(area.level, string_of(*level, where + " level"));
        TL_ASSIGN_OR_RETURN(area.code, value(m, *at, "code", where, Kind::kCode));
        if (at->contains("name")) {
          TL_ASSIGN_OR_RETURN(area.name, value(m, *at, "name", where, Kind::kName));
        } else {
          TL_ASSIGN_OR_RETURN(area.name.expr, m.program.parse_template(""));
          area.name.key = "name";
        }
        m.areas.push_back(std::move(area));
      }
    }
    if (const toml::node* sh = root.get("sheet")) {
      const toml::table* t = sh->as_table();
      if (!t) return fail(*sh, "sheet", "must be a table");
      TL_TRY(only_keys(*t, "[sheet]", {"station", "contest", "cards", "candidates", "fields", "contests"}));
      m.has_sheet = true;
      TL_ASSIGN_OR_RETURN(m.sheet_station, value(m, *t, "station", "[sheet]", Kind::kCode));
      if (t->get("contest")) {
        m.has_contest = true;
        TL_ASSIGN_OR_RETURN(m.sheet_contest, value(m, *t, "contest", "[sheet]", Kind::kCode));
      }
      TL_ASSIGN_OR_RETURN(m.cards, cards_of(m, *t, "[sheet]"));
      TL_ASSIGN_OR_RETURN(m.candidates, count_table(m, *t, "candidates"));
      TL_ASSIGN_OR_RETURN(m.fields, count_table(m, *t, "fields"));
      if (const toml::node* cs = t->get("contests")) {
        const toml::table* ct = cs->as_table();
        if (!ct) return fail(*cs, "[sheet.contests]", "must be a table of contest id = table");
        for (const auto& [id, node] : *ct) {
          const std::string where = "[sheet.contests." + std::string(id.str()) + "]";
          const toml::table* one = node.as_table();
          if (!one) return fail(node, where, "must be a table with cards, candidates and fields");
          TL_TRY(only_keys(*one, where, {"cards", "candidates", "fields"}));
          Mapping::ContestSheet c;
          TL_ASSIGN_OR_RETURN(c.cards, cards_of(m, *one, where));
          TL_ASSIGN_OR_RETURN(c.candidates, count_table(m, *one, "candidates", "sheet.contests." + std::string(id.str())));
          TL_ASSIGN_OR_RETURN(c.fields, count_table(m, *one, "fields", "sheet.contests." + std::string(id.str())));
          m.contest_sheets.emplace_back(std::string(id.str()), std::move(c));
        }
        if (!m.has_contest)
          return fail(*cs, "[sheet.contests]", "needs [sheet] contest, the template naming each row's contest");
      }
    }
    if (!m.has_station && !m.has_sheet)
      return err(ErrorCode::kInvalidArgument, file_ + ": neither a [station] nor a [sheet] table");
    return m;
  }

 private:
  enum class Kind { kCode, kName, kCount };

  std::unexpected<Error> fail(const toml::node& n, const std::string& where, std::string_view what) const {
    return err(ErrorCode::kInvalidArgument,
               file_ + ":" + std::to_string(n.source().begin.line) + ": " + where + ": " + std::string(what));
  }

  Status only_keys(const toml::table& t, const std::string& where, std::initializer_list<std::string_view> keys) {
    for (const auto& [key, node] : t) {
      if (std::find(keys.begin(), keys.end(), key.str()) != keys.end()) continue;
      std::string known;
      for (auto k : keys) known += (known.empty() ? "" : ", ") + std::string(k);
      return fail(node, (where.empty() ? "" : where + " ") + std::string(key.str()),
                  "unknown key (known here: " + known + ")");
    }
    return ok();
  }

  Result<std::string> string_of(const toml::node& n, const std::string& where) {
    if (auto s = n.as_string()) return s->get();
    return fail(n, where, "must be a string");
  }

  // A count: an expression string, or a TOML integer (a constant).
  Result<Mapping::Value> count_node(Mapping& m, const toml::node& n, const std::string& where) {
    Mapping::Value v;
    if (auto i = n.as_integer()) {
      v.text = std::to_string(i->get());
    } else if (auto s = n.as_string()) {
      v.text = s->get();
    } else {
      return fail(n, where, "must be an expression (a string such as \"VOTES\" or \"TOTAL - NULL\") or an integer");
    }
    if (v.text.find('{') != std::string::npos)
      return fail(n, where, "counts are expressions, not templates: write COLUMN, not {COLUMN}");
    auto id = m.program.parse_count(v.text);
    if (!id) return fail(n, where, id.error().message);
    v.expr = *id;
    return v;
  }

  Result<Mapping::Value> value(Mapping& m, const toml::table& t, std::string_view key, const std::string& parent,
                               Kind kind) {
    const std::string where = parent + " " + std::string(key);
    const toml::node* n = t.get(key);
    if (!n) return fail(t, where, "missing");
    if (kind == Kind::kCount) {
      TL_ASSIGN_OR_RETURN(auto v, count_node(m, *n, where));
      v.key = std::string(key);
      return v;
    }
    Mapping::Value v;
    v.key = std::string(key);
    TL_ASSIGN_OR_RETURN(v.text, string_of(*n, where));
    auto id = m.program.parse_template(v.text);
    if (!id) return fail(*n, where, id.error().message);
    v.expr = *id;
    if (kind == Kind::kCode && !m.program.reads_columns(v.expr))
      return fail(*n, where, "template \"" + v.text +
                                 "\" reads no column, so every row would get the same code (write {COLUMN})");
    return v;
  }

  // `cards = [expression, ...]` of a sheet table, in ballot order.
  Result<std::vector<Mapping::Value>> cards_of(Mapping& m, const toml::table& t, const std::string& parent) {
    std::vector<Mapping::Value> out;
    const toml::node* cards = t.get("cards");
    if (!cards) return out;
    const toml::array* arr = cards->as_array();
    if (!arr) return fail(*cards, parent + " cards", "must be an array of expressions, one per card in ballot order");
    for (size_t i = 0; i < arr->size(); ++i) {
      TL_ASSIGN_OR_RETURN(auto v, count_node(m, (*arr)[i], parent + " cards[" + std::to_string(i) + "]"));
      v.key = "cards[" + std::to_string(i) + "]";
      out.push_back(std::move(v));
    }
    return out;
  }

  Result<std::vector<Mapping::Value>> count_table(Mapping& m, const toml::table& sheet, std::string_view key,
                                                  const std::string& parent = "sheet") {
    std::vector<Mapping::Value> out;
    const toml::node* n = sheet.get(key);
    if (!n) return out;
    const std::string where = "[" + parent + "." + std::string(key) + "]";
    const toml::table* t = n->as_table();
    if (!t) return fail(*n, where, "must be a table of name = expression");
    for (const auto& [k, node] : *t) {
      TL_ASSIGN_OR_RETURN(auto v, count_node(m, node, where + " " + std::string(k.str())));
      v.key = std::string(k.str());
      out.push_back(std::move(v));
    }
    return out;
  }

  Result<LookupTable> lookup(const std::string& name, const toml::node& node) {
    const std::string where = "[lookups." + name + "]";
    const toml::table* t = node.as_table();
    if (!t) return fail(node, where, "must be a table with file (or values)");
    TL_TRY(only_keys(*t, where, {"file", "key", "path", "values"}));
    std::string key, path;
    if (const toml::node* k = t->get("key")) {
      TL_ASSIGN_OR_RETURN(key, string_of(*k, where + " key"));
    }
    if (const toml::node* p = t->get("path")) {
      TL_ASSIGN_OR_RETURN(path, string_of(*p, where + " path"));
    }
    if (const toml::node* v = t->get("values")) {
      if (t->contains("file")) return fail(*v, where, "give file or values, not both");
      const toml::table* vt = v->as_table();
      if (!vt) return fail(*v, where + " values", "must be a table key = \"value\"");
      std::vector<std::pair<std::string, std::string>> pairs;
      for (const auto& [k, x] : *vt) {
        TL_ASSIGN_OR_RETURN(auto s, string_of(x, where + " values." + std::string(k.str())));
        pairs.emplace_back(std::string(k.str()), std::move(s));
      }
      auto table = LookupTable::from_pairs(name, std::move(pairs));
      if (!table) return fail(*v, where, table.error().message);
      return table;
    }
    const toml::node* f = t->get("file");
    if (!f) return fail(node, where, "missing file (or values)");
    TL_ASSIGN_OR_RETURN(std::string file, string_of(*f, where + " file"));
    if (!read_file_) return fail(*f, where + " file", "lookup files can only be read by Mapping::load");
    auto text = read_file_(file);
    if (!text) return fail(*f, where + " file", "\"" + file + "\": " + text.error().message);
    const bool json = file.ends_with(".json");
    if (!json && !file.ends_with(".csv"))
      return fail(*f, where + " file", "\"" + file + "\" must end in .json or .csv");
    if (!json && !path.empty()) return fail(*t, where + " path", "only JSON lookups have a path");
    auto table = json ? LookupTable::from_json(name, *text, path, key) : LookupTable::from_csv(name, *text, key);
    if (!table) return fail(*f, where, "\"" + file + "\": " + table.error().message);
    return table;
  }

  std::string file_;
  const Mapping::FileReader& read_file_;
};

std::string directory_of(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash + 1);
}

// Evaluation scratch, one per thread: BoundMapping itself stays immutable and shareable.
thread_local ExprEvaluator t_eval;

}  // namespace

std::expected<int64_t, std::string> parse_count(std::string_view s) {
  if (s.empty()) return std::unexpected(std::string("is empty"));
  auto v = ExprEvaluator::to_int(ExprValue{ExprValue::Kind::kText, s, 0}, "");
  if (!v) return std::unexpected(v.error().reason);
  return v->num;
}

Result<Mapping> Mapping::parse(std::string_view toml_text, std::string_view source_name, const FileReader& read_file) {
  toml::table root;
  try {
    root = toml::parse(toml_text, std::string_view(source_name));
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    return err(ErrorCode::kInvalidArgument, std::string(source_name) + ":" + std::to_string(b.line) + ":" +
                                                std::to_string(b.column) + ": " + std::string(e.description()));
  } catch (const std::exception& e) {
    return err(ErrorCode::kInvalidArgument, std::string(source_name) + ": " + e.what());
  }
  return Reader(source_name, read_file).read(root);
}

Result<Mapping> Mapping::load(Env& env, const std::string& path) {
  TL_ASSIGN_OR_RETURN(std::string text, env.read_file(path));
  const std::string dir = directory_of(path);
  FileReader reader = [&env, dir](const std::string& relative) -> Result<std::string> {
    return env.read_file(!relative.empty() && relative[0] == '/' ? relative : dir + relative);
  };
  return parse(text, path, reader);
}

BoundMapping::Bound BoundMapping::bound_value(const ExprProgram& p, const Mapping::Value& v, std::string key) {
  Bound b;
  b.key = std::move(key);
  b.expr = v.expr;
  std::string_view column = p.column_name(b.expr);
  b.label = column.empty() ? b.key : std::string(column);
  return b;
}

// A count whose text is exactly a header's is that column, whatever else it could parse as
// (mappings before expressions named count columns by their header text).
BoundMapping::Bound BoundMapping::bound_count(ExprProgram& p, const Mapping::Value& v, std::string key,
                                              std::span<const std::string> header) {
  Mapping::Value c = v;
  if (std::find(header.begin(), header.end(), v.text) != header.end()) c.expr = p.column(v.text);
  return bound_value(p, c, std::move(key));
}

Result<BoundMapping> BoundMapping::bind_stations(const Mapping& m, std::span<const std::string> header,
                                                 const election::Election& e) {
  if (!m.has_station) return err(ErrorCode::kInvalidArgument, "mapping '" + m.name + "' has no [station] table");
  if (m.areas.size() != e.levels.size())
    return err(ErrorCode::kInvalidArgument, "mapping '" + m.name + "' maps " + std::to_string(m.areas.size()) +
                                                " area levels but election '" + e.id + "' has " +
                                                std::to_string(e.levels.size()));
  for (size_t i = 0; i < m.areas.size(); ++i) {
    if (m.areas[i].level != e.levels[i].code)
      return err(ErrorCode::kInvalidArgument, "mapping '" + m.name + "' areas[" + std::to_string(i) +
                                                  "] is level '" + m.areas[i].level + "' but the election's is '" +
                                                  e.levels[i].code + "'");
  }
  BoundMapping b;
  b.program_ = m.program;
  b.header_size_ = header.size();
  b.code_ = bound_value(b.program_, m.station_code, "code");
  for (size_t i = 0; i < m.areas.size(); ++i) {
    const std::string key = "areas[" + std::to_string(i) + "]";
    b.areas_.emplace_back(bound_value(b.program_, m.areas[i].code, key), bound_value(b.program_, m.areas[i].name, key));
  }
  if (m.has_registered) b.registered_ = bound_count(b.program_, m.registered, "registered", header);
  TL_TRY(b.program_.bind(header, b.roots()));
  return b;
}

Result<BoundMapping> BoundMapping::bind_sheets(const Mapping& m, std::span<const std::string> header,
                                               const election::Election& e) {
  if (!m.has_sheet) return err(ErrorCode::kInvalidArgument, "mapping '" + m.name + "' has no [sheet] table");
  std::string who = "mapping '" + m.name + "'";
  // The contest's own [sheet.contests.<id>] table, if the mapping has one (e is one contest's view).
  const std::vector<Mapping::Value>* cards = &m.cards;
  const std::vector<Mapping::Value>* candidates = &m.candidates;
  const std::vector<Mapping::Value>* fields = &m.fields;
  for (const auto& [id, cs] : m.contest_sheets) {
    if (id != e.contest) continue;
    cards = &cs.cards;
    candidates = &cs.candidates;
    fields = &cs.fields;
    who += " [sheet.contests." + id + "]";
  }
  if (!cards->empty() && cards->size() != e.cards.size())
    return err(ErrorCode::kInvalidArgument, who + " maps " + std::to_string(cards->size()) + " cards but election '" +
                                                e.id + "' has " + std::to_string(e.cards.size()));
  for (const auto& c : *candidates) {
    if (!e.find_candidate(c.key))
      return err(ErrorCode::kInvalidArgument,
                 who + " [sheet.candidates]: election '" + e.id + "' has no candidate '" + c.key + "'");
  }
  for (const auto& f : *fields) {
    if (std::find(e.fields.begin(), e.fields.end(), f.key) == e.fields.end())
      return err(ErrorCode::kInvalidArgument,
                 who + " [sheet.fields]: election '" + e.id + "' has no field '" + f.key + "'");
  }
  // What the election requires but the mapping cannot give would reject every row: say so now.
  std::vector<std::string> unmapped;
  for (const auto& f : e.fields) {
    // An optional field (Election::optional) may be left out: the source does not report it.
    if (std::find(e.optional.begin(), e.optional.end(), f) != e.optional.end()) continue;
    if (std::none_of(fields->begin(), fields->end(), [&](const Mapping::Value& v) { return v.key == f; }))
      unmapped.push_back("field '" + f + "'");
  }
  if (cards->empty()) {
    for (const auto& c : e.candidates) {
      if (std::none_of(candidates->begin(), candidates->end(), [&](const Mapping::Value& v) { return v.key == c.code; }))
        unmapped.push_back("candidate '" + c.code + "'");
    }
  }
  if (!unmapped.empty()) {
    std::string list;
    for (size_t i = 0; i < unmapped.size(); ++i) list += (i ? ", " : "") + unmapped[i];
    return err(ErrorCode::kInvalidArgument, who + " gives no value for " + list + ", which election '" + e.id +
                                                "' requires on every sheet" +
                                                (cards->empty() && !e.cards.empty() ? " (map the cards or the candidates)" : ""));
  }
  BoundMapping b;
  b.program_ = m.program;
  b.header_size_ = header.size();
  b.code_ = bound_value(b.program_, m.sheet_station, "station");
  if (m.has_contest) {
    b.has_contest_ = true;
    b.contest_ = bound_value(b.program_, m.sheet_contest, "contest");
  }
  for (const auto& c : *cards) b.cards_.push_back(bound_count(b.program_, c, c.key, header));
  for (const auto& c : *candidates) b.candidates_.push_back(bound_count(b.program_, c, c.key, header));
  for (const auto& f : *fields) {
    b.fields_.push_back(bound_count(b.program_, f, f.key, header));
    b.fields_.back().optional = std::find(e.optional.begin(), e.optional.end(), f.key) != e.optional.end();
  }
  TL_TRY(b.program_.bind(header, b.roots()));
  return b;
}

std::vector<ExprId> BoundMapping::roots() const {
  std::vector<ExprId> out = {code_.expr};
  if (has_contest_) out.push_back(contest_.expr);
  if (registered_.key == "registered") out.push_back(registered_.expr);  // station bindings only
  for (const auto& [code, name] : areas_) {
    out.push_back(code.expr);
    out.push_back(name.expr);
  }
  for (const auto* list : {&cards_, &candidates_, &fields_})
    for (const Bound& b : *list) out.push_back(b.expr);
  return out;
}

std::expected<void, RowError> BoundMapping::check_width(std::span<const std::string> row) const {
  if (row.size() != header_size_)
    return std::unexpected(RowError{"row", "has " + std::to_string(row.size()) + " fields, the header has " +
                                               std::to_string(header_size_)});
  return {};
}

std::expected<void, RowError> BoundMapping::text(const Bound& b, std::string& out, bool required) const {
  auto v = t_eval.eval(b.expr);
  if (!v) return std::unexpected(RowError{v.error().column.empty() ? b.key : v.error().column, v.error().reason});
  switch (v->kind) {
    case ExprValue::Kind::kText:
      out.assign(v->text);
      break;
    case ExprValue::Kind::kInt:
      out = std::to_string(v->num);
      break;
    case ExprValue::Kind::kAbsent:
      if (required) return std::unexpected(RowError{b.label, "has no value"});
      out.clear();
      break;
  }
  return {};
}

std::expected<std::optional<int64_t>, RowError> BoundMapping::count(const Bound& b) const {
  auto v = t_eval.eval(b.expr);
  if (v) v = ExprEvaluator::to_int(*v, program_.column_name(b.expr));
  if (!v) return std::unexpected(RowError{v.error().column.empty() ? b.key : v.error().column, v.error().reason});
  if (v->absent()) return std::optional<int64_t>();
  return std::optional<int64_t>(v->num);
}

std::expected<election::Station, RowError> BoundMapping::station(std::span<const std::string> row) const {
  if (auto w = check_width(row); !w) return std::unexpected(w.error());
  t_eval.begin_row(program_, row);
  election::Station s;
  if (auto r = text(code_, s.code, true); !r) return std::unexpected(r.error());
  s.areas.resize(areas_.size());
  for (size_t i = 0; i < areas_.size(); ++i) {
    if (auto r = text(areas_[i].first, s.areas[i].code, true); !r) return std::unexpected(r.error());
    if (auto r = text(areas_[i].second, s.areas[i].name, false); !r) return std::unexpected(r.error());
  }
  if (registered_.key.empty()) return s;  // not mapped: unknown
  auto reg = count(registered_);
  if (!reg) return std::unexpected(reg.error());
  if (!*reg) return s;  // absent (an empty cell): unknown, not zero
  if (**reg < 0) return std::unexpected(RowError{registered_.label, "is negative"});
  s.registered = static_cast<uint64_t>(**reg);
  return s;
}

std::expected<election::Sheet, RowError> BoundMapping::sheet(std::span<const std::string> row) const {
  if (auto w = check_width(row); !w) return std::unexpected(w.error());
  t_eval.begin_row(program_, row);
  election::Sheet s;
  if (auto r = text(code_, s.station, true); !r) return std::unexpected(r.error());
  s.cards.reserve(cards_.size());
  for (const auto& c : cards_) {
    auto v = count(c);
    if (!v) return std::unexpected(v.error());
    if (!*v) return std::unexpected(RowError{c.label, "is empty"});
    s.cards.push_back(**v);
  }
  for (const auto& c : candidates_) {
    auto v = count(c);
    if (!v) return std::unexpected(v.error());
    if (!*v) return std::unexpected(RowError{c.label, "is empty"});
    s.candidates.emplace(c.key, **v);
  }
  for (const auto& c : fields_) {
    auto v = count(c);
    if (!v) return std::unexpected(v.error());
    if (!*v && c.optional) continue;  // not reported on this row: unknown, not zero
    if (!*v) return std::unexpected(RowError{c.label, "is empty"});
    s.fields.emplace(c.key, **v);
  }
  return s;
}

std::expected<std::string, RowError> BoundMapping::contest(std::span<const std::string> row) const {
  if (auto w = check_width(row); !w) return std::unexpected(w.error());
  t_eval.begin_row(program_, row);
  std::string out;
  if (auto r = text(contest_, out, true); !r) return std::unexpected(r.error());
  return out;
}

}  // namespace tallylog::ingest
