// Device enrolment by one-time code (issue 14, docs/api.md "Devices"):
//   GET  /api/v1/devices/invites/:code_sha256  what the invite allows ({"org","sources"}), so the
//        device can build the enrolment it signs; 404 for no such invite
//   POST /api/v1/devices/enrol  {"code","device_key","device_signature"}: logs the enrolment
//        (the organisation's invite signature from <data>/devices/invites.jsonl, the code, the
//        device's key and signature); 201 with the log index and the receipt of the entry
//   POST /api/v1/devices/records  a device record signed by its organisation (what `tallylog
//        devices enrol|revoke --out` writes): an organisation revokes a lost or seized phone, or
//        enrols a scanner, on a running server; 201 with the log index and the receipt
// No bearer token: the code is the credential, and the organisation's signature (on its invite, or
// on the record) is what authorises the enrolment or revocation (the server only relays it).
// Nothing is logged unless DeviceRegistry::check accepts the record
// (ingest::Ingestor::add_device_record), so a replayed record is refused (already enrolled,
// already revoked).
#include "tallylog/base/sha256.h"
#include "tallylog/election/device.h"
#include "tallylog/election/entry.h"
#include "tallylog/http/api_context.h"
#include "tallylog/http/responses.h"
#include "tallylog/ingest/invites.h"
#include "tallylog/log/receipt.h"

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
  if (!ctx.be.add_device_record) return error_response(503, ctx.be.no_write_side);
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
  if (!ctx.be.add_device_record) return error_response(503, ctx.be.no_write_side);
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
}

}  // namespace tallylog::http
