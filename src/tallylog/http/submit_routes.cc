// The write side: POST /api/v1/sheets and /api/v1/images, only with a bearer token that allows
// the sheet's source. Without a valid token nothing is parsed and nothing is written. Each sheet
// goes to the contest it names (the JSON's "contest"; an image's `?contest=`): the ingestor
// rejects an unknown one with field "contest".
#include <optional>
#include <variant>

#include "tallylog/base/sha256.h"
#include "tallylog/election/source_name.h"
#include "tallylog/http/api_context.h"
#include "tallylog/http/responses.h"
#include "tallylog/http/sheet_json.h"
#include "tallylog/log/receipt.h"

namespace tallylog::http {
// The token's owner, or the answer to give (401/429/503).
std::variant<TokenInfo, Response> authorize_submitter(ApiContext& ctx, const Request& req) {
  auto h = req.header("authorization");
  auto unauthorized = [](std::string msg) {
    Response r = error_response(401, msg);
    r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"tallylog\"");
    return r;
  };
  if (h.empty()) return unauthorized("authorization: a bearer token is required");
  if (h.size() < 8 || !(h.substr(0, 7) == "Bearer " || h.substr(0, 7) == "bearer "))
    return unauthorized("authorization: expected 'Bearer <token>'");
  auto who = ctx.tokens.authenticate(h.substr(7));
  if (!who) return error_response(503, "token store: " + who.error().to_string());
  if (!*who) return unauthorized("authorization: unknown or revoked token");
  if (!ctx.limiter.allow((*who)->name, std::chrono::steady_clock::now())) {
    Response r = error_response(429, "rate limit: too many submissions for '" + (*who)->name + "'");
    r.headers.emplace_back("Retry-After", "1");
    return r;
  }
  return **who;
}

namespace {

Response rejected(std::string_view field, std::string_view reason) {
  return json_response(400, Json{{"verdict", "rejected"}, {"field", field}, {"reason", reason}});
}

struct Submit {
  ApiContext& ctx;

  std::variant<TokenInfo, Response> authorize(const Request& req) { return authorize_submitter(ctx, req); }

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

  // The receipt of a logged (or duplicate: the original's) sheet, log/receipt.h; null when the
  // checkpoint covering it is not published in time (the answer still carries the log index).
  Json receipt_of(const ingest::Outcome& o) {
    if (!o.log_index || !ctx.be.log || o.verdict == ingest::Verdict::kRejected) return nullptr;
    auto r = log::make_receipt(*ctx.be.log, *o.log_index);
    if (!r) return nullptr;
    return Json::parse(log::receipt_to_json(*r));
  }

  // A device-signed sheet sent without an Authorization header (a witness's phone holds a device
  // key, not a bearer token): the device is the submitter, "device:<key name>+<key id>". Whether
  // the key is enrolled, not revoked, enrolled for the sheet's source and whether the signature
  // verifies is the ingestor's DeviceRegistry::check_sheet, before anything is logged.
  std::variant<TokenInfo, Response> authorize_device(const election::Sheet& sheet, const Request& req) {
    // A key the log never enrolled is no credential: answered like a missing token, and nothing
    // of it reaches the ingestor (which would keep a reject row per made-up key).
    if (!ctx.be.device_known || !ctx.be.device_known(sheet.device_key)) return std::get<Response>(authorize(req));
    TokenInfo who;
    const std::string& k = sheet.device_key;
    const size_t second_plus = k.find('+', k.find('+') + 1);
    who.name = "device:" + k.substr(0, std::min(second_plus, size_t{128}));
    if (!ctx.limiter.allow(who.name, std::chrono::steady_clock::now())) {
      Response r = error_response(429, "rate limit: too many submissions for '" + who.name + "'");
      r.headers.emplace_back("Retry-After", "1");
      return r;
    }
    return who;
  }

  // POST /api/v1/sheets/with-image: multipart/form-data, part "sheet" (the JSON of
  // POST /api/v1/sheets, naming the image by "image_sha256") and part "image" (its bytes). The
  // image is stored only once the sheet is logged or found logged (a duplicate: same
  // image_sha256), so a refused sheet — e.g. an unenrolled key's, without a token — stores
  // nothing; a server that stops between the two leaves a logged sheet whose image is missing
  // until the device's retry (a duplicate) stores it.
  Response submit_sheet_with_image(const Request& req, const Query& q) {
    const bool by_device_only = req.header("authorization").empty();
    std::optional<TokenInfo> token;  // with a token, nothing is parsed before it is checked
    if (!by_device_only) {
      auto auth = authorize(req);
      if (auto* r = std::get_if<Response>(&auth)) return std::move(*r);
      token = std::get<TokenInfo>(std::move(auth));
    }
    auto parts = parse_multipart(req.header("content-type"), req.body);
    if (!parts) {
      if (by_device_only) return std::get<Response>(authorize(req));  // 401
      return rejected("body",
                      "expected multipart/form-data with parts 'sheet' and 'image': " + parts.error().message);
    }
    if (!parts->count("sheet") || !parts->count("image") || (*parts)["image"].empty()) {
      if (by_device_only) return std::get<Response>(authorize(req));
      return rejected("body", "multipart parts 'sheet' and 'image' (not empty) are required");
    }
    if ((*parts)["sheet"].size() > ctx.opt.max_sheet_bytes)
      return error_response(413, "sheet: larger than the sheet limit", "sheet");
    return submit_sheet(req, q, (*parts)["sheet"], (*parts)["image"], std::move(token));
  }

  // `token`: the caller's, when submit_sheet_with_image checked it already.
  Response submit_sheet(const Request& req, const Query& q, std::string_view body, std::string_view image = {},
                        std::optional<TokenInfo> token = std::nullopt) {
    const bool by_device_only = req.header("authorization").empty();
    std::variant<TokenInfo, Response> auth;
    if (token) {
      auth = std::move(*token);
    } else if (!by_device_only) {
      auth = authorize(req);
      if (auto* r = std::get_if<Response>(&auth)) return std::move(*r);
    }
    auto sheet = sheet_from_json(body);
    if (!sheet) {
      if (by_device_only) return std::get<Response>(authorize(req));  // 401 for an anonymous caller
      const Error& e = sheet.error();  // the parser names the field; the message is the reason
      Json j{{"verdict", "rejected"}, {"field", e.field.empty() ? "body" : e.field}, {"reason", e.message}};
      return json_response(400, j);
    }
    if (by_device_only) {
      if (sheet->device_key.empty() || sheet->device_signature.empty())
        return std::get<Response>(authorize(req));  // 401
      auth = authorize_device(*sheet, req);
      if (auto* r = std::get_if<Response>(&auth)) return std::move(*r);
    }
    const auto& who = std::get<TokenInfo>(auth);
    if (auto st = election::check_source_name(sheet->source); !st) return rejected("source", st.error().message);
    if (!by_device_only && !who.allows_source(sheet->source))
      return error_response(403, "source: token of '" + who.name + "' may not submit for '" + sheet->source + "'",
                            "source");
    if (!ctx.be.submit) return no_write_side_response(ctx.be);
    if (!image.empty()) {
      if (!ctx.be.put_blob) return error_response(501, "this server does not store images");
      if (sheet->image_sha256 != sha256_hex(image))
        return rejected("image_sha256", "must be the SHA-256 (lowercase hex) of the image sent with the sheet");
    }
    sheet->submitted_by = who.name;
    sheet->submitted_at.clear();
    // Device-signed sheets (witness phones) always get a receipt; others when asked (?receipt=1).
    const bool want_receipt = !sheet->device_key.empty() || (q.count("receipt") && q.at("receipt") == "1");
    auto outcome = ctx.be.submit(std::move(*sheet));
    ctx.tallies.note_write();
    if (!outcome) return not_recorded(outcome.error());
    if (!image.empty() &&
        (outcome->verdict == ingest::Verdict::kAccepted || outcome->verdict == ingest::Verdict::kDuplicate)) {
      if (auto d = ctx.be.put_blob(image); !d)
        return error_response(503, "the sheet is logged but its image was not stored (send it again): " +
                                       d.error().to_string());
    }
    if (want_receipt) {
      Json receipt = receipt_of(*outcome);
      if (!receipt.is_null()) return answer(*outcome, Json{{"receipt", receipt}});
    }
    return answer(*outcome);
  }

  Response submit_image(const Request& req, const Query& q) {
    auto auth = authorize(req);
    if (auto* r = std::get_if<Response>(&auth)) return std::move(*r);
    const auto& who = std::get<TokenInfo>(auth);
    auto qs = q.find("source");
    std::string source = qs == q.end() ? "" : qs->second;
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
    if (auto st = election::check_source_name(source); !st) return rejected("source", st.error().message);
    if (!who.allows_source(source))
      return error_response(403, "source: token of '" + who.name + "' may not submit for '" + source + "'", "source");
    if (!ctx.be.sheet_from_image) return error_response(501, "this server cannot decode images");
    if (!ctx.be.submit) return no_write_side_response(ctx.be);
    // `?contest=`: the contest whose sheet the image is (an unknown one is 404, listing them).
    std::string contest;
    if (auto qc = q.find("contest"); qc != q.end() && !qc->second.empty()) {
      auto scope = contest_scope(ctx, q);
      if (auto* r = std::get_if<Response>(&scope)) return std::move(*r);
      contest = std::get<ContestScope>(scope).id;
    }
    auto sheet = ctx.be.sheet_from_image(image, contest);
    if (!sheet && sheet.error().field == "contest") return rejected("contest", sheet.error().message);
    if (!sheet)
      return json_response(422, Json{{"verdict", "rejected"}, {"field", "image"}, {"reason", sheet.error().message}});
    if (ctx.be.put_blob) {
      auto digest = ctx.be.put_blob(image);
      if (!digest) return error_response(503, "image not stored: " + digest.error().to_string());
      sheet->image_sha256 = *digest;
    }
    sheet->source = source;
    sheet->submitted_by = who.name;
    sheet->submitted_at.clear();
    std::string station = sheet->station;
    std::string digest = sheet->image_sha256;
    auto outcome = ctx.be.submit(std::move(*sheet));
    ctx.tallies.note_write();
    if (!outcome) return not_recorded(outcome.error());
    Json extra{{"station", station}};
    if (!digest.empty()) extra["image_sha256"] = digest;
    return answer(*outcome, extra);
  }
};

}  // namespace

void add_submit_routes(RouteTable& table, ApiContext& ctx) {
  auto submit = std::make_shared<Submit>(Submit{ctx});
  table.add({"POST", "/api/v1/sheets", "", ctx.opt.max_sheet_bytes,
             [submit](const RouteCall& c) { return submit->submit_sheet(c.request, c.query, c.request.body); }});
  table.add({"POST", "/api/v1/sheets/with-image", "", ctx.opt.max_image_bytes,
             [submit](const RouteCall& c) { return submit->submit_sheet_with_image(c.request, c.query); }});
  table.add({"POST", "/api/v1/images", "", ctx.opt.max_image_bytes,
             [submit](const RouteCall& c) { return submit->submit_image(c.request, c.query); }});
}

}  // namespace tallylog::http
