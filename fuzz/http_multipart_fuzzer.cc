// multipart/form-data bodies of POST /api/v1/images (http/api.h), with a valid token, through
// http::Api::handle over the fixture data directory. The fixture reads the "image" part as QR
// payload text, so a body can reach the profile parser and the submit path.
//
// Input: the Content-Type header value, a newline, then the body.
// Properties: parse_multipart gives at most 16 named parts taken from the body, which written
// again with a fresh boundary parse to the same parts; see http_fixture.h (status code, JSON bodies that parse, no exception).
#include "fuzz_support.h"
#include "http_fixture.h"
#include "tallylog/http/request_parsing.h"

namespace tallylog::fuzz {
namespace {

// Parts lie within the body, at most 16, named; written again with a fresh boundary they parse
// to the same parts.
void check_multipart(std::string_view content_type, std::string_view body) {
  auto parts = http::parse_multipart(content_type, body);
  if (!parts) {
    check(parts.error().code == ErrorCode::kInvalidArgument, "a bad multipart body is invalid input");
    return;
  }
  check(parts->size() <= 16, "at most 16 multipart parts");
  std::string boundary = "fuzz-boundary";
  for (const auto& [name, data] : *parts) {
    check(!name.empty(), "multipart parts are named");
    check(body.find(data) != std::string_view::npos, "a multipart part is bytes of the body");
    while (data.find(boundary) != std::string::npos || name.find(boundary) != std::string::npos) boundary += "x";
  }
  std::string again;
  for (const auto& [name, data] : *parts) {
    if (name.find('"') != std::string::npos) return;  // not expressible in a quoted name
    again += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + data + "\r\n";
  }
  again += "--" + boundary + "--\r\n";
  auto back = http::parse_multipart("multipart/form-data; boundary=" + boundary, again);
  check(back.has_value() && *back == *parts, "parsed multipart parts, written again, parse to the same parts", again);
}

}  // namespace
}  // namespace tallylog::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tallylog;
  using namespace tallylog::fuzz;
  auto& f = HttpFixture::get();
  std::string_view in = as_text(data, size);
  auto nl = in.find('\n');
  if (nl == std::string_view::npos) return 0;
  check_multipart(in.substr(0, nl), in.substr(nl + 1));
  http::Request r;
  r.method = "POST";
  r.path = r.target = "/api/v1/images";
  r.headers = {{"authorization", f.authorization()}, {"content-type", std::string(in.substr(0, nl))}};
  r.body = std::string(in.substr(nl + 1));
  f.handle(r);
  return 0;
}
