// LogFiles over plain HTTP/1.1 (a log served by any static web server or `tallylog serve`), so
// `tallylog verify http://host:port/path/to/log` can check a remote mirror. One keep-alive
// connection; directories cannot be listed, so only the partials the checkpoint implies are
// checked. Not thread-safe (one verifier thread). No TLS: use a local mirror or proxy for https.
#pragma once

#include <memory>
#include <string>

#include "tallylog/base/error.h"
#include "tallylog/log/verify.h"

namespace tallylog::log {

// url: "http://host[:port][/path]"; kInvalidArgument for anything else.
Result<std::unique_ptr<LogFiles>> http_log_files(const std::string& url);

}  // namespace tallylog::log
