// The bulk write side (issue 17): what `tallylog import <url>` and `tallylog scan <url>` use to
// feed a running server while it keeps answering reads (docs/api.md "Bulk submission").
//
// Every route takes `contest=C` too (an election with several contests: the contest the sheets are
// for; the server collects every contest, and each route answers for C's index; check_contest).
//
//   GET  /api/v1/bulk/session?source=S   who the token is and whether it may submit for S, the
//                                        election (log entry 0) and the log size; nothing written
//   GET  /api/v1/bulk/stations           the registry the validator needs: "code\tregistered\n"
//   GET  /api/v1/bulk/held?source=S      identity digests (hex) of every sheet logged for S
//   POST /api/v1/bulk/blobs?source=S     an image, stored under its SHA-256 ({"sha256": hex})
//   POST /api/v1/bulk/sheets?source=S    canonical sheet entries, one per line; ONE log append;
//                                        per-sheet verdicts in order
//
// Every route needs a bearer token allowing S (the GETs too: they are a submitter's handshake, and
// refusing a bad token there is how a client says so before sending anything). The server checks
// every sheet again (the client's checks are a courtesy); submitted_by is the token's name and
// submitted_at the server's clock, as for POST /api/v1/sheets.
#include <algorithm>
#include <optional>
#include <variant>

#include "tallylog/base/bytes.h"
#include "tallylog/election/entry.h"
#include "tallylog/election/source_name.h"
#include "tallylog/http/api_context.h"
#include "tallylog/http/responses.h"
#include "tallylog/http/sheet_json.h"

namespace tallylog::http {
namespace {

struct Bulk {
  ApiContext& ctx;

  struct Authorized {
    TokenInfo who;
    std::string source;
    ContestScope contest;  // the contest the sheets are for
  };

  // The token's owner when it may submit for the query's `source` (which is returned too, with
  // the contest), or the answer to give: 401/429 (token), 400 (no or a malformed source), 403
  // (source not allowed), 400/404 (contest).
  std::variant<Authorized, Response> authorize(const RouteCall& c, bool need_source) {
    auto auth = authorize_submitter(ctx, c.request);
    if (auto* r = std::get_if<Response>(&auth)) return std::move(*r);
    auto& who = std::get<TokenInfo>(auth);
    auto scope = check_contest(c);
    if (auto* r = std::get_if<Response>(&scope)) return std::move(*r);
    auto it = c.query.find("source");
    std::string source = it == c.query.end() ? "" : it->second;
    Authorized out{std::move(who), std::move(source), std::move(std::get<ContestScope>(scope))};
    if (!need_source) return out;
    if (out.source.empty()) return error_response(400, "source: the query parameter is required", "source");
    if (auto st = election::check_source_name(out.source); !st) return error_response(400, st.error().message, "source");
    if (!out.who.allows_source(out.source))
      return error_response(403, "source: token of '" + out.who.name + "' may not submit for '" + out.source + "'",
                            "source");
    return out;
  }

  // `?contest=<id>`: the contest the client's sheets are for. An election with several needs it
  // named (400, listing them) before anything is sent; an unknown one is 404.
  std::variant<ContestScope, Response> check_contest(const RouteCall& c) {
    auto scope = contest_scope(ctx, c.query);
    if (auto* r = std::get_if<Response>(&scope)) {
      if (r->status == 400) {
        auto it = c.query.find("contest");
        if (it == c.query.end() || it->second.empty())
          return error_response(400, "contest: this election has several contests (" + contest_ids() +
                                         "): name the one your sheets are for with --contest",
                                "contest");
      }
      return std::move(*r);
    }
    return std::get<ContestScope>(std::move(scope));
  }
  std::string contest_ids() const {
    std::string out;
    for (const ApiContest& c : ctx.be.contests) out += (out.empty() ? "" : ", ") + c.id;
    return out;
  }

  Response session(const RouteCall& c) {
    auto auth = authorize(c, true);
    if (auto* r = std::get_if<Response>(&auth)) return std::move(*r);
    auto& [who, source, contest] = std::get<0>(auth);
    if (!ctx.be.submit_batch) return no_write_side_response(ctx.be);
    auto e = contest.index->election();
    if (!e) return from_error(e.error());
    auto size = contest.index->indexed_size();
    if (!size) return from_error(size.error());
    Json sources = Json::array();
    for (const auto& s : who.sources) sources.push_back(s);
    Json j{{"submitter", who.name},
           {"source", source},
           {"sources", sources},
           {"log_size", *size},
           {"election_entry", election::encode_entry(*e)}};
    // The tag every sheet sent must carry (an election with several contests only).
    if (!ctx.be.contests.empty()) j["contest"] = contest.id;
    return json_response(200, j);
  }

  Response stations(const RouteCall& c) {
    auto auth = authorize(c, false);
    if (auto* r = std::get_if<Response>(&auth)) return std::move(*r);
    std::string out;
    // The table rows, not the station records: only code and registered voters are sent, and
    // building each station's areas cost most of this answer (30 ms for the Venezuelan registry,
    // on the path of every bulk import's start).
    auto st = std::get<0>(auth).contest.index->for_each_table([&](const index::TableRow& t) {
      out += t.code;
      out.push_back('\t');
      if (t.registered) out += std::to_string(*t.registered);  // empty: registered voters unknown
      out.push_back('\n');
    });
    if (!st) return from_error(st.error());
    return Response::text(200, std::move(out));
  }

  Response held(const RouteCall& c) {
    auto auth = authorize(c, true);
    if (auto* r = std::get_if<Response>(&auth)) return std::move(*r);
    const std::string& source = std::get<0>(auth).source;
    std::string out;
    auto st = std::get<0>(auth).contest.index->for_each_sheet_summary([&](const index::SheetSummary& s) {
      if (s.source != source) return;
      out += hex_encode(s.identity);
      out.push_back('\n');
    });
    if (!st) return from_error(st.error());
    return Response::text(200, std::move(out));
  }

  Response sheets(const RouteCall& c) {
    auto auth = authorize(c, true);
    if (auto* r = std::get_if<Response>(&auth)) return std::move(*r);
    auto& [who, source, contest] = std::get<0>(auth);
    if (!ctx.be.submit_batch) return no_write_side_response(ctx.be);
    // Each line: its verdict, decided here (undecodable, another source) or by the ingestor.
    std::vector<ingest::Outcome> verdicts;
    std::vector<election::Sheet> batch;
    std::vector<size_t> slot;  // batch[i] answers verdicts[slot[i]]
    std::string_view body = c.request.body;
    {
      // One allocation each: a 5,000-sheet batch moved from buffer to buffer as it grows cost
      // more than decoding it (issue 17's profile).
      const size_t lines = static_cast<size_t>(std::count(body.begin(), body.end(), '\n')) + 1;
      verdicts.reserve(lines);
      batch.reserve(lines);
      slot.reserve(lines);
    }
    size_t line_no = 0;
    while (!body.empty()) {
      size_t nl = body.find('\n');
      std::string_view line = body.substr(0, nl);
      body = nl == std::string_view::npos ? std::string_view() : body.substr(nl + 1);
      ++line_no;
      if (line.empty()) continue;
      ingest::Outcome& o = verdicts.emplace_back();
      auto entry = election::decode_entry(line);
      if (!entry || entry->type != election::EntryType::kSheet) {
        o.field = entry ? "type" : (entry.error().field.empty() ? "entry" : entry.error().field);
        o.reason = "line " + std::to_string(line_no) + ": " +
                   (entry ? "not a sheet entry" : entry.error().message);
        continue;
      }
      auto& sheet = std::get<election::Sheet>(entry->record);
      if (sheet.source != source) {
        o.field = "source";
        o.reason = "line " + std::to_string(line_no) + ": sheet of source '" + printable(sheet.source) +
                   "' in a batch for '" + source + "'";
        continue;
      }
      // A batch is one contest's (the session's held digests are that contest's): a line naming
      // another is refused; one naming none is the batch's.
      if (!ctx.be.contests.empty() && sheet.contest.empty()) sheet.contest = contest.id;
      if (!ctx.be.contests.empty() && sheet.contest != contest.id) {
        o.field = "contest";
        o.reason = "line " + std::to_string(line_no) + ": sheet of contest '" + printable(sheet.contest) +
                   "' in a batch for '" + contest.id + "'";
        continue;
      }
      sheet.submitted_by = who.name;
      sheet.submitted_at.clear();
      batch.push_back(std::move(sheet));
      slot.push_back(verdicts.size() - 1);
    }
    if (!batch.empty()) {
      std::vector<std::string> origins(batch.size(), "bulk:" + who.name);
      auto outcomes = ctx.be.submit_batch(batch, origins);
      contest.tallies->note_write();
      if (!outcomes) return not_recorded(outcomes.error());
      for (size_t i = 0; i < slot.size(); ++i) verdicts[slot[i]] = std::move((*outcomes)[i]);
    } else if (line_no == 0 && ctx.be.sync_index) {
      // An empty batch is a client's last request: answered once every batch answered before is
      // also in the index (bulk batches are answered once durable in the log, indexed just after).
      if (auto st = ctx.be.sync_index(); !st) return error_response(503, "index: " + st.error().to_string());
      contest.tallies->note_write();
    }
    std::string out = "{\"submitter\":" + Json(who.name).dump() + ",\"verdicts\":[";
    for (size_t i = 0; i < verdicts.size(); ++i) {
      if (i) out.push_back(',');
      out += outcome_to_json(verdicts[i]);
    }
    out += "]}";
    return Response::json(200, std::move(out));
  }

  Response blob(const RouteCall& c) {
    auto auth = authorize(c, true);
    if (auto* r = std::get_if<Response>(&auth)) return std::move(*r);
    if (!ctx.be.submit_batch) return no_write_side_response(ctx.be);
    if (!ctx.be.put_blob) return error_response(501, "this server does not keep images");
    if (c.request.body.empty()) return error_response(400, "image: empty body", "image");
    auto digest = ctx.be.put_blob(c.request.body);
    if (!digest) return error_response(503, "image not stored: " + digest.error().to_string());
    return json_response(200, Json{{"sha256", *digest}});
  }

  static std::string printable(std::string_view s) { return is_valid_utf8(s) ? std::string(s) : "(not UTF-8)"; }
};

}  // namespace

void add_bulk_routes(RouteTable& table, ApiContext& ctx) {
  auto bulk = std::make_shared<Bulk>(Bulk{ctx});
  table.add({"GET", "/api/v1/bulk/session", "", 0, [bulk](const RouteCall& c) { return bulk->session(c); }});
  table.add({"GET", "/api/v1/bulk/stations", "", 0, [bulk](const RouteCall& c) { return bulk->stations(c); }});
  table.add({"GET", "/api/v1/bulk/held", "", 0, [bulk](const RouteCall& c) { return bulk->held(c); }});
  table.add({"POST", "/api/v1/bulk/blobs", "", ctx.opt.max_image_bytes,
             [bulk](const RouteCall& c) { return bulk->blob(c); }});
  table.add({"POST", "/api/v1/bulk/sheets", "", ctx.opt.max_bulk_bytes,
             [bulk](const RouteCall& c) { return bulk->sheets(c); }});
}

}  // namespace tallylog::http
