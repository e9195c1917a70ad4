// Request targets (path and query) of the HTTP API (http/api.h): every GET and HEAD route, the
// log and blob files, the web page, through http::Api::handle over the fixture data directory.
//
// Properties: split_path gives the non-empty segments between slashes; see http_fixture.h (status code, JSON bodies that parse, no exception); a path
// with a NUL, "..", or an empty segment never reaches a file outside the data and web folders
// (checked: a 200 for a web or file path only for the files the fixture wrote).
#include "fuzz_support.h"
#include "http_fixture.h"
#include "tallylog/http/request_parsing.h"

namespace tallylog::fuzz {
namespace {

// split_path gives the non-empty segments between slashes, in order, and nothing else.
void check_split_path(std::string_view path) {
  std::string joined, expected;
  for (auto seg : http::split_path(path)) {
    check(!seg.empty() && seg.find('/') == std::string_view::npos, "path segments are non-empty and hold no slash");
    joined += "/" + std::string(seg);
  }
  for (size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '/' && (expected.empty() || expected.back() == '/')) {
      if (expected.empty()) expected = "/";
      continue;
    }
    if (path[i] != '/' && expected.empty()) expected = "/";
    expected += path[i];
  }
  while (expected.size() > 1 && expected.back() == '/') expected.pop_back();
  if (expected == "/") expected.clear();
  check(joined == expected, "split_path keeps every character but the slashes", joined + " vs " + expected);
}

}  // namespace
}  // namespace tallylog::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tallylog;
  using namespace tallylog::fuzz;
  auto& f = HttpFixture::get();
  std::string_view target = as_text(data, size);
  http::Request r;
  r.target = std::string(target);
  auto q = target.find('?');
  r.path = std::string(target.substr(0, q));
  if (q != std::string_view::npos) r.query = std::string(target.substr(q + 1));
  (void)f.api().route_label("GET", r.path);
  check_split_path(r.path);
  (void)f.api().body_limit("POST", r.path);
  for (const char* method : {"GET", "HEAD"}) {
    r.method = method;
    http::Response res = f.handle(r);
    if (res.status == 200 && !r.path.starts_with("/api/") && r.path != "/metrics" && r.path != "/log/checkpoint") {
      // Only the files the fixture holds can be served: the page, tiles, the checkpoint, one blob.
      bool known = r.path == "/" || r.path == "/index.html" || r.path == "/assets/app.js" ||
                   r.path.starts_with("/log/tile/") || r.path.starts_with("/blobs/sha256/");
      check(known, "only the data and web folders' files are served", r.path);
      check(r.path.find("..") == std::string::npos && r.path.find("//") == std::string::npos &&
                r.path.find('\\') == std::string::npos,
            "no path with .., // or a backslash is served", r.path);
    }
  }
  return 0;
}
