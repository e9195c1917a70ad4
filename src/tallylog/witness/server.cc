#include "tallylog/witness/server.h"

#include <string>

#include "tallylog/http/request_parsing.h"

namespace tallylog::witness {
namespace {

http::Response method_not_allowed(std::string allow) {
  auto r = http::Response::text(405, "method not allowed; use " + allow + "\n");
  r.headers.emplace_back("Allow", allow);
  return r;
}

}  // namespace

http::Handler witness_handler(Witness& witness, const WitnessState& state) {
  return [&witness, &state](const http::Request& req) -> http::Response {
    if (req.path == "/add-checkpoint") {
      if (req.method != "POST") return method_not_allowed("POST");
      Answer a = witness.add_checkpoint(req.body);
      http::Response r = http::Response::text(a.status, std::move(a.body));
      r.content_type = a.content_type;
      return r;
    }
    if (req.method != "GET" && req.method != "HEAD") return method_not_allowed("GET, HEAD");
    if (req.path == "/") {
      std::string body = "tallylog witness (C2SP tlog-witness, cosignature/v1)\nkey " + witness.key().verifier_key() + "\n";
      for (const auto& k : witness.log_keys()) body += "log " + k.text() + "\n";
      return http::Response::text(200, body);
    }
    if (req.path.starts_with("/checkpoint/")) {
      auto cp = state.checkpoint(http::percent_decode(std::string_view(req.path).substr(12), false));
      if (!cp) return http::Response::text(404, "no checkpoint cosigned for that origin\n");
      return http::Response::text(200, *cp);
    }
    return http::Response::text(404, "not found\n");
  };
}

http::BodyLimit witness_body_limit() {
  return [](std::string_view method, std::string_view path) -> uint64_t {
    return method == "POST" && path == "/add-checkpoint" ? kMaxRequestBytes : 0;
  };
}

}  // namespace tallylog::witness
