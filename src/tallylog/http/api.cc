// Routing and formatting for the tallylog HTTP API (see api.h and docs/api.md).
#include "tallylog/http/api.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>
#include <variant>
#include <vector>

#include "tallylog/base/bytes.h"
#include "tallylog/election/entry.h"
#include "tallylog/http/metrics.h"
#include "tallylog/http/rate_limiter.h"
#include "tallylog/http/static_files.h"
#include "tallylog/http/tokens.h"
#include "tallylog/forensics/declared.h"
#include "tallylog/forensics/format.h"
#include "tallylog/forensics/from_tabulation.h"
#include "tallylog/merkle/hash.h"
#include "tallylog/tally/from_index.h"
#include "tallylog/tally/bound.h"
#include "tallylog/tally/compare.h"
#include "tallylog/tally/format.h"
#include "tallylog/tally/geography.h"
#include "tallylog/tally/source_rule.h"
#include "tallylog/tally/tabulation.h"

namespace tallylog::http {

using Json = nlohmann::ordered_json;

namespace {

// ---- small helpers -------------------------------------------------------------------------

std::string percent_decode_component(std::string_view s, bool plus_is_space) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '+' && plus_is_space) {
      out += ' ';
    } else if (c == '%' && i + 2 < s.size()) {
      auto hex = [](char h) -> int {
        if (h >= '0' && h <= '9') return h - '0';
        if (h >= 'a' && h <= 'f') return h - 'a' + 10;
        if (h >= 'A' && h <= 'F') return h - 'A' + 10;
        return -1;
      };
      int hi = hex(s[i + 1]), lo = hex(s[i + 2]);
      if (hi < 0 || lo < 0) {
        out += c;
        continue;
      }
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

std::map<std::string, std::string> parse_query(std::string_view q) {
  std::map<std::string, std::string> out;
  size_t start = 0;
  while (start <= q.size()) {
    size_t amp = q.find('&', start);
    std::string_view part = q.substr(start, amp == std::string_view::npos ? std::string_view::npos : amp - start);
    if (!part.empty()) {
      size_t eq = part.find('=');
      std::string k = percent_decode_component(part.substr(0, eq), true);
      std::string v = eq == std::string_view::npos ? "" : percent_decode_component(part.substr(eq + 1), true);
      out.emplace(std::move(k), std::move(v));
    }
    if (amp == std::string_view::npos) break;
    start = amp + 1;
  }
  return out;
}

Response json_response(int status, const Json& j) { return Response::json(status, j.dump() + "\n"); }

Response error_response(int status, std::string_view message, std::string_view field = {}) {
  Json j;
  j["error"] = message;
  if (!field.empty()) j["field"] = field;
  return json_response(status, j);
}

Response from_error(const Error& e) {
  int status = 500;
  switch (e.code) {
    case ErrorCode::kInvalidArgument: status = 400; break;
    case ErrorCode::kNotFound: status = 404; break;
    case ErrorCode::kResourceExhausted: status = 413; break;
    case ErrorCode::kFailedPrecondition:
    case ErrorCode::kUnavailable: status = 503; break;
    default: status = 500;
  }
  return error_response(status, e.to_string());
}

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/') ++i;
    if (i >= path.size()) break;
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    out.push_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

std::string_view verdict_name(ingest::Verdict v) {
  switch (v) {
    case ingest::Verdict::kAccepted: return "accepted";
    case ingest::Verdict::kDuplicate: return "duplicate";
    case ingest::Verdict::kConflict: return "conflict";
    case ingest::Verdict::kRejected: return "rejected";
  }
  return "rejected";
}

Json sheet_json(const election::Sheet& s) {
  Json j;
  j["station"] = s.station;
  j["source"] = s.source;
  if (!s.cards.empty()) j["cards"] = s.cards;
  Json c = Json::object();
  for (auto& [k, v] : s.candidates) c[k] = v;
  j["candidates"] = c;
  Json f = Json::object();
  for (auto& [k, v] : s.fields) f[k] = v;
  j["fields"] = f;
  if (!s.image_sha256.empty()) j["image_sha256"] = s.image_sha256;
  if (!s.qr_payload.empty()) j["qr_payload"] = s.qr_payload;
  if (!s.submitted_by.empty()) j["submitted_by"] = s.submitted_by;
  if (!s.submitted_at.empty()) j["submitted_at"] = s.submitted_at;
  if (s.supersedes) j["supersedes"] = *s.supersedes;
  return j;
}

// The tree size line of a checkpoint ("<origin>\n<size>\n<root>\n\n<signatures>").
std::optional<uint64_t> checkpoint_size(std::string_view text) {
  auto nl = text.find('\n');
  if (nl == std::string_view::npos) return std::nullopt;
  auto nl2 = text.find('\n', nl + 1);
  if (nl2 == std::string_view::npos) return std::nullopt;
  auto digits = text.substr(nl + 1, nl2 - nl - 1);
  if (digits.empty() || digits.size() > 20) return std::nullopt;
  uint64_t v = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

std::string_view web_content_type(std::string_view path) {
  auto ends = [&](std::string_view e) { return path.ends_with(e); };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js") || ends(".mjs")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".json")) return "application/json";
  if (ends(".svg")) return "image/svg+xml";
  if (ends(".png")) return "image/png";
  if (ends(".ico")) return "image/x-icon";
  if (ends(".webmanifest")) return "application/manifest+json";
  if (ends(".txt")) return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

bool safe_web_path(std::string_view rel) {
  if (rel.empty() || rel.size() > 200 || rel.front() == '/' || rel.find("..") != std::string_view::npos ||
      rel.find("//") != std::string_view::npos)
    return false;
  for (char c : rel)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' || c == '/')) return false;
  return true;
}

// Minimal multipart/form-data reader: name -> body of each part.
Result<std::map<std::string, std::string>> parse_multipart(std::string_view content_type, std::string_view body) {
  auto b = content_type.find("boundary=");
  if (b == std::string_view::npos) return err(ErrorCode::kInvalidArgument, "multipart body without a boundary");
  std::string boundary(content_type.substr(b + 9));
  if (auto semi = boundary.find(';'); semi != std::string::npos) boundary.resize(semi);
  if (boundary.size() >= 2 && boundary.front() == '"' && boundary.back() == '"')
    boundary = boundary.substr(1, boundary.size() - 2);
  if (boundary.empty() || boundary.size() > 200) return err(ErrorCode::kInvalidArgument, "bad multipart boundary");
  std::string delim = "--" + boundary;
  std::map<std::string, std::string> parts;
  size_t pos = body.find(delim);
  if (pos == std::string_view::npos) return err(ErrorCode::kInvalidArgument, "multipart boundary not found in body");
  while (true) {
    pos += delim.size();
    if (body.substr(pos, 2) == "--") break;  // closing delimiter
    if (body.substr(pos, 2) != "\r\n") return err(ErrorCode::kInvalidArgument, "malformed multipart delimiter");
    pos += 2;
    size_t header_end = body.find("\r\n\r\n", pos);
    if (header_end == std::string_view::npos) return err(ErrorCode::kInvalidArgument, "multipart part without headers end");
    std::string_view headers = body.substr(pos, header_end - pos);
    size_t data_start = header_end + 4;
    size_t next = body.find("\r\n" + delim, data_start);
    if (next == std::string_view::npos) return err(ErrorCode::kInvalidArgument, "multipart part is not terminated");
    std::string name;
    auto n = headers.find("name=\"");
    if (n != std::string_view::npos) {
      auto e = headers.find('"', n + 6);
      if (e != std::string_view::npos) name = std::string(headers.substr(n + 6, e - n - 6));
    }
    if (!name.empty() && !parts.count(name)) parts.emplace(name, std::string(body.substr(data_start, next - data_start)));
    pos = next + 2;
    if (parts.size() > 16) return err(ErrorCode::kInvalidArgument, "too many multipart parts");
  }
  return parts;
}

}  // namespace

// ---- sheet JSON ------------------------------------------------------------------------------

Result<election::Sheet> sheet_from_json(std::string_view text) {
  Json j;
  try {
    j = Json::parse(text);
  } catch (const std::exception& e) {
    return err(ErrorCode::kInvalidArgument, std::string("body: not valid JSON: ") + e.what());
  }
  if (!j.is_object()) return err(ErrorCode::kInvalidArgument, "body: must be a JSON object");
  election::Sheet s;
  auto need_string = [&](const char* key, std::string& out, bool required) -> Status {
    if (!j.contains(key)) {
      if (required) return err(ErrorCode::kInvalidArgument, std::string(key) + ": missing");
      return ok();
    }
    if (!j[key].is_string()) return err(ErrorCode::kInvalidArgument, std::string(key) + ": must be a string");
    out = j[key].get<std::string>();
    if (!is_valid_utf8(out)) return err(ErrorCode::kInvalidArgument, std::string(key) + ": must be UTF-8");
    return ok();
  };
  auto int_of = [](const Json& v, const std::string& where) -> Result<int64_t> {
    if (!v.is_number_integer()) return err(ErrorCode::kInvalidArgument, where + ": must be an integer");
    return v.get<int64_t>();
  };
  for (auto it = j.begin(); it != j.end(); ++it) {
    static const std::vector<std::string> kKnown = {"station", "source", "cards", "candidates", "fields",
                                                    "image_sha256", "qr_payload", "supersedes"};
    if (std::find(kKnown.begin(), kKnown.end(), it.key()) == kKnown.end())
      return err(ErrorCode::kInvalidArgument, it.key() + ": unknown key");
  }
  TL_TRY(need_string("station", s.station, true));
  TL_TRY(need_string("source", s.source, true));
  TL_TRY(need_string("image_sha256", s.image_sha256, false));
  TL_TRY(need_string("qr_payload", s.qr_payload, false));
  if (j.contains("cards")) {
    if (!j["cards"].is_array() || j["cards"].size() > 1000)
      return err(ErrorCode::kInvalidArgument, "cards: must be an array of integers");
    for (size_t i = 0; i < j["cards"].size(); ++i) {
      TL_ASSIGN_OR_RETURN(int64_t v, int_of(j["cards"][i], "cards[" + std::to_string(i) + "]"));
      s.cards.push_back(v);
    }
  }
  for (const char* key : {"candidates", "fields"}) {
    if (!j.contains(key)) continue;
    if (!j[key].is_object() || j[key].size() > 1000)
      return err(ErrorCode::kInvalidArgument, std::string(key) + ": must be an object of integers");
    auto& target = std::string_view(key) == "candidates" ? s.candidates : s.fields;
    for (auto it = j[key].begin(); it != j[key].end(); ++it) {
      TL_ASSIGN_OR_RETURN(int64_t v, int_of(it.value(), std::string(key) + "." + it.key()));
      target[it.key()] = v;
    }
  }
  if (j.contains("supersedes") && !j["supersedes"].is_null()) {
    if (!j["supersedes"].is_number_unsigned())
      return err(ErrorCode::kInvalidArgument, "supersedes: must be a log index (non-negative integer)");
    s.supersedes = j["supersedes"].get<uint64_t>();
  }
  return s;
}

std::string outcome_to_json(const ingest::Outcome& o) {
  Json j;
  j["verdict"] = verdict_name(o.verdict);
  if (o.log_index) j["log_index"] = *o.log_index;
  if (o.conflicts_with) j["conflicts_with"] = *o.conflicts_with;
  if (o.verdict == ingest::Verdict::kRejected) {
    j["field"] = o.field;
    j["reason"] = o.reason;
  }
  return j.dump();
}

// ---- the application -------------------------------------------------------------------------

struct Api::Impl {
  ApiOptions opt;
  ApiBackend be;
  TokenStore tokens;
  RateLimiter limiter;
  Metrics metrics;

  // Tabulation cache: one live Tabulation per source rule, brought up to date from the index.
  std::mutex mu;
  std::shared_ptr<const tally::Geography> geo;
  uint64_t geo_stations = 0;
  struct Tab {
    std::unique_ptr<tally::Tabulation> tab;
    uint64_t applied = 0;     // index entries [0, applied) are in tab
    uint64_t generation = 0;  // `writes` when it was last brought up to date
  };
  // Bumped after every submission through this Api. The ingestor holds the log's lock, so no
  // other process can write while we serve: an unchanged count means the index has not moved and
  // a hot read needs no SQLite query at all.
  std::atomic<uint64_t> writes{1};
  std::map<std::string, Tab> tabs;
  std::map<std::string, std::pair<uint64_t, std::string>> cache;  // key -> (applied size, body)

  Impl(ApiOptions o, ApiBackend b)
      : opt(std::move(o)),
        be(std::move(b)),
        tokens(opt.data_dir, *be.env),
        limiter(opt.submit_rate_per_token, opt.submit_burst_per_token) {}

  // Must hold mu. Returns the up-to-date tabulation for `rule`.
  Result<Tab*> tabulation(const tally::SourceRule& rule) {
    const uint64_t gen = writes.load();
    if (geo) {
      if (auto it = tabs.find(rule.to_string()); it != tabs.end() && it->second.generation == gen) return &it->second;
    }
    TL_ASSIGN_OR_RETURN(uint64_t size, be.index->indexed_size());
    TL_ASSIGN_OR_RETURN(uint64_t stations, be.index->station_count());
    if (!geo || stations != geo_stations) {
      TL_ASSIGN_OR_RETURN(auto election, be.index->election());
      std::vector<election::Station> list;
      list.reserve(stations);
      TL_TRY(be.index->for_each_station([&](const election::Station& s) { list.push_back(s); }));
      TL_ASSIGN_OR_RETURN(geo, tally::Geography::build(election, list));
      geo_stations = stations;
      tabs.clear();
      cache.clear();
    }
    auto key = rule.to_string();
    auto it = tabs.find(key);
    if (it == tabs.end()) {
      Tab t;
      TL_ASSIGN_OR_RETURN(auto full, tally::tabulate_index(*be.index, geo, rule, nullptr));
      t.tab = std::make_unique<tally::Tabulation>(std::move(full));
      t.applied = size;
      it = tabs.emplace(key, std::move(t)).first;
    }
    auto& t = it->second;
    for (uint64_t i = t.applied; i < size; ++i) {
      TL_ASSIGN_OR_RETURN(auto rec, be.index->sheet_at(i));
      // add() filters by the rule itself, and must also see corrections from other sources so
      // that a superseded matching sheet is retracted (the live tally equals a full recompute).
      if (rec) TL_TRY(t.tab->add(*rec));
    }
    t.applied = std::max(t.applied, size);
    t.generation = gen;
    return &t;
  }

  Result<tally::SourceRule> rule_param(const std::map<std::string, std::string>& q, const char* name) {
    auto it = q.find(name);
    auto r = tally::SourceRule::parse(it == q.end() ? "*" : it->second);
    if (!r) return err(ErrorCode::kInvalidArgument, std::string(name) + ": " + r.error().message);
    return r;
  }

  Result<int> depth_param(const std::map<std::string, std::string>& q, int fallback) {
    auto it = q.find("level");
    if (it == q.end() || it->second.empty()) return std::min(fallback, geo->depth_count() - 1);
    auto d = geo->depth_of(it->second);
    if (!d) return err(ErrorCode::kInvalidArgument, "level: unknown level '" + it->second + "'");
    return *d;
  }

  // Serves a cached body computed by `make` while the index has not moved.
  Response cached(const std::string& key, uint64_t applied, const std::function<Result<Response>()>& make) {
    if (auto it = cache.find(key); it != cache.end() && it->second.first == applied)
      return Response::json(200, it->second.second);
    auto r = make();
    if (!r) return from_error(r.error());
    if (r->status == 200 && r->content_type == "application/json") {
      if (cache.size() > 512) cache.clear();
      cache[key] = {applied, r->body};
    }
    return std::move(*r);
  }

  Response tally_route(const std::map<std::string, std::string>& q) {
    std::lock_guard lock(mu);
    auto rule = rule_param(q, "source");
    if (!rule) return from_error(rule.error());
    auto tab = tabulation(*rule);
    if (!tab) return from_error(tab.error());
    auto depth = depth_param(q, 1);
    if (!depth) return from_error(depth.error());
    std::string parent = q.count("parent") ? q.at("parent") : "";
    std::string key = "tally|" + rule->to_string() + "|" + std::to_string(*depth) + "|" + parent;
    return cached(key, (*tab)->applied, [&]() -> Result<Response> {
      const auto& g = *geo;
      std::string body = tally::tally_to_json(*(*tab)->tab, *depth);
      if (parent.empty()) return Response::json(200, body + "\n");
      // Drill-down: keep the areas under `parent` (an area of the level just above).
      if (*depth < 1) return err(ErrorCode::kInvalidArgument, "parent: the national level has no parent");
      tally::AreaId p = g.find(*depth - 1, parent);
      if (p == tally::kNoArea && *depth - 1 == 0) p = g.national();
      if (p == tally::kNoArea) return err(ErrorCode::kNotFound, "parent: no area '" + parent + "'");
      Json j = Json::parse(body);
      Json kept = Json::array();
      for (auto& a : j["areas"]) {
        tally::AreaId id = g.find(*depth, a["code"].get<std::string>());
        if (id != tally::kNoArea && g.area(id).parent == p) kept.push_back(a);
      }
      j["areas"] = std::move(kept);
      j["parent"] = parent;
      j["parent_name"] = g.area(p).name;
      Json ancestors = Json::array();  // outermost first, without the national area and the parent
      for (tally::AreaId a = g.area(p).parent; a != tally::kNoArea && a != g.national(); a = g.area(a).parent)
        ancestors.insert(ancestors.begin(), Json{{"depth", g.area(a).depth}, {"code", g.area(a).code}, {"name", g.area(a).name}});
      j["ancestors"] = std::move(ancestors);
      return Response::json(200, j.dump() + "\n");
    });
  }

  Response compare_route(const std::map<std::string, std::string>& q) {
    std::lock_guard lock(mu);
    auto a = rule_param(q, "a");
    auto b = rule_param(q, "b");
    if (!a) return from_error(a.error());
    if (!b) return from_error(b.error());
    auto ta = tabulation(*a);
    if (!ta) return from_error(ta.error());
    auto tb = tabulation(*b);
    if (!tb) return from_error(tb.error());
    auto depth = depth_param(q, 1);
    if (!depth) return from_error(depth.error());
    std::string key = "compare|" + a->to_string() + "|" + b->to_string() + "|" + std::to_string(*depth);
    return cached(key, (*ta)->applied, [&]() -> Result<Response> {
      TL_ASSIGN_OR_RETURN(auto c, tally::compare(*(*ta)->tab, *(*tb)->tab, *depth));
      return Response::json(200, tally::compare_to_json(c, *geo) + "\n");
    });
  }

  Response bound_route(const std::map<std::string, std::string>& q) {
    std::lock_guard lock(mu);
    auto rule = rule_param(q, "source");
    if (!rule) return from_error(rule.error());
    auto tab = tabulation(*rule);
    if (!tab) return from_error(tab.error());
    return cached("bound|" + rule->to_string(), (*tab)->applied, [&]() -> Result<Response> {
      TL_ASSIGN_OR_RETURN(auto b, tally::outcome_bound(*(*tab)->tab));
      return Response::json(200, tally::bound_to_json(b, *geo) + "\n");
    });
  }

  // ---- forensics (docs/forensics.md) ----
  // Reports per (rule, level, index size); the Monte Carlo test costs ~1 s on 100,000 tables.
  std::map<std::string, std::pair<uint64_t, std::shared_ptr<const forensics::Report>>> reports;

  Result<std::shared_ptr<const forensics::Report>> forensics_report(const tally::SourceRule& rule, int depth,
                                                                     Tab* tab) {
    const std::string key = rule.to_string() + "|" + std::to_string(depth);
    if (auto it = reports.find(key); it != reports.end() && it->second.first == tab->applied) return it->second.second;
    TL_ASSIGN_OR_RETURN(auto sample, forensics::sample_from_tabulation(*tab->tab, depth));
    forensics::Options o;
    o.threads = std::max(1u, std::thread::hardware_concurrency());
    auto r = std::make_shared<const forensics::Report>(forensics::analyse(sample, o));
    if (reports.size() > 64) reports.clear();
    reports[key] = {tab->applied, r};
    return r;
  }

  Response forensics_route(const std::map<std::string, std::string>& q, const std::string& plot) {
    std::lock_guard lock(mu);
    auto rule = rule_param(q, "source");
    if (!rule) return from_error(rule.error());
    auto tab = tabulation(*rule);
    if (!tab) return from_error(tab.error());
    auto depth = depth_param(q, geo->depth_count() > 2 ? 1 : 0);
    if (!depth) return from_error(depth.error());
    if (*depth >= geo->table_depth()) return error_response(400, "level: areas must be above the table level");
    Tab* t = *tab;
    auto report = forensics_report(*rule, *depth, t);
    if (!report) return from_error(report.error());
    if (!plot.empty()) {
      const std::string title = geo->election().name + " (" + rule->to_string() + ")";
      Response r;
      r.content_type = "image/svg+xml";
      if (plot == "fingerprint.svg") {
        r.body = forensics::fingerprint_svg(**report, "Election fingerprint: " + title);
      } else if (plot == "integer.svg") {
        r.body = forensics::integer_svg(**report, "Round percentages: " + title);
      } else if (plot == "shpilkin.svg") {
        r.body = forensics::shpilkin_svg(**report, "Votes by turnout: " + title);
      } else {
        return error_response(404, "no such plot; fingerprint.svg, integer.svg or shpilkin.svg");
      }
      return r;
    }
    const std::string key = "forensics|" + rule->to_string() + "|" + std::to_string(*depth);
    return cached(key, t->applied, [&]() -> Result<Response> {
      std::vector<forensics::SourceReport> sources;
      TL_ASSIGN_OR_RETURN(auto names, be.index->sources());
      if (names.size() > 1) {
        for (const std::string& s : names) {
          if (!rule->matches(s)) continue;
          TL_ASSIGN_OR_RETURN(auto rs, tally::SourceRule::parse(s));
          TL_ASSIGN_OR_RETURN(Tab * ts, tabulation(rs));
          TL_ASSIGN_OR_RETURN(auto r, forensics_report(rs, 0, ts));
          sources.push_back({s, *r, {}});
        }
        forensics::mark_sources(sources);
      }
      return Response::json(200, forensics::report_to_json(**report, sources,
                                                           "\"log_size\":" + std::to_string(t->applied) +
                                                               ",\"source\":" + Json(rule->to_string()).dump()) +
                                     "\n");
    });
  }

  Response declared_route(const std::map<std::string, std::string>& q) {
    std::lock_guard lock(mu);
    auto rule = rule_param(q, "source");
    if (!rule) return from_error(rule.error());
    auto tab = tabulation(*rule);
    if (!tab) return from_error(tab.error());
    auto basis = q.count("unregistered") && q.at("unregistered") == "per-table" ? tally::UnregisteredBasis::kPerTable
                                                                               : tally::UnregisteredBasis::kRegistryTotal;
    const std::string key = "declared|" + rule->to_string() + "|" + (basis == tally::UnregisteredBasis::kPerTable ? "p" : "r");
    return cached(key, (*tab)->applied, [&]() -> Result<Response> {
      TL_ASSIGN_OR_RETURN(auto decls, be.index->declarations());
      TL_ASSIGN_OR_RETURN(auto checks, forensics::check_declarations(*(*tab)->tab, decls, basis));
      return Response::json(200, forensics::declared_to_json(checks, "\"log_size\":" + std::to_string((*tab)->applied) +
                                                                         ",\"source\":" + Json(rule->to_string()).dump()) +
                                     "\n");
    });
  }

  Response areas_route(const std::map<std::string, std::string>& q) {
    std::lock_guard lock(mu);
    auto tab = tabulation(tally::SourceRule());
    if (!tab) return from_error(tab.error());
    auto depth = depth_param(q, 1);
    if (!depth) return from_error(depth.error());
    std::string parent = q.count("parent") ? q.at("parent") : "";
    const auto& g = *geo;
    tally::AreaId p = tally::kNoArea;
    if (!parent.empty()) {
      if (*depth < 1) return error_response(400, "parent: the national level has no parent", "parent");
      p = g.find(*depth - 1, parent);
      if (p == tally::kNoArea) return error_response(404, "no area '" + parent + "'", "parent");
    }
    Json list = Json::array();
    for (tally::AreaId id = g.depth_begin(*depth); id < g.depth_end(*depth); ++id) {
      const auto& a = g.area(id);
      if (p != tally::kNoArea && a.parent != p) continue;
      list.push_back({{"code", id == g.national() ? "national" : a.code},
                      {"name", a.name},
                      {"parent", a.parent == tally::kNoArea || a.parent == g.national() ? "" : g.area(a.parent).code},
                      {"tables_registered", a.tables_registered},
                      {"registered_voters", a.registered_voters}});
      if (list.size() >= 20000) break;
    }
    Json j;
    j["level"] = g.depth_name(*depth);
    j["areas"] = std::move(list);
    return json_response(200, j);
  }

  Json station_json(const election::Station& s) {
    Json areas = Json::array();
    const auto* levels = geo ? &geo->election().levels : nullptr;
    for (size_t i = 0; i < s.areas.size(); ++i)
      areas.push_back({{"level", levels && i < levels->size() ? (*levels)[i].code : ""},
                       {"code", s.areas[i].code},
                       {"name", s.areas[i].name}});
    return {{"code", s.code}, {"areas", areas}, {"registered", s.registered}};
  }

  Response stations_route(const std::map<std::string, std::string>& q) {
    // Stations of an area: ?area=<code>&level=<level of that code>.
    auto area = q.count("area") ? q.at("area") : "";
    auto level = q.count("level") ? q.at("level") : "";
    std::lock_guard lock(mu);
    auto tab = tabulation(tally::SourceRule());
    if (!tab) return from_error(tab.error());
    if (area.empty()) return error_response(400, "area: required (with level)", "area");
    auto depth = geo->depth_of(level);
    if (!depth || *depth == 0) return error_response(400, "level: unknown level '" + level + "'", "level");
    tally::AreaId a = geo->find(*depth, area);
    if (a == tally::kNoArea) return error_response(404, "no " + level + " '" + area + "'", "area");
    Json list = Json::array();
    int td = geo->table_depth();
    for (tally::AreaId t = geo->depth_begin(td); t < geo->depth_end(td); ++t) {
      if (geo->ancestor(t, *depth) != a) continue;
      const auto& ar = geo->area(t);
      const auto& tb = *(*tab)->tab;
      auto st = tb.table_status(t);
      list.push_back({{"code", ar.code},
                      {"name", ar.name},
                      {"registered", ar.registered_voters},
                      {"status", st == tally::TableStatus::kCounted      ? "counted"
                                 : st == tally::TableStatus::kConflicted ? "conflicted"
                                                                         : "unreported"}});
      if (list.size() >= 5000) break;
    }
    Json j;
    j["area"] = area;
    j["level"] = level;
    j["stations"] = std::move(list);
    return json_response(200, j);
  }

  Response station_route(std::string_view code, bool with_sheets) {
    auto st = be.index->station(code);
    if (!st) return from_error(st.error());
    if (!*st) return error_response(404, "no station '" + std::string(code) + "'", "station");
    Json j;
    {
      std::lock_guard lock(mu);
      auto tab = tabulation(tally::SourceRule());  // for level names
      (void)tab;
      j["station"] = station_json(**st);
    }
    if (!with_sheets) return json_response(200, j);
    auto cp = be.log->checkpoint();
    if (!cp) return from_error(cp.error());
    auto size = checkpoint_size(*cp);
    if (!size) return error_response(500, "checkpoint has no tree size line");
    j["checkpoint"] = {{"size", *size}, {"text", *cp}};
    auto sheets = be.index->sheets_for_station(code);
    if (!sheets) return from_error(sheets.error());
    Json list = Json::array();
    for (const auto& rec : *sheets) {
      Json s;
      s["log_index"] = rec.log_index;
      s["superseded"] = rec.superseded;
      s["conflicted"] = rec.conflicted;
      s["sheet"] = sheet_json(rec.sheet);
      auto entry = be.log->entry(rec.log_index);
      if (entry) {
        s["entry"] = base64_encode(*entry);
        s["leaf_hash"] = merkle::hash_base64(merkle::leaf_hash(*entry));
      }
      if (rec.log_index < *size) {
        auto proof = be.log->inclusion_proof(rec.log_index, *size);
        if (proof) {
          Json hashes = Json::array();
          for (const auto& h : *proof) hashes.push_back(merkle::hash_base64(h));
          s["proof"] = {{"leaf_index", rec.log_index}, {"tree_size", *size}, {"hashes", hashes}};
        } else {
          s["proof_error"] = proof.error().to_string();
        }
      } else {
        s["proof"] = nullptr;  // logged, not yet in a signed checkpoint
      }
      list.push_back(std::move(s));
    }
    j["sheets"] = std::move(list);
    return json_response(200, j);
  }

  Response export_route(const std::map<std::string, std::string>& q) {
    auto fmt_it = q.find("format");
    std::string format = fmt_it == q.end() ? "csv" : fmt_it->second;
    if (format != "csv" && format != "json") return error_response(400, "format: csv or json", "format");
    std::lock_guard lock(mu);
    auto rule = rule_param(q, "source");
    if (!rule) return from_error(rule.error());
    auto tab = tabulation(*rule);
    if (!tab) return from_error(tab.error());
    tally::SheetExporter ex(*geo, format == "csv" ? tally::ExportFormat::kCsv : tally::ExportFormat::kJson);
    std::string body = ex.begin();
    auto st = be.index->for_each_current_sheet({}, [&](const index::SheetRecord& r) {
      if (rule->matches(r.sheet.source)) body += ex.row(r);
    });
    if (!st) return from_error(st.error());
    body += ex.end();
    Response r;
    r.content_type = format == "csv" ? "text/csv; charset=utf-8" : "application/json";
    r.headers.emplace_back("Content-Disposition",
                           "attachment; filename=\"tallylog-" + geo->election().id + "." + format + "\"");
    r.body = std::move(body);
    return r;
  }

  Response election_route() {
    auto e = be.index->election();
    if (!e) return from_error(e.error());
    Json j;
    j["id"] = e->id;
    j["name"] = e->name;
    j["date"] = e->date;
    j["contest"] = e->contest;
    Json levels = Json::array();
    for (auto& l : e->levels) levels.push_back({{"code", l.code}, {"name", l.name}});
    j["levels"] = levels;
    Json cands = Json::array();
    for (auto& c : e->candidates) cands.push_back({{"code", c.code}, {"name", c.name}});
    j["candidates"] = cands;
    Json cards = Json::array();
    for (auto& c : e->cards) cards.push_back({{"position", c.position}, {"party", c.party}, {"candidate", c.candidate}});
    j["cards"] = cards;
    j["fields"] = e->fields;
    j["sources"] = e->sources;
    j["qr_profile"] = e->qr_profile;
    j["log_size"] = be.log->size();
    auto vkey = log_vkey();
    j["log_vkey"] = vkey ? Json(*vkey) : Json(nullptr);
    return json_response(200, j);
  }

  // <data>/log.vkey, the checkpoint verifier key ("name+hex8+base64"), first line, trimmed; nullopt
  // when the file is absent or unreadable. Public by design: a client checks the checkpoint's
  // signature with it (and compares it with the key published out of band).
  std::optional<std::string> log_vkey() {
    auto text = be.env->read_file(join_path(opt.data_dir, "log.vkey"));
    if (!text) return std::nullopt;
    std::string_view v = *text;
    v = v.substr(0, v.find('\n'));
    while (!v.empty() && (v.back() == '\r' || v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
    if (v.empty() || v.size() > 1024) return std::nullopt;
    return std::string(v);
  }

  Response vkey_route() {
    auto v = log_vkey();
    if (!v) return error_response(404, "no verifier key (log.vkey) in the data directory");
    Response r = Response::text(200, *v + "\n");
    r.headers = {{"X-Content-Type-Options", "nosniff"}, {"Access-Control-Allow-Origin", "*"}, {"Cache-Control", "no-cache"}};
    return r;
  }

  Response conflicts_route() {
    auto c = be.index->conflicts();
    if (!c) return from_error(c.error());
    Json list = Json::array();
    for (auto& x : *c) list.push_back({{"station", x.station}, {"source", x.source}, {"log_indexes", x.log_indexes}});
    return json_response(200, Json{{"conflicts", list}});
  }

  Response sources_route() {
    auto s = be.index->sources();
    if (!s) return from_error(s.error());
    return json_response(200, Json{{"sources", *s}});
  }

  Response metrics_route() {
    std::vector<Gauge> gauges;
    gauges.push_back({"tallylog_log_size", "Entries in the log as of the latest checkpoint.",
                      {{"", static_cast<double>(be.log->size())}}});
    if (auto n = be.index->indexed_size())
      gauges.push_back({"tallylog_index_size", "Log entries applied to the index.", {{"", static_cast<double>(*n)}}});
    std::map<std::string, uint64_t> by_source;
    (void)be.index->for_each_current_sheet({}, [&](const index::SheetRecord& r) { ++by_source[r.sheet.source]; });
    Gauge g{"tallylog_sheets", "Current (not superseded) sheets, by source.", {}};
    for (auto& [s, n] : by_source) g.samples.emplace_back("source=\"" + prometheus_label(s) + "\"", double(n));
    gauges.push_back(std::move(g));
    Response r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = metrics.render(gauges);
    return r;
  }

  Response web_route(std::string_view path) {
    // Refuse a hostile path first, so the answer does not depend on whether a page is installed.
    std::string rel = path == "/" ? "index.html" : std::string(path.substr(1));
    if (!safe_web_path(rel)) return Response::text(400, "bad path\n");
    if (opt.web_dir.empty()) return Response::text(404, "no web page configured\n");
    auto data = be.env->read_file(join_path(opt.web_dir, rel));
    if (!data) return Response::text(404, "not found\n");
    Response r;
    r.content_type = std::string(web_content_type(rel));
    r.body = std::move(*data);
    bool hashed = rel.starts_with("assets/");
    r.headers.emplace_back("Cache-Control", hashed ? kImmutable : "no-cache");
    r.headers.emplace_back("X-Content-Type-Options", "nosniff");
    r.headers.emplace_back("Content-Security-Policy",
                           "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                           "frame-ancestors 'none'");
    return r;
  }

  // ---- write side ----

  // The token's owner, or the answer to give (401/429).
  std::variant<TokenInfo, Response> authorize(const Request& req) {
    auto h = req.header("authorization");
    auto unauthorized = [](std::string msg) {
      Response r = error_response(401, msg);
      r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"tallylog\"");
      return r;
    };
    if (h.empty()) return unauthorized("authorization: a bearer token is required");
    if (h.size() < 8 || !(h.substr(0, 7) == "Bearer " || h.substr(0, 7) == "bearer "))
      return unauthorized("authorization: expected 'Bearer <token>'");
    auto who = tokens.authenticate(h.substr(7));
    if (!who) return error_response(503, "token store: " + who.error().to_string());
    if (!*who) return unauthorized("authorization: unknown or revoked token");
    if (!limiter.allow((*who)->name, std::chrono::steady_clock::now())) {
      Response r = error_response(429, "rate limit: too many submissions for '" + (*who)->name + "'");
      r.headers.emplace_back("Retry-After", "1");
      return r;
    }
    return **who;
  }

  Response answer(const ingest::Outcome& o, Json extra = Json::object()) {
    int status = 500;
    switch (o.verdict) {
      case ingest::Verdict::kAccepted: status = 201; break;
      case ingest::Verdict::kDuplicate: status = 200; break;
      case ingest::Verdict::kConflict: status = 409; break;
      case ingest::Verdict::kRejected: status = 400; break;
    }
    Json j = Json::parse(outcome_to_json(o));
    for (auto it = extra.begin(); it != extra.end(); ++it) j[it.key()] = it.value();
    return json_response(status, j);
  }

  Response submit_sheet(const Request& req) {
    auto auth = authorize(req);
    if (auto* r = std::get_if<Response>(&auth)) return std::move(*r);
    const auto& who = std::get<TokenInfo>(auth);
    auto sheet = sheet_from_json(req.body);
    if (!sheet) {
      const auto& m = sheet.error().message;
      auto colon = m.find(':');
      Json j{{"verdict", "rejected"},
             {"field", colon == std::string::npos ? "body" : m.substr(0, colon)},
             {"reason", colon == std::string::npos ? m : m.substr(colon + 2)}};
      return json_response(400, j);
    }
    if (!who.allows_source(sheet->source))
      return error_response(403, "source: token of '" + who.name + "' may not submit for '" + sheet->source + "'",
                            "source");
    if (!be.submit) return error_response(503, "this server has no write side");
    sheet->submitted_by = who.name;
    sheet->submitted_at.clear();
    auto outcome = be.submit(std::move(*sheet));
    writes.fetch_add(1);
    if (!outcome) return error_response(503, "not recorded: " + outcome.error().to_string());
    return answer(*outcome);
  }

  Response submit_image(const Request& req) {
    auto auth = authorize(req);
    if (auto* r = std::get_if<Response>(&auth)) return std::move(*r);
    const auto& who = std::get<TokenInfo>(auth);
    auto q = parse_query(req.query);
    std::string source = q.count("source") ? q["source"] : "";
    std::string image;
    auto ct = req.header("content-type");
    if (ct.starts_with("multipart/form-data")) {
      auto parts = parse_multipart(ct, req.body);
      if (!parts) return json_response(400, Json{{"verdict", "rejected"}, {"field", "body"}, {"reason", parts.error().message}});
      if (parts->count("source")) source = (*parts)["source"];
      if (!parts->count("image"))
        return json_response(400, Json{{"verdict", "rejected"}, {"field", "image"}, {"reason", "multipart part 'image' is missing"}});
      image = std::move((*parts)["image"]);
    } else {
      image = req.body;
    }
    if (source.empty()) source = "qr";
    if (image.empty())
      return json_response(400, Json{{"verdict", "rejected"}, {"field", "image"}, {"reason", "empty image"}});
    if (!who.allows_source(source))
      return error_response(403, "source: token of '" + who.name + "' may not submit for '" + source + "'", "source");
    if (!be.sheet_from_image) return error_response(501, "this server cannot decode images");
    if (!be.submit) return error_response(503, "this server has no write side");
    auto sheet = be.sheet_from_image(image);
    if (!sheet)
      return json_response(422, Json{{"verdict", "rejected"}, {"field", "image"}, {"reason", sheet.error().message}});
    if (be.put_blob) {
      auto digest = be.put_blob(image);
      if (!digest) return error_response(503, "image not stored: " + digest.error().to_string());
      sheet->image_sha256 = *digest;
    }
    sheet->source = source;
    sheet->submitted_by = who.name;
    sheet->submitted_at.clear();
    std::string station = sheet->station;
    std::string digest = sheet->image_sha256;
    auto outcome = be.submit(std::move(*sheet));
    writes.fetch_add(1);
    if (!outcome) return error_response(503, "not recorded: " + outcome.error().to_string());
    Json extra{{"station", station}};
    if (!digest.empty()) extra["image_sha256"] = digest;
    return answer(*outcome, extra);
  }
};

Api::Api(ApiOptions options, ApiBackend backend)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(backend))) {}
Api::~Api() = default;

uint64_t Api::body_limit(std::string_view method, std::string_view path) const {
  if (method != "POST") return 0;
  if (path == "/api/v1/images") return impl_->opt.max_image_bytes;
  if (path == "/api/v1/sheets") return impl_->opt.max_sheet_bytes;
  return 0;
}

void Api::observe(const Request& request, int status, std::chrono::nanoseconds latency) {
  impl_->metrics.observe(route_label(request.path), status, latency);
}

std::string Api::route_label(std::string_view path) {
  if (path == "/log/checkpoint") return "/log/checkpoint";
  if (path.starts_with("/log/")) return "/log/tile";
  if (path.starts_with("/blobs/")) return "/blobs";
  if (path == "/metrics") return "/metrics";
  if (path.starts_with("/api/v1/")) {
    auto parts = split_path(path);
    if (parts.size() >= 3) {
      static const std::vector<std::string_view> kKnown = {"election", "areas", "stations", "tally", "compare", "bound",
                                                           "export", "conflicts", "sources", "sheets", "images", "metrics", "log",
                                                           "forensics", "declared"};
      for (auto k : kKnown)
        if (parts[2] == k) {
          std::string label = "/api/v1/" + std::string(k);
          if (k == "stations" && parts.size() >= 4) label += parts.size() >= 5 ? "/:code/sheets" : "/:code";
          if (k == "log") label = "/api/v1/log/vkey";
          if (k == "forensics" && parts.size() >= 4) label += "/:plot";
          return label;
        }
    }
    return "/api/v1/other";
  }
  if (path == "/" || path.starts_with("/assets/") || path.ends_with(".html") || path.ends_with(".js") ||
      path.ends_with(".css"))
    return "/web";
  return "other";
}

Response Api::handle(const Request& req) {
  auto& im = *impl_;
  const std::string& path = req.path;
  bool read = req.method == "GET" || req.method == "HEAD";
  auto method_not_allowed = [](std::string allow) {
    Response r = error_response(405, "method not allowed; use " + allow);
    r.headers.emplace_back("Allow", allow);
    return r;
  };
  if (path.find('\0') != std::string::npos) return Response::text(400, "bad path\n");

  if (path.starts_with("/log/")) {
    if (!read) return method_not_allowed("GET, HEAD");
    if (path == "/log/checkpoint" && im.be.log) {
      // The reader holds the latest checkpoint in memory, byte for byte as published on disk:
      // the hottest route costs no system call.
      auto cp = im.be.log->checkpoint();
      if (!cp) return from_error(cp.error());
      Response r;
      r.body = std::move(*cp);
      r.headers = {{"X-Content-Type-Options", "nosniff"}, {"Access-Control-Allow-Origin", "*"}, {"Cache-Control", "no-cache"}};
      return r;
    }
    return serve_log_file(*im.be.env, join_path(im.opt.data_dir, "log"), std::string_view(path).substr(5));
  }
  if (path.starts_with("/blobs/")) {
    if (!read) return method_not_allowed("GET, HEAD");
    return serve_blob(*im.be.env, join_path(im.opt.data_dir, "blobs"), std::string_view(path).substr(7));
  }
  if (path == "/metrics") {
    if (!read) return method_not_allowed("GET, HEAD");
    return im.metrics_route();
  }
  if (path == "/api/v1/sheets" || path == "/api/v1/images") {
    if (req.method != "POST") return method_not_allowed("POST");
    return path == "/api/v1/sheets" ? im.submit_sheet(req) : im.submit_image(req);
  }
  if (path.starts_with("/api/")) {
    auto parts = split_path(path);
    if (parts.size() < 3 || parts[0] != "api" || parts[1] != "v1") return error_response(404, "no such API route");
    if (!read) return method_not_allowed("GET, HEAD");
    if (!im.be.index || !im.be.log) return error_response(503, "no data loaded");
    auto q = parse_query(req.query);
    auto name = parts[2];
    if (parts.size() == 3) {
      if (name == "election") return im.election_route();
      if (name == "areas") return im.areas_route(q);
      if (name == "stations") return im.stations_route(q);
      if (name == "tally") {
        if (q.count("format") && q["format"] == "csv") {
          std::lock_guard lock(im.mu);
          auto rule = im.rule_param(q, "source");
          if (!rule) return from_error(rule.error());
          auto tab = im.tabulation(*rule);
          if (!tab) return from_error(tab.error());
          auto depth = im.depth_param(q, 1);
          if (!depth) return from_error(depth.error());
          Response r;
          r.content_type = "text/csv; charset=utf-8";
          r.body = tally::tally_to_csv(*(*tab)->tab, *depth);
          return r;
        }
        return im.tally_route(q);
      }
      if (name == "compare") return im.compare_route(q);
      if (name == "bound") return im.bound_route(q);
      if (name == "export") return im.export_route(q);
      if (name == "conflicts") return im.conflicts_route();
      if (name == "sources") return im.sources_route();
      if (name == "metrics") return im.metrics_route();  // alias of /metrics
      if (name == "forensics") return im.forensics_route(q, "");
      if (name == "declared") return im.declared_route(q);
    }
    if (name == "forensics" && parts.size() == 4) return im.forensics_route(q, std::string(parts[3]));
    if (name == "log" && parts.size() == 4 && parts[3] == "vkey") return im.vkey_route();
    if (name == "stations" && (parts.size() == 4 || (parts.size() == 5 && parts[4] == "sheets"))) {
      std::string code = percent_decode_component(parts[3], false);
      return im.station_route(code, parts.size() == 5);
    }
    return error_response(404, "no such API route");
  }
  if (!read) return method_not_allowed("GET, HEAD");
  return im.web_route(path);
}

}  // namespace tallylog::http
