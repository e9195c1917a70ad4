// What an independent checker needs besides the tiles: a consistency proof between two
// checkpoint sizes (the results page proves each new checkpoint extends the one it saw before),
// and the state of the witnesses the log asks to cosign its checkpoints (shortfalls visible).
#include <charconv>

#include "tallylog/http/api_context.h"
#include "tallylog/http/responses.h"
#include "tallylog/merkle/hash.h"

namespace tallylog::http {
namespace {

std::optional<uint64_t> parse_size(std::string_view s) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// GET /api/v1/log/consistency?from=<size>[&to=<size>]: RFC 6962 PROOF(from, D[0:to]) from the
// published tree (to defaults to the current checkpoint's size).
Response consistency(ApiContext& ctx, const Query& q) {
  if (!ctx.be.log) return error_response(503, "no log loaded");
  const uint64_t size = ctx.be.log->size();
  auto f = q.find("from");
  if (f == q.end()) return error_response(400, "from: required (a checkpoint size)", "from");
  auto from = parse_size(f->second);
  if (!from) return error_response(400, "from: must be a decimal size", "from");
  uint64_t to = size;
  if (auto t = q.find("to"); t != q.end()) {
    auto v = parse_size(t->second);
    if (!v) return error_response(400, "to: must be a decimal size", "to");
    to = *v;
  }
  if (to > size) return error_response(404, "to: size " + std::to_string(to) + " is beyond the log's " + std::to_string(size), "to");
  if (*from > to) return error_response(400, "from: larger than to", "from");
  auto proof = ctx.be.log->consistency_proof(*from, to);
  if (!proof) return from_error(proof.error());
  Json hashes = Json::array();
  for (const auto& h : *proof) hashes.push_back(merkle::hash_base64(h));
  Response r = json_response(200, Json{{"from", *from}, {"to", to}, {"hashes", hashes}});
  r.headers.emplace_back("Access-Control-Allow-Origin", "*");
  // A proof between two given sizes never changes.
  if (q.count("to")) r.headers.emplace_back("Cache-Control", "public, max-age=31536000, immutable");
  return r;
}

}  // namespace

std::vector<Gauge> witness_gauges(ApiContext& ctx) {
  std::vector<Gauge> out;
  if (!ctx.be.witness_status) return out;
  Json s;
  try {
    s = Json::parse(ctx.be.witness_status());
  } catch (const std::exception&) {
    return out;
  }
  out.push_back({"tallylog_witness_quorum", "Cosignatures wanted per checkpoint.", {{"", s.value("quorum", 0.0)}}});
  const Json& cp = s.contains("checkpoint") ? s["checkpoint"] : Json::object();
  out.push_back({"tallylog_checkpoint_cosignatures", "Witness cosignatures on the latest checkpoint.",
                 {{"", cp.value("cosignatures", 0.0)}}});
  out.push_back({"tallylog_checkpoint_quorum_met", "1 when the latest checkpoint has its quorum of cosignatures.",
                 {{"", cp.value("quorum_met", true) ? 1.0 : 0.0}}});
  out.push_back({"tallylog_checkpoints_short", "Checkpoints published with fewer cosignatures than the quorum.",
                 {{"", s.value("checkpoints_short", 0.0)}}});
  Gauge size{"tallylog_witness_cosigned_size", "Largest checkpoint size each witness cosigned.", {}};
  Gauge fails{"tallylog_witness_consecutive_failures", "Failed cosigning requests in a row, by witness.", {}};
  for (const auto& w : s.value("witnesses", Json::array())) {
    std::string label = "witness=\"" + prometheus_label(w.value("key", "")) + "\"";
    size.samples.emplace_back(label, w.value("cosigned_size", 0.0));
    fails.samples.emplace_back(label, w.value("consecutive_failures", 0.0));
  }
  out.push_back(std::move(size));
  out.push_back(std::move(fails));
  return out;
}

void add_verify_routes(RouteTable& table, ApiContext& ctx) {
  table.add({"GET", "/api/v1/log/consistency", "", 0, [&ctx](const RouteCall& c) { return consistency(ctx, c.query); }});
  table.add({"GET", "/api/v1/witnesses", "", 0, [&ctx](const RouteCall&) {
               Response r;
               if (!ctx.be.witness_status) {
                 r = json_response(200, Json{{"quorum", 0}, {"witnesses", Json::array()}});
               } else {
                 r = Response::json(200, ctx.be.witness_status() + "\n");
               }
               r.headers.emplace_back("Access-Control-Allow-Origin", "*");
               r.headers.emplace_back("Cache-Control", "no-cache");
               return r;
             }});
}

}  // namespace tallylog::http
