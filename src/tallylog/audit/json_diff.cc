#include "tallylog/audit/json_diff.h"

#include <map>
#include <nlohmann/json.hpp>
#include <set>

namespace tallylog::audit {
namespace {

using Json = nlohmann::ordered_json;

struct Walker {
  std::string route;
  std::vector<Difference>& out;
  size_t limit;
  uint64_t found = 0;

  void report(const std::string& area, const std::string& field, std::string published, std::string derived) {
    ++found;
    if (out.size() < limit) out.push_back({route, area, field, std::move(published), std::move(derived)});
  }

  static std::string text(const Json& j) { return j.dump(); }
  static std::string join(const std::string& path, const std::string& key) { return path.empty() ? key : path + "." + key; }

  // The key an array element is known by, or "" when it has none.
  static std::string element_key(const Json& e) {
    if (!e.is_object()) return "";
    for (const char* k : {"code", "table"}) {
      auto it = e.find(k);
      if (it != e.end() && it->is_string()) return it->get<std::string>();
    }
    return "";
  }

  static bool keyed(const Json& a) {
    if (a.empty()) return true;
    for (const auto& e : a) {
      if (element_key(e).empty()) return false;
    }
    return true;
  }

  static bool strings(const Json& a) {
    for (const auto& e : a) {
      if (!e.is_string()) return false;
    }
    return true;
  }

  void walk(const Json& p, const Json& d, const std::string& area, const std::string& path) {
    if (p.is_object() && d.is_object()) {
      // An object that is an area (or a compared table) opens a new area.
      std::string here = area;
      std::string sub = path;
      if (std::string k = element_key(p); !k.empty() && k == element_key(d)) {
        here = k;
        sub.clear();
      }
      for (auto it = p.begin(); it != p.end(); ++it) {
        const std::string& key = it.key();
        std::string next_area = here;
        std::string next_path = join(sub, key);
        if (sub.empty() && area.empty() && key == "total") {
          next_area = "national";
          next_path.clear();
        }
        auto other = d.find(key);
        if (other == d.end()) {
          report(here, join(sub, key), text(it.value()), "(absent)");
          continue;
        }
        walk(it.value(), *other, next_area, next_path);
      }
      for (auto it = d.begin(); it != d.end(); ++it) {
        if (!p.contains(it.key())) report(here, join(sub, it.key()), "(absent)", text(it.value()));
      }
      return;
    }
    if (p.is_array() && d.is_array()) {
      if (p.size() + d.size() > 0 && keyed(p) && keyed(d)) {
        std::map<std::string, const Json*> dp, dd;
        for (const auto& e : p) dp.emplace(element_key(e), &e);
        for (const auto& e : d) dd.emplace(element_key(e), &e);
        for (const auto& [k, e] : dp) {
          auto it = dd.find(k);
          if (it == dd.end()) {
            report(k, path.empty() ? "(listed)" : path, "listed", "(absent)");
            continue;
          }
          walk(*e, *it->second, area, path);
        }
        for (const auto& [k, e] : dd) {
          if (!dp.count(k)) report(k, path.empty() ? "(listed)" : path, "(absent)", "listed");
        }
        return;
      }
      if (strings(p) && strings(d) && path.ends_with("_tables")) {
        std::set<std::string> sp, sd;
        for (const auto& e : p) sp.insert(e.get<std::string>());
        for (const auto& e : d) sd.insert(e.get<std::string>());
        for (const auto& s : sp) {
          if (!sd.count(s)) report(s, path, "listed", "(absent)");
        }
        for (const auto& s : sd) {
          if (!sp.count(s)) report(s, path, "(absent)", "listed");
        }
        return;
      }
      size_t n = std::max(p.size(), d.size());
      for (size_t i = 0; i < n; ++i) {
        std::string f = path + "[" + std::to_string(i) + "]";
        if (i >= p.size()) report(area, f, "(absent)", text(d[i]));
        else if (i >= d.size()) report(area, f, text(p[i]), "(absent)");
        else walk(p[i], d[i], area, f);
      }
      return;
    }
    if (p != d) report(area, path, text(p), text(d));
  }
};

}  // namespace

uint64_t diff_json(std::string_view route, std::string_view published, std::string_view derived,
                   std::vector<Difference>& out, size_t limit) {
  if (published == derived) return 0;
  Walker w{std::string(route), out, limit};
  Json p, d;
  try {
    p = Json::parse(published);
    d = Json::parse(derived);
  } catch (const std::exception& e) {
    w.report("", "(body)", std::string(published.substr(0, 200)), std::string(derived.substr(0, 200)));
    return w.found;
  }
  w.walk(p, d, "", "");
  if (w.found == 0) {
    // Equal as JSON but not byte for byte (member order, spacing, number spelling).
    w.report("", "(bytes)", std::to_string(published.size()) + " bytes", std::to_string(derived.size()) + " bytes");
  }
  return w.found;
}

// Byte by byte, strings skipped to their closing quote. Not a hot path: an answer equal to its
// derivation takes the derivation's count (tally/format.h); only answers that differ, or that are
// compared whole, are counted here.
uint64_t count_figures(std::string_view json) {
  uint64_t n = 0;
  bool in_number = false;
  for (size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    if (c == '"') {
      in_number = false;
      for (++i; i < json.size() && json[i] != '"'; ++i)
        if (json[i] == '\\') ++i;  // the escaped byte
      continue;
    }
    if ((c >= '0' && c <= '9') || c == '-') {
      if (!in_number) ++n;
      in_number = true;
    } else if (c != '.' && c != 'e' && c != 'E' && c != '+') {
      in_number = false;
    }
  }
  return n;
}

}  // namespace tallylog::audit
