// GET /api/v1/flags?source=<rule>: the current sheets that break a flag rule of the election
// (tally/flags.h), the same JSON as `tallylog flags --format json`, cached per index size.
#include "tallylog/http/api_context.h"
#include "tallylog/http/responses.h"
#include "tallylog/tally/flags.h"

namespace tallylog::http {

void add_flags_routes(RouteTable& table, ApiContext& ctx) {
  table.add({"GET", "/api/v1/flags", "", 0, [&ctx](const RouteCall& call) -> Response {
               if (!ctx.be.index || !ctx.be.log) return error_response(503, "no data loaded");
               auto it = call.query.find("source");
               auto rule = tally::SourceRule::parse(it == call.query.end() ? "*" : it->second);
               if (!rule) return error_response(400, "source: " + rule.error().message, "source");
               auto scope = contest_scope(ctx, call.query);
               if (auto* resp = std::get_if<Response>(&scope)) return std::move(*resp);
               const ContestScope& sc = std::get<ContestScope>(scope);
               auto c = sc.tallies->lock();
               auto tab = c.tabulation(*rule);  // brings the geography up to date with the index
               if (!tab) return from_error(tab.error());
               auto r = c.cached("flags|" + rule->to_string(), tab->applied, [&, &sc = sc]() -> Result<Response> {
                 TL_ASSIGN_OR_RETURN(auto report, tally::find_flags(*sc.index, *c.geography(), *rule));
                 return Response::json(200, tally::flags_to_json(report, *c.geography()) + "\n");
               });
               return r ? std::move(*r) : from_error(r.error());
             }});
}

}  // namespace tallylog::http
