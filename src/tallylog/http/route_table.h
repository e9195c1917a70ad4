// The API's one route table: each row says method, path pattern, metrics label, body limit and
// handler, so routing, the per-route body limit the server enforces and the metrics label can
// never disagree.
//
// Patterns are matched segment by segment against the raw (still percent-encoded) path:
//   "/api/v1/tally"                 literal segments
//   "/api/v1/stations/:code"        ":name" captures one non-empty segment (percent-decoded)
//   "/log/*"                        a final "*" captures the rest of the path, raw, possibly empty
// The first row (in insertion order) whose pattern matches decides: when no row with that same
// pattern accepts the method, the answer is 405 with an Allow header listing the ones that do.
// Method "GET" also answers HEAD; "*" accepts any method.
//
// Thread-safety: build the table before serving; match() is const and thread-safe afterwards.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "tallylog/http/request_parsing.h"
#include "tallylog/http/server.h"

namespace tallylog::http {

// What a handler gets besides the request.
struct RouteCall {
  const Request& request;
  const Query& query;               // parsed query string
  std::vector<std::string> params;  // ":name" captures, percent-decoded, in pattern order
  std::string_view rest;            // what a final "*" matched, raw
};
using RouteHandler = std::function<Response(const RouteCall&)>;

struct Route {
  std::string method;   // "GET" (and HEAD), "POST", ... or "*"
  std::string pattern;  // see above
  std::string label;    // metrics label (low cardinality); empty: the pattern
  uint64_t body_limit = 0;  // largest request body accepted, bytes
  RouteHandler handler;
};

class RouteTable {
 public:
  // Adds a row. A malformed pattern (not starting with '/', '*' not last) is a programmer error: aborts.
  void add(Route route);

  struct Match {
    const Route* route = nullptr;       // null: see allow
    std::string allow;                  // when route is null and a pattern matched: the 405 Allow list
    std::vector<std::string_view> params;  // raw captures
    std::string_view rest;
    const Route* pattern_row = nullptr;  // the first row whose pattern matched (for its label), or null
  };
  Match match(std::string_view method, std::string_view path) const;

  const std::vector<Route>& routes() const { return routes_; }

 private:
  struct Compiled {
    std::vector<std::string> segments;  // literal, ":name" or "*"
  };
  bool match_pattern(const Compiled& c, std::string_view path, std::vector<std::string_view>& params,
                     std::string_view& rest) const;

  std::vector<Route> routes_;
  std::vector<Compiled> compiled_;
};

}  // namespace tallylog::http
