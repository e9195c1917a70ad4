// The only file that includes Boost.Beast (it is slow to compile); see server.h for the contract.
#include "tallylog/http/server.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <limits>
#include <list>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

namespace tallylog::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

std::string_view Request::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (k == name) return v;
  return {};
}

Response Response::text(int status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

Response Response::json(int status, std::string body) {
  Response r;
  r.status = status;
  r.content_type = "application/json";
  r.body = std::move(body);
  return r;
}

Response Response::json(int status, std::shared_ptr<const std::string> body) {
  Response r;
  r.status = status;
  r.content_type = "application/json";
  r.shared_body = std::move(body);
  return r;
}

size_t connection_cap(size_t requested, uint64_t nofile_limit) {
  uint64_t reserve = std::max<uint64_t>(32, nofile_limit / 20);
  uint64_t usable = nofile_limit > 2 * reserve ? nofile_limit - reserve : nofile_limit / 2;
  return static_cast<size_t>(std::min<uint64_t>(requested, std::max<uint64_t>(1, usable)));
}

namespace {

bool is_safe_method(std::string_view m) { return m == "GET" || m == "HEAD" || m == "OPTIONS"; }

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// RFC 9112 §6.1: the only transfer coding we accept is exactly "chunked" (any other list, or an
// unknown coding, means the body length cannot be determined: 400 and close, §6.3).
bool transfer_encoding_ok(const bhttp::request_parser<bhttp::string_body>::value_type& h) {
  auto range = h.equal_range(bhttp::field::transfer_encoding);
  if (range.first == range.second) return true;
  if (std::next(range.first) != range.second) return false;
  beast::string_view v = range.first->value();
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return beast::iequals(v, "chunked") && h.version() == 11;
}

bool header_text_ok(std::string_view s) {
  return s.find_first_of("\r\n") == std::string_view::npos && s.find('\0') == std::string_view::npos;
}

class Session;

}  // namespace

struct Server::Impl : std::enable_shared_from_this<Server::Impl> {
  ServerOptions opt;
  Handler handler;
  BodyLimit body_limit;
  Observer observer;

  net::io_context ioc;
  // One accept loop per I/O thread, each on a dup() of the listening socket so every loop has its
  // own reactor registration; all wake when connections are pending and take them in batches.
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
  // backoff[i]: acceptors[i]'s pause after a failed accept (on its strand; owned here, so no
  // handler owns its own timer).
  std::vector<std::unique_ptr<net::steady_timer>> backoff;
  // Keeps the I/O threads alive while a worker holds a request and no socket operation is pending.
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  std::optional<net::thread_pool> workers;
  std::vector<std::thread> threads;
  std::atomic<bool> stopping{false};
  std::atomic<size_t> connections{0};
  std::atomic<uint64_t> shed{0};
  std::atomic<uint64_t> buffered{0};
  size_t cap = 0;
  uint16_t bound_port = 0;
  std::mutex mu;  // guards sessions and idle
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions;
  // Idle connections, the one idle the longest first (shed first when the server is full).
  std::list<std::weak_ptr<Session>> idle;
  bool started = false;
  bool joined = false;
  std::mutex stop_mu;

  void accept_loop(size_t i);
  void on_accepted(tcp::socket socket);
  bool shed_oldest_idle();
  void stop_and_join();
};

namespace {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::shared_ptr<Server::Impl> srv) : stream_(std::move(socket)), srv_(std::move(srv)) {}

  ~Session() {
    srv_->connections.fetch_sub(1);
    std::lock_guard lock(srv_->mu);
    if (in_idle_list_) srv_->idle.erase(idle_pos_);
    srv_->sessions.erase(this);
  }

  void start() {
    {
      std::lock_guard lock(srv_->mu);
      srv_->sessions.emplace(this, weak_from_this());
    }
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->wait_for_request(); });
  }

  // Runs on the strand: idle connections go away now, busy ones after their response.
  void on_shutdown() {
    if (state_ == State::kIdle) close();
  }
  // Runs on the strand: the server is full and this connection has been idle the longest.
  void on_shed() {
    if (state_ == State::kIdle && !closed_) {
      srv_->shed.fetch_add(1);
      close();
    }
  }
  // Only once no thread runs the io_context: aborts whatever the connection still waits for.
  void force_close() { close(); }
  // With srv_->mu held: shed_oldest_idle() has taken this session off the idle list.
  void unlisted_locked() { in_idle_list_ = false; }

  net::any_io_executor executor() { return stream_.get_executor(); }

 private:
  enum class State { kIdle, kReading, kBusy };

  void set_idle(bool idle) {
    std::lock_guard lock(srv_->mu);
    if (idle && !in_idle_list_) {
      idle_pos_ = srv_->idle.insert(srv_->idle.end(), weak_from_this());
      in_idle_list_ = true;
    } else if (!idle && in_idle_list_) {
      srv_->idle.erase(idle_pos_);
      in_idle_list_ = false;
    }
  }

  void wait_for_request() {
    if (srv_->stopping) return close();
    state_ = State::kIdle;
    if (buffer_.size() > 0) return read_header();  // pipelined bytes already here
    set_idle(true);
    // A connection that has never sent a request gets only the request timeout: idle keep-alive
    // time is earned by being a client, so silent sockets cannot hold descriptors for minutes.
    stream_.expires_after(answered_ > 0 ? srv_->opt.idle_timeout : srv_->opt.read_timeout);
    stream_.async_read_some(buffer_.prepare(4096), [self = shared_from_this()](beast::error_code ec, size_t n) {
      self->buffer_.commit(n);
      if (ec) return self->close();
      self->read_header();
    });
  }

  void read_header() {
    set_idle(false);
    state_ = State::kReading;
    started_ = std::chrono::steady_clock::now();
    parser_.emplace();
    parser_->header_limit(srv_->opt.max_header_bytes);
    parser_->body_limit(std::numeric_limits<uint64_t>::max());  // decided per route in on_header
    // The whole request must arrive within read_timeout: a byte-a-second client is cut off.
    stream_.expires_after(srv_->opt.read_timeout);
    bhttp::async_read_header(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, size_t) {
      self->on_header(ec);
    });
  }

  void on_header(beast::error_code ec) {
    if (ec == bhttp::error::header_limit) return send_error(431, "request header fields too large\n");
    if (ec == beast::error::timeout) return send_error(408, "request timeout\n");
    if (ec == bhttp::error::end_of_stream || ec == net::error::eof || ec == net::error::operation_aborted ||
        ec == net::error::connection_reset)
      return close();
    if (ec) return send_error(400, "bad request: " + ec.message() + "\n");
    auto& h = parser_->get();
    if (!transfer_encoding_ok(h))
      return send_error(400, "bad request: Transfer-Encoding must be exactly \"chunked\" (HTTP/1.1)\n");
    std::string_view target(h.target().data(), h.target().size());
    std::string_view path = target.substr(0, target.find('?'));
    std::string_view method(h.method_string().data(), h.method_string().size());
    uint64_t limit = srv_->body_limit ? srv_->body_limit(method, path) : srv_->opt.default_body_limit;
    if (auto len = parser_->content_length(); len && *len > limit)
      return send_error(413, "request body too large: " + std::to_string(*len) + " bytes, limit " +
                                 std::to_string(limit) + "\n");
    parser_->body_limit(limit);
    auto expect = h[bhttp::field::expect];
    if (!parser_->is_done() && beast::iequals(expect, "100-continue")) {
      static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      net::async_write(stream_, net::buffer(kContinue), [self = shared_from_this()](beast::error_code ec, size_t) {
        if (ec) return self->close();
        self->read_body();
      });
      return;
    }
    read_body();
  }

  void read_body() {
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = shared_from_this()](beast::error_code ec, size_t) { self->on_request(ec); });
  }

  void on_request(beast::error_code ec) {
    if (ec == bhttp::error::body_limit) return send_error(413, "request body too large\n");
    if (ec == beast::error::timeout) return send_error(408, "request timeout\n");
    if (ec == bhttp::error::end_of_stream || ec == net::error::eof || ec == net::error::operation_aborted ||
        ec == net::error::connection_reset)
      return close();
    if (ec) return send_error(400, "bad request: " + ec.message() + "\n");
    state_ = State::kBusy;
    stream_.expires_never();
    auto msg = parser_->release();
    parser_.reset();
    keep_alive_ = msg.keep_alive();
    http10_ = msg.version() == 10;
    auto req = std::make_shared<Request>();
    req->method = std::string(msg.method_string());
    req->target = std::string(msg.target());
    auto q = req->target.find('?');
    req->path = req->target.substr(0, q);
    if (q != std::string::npos) req->query = req->target.substr(q + 1);
    for (const auto& f : msg)
      req->headers.emplace_back(lower(std::string_view(f.name_string().data(), f.name_string().size())),
                                std::string(f.value()));
    req->body = std::move(msg.body());
    req->remote = remote();
    req_ = req;
    if (is_safe_method(req->method)) return respond(call_handler(*req));
    net::post(*srv_->workers, [self = shared_from_this(), req] {
      Response r = self->call_handler(*req);
      net::post(self->stream_.get_executor(), [self, r = std::move(r)]() mutable { self->respond(std::move(r)); });
    });
  }

  const std::string& remote() {
    if (remote_.empty()) {
      boost::system::error_code ec;
      auto ep = stream_.socket().remote_endpoint(ec);
      if (!ec) remote_ = ep.address().to_string() + ":" + std::to_string(ep.port());
    }
    return remote_;
  }

  Response call_handler(const Request& req) {
    try {
      return srv_->handler(req);
    } catch (const std::exception& e) {
      return Response::text(500, std::string("internal error: ") + e.what() + "\n");
    } catch (...) {
      return Response::text(500, "internal error\n");
    }
  }

  void send_error(int status, std::string body) {
    keep_alive_ = false;
    state_ = State::kBusy;
    Response r = Response::text(status, std::move(body));
    r.close = true;
    if (!req_) {
      req_ = std::make_shared<Request>();
      if (parser_) {
        req_->method = std::string(parser_->get().method_string());
        req_->target = std::string(parser_->get().target());
        req_->path = req_->target.substr(0, req_->target.find('?'));
      }
      req_->remote = remote();
    }
    respond(std::move(r));
  }

  // Writes the status line and headers from our own buffer and the body straight from the
  // response's bytes (shared or owned): no copy of the body is made per connection.
  void respond(Response r) {
    bool head = req_ && req_->method == "HEAD";
    size_t length = r.body_view().size();
    if (!r.shared_body && !head) {
      // Owned bytes count against the server-wide budget until written.
      uint64_t now = srv_->buffered.fetch_add(length) + length;
      if (now > srv_->opt.max_buffered_bytes && length > 0) {
        srv_->buffered.fetch_sub(length);
        r = Response::text(503, "server busy: too many answers waiting for slow clients; retry\n");
        r.headers.emplace_back("Retry-After", "1");
        r.close = true;
        length = r.body.size();
        srv_->buffered.fetch_add(length);
      }
      counted_ = length;
    }
    bool keep = keep_alive_ && !r.close && !srv_->stopping;
    status_ = r.status;
    head_.clear();
    head_ += "HTTP/1.1 ";
    head_ += std::to_string(r.status);
    head_ += ' ';
    auto reason = bhttp::obsolete_reason(static_cast<bhttp::status>(r.status));
    head_.append(reason.data(), reason.size());
    head_ += "\r\nServer: tallylog\r\nContent-Type: ";
    head_ += header_text_ok(r.content_type) ? r.content_type : "application/octet-stream";
    head_ += "\r\n";
    for (auto& [k, v] : r.headers) {
      if (!header_text_ok(k) || !header_text_ok(v) || k.find(':') != std::string::npos) continue;
      head_ += k;
      head_ += ": ";
      head_ += v;
      head_ += "\r\n";
    }
    head_ += "Content-Length: ";
    head_ += std::to_string(length);
    head_ += keep ? (http10_ ? "\r\nConnection: keep-alive\r\n\r\n" : "\r\n\r\n") : "\r\nConnection: close\r\n\r\n";
    if (r.shared_body)
      body_ = std::move(r.shared_body);
    else
      owned_ = std::move(r.body);
    std::string_view body = head ? std::string_view() : (body_ ? std::string_view(*body_) : std::string_view(owned_));
    stream_.expires_after(srv_->opt.write_timeout);
    std::array<net::const_buffer, 2> bufs{net::buffer(head_), net::buffer(body.data(), body.size())};
    net::async_write(stream_, bufs, [self = shared_from_this(), keep](beast::error_code ec, size_t) {
      self->release_body();
      if (self->srv_->observer && self->req_)
        self->srv_->observer(*self->req_, self->status_, std::chrono::steady_clock::now() - self->started_);
      self->req_.reset();
      ++self->answered_;
      if (ec || !keep) return self->close();
      self->wait_for_request();
    });
  }

  void release_body() {
    srv_->buffered.fetch_sub(counted_);
    counted_ = 0;
    body_.reset();
    std::string().swap(owned_);
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    set_idle(false);
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.close();
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::shared_ptr<Server::Impl> srv_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::string head_;                          // status line and headers being written
  std::shared_ptr<const std::string> body_;   // a shared body being written
  std::string owned_;                         // or an owned one
  uint64_t counted_ = 0;                      // owned bytes counted in srv_->buffered
  std::shared_ptr<Request> req_;
  std::string remote_;
  State state_ = State::kIdle;
  bool keep_alive_ = true;
  bool http10_ = false;
  bool closed_ = false;
  bool in_idle_list_ = false;
  std::list<std::weak_ptr<Session>>::iterator idle_pos_;
  uint64_t answered_ = 0;
  int status_ = 0;
  std::chrono::steady_clock::time_point started_{};
};

}  // namespace

bool Server::Impl::shed_oldest_idle() {
  std::shared_ptr<Session> victim;
  {
    std::lock_guard lock(mu);
    // An entry that no longer locks belongs to a session being destroyed: its destructor removes it.
    for (auto it = idle.begin(); it != idle.end(); ++it) {
      if ((victim = it->lock())) {
        idle.erase(it);  // invalidates it: leave the loop before touching it again
        victim->unlisted_locked();
        break;
      }
    }
  }
  if (!victim) return false;
  net::post(victim->executor(), [victim] { victim->on_shed(); });
  return true;
}

void Server::Impl::on_accepted(tcp::socket socket) {
  if (connections.load() >= cap && !shed_oldest_idle()) {
    beast::error_code ignored;
    socket.close(ignored);
    return;
  }
  connections.fetch_add(1);
  std::make_shared<Session>(std::move(socket), shared_from_this())->start();
}

void Server::Impl::accept_loop(size_t i) {
  tcp::acceptor& acceptor = *acceptors[i];
  acceptor.async_wait(tcp::acceptor::wait_read, [self = shared_from_this(), i, &acceptor](beast::error_code ec) {
    if (self->stopping || ec == net::error::operation_aborted) return;
    bool backoff = false;
    for (size_t n = 0; n < self->opt.accept_batch && !ec; ++n) {
      tcp::socket socket(net::make_strand(self->ioc));
      acceptor.accept(socket, ec);
      if (ec == net::error::would_block || ec == net::error::try_again) break;
      if (ec) {
        // Out of descriptors or similar: back off briefly instead of spinning.
        backoff = ec != net::error::connection_aborted;
        // The cap (connection_cap) reserves descriptors for everything else the process holds
        // (log, index connections, blobs), but it cannot know them all: when the process runs
        // out anyway, the connection idle the longest makes room, as it does at the cap, so a
        // new client is answered instead of waiting for ever behind idle ones.
        if (ec == net::error::no_descriptors || ec == boost::system::errc::too_many_files_open_in_system)
          self->shed_oldest_idle();
        break;
      }
      self->on_accepted(std::move(socket));
    }
    if (!backoff) return self->accept_loop(i);
    net::steady_timer& timer = *self->backoff[i];
    timer.expires_after(std::chrono::milliseconds(20));
    timer.async_wait([self, i](beast::error_code ec) {
      if (!self->stopping && ec != net::error::operation_aborted) self->accept_loop(i);
    });
  });
}

void Server::Impl::stop_and_join() {
  std::lock_guard stop_lock(stop_mu);
  if (!started || joined) return;
  stopping = true;
  for (size_t i = 0; i < acceptors.size(); ++i)
    net::post(acceptors[i]->get_executor(), [self = shared_from_this(), acc = acceptors[i].get(),
                                             timer = backoff[i].get()] {
      beast::error_code ec;
      acc->close(ec);
      timer->cancel();
    });
  std::vector<std::shared_ptr<Session>> live;
  {
    std::lock_guard lock(mu);
    for (auto& [p, w] : sessions)
      if (auto s = w.lock()) live.push_back(std::move(s));
  }
  for (auto& s : live) net::post(s->executor(), [s] { s->on_shutdown(); });
  live.clear();
  workers->join();  // in-flight writes (POST handlers) complete and post their responses back
  auto deadline = std::chrono::steady_clock::now() + opt.drain_timeout;
  while (connections.load() > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  work.reset();
  ioc.stop();
  for (auto& t : threads) t.join();
  threads.clear();
  // No thread runs the io_context now. Pending handlers (the aborted accepts, connections that
  // outlived drain_timeout) hold references to this Impl: abort them and run their completions so
  // those references are released instead of leaking in a cycle.
  for (auto& a : acceptors) {
    beast::error_code ec;
    a->close(ec);
  }
  for (auto& t : backoff) t->cancel();
  {
    std::vector<std::shared_ptr<Session>> rest;
    {
      std::lock_guard lock(mu);
      for (auto& [p, w] : sessions)
        if (auto sp = w.lock()) rest.push_back(std::move(sp));
    }
    for (auto& sp : rest) sp->force_close();
  }
  ioc.restart();
  ioc.poll();
  joined = true;
}

Server::Server(ServerOptions options, Handler handler, BodyLimit body_limit, Observer observer)
    : impl_(std::make_shared<Impl>()) {
  impl_->opt = std::move(options);
  impl_->handler = std::move(handler);
  impl_->body_limit = std::move(body_limit);
  impl_->observer = std::move(observer);
}

Server::~Server() { shutdown(); }

Status Server::start() {
  auto& im = *impl_;
  std::lock_guard stop_lock(im.stop_mu);
  if (im.started) return err(ErrorCode::kFailedPrecondition, "server already started");
  beast::error_code ec;
  auto addr = net::ip::make_address(im.opt.host, ec);
  if (ec) return err(ErrorCode::kInvalidArgument, "listen address '" + im.opt.host + "': " + ec.message());
  tcp::endpoint ep(addr, im.opt.port);
  auto listener = std::make_unique<tcp::acceptor>(net::make_strand(im.ioc));
  listener->open(ep.protocol(), ec);
  if (!ec) listener->set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) listener->bind(ep, ec);
  if (!ec) listener->listen(net::socket_base::max_listen_connections, ec);
  if (!ec) listener->non_blocking(true, ec);
  if (ec)
    return err(ErrorCode::kUnavailable,
               "cannot listen on " + im.opt.host + ":" + std::to_string(im.opt.port) + ": " + ec.message());
  im.bound_port = listener->local_endpoint().port();
  int n = im.opt.io_threads > 0 ? im.opt.io_threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  im.acceptors.push_back(std::move(listener));
  for (int i = 1; i < n; ++i) {
    int fd = ::dup(im.acceptors.front()->native_handle());
    if (fd < 0) break;  // one accept loop still works
    auto a = std::make_unique<tcp::acceptor>(net::make_strand(im.ioc));
    a->assign(ep.protocol(), fd, ec);
    if (!ec) a->non_blocking(true, ec);
    if (ec) {
      ::close(fd);
      break;
    }
    im.acceptors.push_back(std::move(a));
  }
  rlimit rl{};
  uint64_t nofile = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY ? rl.rlim_cur : 1u << 20;
  im.cap = connection_cap(im.opt.max_connections, nofile);
  im.workers.emplace(static_cast<size_t>(std::max(1, im.opt.worker_threads)));
  im.work.emplace(im.ioc.get_executor());
  for (auto& a : im.acceptors) im.backoff.push_back(std::make_unique<net::steady_timer>(a->get_executor()));
  for (size_t i = 0; i < im.acceptors.size(); ++i) im.accept_loop(i);
  for (int i = 0; i < n; ++i) im.threads.emplace_back([&im] { im.ioc.run(); });
  im.started = true;
  return ok();
}

uint16_t Server::port() const { return impl_->bound_port; }

void Server::shutdown() { impl_->stop_and_join(); }

void Server::run_until_signal() {
  net::io_context sig_ioc;
  net::signal_set signals(sig_ioc, SIGINT, SIGTERM);
  signals.async_wait([](beast::error_code, int) {});
  sig_ioc.run();
  shutdown();
}

size_t Server::open_connections() const { return impl_->connections.load(); }
size_t Server::connection_limit() const { return impl_->cap; }
size_t Server::idle_connections() const {
  std::lock_guard lock(impl_->mu);
  return impl_->idle.size();
}
uint64_t Server::shed_connections() const { return impl_->shed.load(); }
uint64_t Server::buffered_bytes() const { return impl_->buffered.load(); }

}  // namespace tallylog::http
