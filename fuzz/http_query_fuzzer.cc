// Query strings of the HTTP API (http/api.h): the parameters of every route that takes one
// (level, area, source, depth, format, limit, offset, ...), percent-decoding included, through
// http::Api::handle over the fixture data directory; and the `source` parameter of POST
// /api/v1/images with a valid token and a valid QR payload.
//
// Properties: see http_fixture.h (status code, JSON bodies that parse, no exception).
#include "fuzz_support.h"
#include "http_fixture.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tallylog;
  using namespace tallylog::fuzz;
  auto& f = HttpFixture::get();
  std::string query(as_text(data, size));
  static const char* kRoutes[] = {"/api/v1/tally", "/api/v1/areas", "/api/v1/stations", "/api/v1/compare",
                                  "/api/v1/bound", "/api/v1/export", "/api/v1/stations/010113042.01/sheets"};
  http::Request r;
  r.method = "GET";
  r.query = query;
  for (const char* route : kRoutes) {
    r.path = route;
    r.target = r.path + "?" + query;
    f.handle(r);
  }
  http::Request post;
  post.method = "POST";
  post.path = "/api/v1/images";
  post.target = post.path + "?" + query;
  post.query = query;
  post.headers = {{"authorization", f.authorization()}, {"content-type", "image/png"}};
  post.body = "010113042.01.1.0001!1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,"
              "31,32,33,34,35,36,37,38!4!0";
  f.handle(post);
  return 0;
}
