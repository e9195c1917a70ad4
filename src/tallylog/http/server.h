// An asynchronous HTTP/1.1 server (Boost.Beast/Asio behind a pimpl): a fixed pool of I/O threads
// shares one io_context, every connection is a small state machine on a strand, so thousands of
// idle keep-alive connections cost memory, not threads. Handlers are plain functions from Request
// to Response; handlers for requests with side effects (any method but GET/HEAD/OPTIONS) run on a
// separate worker pool so a slow fsync never stalls readers.
//
// Hostile clients: a new connection must send its first request within `read_timeout`, and every
// request must arrive whole within `read_timeout` once its first byte is in (slowloris); only a
// connection that has been answered at least once may then stay idle for `idle_timeout`. Headers
// larger than `max_header_bytes` get 431, bodies larger than the handler's body limit get 413, a
// Transfer-Encoding other than exactly "chunked" gets 400 (all three close the connection).
// Connections are capped at connection_cap(max_connections, RLIMIT_NOFILE); at the cap the
// connection idle the longest is closed to let the new one in (new ones are refused only when
// none is idle).
//
// Memory: a response body may be a shared immutable buffer (Response::shared_body, e.g. a cached
// tally): every connection writes from the same bytes, none copies them. Owned bodies waiting to
// be written count against `max_buffered_bytes` for the whole server; an answer that would go past
// it is replaced by 503 (Retry-After: 1, connection closed), so slow readers cannot pile up copies.
// A connection holds at most one response at a time (the next request is read only after it).
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
  // When set, sent instead of `body`: an immutable buffer shared with other responses, never copied.
  std::shared_ptr<const std::string> shared_body;
  bool close = false;  // close the connection after writing

  std::string_view body_view() const { return shared_body ? std::string_view(*shared_body) : std::string_view(body); }

  static Response text(int status, std::string body);
  static Response json(int status, std::string body);
  static Response json(int status, std::shared_ptr<const std::string> body);
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
  size_t max_connections = 50000;  // further capped by connection_cap()
  uint64_t max_buffered_bytes = uint64_t{256} << 20;  // owned response bodies being written, all connections
  size_t accept_batch = 64;  // connections taken per wake-up by each accept loop (one per I/O thread)
};

// The connection cap for a process allowed `nofile_limit` open descriptors: `requested`, but never
// more than the limit less a reserve (5%, at least 32) for the log, index, blobs and listeners.
size_t connection_cap(size_t requested, uint64_t nofile_limit);

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
  // The effective connection cap (see connection_cap), known after start().
  size_t connection_limit() const;
  // Connections waiting for a request now (candidates for shedding).
  size_t idle_connections() const;
  // Idle connections closed to let new ones in, since start.
  uint64_t shed_connections() const;
  // Owned response bytes being written now (shared bodies are not counted).
  uint64_t buffered_bytes() const;

  struct Impl;  // implementation detail (Beast state), defined in server.cc

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace tallylog::http
