// Query strings of the HTTP API (http/api.h): the parameters of every route that takes one
// (level, area, parent, source, a, b, depth, format), percent-decoding included, through
// http::Api::handle over the fixture data directory; and the `source` parameter of POST
// /api/v1/images with a valid token and a valid QR payload.
//
// Input: one byte choosing the route (its value modulo 8), then the query string.
//
// Properties: percent_decode inverts percent-encoding of any bytes; parse_query of a query
// re-encoded from parse_query's result gives the same parameters; see http_fixture.h (status code, JSON bodies that parse, no exception).
#include "fuzz_support.h"
#include "http_fixture.h"
#include "tallylog/http/request_parsing.h"

namespace tallylog::fuzz {
namespace {

std::string percent_encode_all(std::string_view s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    out += '%';
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

// Every byte survives percent-encoding; a parsed query, encoded again, parses to itself.
void check_query(std::string_view q) {
  check(http::percent_decode(percent_encode_all(q), true) == q, "percent_decode inverts percent-encoding");
  http::Query parsed = http::parse_query(q);
  std::string again;
  for (const auto& [k, v] : parsed) {
    if (!again.empty()) again += '&';
    again += percent_encode_all(k) + "=" + percent_encode_all(v);
  }
  check(http::parse_query(again) == parsed, "a parsed query, encoded again, parses to the same parameters", again);
}

}  // namespace
}  // namespace tallylog::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tallylog;
  using namespace tallylog::fuzz;
  if (size == 0) return 0;
  auto& f = HttpFixture::get();
  // The first byte picks the route ('0'..'7' in the seeds), the rest is the query string.
  static const char* kRoutes[] = {"/api/v1/tally",  "/api/v1/areas",  "/api/v1/stations",
                                  "/api/v1/compare", "/api/v1/bound", "/api/v1/export",
                                  "/api/v1/stations/010113042.01/sheets", "/api/v1/images"};
  const char* route = kRoutes[data[0] % 8];
  std::string query(as_text(data + 1, size - 1));
  check_query(query);
  http::Request r;
  r.method = "GET";
  r.path = route;
  r.target = r.path + "?" + query;
  r.query = query;
  if (r.path == "/api/v1/images") {  // its `source` parameter, with a valid token and QR payload
    r.method = "POST";
    r.headers = {{"authorization", f.authorization()}, {"content-type", "image/png"}};
    r.body = "010113042.01.1.0001!1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,"
             "30,31,32,33,34,35,36,37,38!4!0";
  }
  f.handle(r);
  return 0;
}
