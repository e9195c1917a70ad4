// A small blocking HTTP/1.1 client (Boost.Beast behind a pimpl) for http:// and https:// (OpenSSL,
// system trust store or a given CA file, host name checked): what `mirror`, `audit`, `verify`
// and the witness client use to talk to logs, servers and witnesses.
//
// One client holds one keep-alive connection to one origin (scheme, host, port), opened on first
// use; a request that fails on a reused connection before any answer arrived is retried once on
// a new one (servers close idle connections). Responses of any status are returned as values;
// network failures, timeouts and oversized bodies are kUnavailable / kResourceExhausted errors
// naming the URL. A body with a Content-Encoding other than identity is refused.
//
// Thread-safety: a client is used by one thread at a time; use one per thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tallylog/base/error.h"

namespace tallylog::net {

struct Url {
  std::string scheme;  // "http" or "https"
  std::string host;
  std::string port;    // decimal; 80 or 443 when the URL has none
  std::string path;    // "" or "/a/b", never ending in '/'

  // "http://host:port" (the port only when not the scheme's default) and that plus the path.
  std::string origin() const;
  std::string to_string() const;
};

// Parses "http[s]://host[:port][/path]" (IPv6 literals in brackets). kInvalidArgument otherwise.
Result<Url> parse_url(std::string_view text);
inline bool is_url(std::string_view s) { return s.starts_with("http://") || s.starts_with("https://"); }

struct HttpResponse {
  int status = 0;
  std::string content_type;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercased

  // The first header with this (lowercase) name, or empty.
  std::string_view header(std::string_view lowercase_name) const;
};

struct HttpClientOptions {
  std::chrono::milliseconds timeout{30000};  // per request, connection included
  uint64_t max_body = 64ull << 20;
  std::string ca_file;  // PEM file of trusted CAs for https; empty: the system's trust store
  std::string user_agent = "tallylog";
  // Sent with every request, e.g. {"Authorization", "Bearer tl_..."} (the bulk client, issue 17).
  std::vector<std::pair<std::string, std::string>> headers;
};

class HttpClient {
 public:
  // A client for the origin of `url` (its path is ignored: targets are absolute paths).
  static Result<std::unique_ptr<HttpClient>> create(const Url& url, HttpClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // `target` is an absolute path with optional query, e.g. "/log/checkpoint".
  Result<HttpResponse> get(const std::string& target);
  // GET whose body is handed to `sink` in pieces (a megabyte each, the last one shorter) as it
  // arrives, never held whole; `head` sees the status and headers first (its body is empty). The
  // sink may take a piece's storage (move from it): the next piece is read into new storage, so a
  // receiver that queues pieces copies none. An error from either stops the read (the connection
  // is closed) and is returned. The returned response has no body.
  using BodySink = std::function<Status(std::string& piece)>;
  Result<HttpResponse> get_streamed(const std::string& target, const std::function<Status(const HttpResponse& head)>& head,
                                    const BodySink& sink);
  Result<HttpResponse> post(const std::string& target, std::string_view body, std::string_view content_type);
  const Url& url() const;

  struct Impl;

 private:
  explicit HttpClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tallylog::net
