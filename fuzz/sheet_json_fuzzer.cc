// Sheet JSON (docs/api.md "Sheet JSON"): the body of POST /api/v1/sheets, parsed by
// http::sheet_from_json and then submitted through http::Api::handle with a valid token.
//
// Properties: a body that parses gives a sheet whose strings (values and count names) are valid
// UTF-8; the API answer follows http_fixture.h (and a
// sheet the validator accepts round-trips through the entry encoding, checked by the fixture).
#include "fuzz_support.h"
#include "http_fixture.h"
#include "tallylog/base/bytes.h"
#include "tallylog/http/sheet_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tallylog;
  using namespace tallylog::fuzz;
  std::string_view body = as_text(data, size);
  if (auto s = http::sheet_from_json(body)) {
    for (const std::string* text : {&s->station, &s->source, &s->image_sha256, &s->qr_payload})
      check(is_valid_utf8(*text), "sheet strings are valid UTF-8");
    for (const auto* counts : {&s->candidates, &s->fields})
      for (const auto& [name, votes] : *counts) check(is_valid_utf8(name), "count names are valid UTF-8");
  }
  auto& f = HttpFixture::get();
  http::Request r;
  r.method = "POST";
  r.path = r.target = "/api/v1/sheets";
  r.headers = {{"authorization", f.authorization()}, {"content-type", "application/json"}};
  r.body = std::string(body);
  f.handle(r);
  return 0;
}
