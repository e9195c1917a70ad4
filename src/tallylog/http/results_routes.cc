// The read side of the JSON API (/api/v1/...): election, areas, stations, tallies, comparisons,
// outcome bounds, exports, conflicts and sources. Tabulations come from the TallyCache; JSON
// formats from the tally module (byte-identical to the CLI).
#include <algorithm>
#include <deque>
#include <map>
#include <mutex>
#include <optional>

#include "tallylog/base/bytes.h"
#include "tallylog/http/api_context.h"
#include "tallylog/http/responses.h"
#include "tallylog/http/sheet_json.h"
#include "tallylog/merkle/hash.h"
#include "tallylog/tally/bound.h"
#include "tallylog/tally/compare.h"
#include "tallylog/tally/format.h"
#include "tallylog/tally/local_race.h"
#include "tallylog/tally/search.h"

namespace tallylog::http {
namespace {

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

Result<tally::SourceRule> rule_param(const Query& q, const char* name) {
  auto it = q.find(name);
  auto r = tally::SourceRule::parse(it == q.end() ? "*" : it->second);
  if (!r) return err_field(ErrorCode::kInvalidArgument, name, r.error().message);
  return r;
}

Result<int> depth_param(const election::Election& e, const Query& q, int fallback) {
  auto it = q.find("level");
  const int levels = static_cast<int>(e.levels.size());
  if (it == q.end() || it->second.empty()) return std::min(fallback, levels);
  if (it->second == "national") return 0;
  for (int d = 1; d <= levels; ++d) {
    if (e.levels[d - 1].code == it->second) return d;
  }
  return err_field(ErrorCode::kInvalidArgument, "level", "unknown level '" + it->second + "'");
}

// Every tally, comparison and bound states the log size it reflects, in its JSON ("log_size") and
// in this header (also for CSV), so anyone can re-derive it at exactly that size.
constexpr const char* kLogSizeHeader = "X-Tallylog-Log-Size";

std::string param(const Query& q, const char* name) {
  auto it = q.find(name);
  return it == q.end() ? "" : it->second;
}

// The handlers, over the shared context.
struct Results {
  ApiContext& ctx;
  index::IndexReader* index;  // the asked contest's (contest_scope)
  TallyCache* tallies;

  // A source pair compared table by table once, and the part of its JSON that is the same at
  // every level, for the six /api/v1/compare answers of the pair (issue 9: the audit asks each
  // pair at every level; comparing and formatting the table lists again for each was most of the
  // server's compare work). Valid for the two tabulations at the index size `applied` (held weak:
  // a tabulation the cache dropped is not kept alive, and one built later at its address does
  // not match). Guarded by the tally cache's lock, which every caller holds.
  struct Pair {
    std::string key;
    std::weak_ptr<const tally::Tabulation> a, b;
    uint64_t applied = 0;
    tally::PairComparison pair;
    std::string head;
  };
  // The most recent few (a table-level pair holds its table lists), of the asked contest's tally
  // cache (PairStore): one per contest, so each is guarded by its own contest's tally lock.
  std::deque<Pair>* pairs;
  static constexpr size_t kMaxPairs = 2;

  Result<const Pair*> compared(const tally::SourceRule& ra, const tally::SourceRule& rb, const TallyCache::Tally& ta,
                               const TallyCache::Tally& tb, uint64_t applied) {
    const std::string key = ra.to_string() + "|" + rb.to_string();
    for (const Pair& p : *pairs) {
      if (p.key == key && p.applied == applied && p.a.lock() == ta.tab && p.b.lock() == tb.tab) return &p;
    }
    TL_ASSIGN_OR_RETURN(auto pair, tally::compare_tables(*ta.tab, *tb.tab));
    std::string head = tally::compare_head_json(pair.tables, applied);
    if (pairs->size() >= kMaxPairs) pairs->pop_front();
    pairs->push_back(Pair{key, ta.tab, tb.tab, applied, std::move(pair), std::move(head)});
    return &pairs->back();
  }

  Response tally(const Query& q) {
    auto c = tallies->lock();
    auto rule = rule_param(q, "source");
    if (!rule) return from_error(rule.error());
    auto election = c.election();
    if (!election) return from_error(election.error());
    // A local race (tally/local_race.h): by default its decided level; above it, refused.
    auto depth = depth_param(**election, q, std::max(1, tally::decided_depth(**election)));
    if (!depth) return from_error(depth.error());
    if (auto st = tally::check_report_depth(**election, *depth); !st) return from_error(st.error());
    // Above the table level the index's stored per-area totals answer; otherwise a tabulation.
    const tally::TallyView* view = nullptr;
    uint64_t applied = 0;
    if (*depth < static_cast<int>((*election)->levels.size())) {
      auto stored = c.stored(*rule, *depth);
      if (!stored) return from_error(stored.error());
      if (*stored) {
        view = (*stored)->view;
        applied = (*stored)->applied;
      }
    }
    if (!view) {
      auto tab = c.tabulation(*rule);
      if (!tab) return from_error(tab.error());
      view = tab->tab.get();
      applied = tab->applied;
    }
    const tally::Geography& g = view->geography();
    if (param(q, "format") == "csv") {
      Response r;
      r.content_type = "text/csv; charset=utf-8";
      r.body = tally::tally_to_csv(*view, *depth);
      r.headers.emplace_back(kLogSizeHeader, std::to_string(applied));
      return r;
    }
    std::string parent = param(q, "parent");
    std::string key = "tally|" + rule->to_string() + "|" + std::to_string(*depth) + "|" + parent;
    auto r = c.cached(key, applied, [&]() -> Result<Response> {
      std::string body = c.body_buffer(tally::tally_json_size_hint(g, *depth));
      tally::tally_to_json(body, *view, *depth, applied);
      if (parent.empty()) {
        body += '\n';  // in place: a table-level body is hundreds of megabytes at national scale
        return Response::json(200, std::move(body));
      }
      // Drill-down: keep the areas under `parent` (an area of the level just above).
      if (*depth < 1) return err_field(ErrorCode::kInvalidArgument, "parent", "the national level has no parent");
      tally::AreaId p = g.find(*depth - 1, parent);
      if (p == tally::kNoArea && *depth - 1 == 0) p = g.national();
      if (p == tally::kNoArea) return err_field(ErrorCode::kNotFound, "parent", "no area '" + parent + "'");
      Json j = Json::parse(body);
      Json kept = Json::array();
      for (auto& a : j["areas"]) {
        tally::AreaId id = g.find(*depth, a["code"].get<std::string>());
        if (id != tally::kNoArea && g.area(id).parent == p) kept.push_back(a);
      }
      j["areas"] = std::move(kept);
      j["parent"] = parent;
      j["parent_name"] = g.area(p).name;
      // The parent's own totals, computed as every other total (declared figures, unknowns),
      // so the page never re-adds its children itself.
      j["parent_total"] = Json::parse(tally::area_to_json(*view, p));
      Json ancestors = Json::array();  // outermost first, without the national area and the parent
      for (tally::AreaId a = g.area(p).parent; a != tally::kNoArea && a != g.national(); a = g.area(a).parent)
        ancestors.insert(ancestors.begin(),
                         Json{{"depth", g.area(a).depth}, {"code", g.area(a).code}, {"name", g.area(a).name}});
      j["ancestors"] = std::move(ancestors);
      return Response::json(200, j.dump() + "\n");
    });
    if (!r) return from_error(r.error());
    r->headers.emplace_back(kLogSizeHeader, std::to_string(applied));
    return std::move(*r);
  }

  Response compare(const Query& q) {
    auto c = tallies->lock();
    auto a = rule_param(q, "a");
    auto b = rule_param(q, "b");
    if (!a) return from_error(a.error());
    if (!b) return from_error(b.error());
    auto ta = c.tabulation(*a);
    if (!ta) return from_error(ta.error());
    auto tb = c.tabulation(*b);
    if (!tb) return from_error(tb.error());
    auto depth = depth_param(c.geography()->election(), q, 1);
    if (!depth) return from_error(depth.error());
    std::string key = "compare|" + a->to_string() + "|" + b->to_string() + "|" + std::to_string(*depth);
    // Both tabulations are brought up to the index's size under the cache's lock: one log size.
    const uint64_t applied = std::max(ta->applied, tb->applied);
    auto r = c.cached(key, applied, [&]() -> Result<Response> {
      TL_ASSIGN_OR_RETURN(const Pair* pair, compared(*a, *b, *ta, *tb, applied));
      std::vector<tally::AreaComparison>& areas = c.summary_scratch();
      TL_TRY(tally::summarize_areas(pair->pair, *depth, areas));
      std::string body = c.body_buffer(tally::compare_json_size_hint(pair->head, areas.size()));
      tally::compare_to_json(body, pair->head, *depth, areas, *pair->pair.geography);
      body += '\n';
      return Response::json(200, std::move(body));
    });
    if (!r) return from_error(r.error());
    r->headers.emplace_back(kLogSizeHeader, std::to_string(applied));
    return std::move(*r);
  }

  Response bound(const Query& q) {
    auto c = tallies->lock();
    auto rule = rule_param(q, "source");
    if (!rule) return from_error(rule.error());
    auto tab = c.tabulation(*rule);
    if (!tab) return from_error(tab.error());
    auto r = c.cached("bound|" + rule->to_string(), tab->applied, [&]() -> Result<Response> {
      // A local race is decided per area of its decided level (tally/local_race.h).
      if (tally::decided_depth(c.geography()->election()) > 0) {
        TL_ASSIGN_OR_RETURN(auto bounds, tally::outcome_bounds_per_area(*tab->tab));
        return Response::json(200, tally::bounds_to_json(bounds, *c.geography(), tab->applied) + "\n");
      }
      TL_ASSIGN_OR_RETURN(auto b, tally::outcome_bound(*tab->tab));
      return Response::json(200, tally::bound_to_json(b, *c.geography(), tab->applied) + "\n");
    });
    if (!r) return from_error(r.error());
    r->headers.emplace_back(kLogSizeHeader, std::to_string(tab->applied));
    return std::move(*r);
  }

  Response areas(const Query& q) {
    auto c = tallies->lock();
    auto election = c.election();
    if (!election) return from_error(election.error());
    auto depth = depth_param(**election, q, 1);
    if (!depth) return from_error(depth.error());
    // Above the table level the stored areas suffice; the table level needs the whole registry.
    const tally::Geography* geo = nullptr;
    if (*depth < static_cast<int>((*election)->levels.size())) {
      auto stored = c.stored(tally::SourceRule(), *depth);
      if (!stored) return from_error(stored.error());
      if (*stored) geo = &(*stored)->view->geography();
    }
    if (!geo) {
      auto tab = c.tabulation(tally::SourceRule());
      if (!tab) return from_error(tab.error());
      geo = c.geography().get();
    }
    const auto& g = *geo;
    std::string parent = param(q, "parent");
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
      // Stated only when some of its tables' registered voters are unknown.
      if (a.tables_registered_unknown != 0) list.back()["tables_registered_unknown"] = a.tables_registered_unknown;
      if (list.size() >= 20000) break;
    }
    Json j;
    j["level"] = g.depth_name(*depth);
    j["areas"] = std::move(list);
    return json_response(200, j);
  }

  // The areas search looks in: the stored geography above the tables when the index keeps it
  // (no station record read), else the full tabulation's. Valid while `c` is held.
  static Result<const tally::Geography*> search_geography(TallyCache::Locked& c) {
    TL_ASSIGN_OR_RETURN(auto election, c.election());
    const int upper = static_cast<int>(election->levels.size()) - 1;
    if (upper >= 1) {
      TL_ASSIGN_OR_RETURN(auto stored, c.stored(tally::SourceRule(), upper));
      if (stored) return &stored->view->geography();
    }
    TL_TRY(c.tabulation(tally::SourceRule()));
    return c.geography().get();
  }

  // Search by name, code or place (docs/api.md): ?q=<words>[&limit=<1..50>]. The areas above the
  // tables whose name or code, or an enclosing area's name, holds every word, accent- and
  // case-insensitive; each with the areas enclosing it. A few hits of under 200 bytes each
  // instead of the page holding every centre (1.3 MB of /api/v1/areas?level=centre for VE 2024).
  Response search(const Query& q) {
    std::string text = param(q, "q");
    size_t limit = 20;
    if (auto l = param(q, "limit"); !l.empty()) {
      if (l.size() > 2 || !std::all_of(l.begin(), l.end(), [](char ch) { return ch >= '0' && ch <= '9'; }) ||
          std::stoul(l) < 1 || std::stoul(l) > 50)
        return error_response(400, "limit: a number from 1 to 50", "limit");
      limit = std::stoul(l);
    }
    if (text.empty()) return error_response(400, "q: required", "q");
    auto c = tallies->lock();
    auto geo = search_geography(c);
    if (!geo) return from_error(geo.error());
    const auto& g = **geo;
    // One more than asked, to say whether there were more.
    auto hits = tally::search_areas(g, text, limit + 1);
    if (!hits) return error_response(400, "q: " + hits.error().message, "q");
    const bool truncated = hits->size() > limit;
    if (truncated) hits->pop_back();
    Json list = Json::array();
    for (const auto& hit : *hits) {
      const auto& a = g.area(hit.id);
      Json within = Json::array();
      for (tally::AreaId p = a.parent; p != tally::kNoArea && p != g.national(); p = g.area(p).parent) {
        const auto& pa = g.area(p);
        within.insert(within.begin(), Json{{"level", g.depth_name(pa.depth)}, {"depth", pa.depth}, {"code", pa.code}, {"name", pa.name}});
      }
      list.push_back({{"level", g.depth_name(a.depth)}, {"depth", a.depth}, {"code", a.code}, {"name", a.name},
                      {"within", std::move(within)}, {"match", hit.via_place ? "place" : "name"},
                      {"tables_registered", a.tables_registered}});
    }
    Json j;
    j["q"] = text;
    j["results"] = std::move(list);
    j["truncated"] = truncated;
    return json_response(200, j);
  }

  // What the static site's page searches in (docs/api.md, GET /api/v1/search-index): every area
  // search_areas looks at, outer levels first and in code order (its result order), each as
  // [parent, code, name, tables_registered] plus, when it is not the ASCII-lowercased
  // "name code", the folded text search_areas matches in (tally::search_text). `parent` indexes
  // `areas` (-1: directly under the national area). The page folds only the query, then matches
  // as search_areas does (web/src/search.js); the names it receives are already folded.
  Response search_index() {
    auto c = tallies->lock();
    auto geo = search_geography(c);
    if (!geo) return from_error(geo.error());
    const auto& g = **geo;
    const int last = g.table_depth() - 1;
    Json levels = Json::array(), areas = Json::array();
    const tally::AreaId first = last >= 1 ? g.depth_begin(1) : 0;
    for (int d = 1; d <= last; ++d) {
      levels.push_back({{"level", g.depth_name(d)}, {"depth", d}, {"areas", g.depth_end(d) - g.depth_begin(d)}});
      for (tally::AreaId id = g.depth_begin(d); id < g.depth_end(d); ++id) {
        const auto& a = g.area(id);
        const int64_t parent = a.parent == tally::kNoArea || a.parent == g.national() ? -1 : int64_t{a.parent} - first;
        Json row = Json::array({parent, a.code, a.name, a.tables_registered});
        std::string plain = a.name + " " + a.code;
        for (char& ch : plain) if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
        if (std::string text = tally::search_text(a); text != plain) row.push_back(std::move(text));
        areas.push_back(std::move(row));
      }
    }
    Json j;
    j["levels"] = std::move(levels);
    j["max_query_bytes"] = tally::kMaxSearchQueryBytes;
    j["max_words"] = tally::kMaxSearchWords;
    j["areas"] = std::move(areas);
    return json_response(200, j);
  }

  // Stations of an area: ?area=<code>&level=<level of that code>.
  Response stations(const Query& q) {
    std::string area = param(q, "area");
    std::string level = param(q, "level");
    auto c = tallies->lock();
    auto tab = c.tabulation(tally::SourceRule());
    if (!tab) return from_error(tab.error());
    const auto& geo = *c.geography();
    if (area.empty()) return error_response(400, "area: required (with level)", "area");
    auto depth = geo.depth_of(level);
    if (!depth || *depth == 0) return error_response(400, "level: unknown level '" + level + "'", "level");
    tally::AreaId a = geo.find(*depth, area);
    if (a == tally::kNoArea) return error_response(404, "no " + level + " '" + area + "'", "area");
    Json list = Json::array();
    int td = geo.table_depth();
    for (tally::AreaId t = geo.depth_begin(td); t < geo.depth_end(td); ++t) {
      if (geo.ancestor(t, *depth) != a) continue;
      const auto& ar = geo.area(t);
      auto st = tab->tab->table_status(t);
      list.push_back({{"code", ar.code},
                      {"name", ar.name},
                      {"registered", ar.tables_registered_unknown != 0 ? Json(nullptr) : Json(ar.registered_voters)},
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

  Json station_json(const election::Station& s) {
    Json areas = Json::array();
    auto c = tallies->lock();
    auto election = c.election();
    const auto* levels = election ? &(*election)->levels : nullptr;
    for (size_t i = 0; i < s.areas.size(); ++i)
      areas.push_back({{"level", levels && i < levels->size() ? (*levels)[i].code : ""},
                       {"code", s.areas[i].code},
                       {"name", s.areas[i].name}});
    return {{"code", s.code}, {"areas", areas}, {"registered", s.registered ? Json(*s.registered) : Json(nullptr)}};
  }

  Response station(std::string_view code, bool with_sheets) {
    auto st = index->station(code);
    if (!st) return from_error(st.error());
    if (!*st) return error_response(404, "no station '" + std::string(code) + "'", "station");
    Json j;
    j["station"] = station_json(**st);
    if (!with_sheets) return json_response(200, j);
    auto cp = ctx.be.log->checkpoint();
    if (!cp) return from_error(cp.error());
    auto size = checkpoint_size(*cp);
    if (!size) return error_response(500, "checkpoint has no tree size line");
    j["checkpoint"] = {{"size", *size}, {"text", *cp}};
    auto sheets = index->sheets_for_station(code);
    if (!sheets) return from_error(sheets.error());
    Json list = Json::array();
    for (const auto& rec : *sheets) {
      Json s;
      s["log_index"] = rec.log_index;
      s["superseded"] = rec.superseded;
      s["conflicted"] = rec.conflicted;
      s["sheet"] = Json::parse(sheet_to_json(rec.sheet));
      auto entry = ctx.be.log->entry(rec.log_index);
      if (entry) {
        s["entry"] = base64_encode(*entry);
        s["leaf_hash"] = merkle::hash_base64(merkle::leaf_hash(*entry));
      }
      if (rec.log_index < *size) {
        auto proof = ctx.be.log->inclusion_proof(rec.log_index, *size);
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

  Response export_sheets(const Query& q) {
    auto fmt_it = q.find("format");
    std::string format = fmt_it == q.end() ? "csv" : fmt_it->second;
    if (format != "csv" && format != "json") return error_response(400, "format: csv or json", "format");
    auto c = tallies->lock();
    auto rule = rule_param(q, "source");
    if (!rule) return from_error(rule.error());
    auto tab = c.tabulation(*rule);
    if (!tab) return from_error(tab.error());
    const auto& geo = *c.geography();
    tally::SheetExporter ex(geo, format == "csv" ? tally::ExportFormat::kCsv : tally::ExportFormat::kJson);
    std::string body = ex.begin();
    auto st = index->for_each_current_sheet({}, [&](const index::SheetRecord& r) {
      if (rule->matches(r.sheet.source)) body += ex.row(r);
    });
    if (!st) return from_error(st.error());
    body += ex.end();
    Response r;
    r.content_type = format == "csv" ? "text/csv; charset=utf-8" : "application/json";
    r.headers.emplace_back("Content-Disposition",
                           "attachment; filename=\"tallylog-" + geo.election().id + "." + format + "\"");
    r.body = std::move(body);
    return r;
  }

  // The contests of an election with several (absent for a single-contest election).
  Json contests_json() const {
    Json list = Json::array();
    for (const ApiContest& c : ctx.be.contests) list.push_back({{"id", c.id}, {"name", c.name}});
    return list;
  }

  // `whole`: an election with several contests asked without ?contest=: what every contest
  // shares (levels, sources, the contests), no ballot.
  Response election(bool whole = false) {
    auto e = index->election();
    if (!e) return from_error(e.error());
    Json j;
    j["id"] = e->id;
    j["name"] = e->name;
    j["date"] = e->date;
    if (!whole) j["contest"] = e->contest;
    if (!ctx.be.contests.empty()) j["contests"] = contests_json();
    Json levels = Json::array();
    for (auto& l : e->levels) levels.push_back({{"code", l.code}, {"name", l.name}});
    j["levels"] = levels;
    if (whole) {
      j["sources"] = e->sources;
      j["log_size"] = ctx.be.log->size();
      auto vkey = read_log_vkey(ctx);
      j["log_vkey"] = vkey ? Json(*vkey) : Json(nullptr);
      return json_response(200, j);
    }
    // A local race (docs/formats/election-toml.md "Local races"): the level it is decided at, and
    // each candidate's area at that level; absent for a national contest.
    if (!e->decided_at.empty()) j["decided_at"] = e->decided_at;
    Json cands = Json::array();
    for (auto& c : e->candidates) {
      Json cand{{"code", c.code}, {"name", c.name}};
      if (!c.area.empty()) cand["area"] = c.area;
      cands.push_back(std::move(cand));
    }
    j["candidates"] = cands;
    Json cards = Json::array();
    for (auto& c : e->cards) cards.push_back({{"position", c.position}, {"party", c.party}, {"candidate", c.candidate}});
    j["cards"] = cards;
    j["fields"] = e->fields;
    // What the figures mean (docs/formats/election-toml.md "Figures") and the flag rules.
    Json figures = Json::object();
    for (auto [k, v] : {std::pair<const char*, const std::string*>{"valid", &e->figures.valid},
                        {"invalid", &e->figures.invalid},
                        {"cast", &e->figures.cast},
                        {"turnout", &e->figures.turnout},
                        {"shares", &e->figures.shares}})
      if (!v->empty()) figures[k] = *v;
    j["figures"] = std::move(figures);
    Json flags = Json::array();
    for (auto& f : e->flags) flags.push_back({{"rule", f.rule}, {"note", f.note}});
    j["flags"] = std::move(flags);
    j["sources"] = e->sources;
    j["qr_profile"] = e->qr_profile;
    j["log_size"] = ctx.be.log->size();
    auto vkey = read_log_vkey(ctx);
    j["log_vkey"] = vkey ? Json(*vkey) : Json(nullptr);
    return json_response(200, j);
  }

  Response conflicts() {
    auto c = index->conflicts();
    if (!c) return from_error(c.error());
    Json list = Json::array();
    for (auto& x : *c) list.push_back({{"station", x.station}, {"source", x.source}, {"log_indexes", x.log_indexes}});
    return json_response(200, Json{{"conflicts", list}});
  }

  Response sources() {
    auto s = index->sources();
    if (!s) return from_error(s.error());
    return json_response(200, Json{{"sources", *s}});
  }
};

// The compared pairs of each contest's tally cache (Results::pairs), shared by the routes. The
// map only grows (one deque per contest's cache, never erased), so a deque's address stays valid;
// the deque itself is touched only under that contest's tally lock.
struct PairStore {
  std::mutex mu;
  std::map<const TallyCache*, std::deque<Results::Pair>> by_cache;
  std::deque<Results::Pair>& for_cache(const TallyCache* c) {
    std::lock_guard lock(mu);
    return by_cache[c];
  }
};

}  // namespace

void add_results_routes(RouteTable& table, ApiContext& ctx) {
  // Every row needs the index and the log: without them, 503. Each answers for the contest the
  // request names (?contest=, contest_scope).
  auto store = std::make_shared<PairStore>();
  auto row = [&](std::string pattern, std::function<Response(Results&, const RouteCall&)> fn) {
    table.add({"GET", std::move(pattern), "", 0, [&ctx, store, fn = std::move(fn)](const RouteCall& c) {
                 if (!ctx.be.index || !ctx.be.log) return error_response(503, "no data loaded");
                 auto scope = contest_scope(ctx, c.query);
                 if (auto* r = std::get_if<Response>(&scope)) return std::move(*r);
                 auto& s = std::get<ContestScope>(scope);
                 Results results{ctx, s.index, s.tallies, &store->for_cache(s.tallies)};
                 return fn(results, c);
               }});
  };
  // The election: without ?contest= an election with several contests answers what they share
  // and lists them (the page's first request); with it, that contest's view.
  table.add({"GET", "/api/v1/election", "", 0, [&ctx, store](const RouteCall& c) {
               if (!ctx.be.index || !ctx.be.log) return error_response(503, "no data loaded");
               auto it = c.query.find("contest");
               if (!ctx.be.contests.empty() && (it == c.query.end() || it->second.empty())) {
                 Results results{ctx, ctx.be.index, &ctx.tallies, &store->for_cache(&ctx.tallies)};
                 return results.election(true);
               }
               auto scope = contest_scope(ctx, c.query);
               if (auto* r = std::get_if<Response>(&scope)) return std::move(*r);
               auto& s = std::get<ContestScope>(scope);
               Results results{ctx, s.index, s.tallies, &store->for_cache(s.tallies)};
               return results.election();
             }});
  row("/api/v1/areas", [](Results& r, const RouteCall& c) { return r.areas(c.query); });
  row("/api/v1/search", [](Results& r, const RouteCall& c) { return r.search(c.query); });
  row("/api/v1/search-index", [](Results& r, const RouteCall&) { return r.search_index(); });
  row("/api/v1/stations", [](Results& r, const RouteCall& c) { return r.stations(c.query); });
  row("/api/v1/stations/:code", [](Results& r, const RouteCall& c) { return r.station(c.params[0], false); });
  row("/api/v1/stations/:code/sheets", [](Results& r, const RouteCall& c) { return r.station(c.params[0], true); });
  row("/api/v1/tally", [](Results& r, const RouteCall& c) { return r.tally(c.query); });
  row("/api/v1/compare", [](Results& r, const RouteCall& c) { return r.compare(c.query); });
  row("/api/v1/bound", [](Results& r, const RouteCall& c) { return r.bound(c.query); });
  row("/api/v1/export", [](Results& r, const RouteCall& c) { return r.export_sheets(c.query); });
  row("/api/v1/conflicts", [](Results& r, const RouteCall&) { return r.conflicts(); });
  row("/api/v1/sources", [](Results& r, const RouteCall&) { return r.sources(); });
}

}  // namespace tallylog::http
