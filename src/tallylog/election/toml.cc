// Election TOML reader: toml++ stays in this file. Each value read records the line it came
// from, so that errors found later by validate_election() (which names members such as
// "candidates[3].code") can be reported with the line of that member.
#include "tallylog/election/toml.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "tallylog/election/validate.h"

namespace tallylog::election {
namespace {

// toml++'s value<int64_t>() converts a float without a range check (undefined behaviour past
// int64, found by fuzzing): integers are read only from integer nodes.
std::optional<int64_t> integer_of(const toml::node& n) {
  if (const auto* i = n.as_integer()) return i->get();
  return std::nullopt;
}

class Reader {
 public:
  explicit Reader(std::string_view file) : file_(file) {}

  Result<Election> read(const toml::table& root) {
    Election e;
    static const std::set<std::string_view> kKnown = {
        "id",    "name",   "date",  "contest", "levels",     "candidates",
        "cards", "fields", "rules", "sources", "qr_profile", "unregistered_voters",
        "unregistered_tables", "registry_totals", "figures", "optional", "contests", "decided_at",
        "organisations", "submissions"};
    for (const auto& [key, node] : root) {
      if (!kKnown.contains(key.str())) return fail(node, std::string(key.str()), "unknown key");
    }
    TL_ASSIGN_OR_RETURN(e.id, required_string(root, "id"));
    TL_ASSIGN_OR_RETURN(e.name, required_string(root, "name"));
    const bool several = root.contains("contests");
    if (several) {
      // Ballot members live in each [[contests]] table; beside them they would be ambiguous.
      for (std::string_view k : kBallotKeys) {
        if (const toml::node* n = root.get(k))
          return fail(*n, std::string(k), "belongs in each [[contests]] table when the election has several contests");
      }
      if (const toml::node* n = root.get("contest"))
        return fail(*n, "contest", "give each contest an id in [[contests]] instead");
      TL_ASSIGN_OR_RETURN(auto cts, tables(root, "contests", true));
      if (cts.empty()) return fail(*root.get("contests"), "contests", "must hold at least one contest");
      for (size_t i = 0; i < cts.size(); ++i) {
        const std::string path = fmt::format("contests[{}]", i);
        TL_TRY(only_keys(*cts[i], path,
                         {"id", "name", "candidates", "cards", "fields", "optional", "rules", "figures", "qr_profile",
                          "decided_at"}));
        Contest c;
        TL_ASSIGN_OR_RETURN(c.id, required_string(*cts[i], "id", path));
        TL_ASSIGN_OR_RETURN(c.name, required_string(*cts[i], "name", path));
        prefix_ = path + ".";
        Election ballot;
        auto st = read_ballot(*cts[i], ballot);
        prefix_.clear();
        TL_TRY(st);
        c.candidates = std::move(ballot.candidates);
        c.cards = std::move(ballot.cards);
        c.fields = std::move(ballot.fields);
        c.optional = std::move(ballot.optional);
        c.rules = std::move(ballot.rules);
        c.flags = std::move(ballot.flags);
        c.figures = std::move(ballot.figures);
        c.qr_profile = std::move(ballot.qr_profile);
        c.decided_at = std::move(ballot.decided_at);
        e.contests.push_back(std::move(c));
      }
    } else {
      TL_ASSIGN_OR_RETURN(e.contest, required_string(root, "contest"));
    }
    if (const toml::node* d = root.get("date")) {
      note("date", *d);
      if (auto date = d->as_date()) {
        const toml::date& v = date->get();
        e.date = fmt::format("{:04}-{:02}-{:02}", v.year, v.month, v.day);
      } else if (auto s = d->as_string()) {
        e.date = s->get();
      } else {
        return fail(*d, "date", "must be a date such as 2024-07-28");
      }
    } else {
      return missing("date");
    }
    TL_TRY(code_name_tables(root, "levels", e.levels));
    if (!several) TL_TRY(read_ballot(root, e));
    TL_ASSIGN_OR_RETURN(e.sources, strings(root, "sources", true));
    if (const toml::node* u = root.get("unregistered_voters")) {
      note("unregistered_voters", *u);
      const toml::table* t = u->as_table();
      if (!t)
        return fail(*u, "unregistered_voters", "must be a table of area code = registered voters");
      for (const auto& [key, node] : *t) {
        std::string path = fmt::format("unregistered_voters.{}", key.str());
        note(path, node);
        auto n = integer_of(node);
        if (!node.is_integer() || !n || *n < 0)
          return fail(node, path, "must be a non-negative integer");
        e.unregistered_voters[std::string(key.str())] = static_cast<uint64_t>(*n);
      }
    }
    if (const toml::node* u = root.get("unregistered_tables")) {
      TL_TRY(read_unregistered_tables(*u, e.unregistered_tables));
    }
    if (const toml::node* r = root.get("registry_totals")) {
      TL_TRY(read_registry_totals(*r, e.registry_totals));
    }
    // [[organisations]] and [submissions] (election/device.h): who enrols devices, which
    // sources must be signed.
    TL_ASSIGN_OR_RETURN(auto orgs, tables(root, "organisations", false));
    for (size_t i = 0; i < orgs.size(); ++i) {
      const std::string path = fmt::format("organisations[{}]", i);
      TL_TRY(only_keys(*orgs[i], path, {"id", "name", "key", "sources"}));
      Organisation o;
      TL_ASSIGN_OR_RETURN(o.id, required_string(*orgs[i], "id", path));
      if (const toml::node* n = orgs[i]->get("name")) {
        TL_ASSIGN_OR_RETURN(o.name, string_of(*n, path + ".name"));
      }
      TL_ASSIGN_OR_RETURN(o.key, required_string(*orgs[i], "key", path));
      TL_ASSIGN_OR_RETURN(o.sources, strings(*orgs[i], "sources", true));
      e.organisations.push_back(std::move(o));
    }
    if (const toml::node* sub = root.get("submissions")) {
      note("submissions", *sub);
      const toml::table* t = sub->as_table();
      if (!t) return fail(*sub, "submissions", "must be a table with require_device_signature");
      TL_TRY(only_keys(*t, "submissions", {"require_device_signature"}));
      TL_ASSIGN_OR_RETURN(e.require_device_signature, strings(*t, "require_device_signature", false));
    }
    if (auto st = validate_election(e); !st) return located(st.error().message);
    return e;
  }

 private:
  static constexpr std::string_view kBallotKeys[] = {"candidates", "cards",      "fields",    "optional",
                                                     "rules",      "figures",    "qr_profile", "decided_at"};

  // What a ballot holds (the whole file's for a single contest, one [[contests]] table's else).
  Status read_ballot(const toml::table& root, Election& e) {
    if (const toml::node* q = root.get("qr_profile")) {
      TL_ASSIGN_OR_RETURN(e.qr_profile, string_of(*q, "qr_profile"));
    }
    if (const toml::node* d = root.get("decided_at")) {
      TL_ASSIGN_OR_RETURN(e.decided_at, string_of(*d, "decided_at"));
    }
    TL_TRY(code_name_tables(root, "candidates", e.candidates, /*area=*/true));
    TL_ASSIGN_OR_RETURN(auto cards, tables(root, "cards", false));
    for (size_t i = 0; i < cards.size(); ++i) {
      std::string path = fmt::format("cards[{}]", i);
      TL_TRY(only_keys(*cards[i], path, {"position", "party", "candidate"}));
      Card c;
      const toml::node* pos = cards[i]->get("position");
      if (!pos) return fail(*cards[i], path + ".position", "missing");
      note(path + ".position", *pos);
      auto p = integer_of(*pos);
      if (!pos->is_integer() || !p || *p < 0 || *p > 1000000)
        return fail(*pos, path + ".position", "must be a positive integer");
      c.position = static_cast<int>(*p);
      TL_ASSIGN_OR_RETURN(c.party, required_string(*cards[i], "party", path));
      TL_ASSIGN_OR_RETURN(c.candidate, required_string(*cards[i], "candidate", path));
      e.cards.push_back(std::move(c));
    }
    TL_ASSIGN_OR_RETURN(e.fields, strings(root, "fields", false));
    TL_ASSIGN_OR_RETURN(e.optional, strings(root, "optional", false));
    TL_TRY(read_rules(root, e));
    if (const toml::node* f = root.get("figures")) {
      TL_TRY(read_figures(*f, e.figures));
    }
    return ok();
  }

  // [unregistered_tables]: count, max_voters_per_table (integers) and areas (code = count).
  Status read_unregistered_tables(const toml::node& u, UnregisteredTables& out) {
    const std::string base = "unregistered_tables";
    note(base, u);
    const toml::table* t = u.as_table();
    if (!t)
      return fail(u, base, "must be a table with count, max_voters_per_table and/or areas");
    TL_TRY(only_keys(*t, base, {"count", "max_voters_per_table", "areas"}));
    if (const toml::node* c = t->get("count")) {
      TL_ASSIGN_OR_RETURN(out.count, non_negative(*c, base + ".count"));
    }
    if (const toml::node* m = t->get("max_voters_per_table")) {
      TL_ASSIGN_OR_RETURN(out.max_voters_per_table,
                          non_negative(*m, base + ".max_voters_per_table"));
    }
    if (const toml::node* a = t->get("areas")) {
      note(base + ".areas", *a);
      const toml::table* at = a->as_table();
      if (!at) return fail(*a, base + ".areas", "must be a table of area code = number of tables");
      for (const auto& [key, node] : *at) {
        TL_ASSIGN_OR_RETURN(out.areas[std::string(key.str())],
                            non_negative(node, fmt::format("{}.areas.{}", base, key.str())));
      }
    }
    if (!t->contains("count") && !t->contains("areas"))
      return fail(u, base, "must give count or areas (max_voters_per_table alone bounds nothing)");
    return ok();
  }

  // [registry_totals]: total (integer), source (string, required) and areas (code = voters).
  Status read_registry_totals(const toml::node& r, RegistryTotals& out) {
    const std::string base = "registry_totals";
    note(base, r);
    const toml::table* t = r.as_table();
    if (!t) return fail(r, base, "must be a table with total, areas and source");
    TL_TRY(only_keys(*t, base, {"total", "areas", "source"}));
    if (const toml::node* n = t->get("total")) {
      TL_ASSIGN_OR_RETURN(out.total, non_negative(*n, base + ".total"));
    }
    if (const toml::node* a = t->get("areas")) {
      note(base + ".areas", *a);
      const toml::table* at = a->as_table();
      if (!at) return fail(*a, base + ".areas", "must be a table of area code = registered voters");
      for (const auto& [key, node] : *at) {
        TL_ASSIGN_OR_RETURN(out.areas[std::string(key.str())],
                            non_negative(node, fmt::format("{}.areas.{}", base, key.str())));
      }
    }
    if (!t->contains("total") && !t->contains("areas")) return fail(r, base, "must give total or areas");
    const toml::node* s = t->get("source");
    if (!s) return fail(r, base + ".source", "missing: say where the registry figures were published");
    TL_ASSIGN_OR_RETURN(out.source, string_of(*s, base + ".source"));
    if (out.source.empty()) return fail(*s, base + ".source", "must not be empty");
    return ok();
  }

  // rules: each a string (a sheet breaking it is rejected) or a table {rule, action, note} where
  // action is "reject" or "flag" (accepted, counted and listed by `tallylog flags`).
  Status read_rules(const toml::table& root, Election& e) {
    const toml::node* n = root.get("rules");
    if (!n) return ok();
    note("rules", *n);
    const toml::array* a = n->as_array();
    if (!a) return fail(*n, "rules", "must be an array of rules (strings or {rule, action, note} tables)");
    for (size_t i = 0; i < a->size(); ++i) {
      const std::string path = fmt::format("rules[{}]", i);
      const toml::node& r = (*a)[i];
      if (r.is_string()) {
        note(fmt::format("rules[{}]", e.rules.size()), r);
        e.rules.push_back(r.as_string()->get());
        continue;
      }
      const toml::table* t = r.as_table();
      if (!t) return fail(r, path, "must be a string or a table {rule, action, note}");
      note(path, *t);
      TL_TRY(only_keys(*t, path, {"rule", "action", "note"}));
      TL_ASSIGN_OR_RETURN(std::string rule, required_string(*t, "rule", path));
      std::string action = "reject", why;
      if (const toml::node* x = t->get("action")) {
        TL_ASSIGN_OR_RETURN(action, string_of(*x, path + ".action"));
        if (action != "reject" && action != "flag")
          return fail(*x, path + ".action", "must be \"reject\" (refuse the sheet) or \"flag\" (accept and list it)");
      }
      if (const toml::node* x = t->get("note")) {
        TL_ASSIGN_OR_RETURN(why, string_of(*x, path + ".note"));
        if (action == "reject") return fail(*x, path + ".note", "only flag rules carry a note");
      }
      if (action == "reject") {
        // Rule errors found by validate_election name rules[k] in e.rules: keep the line.
        note(fmt::format("rules[{}]", e.rules.size()), *t);
        e.rules.push_back(std::move(rule));
      } else {
        note(fmt::format("flags[{}]", e.flags.size()), *t);
        e.flags.push_back(FlagRule{std::move(rule), std::move(why)});
      }
    }
    return ok();
  }

  // [figures]: valid, invalid, cast, turnout (sums in the rule language), shares (a keyword).
  Status read_figures(const toml::node& n, Figures& out) {
    note("figures", n);
    const toml::table* t = n.as_table();
    if (!t) return fail(n, "figures", "must be a table (valid, invalid, cast, turnout, shares)");
    TL_TRY(only_keys(*t, "figures", {"valid", "invalid", "cast", "turnout", "shares"}));
    for (auto [key, member] : {std::pair<const char*, std::string*>{"valid", &out.valid},
                               {"invalid", &out.invalid},
                               {"cast", &out.cast},
                               {"turnout", &out.turnout},
                               {"shares", &out.shares}}) {
      if (const toml::node* x = t->get(key)) {
        TL_ASSIGN_OR_RETURN(*member, string_of(*x, fmt::format("figures.{}", key)));
      }
    }
    return ok();
  }

  Result<uint64_t> non_negative(const toml::node& n, const std::string& path) {
    note(path, n);
    auto v = integer_of(n);
    if (!n.is_integer() || !v || *v < 0) return fail(n, path, "must be a non-negative integer");
    return static_cast<uint64_t>(*v);
  }

  // Paths are prefixed with prefix_ ("contests[1].") while a contest's ballot is read.
  void note(const std::string& path, const toml::node& n) { lines_[prefix_ + path] = n.source().begin.line; }

  std::unexpected<Error> fail(const toml::node& n, const std::string& path,
                              std::string_view what) const {
    return err(ErrorCode::kInvalidArgument,
               fmt::format("{}:{}: {}{}: {}", file_, n.source().begin.line, prefix_, path, what));
  }
  std::unexpected<Error> missing(const std::string& path) const {
    return err(ErrorCode::kInvalidArgument, fmt::format("{}: {}{}: missing", file_, prefix_, path));
  }

  // Puts the line of the member a validate_election() message starts with in front of it.
  std::unexpected<Error> located(const std::string& message) const {
    size_t end = 0;
    while (end < message.size() &&
           (std::isalnum(static_cast<unsigned char>(message[end])) || message[end] == '_' ||
            message[end] == '.' || message[end] == '[' || message[end] == ']'))
      ++end;
    std::string path = message.substr(0, end);
    while (!path.empty()) {
      if (auto it = lines_.find(path); it != lines_.end())
        return err(ErrorCode::kInvalidArgument,
                   fmt::format("{}:{}: {}", file_, it->second, message));
      size_t cut = path.find_last_of(".[");
      if (cut == std::string::npos) break;
      path.resize(cut);
    }
    return err(ErrorCode::kInvalidArgument, fmt::format("{}: {}", file_, message));
  }

  // A required array of tables whose members are exactly the strings `code` and `name`
  // (levels, candidates), and, with `area`, an optional string `area` (candidates).
  template <class T>
  Status code_name_tables(const toml::table& root, std::string_view key, std::vector<T>& out, bool area = false) {
    TL_ASSIGN_OR_RETURN(auto ts, tables(root, key, true));
    for (size_t i = 0; i < ts.size(); ++i) {
      std::string path = fmt::format("{}[{}]", key, i);
      if (area) {
        TL_TRY(only_keys(*ts[i], path, {"code", "name", "area"}));
      } else {
        TL_TRY(only_keys(*ts[i], path, {"code", "name"}));
      }
      T v;
      TL_ASSIGN_OR_RETURN(v.code, required_string(*ts[i], "code", path));
      TL_ASSIGN_OR_RETURN(v.name, required_string(*ts[i], "name", path));
      if constexpr (requires(T& x) { x.area; }) {
        if (const toml::node* a = ts[i]->get("area")) {
          TL_ASSIGN_OR_RETURN(v.area, string_of(*a, path + ".area"));
        }
      }
      out.push_back(std::move(v));
    }
    return ok();
  }

  Status only_keys(const toml::table& t, const std::string& path,
                   std::initializer_list<std::string_view> keys) {
    for (const auto& [key, node] : t) {
      if (std::find(keys.begin(), keys.end(), key.str()) == keys.end())
        return fail(node, fmt::format("{}.{}", path, key.str()), "unknown key");
    }
    return ok();
  }

  Result<std::string> string_of(const toml::node& n, const std::string& path) {
    note(path, n);
    if (auto s = n.as_string()) return s->get();
    return fail(n, path, "must be a string");
  }

  Result<std::string> required_string(const toml::table& t, std::string_view key,
                                      const std::string& parent = "") {
    std::string path = parent.empty() ? std::string(key) : fmt::format("{}.{}", parent, key);
    const toml::node* n = t.get(key);
    if (!n) {
      if (parent.empty()) return missing(path);
      return err(ErrorCode::kInvalidArgument,
                 fmt::format("{}:{}: {}{}: missing", file_, t.source().begin.line, prefix_, path));
    }
    return string_of(*n, path);
  }

  Result<std::vector<const toml::table*>> tables(const toml::table& root, std::string_view key,
                                                 bool required) {
    std::vector<const toml::table*> out;
    const toml::node* n = root.get(key);
    if (!n) {
      if (required) return missing(std::string(key));
      return out;
    }
    note(std::string(key), *n);
    const toml::array* a = n->as_array();
    if (!a)
      return fail(*n, std::string(key),
                  "must be an array of tables ([[" + std::string(key) + "]])");
    for (size_t i = 0; i < a->size(); ++i) {
      const toml::table* t = (*a)[i].as_table();
      std::string path = fmt::format("{}[{}]", key, i);
      if (!t) return fail((*a)[i], path, "must be a table");
      note(path, *t);
      out.push_back(t);
    }
    return out;
  }

  Result<std::vector<std::string>> strings(const toml::table& root, std::string_view key,
                                           bool required) {
    std::vector<std::string> out;
    const toml::node* n = root.get(key);
    if (!n) {
      if (required) return missing(std::string(key));
      return out;
    }
    note(std::string(key), *n);
    const toml::array* a = n->as_array();
    if (!a) return fail(*n, std::string(key), "must be an array of strings");
    for (size_t i = 0; i < a->size(); ++i) {
      TL_ASSIGN_OR_RETURN(auto s, string_of((*a)[i], fmt::format("{}[{}]", key, i)));
      out.push_back(std::move(s));
    }
    return out;
  }

  std::string file_;
  std::string prefix_;
  std::map<std::string, uint32_t> lines_;
};

}  // namespace

Result<Election> parse_election_toml(std::string_view text, std::string_view file_name) {
  toml::table root;
  try {
    root = toml::parse(text, file_name);
  } catch (const toml::parse_error& e) {
    return err(ErrorCode::kInvalidArgument,
               fmt::format("{}:{}:{}: {}", file_name, e.source().begin.line,
                           e.source().begin.column, e.description()));
  } catch (const std::exception& e) {
    return err(ErrorCode::kInvalidArgument, fmt::format("{}: {}", file_name, e.what()));
  }
  return Reader(file_name).read(root);
}

Result<Election> load_election_toml(const std::string& path, Env& env) {
  TL_ASSIGN_OR_RETURN(std::string text, env.read_file(path));
  return parse_election_toml(text, path);
}

}  // namespace tallylog::election
