// multipart/form-data bodies of POST /api/v1/images (http/api.h), with a valid token, through
// http::Api::handle over the fixture data directory. The fixture reads the "image" part as QR
// payload text, so a body can reach the profile parser and the submit path.
//
// Input: the Content-Type header value, a newline, then the body.
// Properties: see http_fixture.h (status code, JSON bodies that parse, no exception).
#include "fuzz_support.h"
#include "http_fixture.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tallylog;
  using namespace tallylog::fuzz;
  auto& f = HttpFixture::get();
  std::string_view in = as_text(data, size);
  auto nl = in.find('\n');
  if (nl == std::string_view::npos) return 0;
  http::Request r;
  r.method = "POST";
  r.path = r.target = "/api/v1/images";
  r.headers = {{"authorization", f.authorization()}, {"content-type", std::string(in.substr(0, nl))}};
  r.body = std::string(in.substr(nl + 1));
  f.handle(r);
  return 0;
}
