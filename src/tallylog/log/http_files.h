// LogFiles over HTTP(S) (a log served by any static web server or `tallylog serve`), so
// `tallylog verify https://host/path/to/log` and `tallylog mirror` can read a remote log. One
// keep-alive connection (net::HttpClient); directories cannot be listed, so only the partials the
// checkpoint implies are checked. Not thread-safe (one reader thread; open one per thread).
#pragma once

#include <memory>
#include <string>

#include "tallylog/base/error.h"
#include "tallylog/log/verify.h"

namespace tallylog::log {

struct HttpFilesOptions {
  std::string ca_file;  // trusted CAs (PEM) for https; empty: the system's trust store
};

// url: "http[s]://host[:port][/path]" naming the log prefix (where `checkpoint` is);
// kInvalidArgument for anything else. Errors of read() name the full URL; 404 is kNotFound.
Result<std::unique_ptr<LogFiles>> http_log_files(const std::string& url, const HttpFilesOptions& options = {});

}  // namespace tallylog::log
