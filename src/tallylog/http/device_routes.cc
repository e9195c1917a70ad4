// Device enrolment by one-time code (issue 14, docs/api.md "Devices"):
//   GET  /api/v1/devices/invites/:code_sha256  what the invite allows ({"org","sources"}), so the
//        device can build the enrolment it signs; 404 for no such invite
//   POST /api/v1/devices/enrol  {"code","device_key","device_signature"}: logs the enrolment
//        (the organisation's invite signature from <data>/devices/invites.jsonl, the code, the
//        device's key and signature); 201 with the log index and the receipt of the entry
//   POST /api/v1/devices/records  a device record signed by its organisation (what `tallylog
//        devices enrol|revoke --out` writes): an organisation revokes a lost or seized phone, or
//        enrols a scanner, on a running server; 201 with the log index and the receipt
//   POST /api/v1/devices/decode[?contest=]  an acta photo (the body) read by the server's QR
//        decoder for an enrolled device whose own decoder could not read it (the witness page's
//        fallback): headers X-Tallylog-Device-Key and X-Tallylog-Device-Signature (base64 Ed25519
//        of "tallylog decode v1\n" + the photo's SHA-256 hex); 200 {"qr_payload","sheet"};
//        nothing is logged or stored
// No bearer token: the code is the credential, and the organisation's signature (on its invite, or
// on the record) is what authorises the enrolment or revocation (the server only relays it).
// Nothing is logged unless DeviceRegistry::check accepts the record
// (ingest::Ingestor::add_device_record), so a replayed record is refused (already enrolled,
// already revoked).
#include <chrono>

#include "tallylog/base/bytes.h"
#include "tallylog/base/sha256.h"
#include "tallylog/election/device.h"
#include "tallylog/election/entry.h"
#include "tallylog/http/api_context.h"
#include "tallylog/http/responses.h"
#include "tallylog/ingest/invites.h"
#include "tallylog/http/sheet_json.h"
#include "tallylog/log/receipt.h"
#include "tallylog/note/note.h"

namespace tallylog::http {
namespace {

Response rejected(std::string_view field, std::string_view reason) {
  return json_response(400, Json{{"verdict", "rejected"}, {"field", field}, {"reason", reason}});
}

bool is_hex64(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

Response log_device_record(ApiContext& ctx, election::DeviceRecord r);

Response invite(ApiContext& ctx, const std::string& code_sha256) {
  if (!is_hex64(code_sha256)) return error_response(400, "code_sha256: 64 lowercase hex digits", "code_sha256");
  auto inv = ingest::find_invite(*ctx.be.env, ctx.opt.data_dir, code_sha256);
  if (!inv) return error_response(503, "invites: " + inv.error().to_string());
  if (!*inv) return error_response(404, "no invite for this code");
  return json_response(200, Json{{"org", (*inv)->org}, {"sources", (*inv)->sources}});
}

Response enrol(ApiContext& ctx, const Request& req) {
  if (!ctx.be.add_device_record) return no_write_side_response(ctx.be);
  Json j;
  try {
    j = Json::parse(req.body);
  } catch (const std::exception&) {
    return rejected("body", "not valid JSON");
  }
  if (!j.is_object()) return rejected("body", "must be a JSON object");
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.key() != "code" && it.key() != "device_key" && it.key() != "device_signature")
      return rejected(it.key(), "unknown key");
  }
  std::string fields[3];
  const char* names[3] = {"code", "device_key", "device_signature"};
  for (int i = 0; i < 3; ++i) {
    if (!j.contains(names[i]) || !j[names[i]].is_string() || j[names[i]].get<std::string>().empty())
      return rejected(names[i], "missing or not a string");
    fields[i] = j[names[i]].get<std::string>();
    if (fields[i].size() > 1024) return rejected(names[i], "too long");
  }
  auto inv = ingest::find_invite(*ctx.be.env, ctx.opt.data_dir, sha256_hex(fields[0]));
  if (!inv) return error_response(503, "invites: " + inv.error().to_string());
  if (!*inv) return rejected("code", "no invite for this code (check it, or ask the organisation for a new one)");
  election::DeviceRecord r;
  r.action = "enrol";
  r.code = fields[0];
  r.device_key = fields[1];
  r.device_signature = fields[2];
  r.org = (*inv)->org;
  r.sources = (*inv)->sources;
  r.invite_signature = (*inv)->invite_signature;
  return log_device_record(ctx, std::move(r));
}

Response record(ApiContext& ctx, const Request& req) {
  if (!ctx.be.add_device_record) return no_write_side_response(ctx.be);
  std::string_view body = req.body;
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.remove_suffix(1);
  auto d = election::decode_entry(body);
  if (!d) return rejected(d.error().field.empty() ? "body" : d.error().field, d.error().message);
  if (d->type != election::EntryType::kDevice) return rejected("type", "not a device record");
  election::DeviceRecord r = std::get<election::DeviceRecord>(std::move(d->record));
  if (!r.code.empty()) return rejected("code", "an enrolment by one-time code goes to POST /api/v1/devices/enrol");
  r.at.clear();  // the server's clock says when it was logged
  return log_device_record(ctx, std::move(r));
}

// The server's decoder for an enrolled device: only a key the log enrolled, signing this very
// photo, may spend the server's decoding work, within the per-key submission rate.
Response decode(ApiContext& ctx, const Request& req, const Query& q) {
  const std::string key(req.header("x-tallylog-device-key"));
  const std::string sig(req.header("x-tallylog-device-signature"));
  if (key.empty() || sig.empty() || key.size() > 1024 || sig.size() > 1024)
    return error_response(401, "send the device's key and its signature of the photo (X-Tallylog-Device-Key, X-Tallylog-Device-Signature)");
  if (!ctx.be.device_known || !ctx.be.device_known(key)) return error_response(401, "this device key is not enrolled in the log");
  auto verifier = note::Verifier::parse(key);
  auto raw = base64_decode(sig);
  const std::string message = "tallylog decode v1\n" + sha256_hex(req.body);
  if (!verifier || !raw || raw->size() != 64 || !verifier->verify(message, *raw))
    return error_response(401, "the signature is not the device key's over this photo", "device_signature");
  const size_t second_plus = key.find('+', key.find('+') + 1);
  if (!ctx.limiter.allow("device:" + key.substr(0, std::min(second_plus, size_t{128})), std::chrono::steady_clock::now())) {
    Response r = error_response(429, "rate limit: too many requests for this device");
    r.headers.emplace_back("Retry-After", "1");
    return r;
  }
  if (req.body.empty()) return rejected("image", "empty image");
  if (!ctx.be.sheet_from_image) return error_response(501, "this server cannot decode images");
  std::string contest;
  if (auto c = q.find("contest"); c != q.end()) contest = c->second;
  auto sheet = ctx.be.sheet_from_image(req.body, contest);
  if (!sheet && sheet.error().field == "contest") return rejected("contest", sheet.error().message);
  if (!sheet) return json_response(422, Json{{"verdict", "rejected"}, {"field", "image"}, {"reason", sheet.error().message}});
  return json_response(200, Json{{"qr_payload", sheet->qr_payload}, {"sheet", Json::parse(sheet_to_json(*sheet))}});
}

Response log_device_record(ApiContext& ctx, election::DeviceRecord r) {
  auto at = ctx.be.add_device_record(std::move(r));
  if (!at) {
    if (at.error().code == ErrorCode::kInvalidArgument) {
      const std::string& m = at.error().message;  // "<field>: <reason>"
      const size_t colon = m.find(": ");
      return rejected(colon == std::string::npos ? "device" : m.substr(0, colon),
                      colon == std::string::npos ? m : m.substr(colon + 2));
    }
    return error_response(503, "not recorded: " + at.error().to_string());
  }
  Json out{{"verdict", "accepted"}, {"log_index", *at}};
  if (ctx.be.log) {
    if (auto rc = log::make_receipt(*ctx.be.log, *at)) out["receipt"] = Json::parse(log::receipt_to_json(*rc));
  }
  return json_response(201, out);
}

}  // namespace

void add_device_routes(RouteTable& table, ApiContext& ctx) {
  table.add({"GET", "/api/v1/devices/invites/:code_sha256", "", 0,
             [&ctx](const RouteCall& c) { return invite(ctx, c.params[0]); }});
  table.add({"POST", "/api/v1/devices/enrol", "", 16 * 1024, [&ctx](const RouteCall& c) { return enrol(ctx, c.request); }});
  table.add({"POST", "/api/v1/devices/records", "", 16 * 1024, [&ctx](const RouteCall& c) { return record(ctx, c.request); }});
  table.add({"POST", "/api/v1/devices/decode", "", ctx.opt.max_image_bytes,
             [&ctx](const RouteCall& c) { return decode(ctx, c.request, c.query); }});
}

}  // namespace tallylog::http
