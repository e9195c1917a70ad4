// Raw HTTP/1.1 requests (request line, headers, chunked or sized bodies, pipelining) as a
// client sends them to `tallylog serve`: the bytes go over a loopback TCP connection to a real
// http::Server whose handler is the fixture's http::Api (http_fixture.h).
//
// Properties: the server answers or closes (never hangs: the connection must end within 10 s of
// the client's half-close); everything it writes back is a sequence of HTTP/1.1 responses
// (starts with "HTTP/1.1 " and a 3-digit status); and every response the API produced passes the
// fixture's checks.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "fuzz_support.h"
#include "http_fixture.h"

namespace tallylog::fuzz {
namespace {

http::Server& server() {
  static http::Server* s = [] {
    auto& f = HttpFixture::get();
    http::ServerOptions o;
    o.host = "127.0.0.1";
    o.port = 0;
    o.io_threads = 1;
    o.worker_threads = 1;
    o.read_timeout = std::chrono::milliseconds(3000);
    o.max_header_bytes = 16 * 1024;
    auto* srv = new http::Server(
        o, [&f](const http::Request& r) { return f.handle(r); },
        [&f](std::string_view m, std::string_view p) { return f.api().body_limit(m, p); });
    auto st = srv->start();
    if (!st) fail("start the HTTP server", st.error().to_string());
    return srv;
  }();
  return *s;
}

// A connected socket to the server. libFuzzer's timeout timer (SIGALRM, every -timeout/2 s)
// interrupts system calls: a connect() interrupted (EINTR) goes on in the background, so that
// socket is dropped and a new one tried. (The campaign's second run stopped at 2,290,401
// executions on "connect to the server: Interrupted system call": the harness, not the server.)
int connect_to_server() {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(server().port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (int attempt = 0;; ++attempt) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    check(fd >= 0, "socket()", std::strerror(errno));
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) return fd;
    const int e = errno;
    ::close(fd);
    check(e == EINTR && attempt < 100, "connect to the server", std::strerror(e));
  }
}

std::string exchange(std::string_view request) {
  int fd = connect_to_server();
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  size_t sent = 0;
  while (sent < request.size()) {
    ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;  // a signal, not the server
    if (n <= 0) break;  // the server may close early (431, 413, 400): fine
    sent += static_cast<size_t>(n);
  }
  ::shutdown(fd, SHUT_WR);
  std::string reply;
  char buf[65536];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n > 0) {
      reply.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n == 0 || errno == ECONNRESET) break;
    if (errno == EINTR) continue;  // a signal, not the server (a reply cut here would fail the check below)
    check(errno != EAGAIN && errno != EWOULDBLOCK, "the server answers or closes within 10 s of the half-close");
    break;
  }
  ::close(fd);
  return reply;
}

}  // namespace
}  // namespace tallylog::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tallylog::fuzz;
  std::string reply = exchange(as_text(data, size));
  if (reply.empty()) return 0;
  check(reply.starts_with("HTTP/1.1 ") && reply.size() >= 12 && std::isdigit(static_cast<unsigned char>(reply[9])) &&
            std::isdigit(static_cast<unsigned char>(reply[10])) && std::isdigit(static_cast<unsigned char>(reply[11])),
        "the server writes HTTP/1.1 responses", reply.substr(0, 200));
  return 0;
}
