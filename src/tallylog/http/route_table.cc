#include "tallylog/http/route_table.h"

#include <cstdio>
#include <cstdlib>

namespace tallylog::http {
namespace {

bool method_accepts(std::string_view row, std::string_view method) {
  return row == "*" || row == method || (row == "GET" && method == "HEAD");
}

}  // namespace

void RouteTable::add(Route route) {
  const std::string& p = route.pattern;
  Compiled c;
  if (p.empty() || p.front() != '/') {
    std::fprintf(stderr, "route pattern must start with '/': %s\n", p.c_str());
    std::abort();
  }
  size_t i = 1;
  while (true) {
    size_t j = p.find('/', i);
    std::string seg = p.substr(i, j == std::string::npos ? std::string::npos : j - i);
    if ((seg == "*" && j != std::string::npos) || (seg.empty() && j != std::string::npos) ||
        (seg.starts_with(':') && seg.size() == 1)) {
      std::fprintf(stderr, "malformed route pattern: %s\n", p.c_str());
      std::abort();
    }
    c.segments.push_back(std::move(seg));
    if (j == std::string::npos) break;
    i = j + 1;
  }
  if (route.label.empty()) route.label = route.pattern;
  routes_.push_back(std::move(route));
  compiled_.push_back(std::move(c));
}

bool RouteTable::match_pattern(const Compiled& c, std::string_view path, std::vector<std::string_view>& params,
                               std::string_view& rest) const {
  params.clear();
  rest = {};
  if (path.empty() || path.front() != '/') return false;
  std::string_view left = path.substr(1);
  for (size_t k = 0; k < c.segments.size(); ++k) {
    const std::string& seg = c.segments[k];
    if (seg == "*") {
      rest = left;
      return true;
    }
    size_t slash = left.find('/');
    std::string_view got = left.substr(0, slash);
    bool last = k + 1 == c.segments.size();
    if (last != (slash == std::string_view::npos)) return false;
    if (seg.starts_with(':')) {
      if (got.empty()) return false;
      params.push_back(got);
    } else if (got != seg) {
      return false;
    }
    left = last ? std::string_view() : left.substr(slash + 1);
  }
  return true;
}

RouteTable::Match RouteTable::match(std::string_view method, std::string_view path) const {
  Match m;
  std::vector<std::string_view> params;
  std::string_view rest;
  for (size_t i = 0; i < routes_.size(); ++i) {
    if (m.pattern_row && routes_[i].pattern != m.pattern_row->pattern) continue;
    if (!m.pattern_row) {
      if (!match_pattern(compiled_[i], path, params, rest)) continue;
      m.pattern_row = &routes_[i];
      m.params = params;
      m.rest = rest;
    }
    if (method_accepts(routes_[i].method, method)) {
      m.route = &routes_[i];
      m.allow.clear();
      return m;
    }
    std::string allow = routes_[i].method == "GET" ? "GET, HEAD" : routes_[i].method;
    m.allow += (m.allow.empty() ? "" : ", ") + allow;
  }
  return m;
}

}  // namespace tallylog::http
