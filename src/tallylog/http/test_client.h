// A deliberately dumb blocking HTTP/1.1 client over POSIX sockets, for the server tests: it can
// send malformed or slow requests that a real client library would refuse to produce.
// Test-only; not thread-safe per connection.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace tallylog::http::testing {

inline int connect_to(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

inline bool send_all(int fd, std::string_view s) {
  while (!s.empty()) {
    ssize_t n = ::send(fd, s.data(), s.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    s.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// Reads some bytes, waiting at most timeout_ms. Returns nullopt on timeout, "" on EOF/reset.
inline std::optional<std::string> recv_some(int fd, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, timeout_ms) <= 0) return std::nullopt;
  char buf[65536];
  ssize_t n = ::recv(fd, buf, sizeof buf, 0);
  if (n <= 0) return std::string();
  return std::string(buf, static_cast<size_t>(n));
}

struct RawResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lowercase names
  std::string body;
  std::string header(const std::string& n) const {
    auto it = headers.find(n);
    return it == headers.end() ? "" : it->second;
  }
};

// Reads one response with a Content-Length body (what our server always sends).
class Reader {
 public:
  explicit Reader(int fd) : fd_(fd) {}
  std::optional<RawResponse> read(int timeout_ms = 5000, bool head = false) {
    size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos)
      if (!fill(timeout_ms)) return std::nullopt;
    RawResponse r;
    std::string head_text = buf_.substr(0, end);
    buf_.erase(0, end + 4);
    size_t line_end = head_text.find("\r\n");
    std::string status_line = head_text.substr(0, line_end);
    if (status_line.size() < 12) return std::nullopt;
    r.status = std::stoi(status_line.substr(9, 3));
    size_t pos = line_end == std::string::npos ? head_text.size() : line_end + 2;
    while (pos < head_text.size()) {
      size_t e = head_text.find("\r\n", pos);
      if (e == std::string::npos) e = head_text.size();
      std::string line = head_text.substr(pos, e - pos);
      auto c = line.find(':');
      if (c != std::string::npos) {
        std::string name = line.substr(0, c);
        for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        std::string value = line.substr(c + 1);
        while (!value.empty() && value[0] == ' ') value.erase(0, 1);
        r.headers[name] = value;
      }
      pos = e + 2;
    }
    size_t len = r.headers.count("content-length") ? std::stoul(r.headers["content-length"]) : 0;
    if (head) len = 0;
    while (buf_.size() < len)
      if (!fill(timeout_ms)) return std::nullopt;
    r.body = buf_.substr(0, len);
    buf_.erase(0, len);
    return r;
  }
  // True when the peer closes (EOF or reset) within timeout_ms.
  bool closed_within(int timeout_ms) {
    auto s = recv_some(fd_, timeout_ms);
    return s && s->empty();
  }

 private:
  bool fill(int timeout_ms) {
    auto s = recv_some(fd_, timeout_ms);
    if (!s || s->empty()) return false;
    buf_ += *s;
    return true;
  }
  int fd_;
  std::string buf_;
};

// One request on a fresh connection.
inline std::optional<RawResponse> fetch(uint16_t port, const std::string& raw_request, int timeout_ms = 5000) {
  int fd = connect_to(port);
  if (fd < 0) return std::nullopt;
  send_all(fd, raw_request);
  Reader r(fd);
  auto res = r.read(timeout_ms, raw_request.starts_with("HEAD "));
  ::close(fd);
  return res;
}

inline std::string get_request(const std::string& target, const std::string& extra = "") {
  return "GET " + target + " HTTP/1.1\r\nHost: t\r\n" + extra + "\r\n";
}

}  // namespace tallylog::http::testing
