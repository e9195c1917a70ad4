// Forensics and declared results over HTTP (docs/forensics.md, docs/api.md): the JSON of
// `tallylog forensics` and `check-declared`, and the SVG plots, from the TallyCache's tabulations.
// A forensics report (Monte Carlo included, ~1 s on 100,000 tables) is computed once per source
// rule, level and index size, under the cache's lock.
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "tallylog/forensics/declared.h"
#include "tallylog/forensics/format.h"
#include "tallylog/forensics/from_tabulation.h"
#include "tallylog/http/api_context.h"
#include "tallylog/http/responses.h"

namespace tallylog::http {
namespace {

Result<tally::SourceRule> source_param(const Query& q) {
  auto it = q.find("source");
  auto r = tally::SourceRule::parse(it == q.end() || it->second.empty() ? "*" : it->second);
  if (!r) return err(ErrorCode::kInvalidArgument, "source: " + r.error().message);
  return r;
}

std::string context_members(uint64_t applied, const tally::SourceRule& rule) {
  return "\"log_size\":" + std::to_string(applied) + ",\"source\":" + nlohmann::json(rule.to_string()).dump();
}

struct Forensics {
  ApiContext& ctx;
  // Per request: the asked contest's (contest_scope); set under no lock, used under its cache's.
  struct Call {
    index::IndexReader* index;
    TallyCache* tallies;
    std::string contest;
  };
  // (contest|rule|depth) -> (index size, report). Each contest has its own TallyCache lock, so the
  // map has its own mutex (held for look-ups, never while a report is computed).
  std::mutex reports_mu;
  std::map<std::string, std::pair<uint64_t, std::shared_ptr<const forensics::Report>>> reports;

  Result<std::shared_ptr<const forensics::Report>> report(const Call& call, const tally::SourceRule& rule, int depth,
                                                          const TallyCache::Tally& t) {
    const std::string key = call.contest + "|" + rule.to_string() + "|" + std::to_string(depth);
    {
      std::lock_guard lock(reports_mu);
      if (auto it = reports.find(key); it != reports.end() && it->second.first == t.applied) return it->second.second;
    }
    TL_ASSIGN_OR_RETURN(auto sample, forensics::sample_from_tabulation(*t.tab, depth));
    forensics::Options o;
    o.threads = std::max(1u, std::thread::hardware_concurrency());
    auto r = std::make_shared<const forensics::Report>(forensics::analyse(sample, o));
    std::lock_guard lock(reports_mu);
    if (reports.size() > 64) reports.clear();
    reports[key] = {t.applied, r};
    return r;
  }

  Response get(const Call& call, const Query& q, const std::string& plot) {
    auto c = call.tallies->lock();
    auto rule = source_param(q);
    if (!rule) return from_error(rule.error());
    auto tab = c.tabulation(*rule);
    if (!tab) return from_error(tab.error());
    const tally::Geography& g = *c.geography();
    int depth = g.depth_count() > 2 ? 1 : 0;
    if (auto it = q.find("level"); it != q.end() && !it->second.empty()) {
      auto d = g.depth_of(it->second);
      if (!d) return error_response(400, "level: unknown level '" + it->second + "'", "level");
      if (*d >= g.table_depth()) return error_response(400, "level: areas must be above the table level", "level");
      depth = *d;
    }
    auto rep = report(call, *rule, depth, *tab);
    if (!rep) return from_error(rep.error());
    if (!plot.empty()) {
      const std::string title = g.election().name + " (" + rule->to_string() + ")";
      Response r;
      r.content_type = "image/svg+xml";
      if (plot == "fingerprint.svg") {
        r.body = forensics::fingerprint_svg(**rep, "Election fingerprint: " + title);
      } else if (plot == "integer.svg") {
        r.body = forensics::integer_svg(**rep, "Round percentages: " + title);
      } else if (plot == "shpilkin.svg") {
        r.body = forensics::shpilkin_svg(**rep, "Votes by turnout: " + title);
      } else {
        return error_response(404, "no such plot: fingerprint.svg, integer.svg or shpilkin.svg");
      }
      return r;
    }
    const uint64_t applied = tab->applied;
    auto r = c.cached("forensics|" + rule->to_string() + "|" + std::to_string(depth), applied, [&]() -> Result<Response> {
      std::vector<forensics::SourceReport> sources;
      TL_ASSIGN_OR_RETURN(auto names, call.index->sources());
      if (names.size() > 1) {
        for (const std::string& s : names) {
          if (!rule->matches(s)) continue;
          TL_ASSIGN_OR_RETURN(auto rs, tally::SourceRule::parse(s));
          TL_ASSIGN_OR_RETURN(auto ts, c.tabulation(rs));
          TL_ASSIGN_OR_RETURN(auto one, report(call, rs, 0, ts));
          sources.push_back({s, *one, {}});
        }
        forensics::mark_sources(sources);
      }
      return Response::json(200, forensics::report_to_json(**rep, sources, context_members(applied, *rule)) + "\n");
    });
    return r ? std::move(*r) : from_error(r.error());
  }

  Response declared(const Call& call, const Query& q) {
    auto c = call.tallies->lock();
    auto rule = source_param(q);
    if (!rule) return from_error(rule.error());
    auto tab = c.tabulation(*rule);
    if (!tab) return from_error(tab.error());
    const bool per_table = q.count("unregistered") && q.at("unregistered") == "per-table";
    const auto basis = per_table ? tally::UnregisteredBasis::kPerTable : tally::UnregisteredBasis::kRegistryTotal;
    auto r = c.cached("declared|" + rule->to_string() + (per_table ? "|p" : "|r"), tab->applied, [&]() -> Result<Response> {
      TL_ASSIGN_OR_RETURN(auto decls, call.index->declarations());
      TL_ASSIGN_OR_RETURN(auto checks, forensics::check_declarations(*tab->tab, decls, basis));
      return Response::json(200, forensics::declared_to_json(checks, context_members(tab->applied, *rule)) + "\n");
    });
    return r ? std::move(*r) : from_error(r.error());
  }
};

}  // namespace

void add_forensics_routes(RouteTable& table, ApiContext& ctx) {
  auto f = std::make_shared<Forensics>(ctx);
  using Fn = std::function<Response(Forensics&, const Forensics::Call&, const RouteCall&)>;
  auto row = [&](std::string pattern, Fn fn) {
    table.add({"GET", std::move(pattern), "", 0, [f, fn = std::move(fn)](const RouteCall& c) {
                 if (!f->ctx.be.index || !f->ctx.be.log) return error_response(503, "no data loaded");
                 auto scope = contest_scope(f->ctx, c.query);
                 if (auto* r = std::get_if<Response>(&scope)) return std::move(*r);
                 auto& s = std::get<ContestScope>(scope);
                 return fn(*f, Forensics::Call{s.index, s.tallies, s.id}, c);
               }});
  };
  row("/api/v1/forensics", [](Forensics& f, const Forensics::Call& k, const RouteCall& c) { return f.get(k, c.query, ""); });
  row("/api/v1/forensics/:plot",
      [](Forensics& f, const Forensics::Call& k, const RouteCall& c) { return f.get(k, c.query, c.params[0]); });
  row("/api/v1/declared", [](Forensics& f, const Forensics::Call& k, const RouteCall& c) { return f.declared(k, c.query); });
}

}  // namespace tallylog::http
