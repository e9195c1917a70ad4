// The only file of the log module that touches Boost.Beast.
#include "tallylog/log/http_files.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/version.hpp>

namespace tallylog::log {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

constexpr size_t kMaxBody = 32 << 20;

class HttpLogFiles final : public LogFiles {
 public:
  HttpLogFiles(std::string host, std::string port, std::string base)
      : host_(std::move(host)), port_(std::move(port)), base_(std::move(base)), resolver_(ioc_), stream_(ioc_) {}

  Result<std::string> read(const std::string& rel) override {
    auto r = fetch(rel);
    if (!r && r.error().code == ErrorCode::kUnavailable) {
      // The server may have closed the keep-alive connection: retry once on a new one.
      connected_ = false;
      r = fetch(rel);
    }
    return r;
  }
  std::optional<std::vector<std::string>> list(const std::string&) override { return std::nullopt; }

 private:
  Result<std::string> fetch(const std::string& rel) {
    std::string target = base_ + "/" + rel;
    std::string where = "http://" + host_ + ":" + port_ + target;
    beast::error_code ec;
    if (!connected_) {
      beast::error_code ignored;
      stream_.socket().close(ignored);
      auto results = resolver_.resolve(host_, port_, ec);
      if (ec) return err(ErrorCode::kUnavailable, "resolve " + host_ + ": " + ec.message());
      stream_.connect(results, ec);
      if (ec) return err(ErrorCode::kUnavailable, "connect " + host_ + ":" + port_ + ": " + ec.message());
      connected_ = true;
    }
    http::request<http::empty_body> req{http::verb::get, target, 11};
    req.set(http::field::host, host_);
    req.set(http::field::user_agent, "tallylog-verify");
    req.keep_alive(true);
    http::write(stream_, req, ec);
    if (ec) return err(ErrorCode::kUnavailable, "GET " + where + ": " + ec.message());
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(kMaxBody);
    http::read(stream_, buffer, parser, ec);
    if (ec) return err(ErrorCode::kUnavailable, "GET " + where + ": " + ec.message());
    auto res = parser.release();
    if (!res.keep_alive()) connected_ = false;
    if (res.result() == http::status::not_found) return err(ErrorCode::kNotFound, "no such file " + where);
    if (res.result() != http::status::ok) {
      return err(ErrorCode::kUnavailable, "GET " + where + ": HTTP " + std::to_string(res.result_int()));
    }
    return std::move(res.body());
  }

  std::string host_, port_, base_;
  boost::asio::io_context ioc_;
  tcp::resolver resolver_;
  beast::tcp_stream stream_;
  bool connected_ = false;
};

}  // namespace

Result<std::unique_ptr<LogFiles>> http_log_files(const std::string& url) {
  constexpr std::string_view kScheme = "http://";
  if (!url.starts_with(kScheme)) {
    return err(ErrorCode::kInvalidArgument, "only http:// URLs are supported, got \"" + url + "\"");
  }
  std::string rest = url.substr(kScheme.size());
  size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  std::string path = slash == std::string::npos ? "" : rest.substr(slash);
  while (!path.empty() && path.back() == '/') path.pop_back();
  std::string host = authority, port = "80";
  if (size_t colon = authority.rfind(':'); colon != std::string::npos && authority.find(']') == std::string::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty() || port.empty() || port.find_first_not_of("0123456789") != std::string::npos) {
    return err(ErrorCode::kInvalidArgument, "bad URL \"" + url + "\": expected http://host[:port][/path]");
  }
  try {
    return std::unique_ptr<LogFiles>(new HttpLogFiles(host, port, path));
  } catch (const std::exception& e) {
    return err(ErrorCode::kInternal, std::string("HTTP client: ") + e.what());
  }
}

}  // namespace tallylog::log
