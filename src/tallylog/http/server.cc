// The only file that includes Boost.Beast (it is slow to compile); see server.h for the contract.
#include "tallylog/http/server.h"

#include <algorithm>
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

namespace {

bool is_safe_method(std::string_view m) { return m == "GET" || m == "HEAD" || m == "OPTIONS"; }

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

class Session;

}  // namespace

struct Server::Impl : std::enable_shared_from_this<Server::Impl> {
  ServerOptions opt;
  Handler handler;
  BodyLimit body_limit;
  Observer observer;

  net::io_context ioc;
  std::optional<tcp::acceptor> acceptor;
  // Keeps the I/O threads alive while a worker holds a request and no socket operation is pending.
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  std::optional<net::thread_pool> workers;
  std::vector<std::thread> threads;
  std::atomic<bool> stopping{false};
  std::atomic<size_t> connections{0};
  uint16_t bound_port = 0;
  std::mutex mu;  // guards sessions and the start/stop sequence below
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions;
  bool started = false;
  bool joined = false;
  std::mutex stop_mu;

  void do_accept();
  void stop_and_join();
};

namespace {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::shared_ptr<Server::Impl> srv) : stream_(std::move(socket)), srv_(std::move(srv)) {
    boost::system::error_code ec;
    auto ep = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_ = ep.address().to_string() + ":" + std::to_string(ep.port());
  }

  ~Session() {
    srv_->connections.fetch_sub(1);
    std::lock_guard lock(srv_->mu);
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
  // Only once no thread runs the io_context: aborts whatever the connection still waits for.
  void force_close() { close(); }

  net::any_io_executor executor() { return stream_.get_executor(); }

 private:
  enum class State { kIdle, kReading, kBusy };

  void wait_for_request() {
    if (srv_->stopping) return close();
    state_ = State::kIdle;
    if (buffer_.size() > 0) return read_header();  // pipelined bytes already here
    stream_.expires_after(srv_->opt.idle_timeout);
    stream_.async_read_some(buffer_.prepare(4096),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              self->buffer_.commit(n);
                              if (ec) return self->close();
                              self->read_header();
                            });
  }

  void read_header() {
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
    keep_alive_ = msg.keep_alive();
    auto req = std::make_shared<Request>();
    req->method = std::string(msg.method_string());
    req->target = std::string(msg.target());
    auto q = req->target.find('?');
    req->path = req->target.substr(0, q);
    if (q != std::string::npos) req->query = req->target.substr(q + 1);
    for (const auto& f : msg) req->headers.emplace_back(lower(std::string_view(f.name_string().data(), f.name_string().size())), std::string(f.value()));
    req->body = std::move(msg.body());
    req->remote = remote_;
    req_ = req;
    if (is_safe_method(req->method)) return respond(call_handler(*req));
    net::post(*srv_->workers, [self = shared_from_this(), req] {
      Response r = self->call_handler(*req);
      net::post(self->stream_.get_executor(), [self, r = std::move(r)]() mutable { self->respond(std::move(r)); });
    });
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
      req_->remote = remote_;
    }
    respond(std::move(r));
  }

  void respond(Response r) {
    res_ = {};
    res_.version(11);
    res_.result(static_cast<unsigned>(r.status));
    res_.set(bhttp::field::server, "tallylog");
    res_.set(bhttp::field::content_type, r.content_type);
    for (auto& [k, v] : r.headers) res_.set(k, v);
    bool head = req_ && req_->method == "HEAD";
    size_t length = r.body.size();
    if (!head) res_.body() = std::move(r.body);
    res_.content_length(length);
    bool keep = keep_alive_ && !r.close && !srv_->stopping;
    res_.keep_alive(keep);
    status_ = r.status;
    stream_.expires_after(srv_->opt.write_timeout);
    sr_.emplace(res_);
    if (head) sr_->split(true);
    auto done = [self = shared_from_this(), keep](beast::error_code ec, size_t) {
      if (self->srv_->observer && self->req_)
        self->srv_->observer(*self->req_, self->status_, std::chrono::steady_clock::now() - self->started_);
      self->req_.reset();
      self->sr_.reset();
      if (ec || !keep) return self->close();
      self->wait_for_request();
    };
    if (head)
      bhttp::async_write_header(stream_, *sr_, std::move(done));
    else
      bhttp::async_write(stream_, *sr_, std::move(done));
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.close();
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::shared_ptr<Server::Impl> srv_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  bhttp::response<bhttp::string_body> res_;
  std::optional<bhttp::response_serializer<bhttp::string_body>> sr_;
  std::shared_ptr<Request> req_;
  std::string remote_;
  State state_ = State::kIdle;
  bool keep_alive_ = true;
  bool closed_ = false;
  int status_ = 0;
  std::chrono::steady_clock::time_point started_{};
};

}  // namespace

void Server::Impl::do_accept() {
  acceptor->async_accept(net::make_strand(ioc), [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
    if (self->stopping) return;
    if (ec) {
      if (ec == net::error::operation_aborted) return;
      // Out of descriptors or similar: back off briefly instead of spinning.
      auto timer = std::make_shared<net::steady_timer>(self->acceptor->get_executor(), std::chrono::milliseconds(20));
      timer->async_wait([self, timer](beast::error_code) {
        if (!self->stopping) self->do_accept();
      });
      return;
    }
    if (self->connections.load() >= self->opt.max_connections) {
      beast::error_code ignored;
      socket.close(ignored);
    } else {
      self->connections.fetch_add(1);
      std::make_shared<Session>(std::move(socket), self)->start();
    }
    self->do_accept();
  });
}

void Server::Impl::stop_and_join() {
  std::lock_guard stop_lock(stop_mu);
  if (!started || joined) return;
  stopping = true;
  net::post(acceptor->get_executor(), [self = shared_from_this()] {
    beast::error_code ec;
    self->acceptor->close(ec);
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
  // No thread runs the io_context now. Pending handlers (the aborted accept, connections that
  // outlived drain_timeout) hold references to this Impl: abort them and run their completions so
  // those references are released instead of leaking in a cycle.
  beast::error_code ec;
  acceptor->close(ec);
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
  im.acceptor.emplace(net::make_strand(im.ioc));
  im.acceptor->open(ep.protocol(), ec);
  if (!ec) im.acceptor->set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) im.acceptor->bind(ep, ec);
  if (!ec) im.acceptor->listen(net::socket_base::max_listen_connections, ec);
  if (ec)
    return err(ErrorCode::kUnavailable,
               "cannot listen on " + im.opt.host + ":" + std::to_string(im.opt.port) + ": " + ec.message());
  im.bound_port = im.acceptor->local_endpoint().port();
  im.workers.emplace(static_cast<size_t>(std::max(1, im.opt.worker_threads)));
  im.work.emplace(im.ioc.get_executor());
  im.do_accept();
  int n = im.opt.io_threads > 0 ? im.opt.io_threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
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

}  // namespace tallylog::http
