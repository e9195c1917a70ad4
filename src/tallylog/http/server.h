// An asynchronous HTTP/1.1 server (Boost.Beast/Asio behind a pimpl): a fixed pool of I/O threads
// shares one io_context, every connection is a small state machine on a strand, so thousands of
// idle keep-alive connections cost memory, not threads. Handlers are plain functions from Request
// to Response; handlers for requests with side effects (any method but GET/HEAD/OPTIONS) run on a
// separate worker pool so a slow fsync never stalls readers.
//
// Hostile clients: a request must arrive whole within `read_timeout` once its first byte is in
// (slowloris), an idle keep-alive connection is closed after `idle_timeout`, headers larger than
// `max_header_bytes` get 431, bodies larger than the handler's body limit get 413 (both close the
// connection). Above `max_connections` new connections are closed at once.
//
// Ownership and threads: Server owns its threads. start() binds and returns; shutdown() stops
// accepting, closes idle connections, lets in-flight requests finish and their responses be
// written, then returns once every thread has joined (or after `drain_timeout`, forcibly).
// All methods are thread-safe; the handler is called concurrently from several threads.
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

namespace tallylog::http {

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string target;  // raw request-target, e.g. "/api/v1/tally?level=state"
  std::string path;    // target before '?', still percent-encoded
  std::string query;   // after '?', without it; may be empty
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercased
  std::string body;
  std::string remote;  // peer address "ip:port"

  // The first header with this (lowercase) name, or empty.
  std::string_view header(std::string_view lowercase_name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers (Cache-Control, ...)
  std::string body;
  bool close = false;  // close the connection after writing

  static Response text(int status, std::string body);
  static Response json(int status, std::string body);
};

// What the server calls for each complete request. Must not throw (exceptions become 500).
using Handler = std::function<Response(const Request&)>;
// Largest body accepted for a request, decided from its method and path once headers are in.
using BodyLimit = std::function<uint64_t(std::string_view method, std::string_view path)>;
// Called once per answered request (for metrics/access logs), from I/O threads.
using Observer = std::function<void(const Request&, int status, std::chrono::nanoseconds latency)>;

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  // 0 picks an ephemeral port (see Server::port())
  int io_threads = 0;    // 0: one per core
  int worker_threads = 4;
  std::chrono::milliseconds read_timeout{10000};
  std::chrono::milliseconds idle_timeout{120000};
  std::chrono::milliseconds write_timeout{30000};
  std::chrono::milliseconds drain_timeout{10000};
  uint32_t max_header_bytes = 16 * 1024;
  uint64_t default_body_limit = 1 << 20;
  size_t max_connections = 50000;
};

class Server {
 public:
  Server(ServerOptions options, Handler handler, BodyLimit body_limit = {}, Observer observer = {});
  ~Server();  // shuts down if still running
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds, listens and starts the threads. Fails with kUnavailable when the address is taken.
  Status start();
  // The bound port (useful with port 0).
  uint16_t port() const;
  // Graceful stop as described above; idempotent.
  void shutdown();
  // Blocks until SIGINT or SIGTERM arrives, then shuts down. For `tallylog serve`.
  void run_until_signal();
  size_t open_connections() const;

  struct Impl;  // implementation detail (Beast state), defined in server.cc

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace tallylog::http
