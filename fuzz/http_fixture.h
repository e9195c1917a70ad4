// The HTTP application the http_* harnesses fuzz: a real http::Api over a small real data
// directory (log, SQLite index, tokens.json, one blob, a two-file web page), built once per
// process in a temporary directory from the bundled fixtures:
//   elections/ve2024/election.toml, tests/fixtures/ingest/stations.csv and hostile.csv.
//
// Nothing a request does changes that directory, so a saved input reproduces alone: the write
// side's submit function validates the sheet (and checks its entry round trip) but does not log
// it, images are read as QR payload text (decoding pixels is zxing's job, not a parser of
// ours), and blobs are hashed, not stored. Submissions are not rate limited.
//
// Every response is checked: a status code in 100..599, and a JSON body (Content-Type
// application/json) that parses. An exception thrown by a handler is not caught, so libFuzzer
// reports it (the real server would answer 500 where a 4xx was due).
#pragma once

#include <string>

#include "tallylog/http/api.h"
#include "tallylog/http/server.h"

namespace tallylog::fuzz {

class HttpFixture {
 public:
  static HttpFixture& get();  // built on first use; lives until exit

  http::Api& api() { return *api_; }
  // "Bearer tl_..." for the token "fuzz-client" (sources witness:*, qr, official).
  const std::string& authorization() const { return authorization_; }
  const std::string& data_dir() const { return data_dir_; }

  // api().handle(request) and the response checks above.
  http::Response handle(const http::Request& request);

 private:
  HttpFixture();
  std::string data_dir_;
  std::string authorization_;
  struct State;
  State* state_;  // never freed: harness processes exit without tearing the fixture down
  http::Api* api_;
};

// Checks a response as described above; `what` names the request in the failure message.
void check_response(const http::Response& r, const std::string& what);

}  // namespace tallylog::fuzz
