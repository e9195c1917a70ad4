// The only file of tallylog that touches Boost.Beast's client side and OpenSSL's TLS.
#include "tallylog/net/http_client.h"

#include <openssl/ssl.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <optional>

namespace tallylog::net {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = boost::asio::ssl;

// Bodies at least this large (with a Content-Length) are read straight into their string.
constexpr uint64_t kDirectReadBytes = 256 * 1024;
// A streamed body is handed over in pieces of at most this size.
constexpr uint64_t kStreamPieceBytes = 1 << 20;
using tcp = boost::asio::ip::tcp;

bool all_digits(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

}  // namespace

std::string_view HttpResponse::header(std::string_view lowercase_name) const {
  for (const auto& [k, v] : headers) {
    if (k == lowercase_name) return v;
  }
  return {};
}

std::string Url::origin() const {
  bool default_port = (scheme == "http" && port == "80") || (scheme == "https" && port == "443");
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return scheme + "://" + h + (default_port ? "" : ":" + port);
}

std::string Url::to_string() const { return origin() + path; }

Result<Url> parse_url(std::string_view text) {
  Url u;
  std::string_view rest;
  if (text.starts_with("http://")) {
    u.scheme = "http";
    rest = text.substr(7);
  } else if (text.starts_with("https://")) {
    u.scheme = "https";
    rest = text.substr(8);
  } else {
    return err(ErrorCode::kInvalidArgument, "\"" + std::string(text) + "\" is not an http:// or https:// URL");
  }
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
  if (path.find_first_of("?# ") != std::string_view::npos) {
    return err(ErrorCode::kInvalidArgument, "URL \"" + std::string(text) + "\": a query, fragment or space is not allowed");
  }
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  u.path = std::string(path);
  u.port = u.scheme == "https" ? "443" : "80";
  if (authority.find('@') != std::string_view::npos) {
    return err(ErrorCode::kInvalidArgument, "URL \"" + std::string(text) + "\": user information is not supported");
  }
  if (authority.starts_with("[")) {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return err(ErrorCode::kInvalidArgument, "URL \"" + std::string(text) + "\": unclosed '['");
    u.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return err(ErrorCode::kInvalidArgument, "URL \"" + std::string(text) + "\": bad port");
      u.port = std::string(after.substr(1));
    }
  } else if (size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    u.host = std::string(authority.substr(0, colon));
    u.port = std::string(authority.substr(colon + 1));
  } else {
    u.host = std::string(authority);
  }
  if (u.host.empty()) return err(ErrorCode::kInvalidArgument, "URL \"" + std::string(text) + "\" has no host");
  if (!all_digits(u.port) || u.port.size() > 5 || std::stoul(u.port) > 65535) {
    return err(ErrorCode::kInvalidArgument, "URL \"" + std::string(text) + "\": port must be a number up to 65535");
  }
  return u;
}

struct HttpClient::Impl {
  Url url;
  HttpClientOptions opt;
  boost::asio::io_context ioc;
  tcp::resolver resolver{ioc};
  std::optional<ssl::context> tls;
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
  bool connected = false;
  bool reused = false;  // the connection has answered a request already

  beast::tcp_stream& lowest() { return secure ? beast::get_lowest_layer(*secure) : *plain; }

  void close() {
    beast::error_code ignored;
    if (plain) plain->socket().close(ignored);
    if (secure) beast::get_lowest_layer(*secure).socket().close(ignored);
    plain.reset();
    secure.reset();
    connected = false;
    reused = false;
  }

  Status connect() {
    close();
    beast::error_code ec;
    auto results = resolver.resolve(url.host, url.port, ec);
    if (ec) return err(ErrorCode::kUnavailable, "resolving " + url.host + ": " + ec.message());
    if (tls) {
      secure.emplace(ioc, *tls);
      if (!SSL_set_tlsext_host_name(secure->native_handle(), url.host.c_str())) {
        return err(ErrorCode::kUnavailable, url.origin() + ": cannot set the TLS server name");
      }
      secure->set_verify_callback(ssl::host_name_verification(url.host));
    } else {
      plain.emplace(ioc);
    }
    lowest().expires_after(opt.timeout);
    lowest().connect(results, ec);
    if (ec) return err(ErrorCode::kUnavailable, "connecting to " + url.origin() + ": " + ec.message());
    // Small requests on a kept-alive connection: never wait for Nagle.
    lowest().socket().set_option(tcp::no_delay(true), ec);
    if (secure) {
      lowest().expires_after(opt.timeout);
      secure->handshake(ssl::stream_base::client, ec);
      if (ec) return err(ErrorCode::kUnavailable, "TLS handshake with " + url.origin() + ": " + ec.message());
    }
    connected = true;
    return ok();
  }

  // A streamed GET's receiver (HttpClient::get_streamed); null: the body is kept in the response.
  struct Streamed {
    const std::function<Status(const HttpResponse& head)>* head;
    const HttpClient::BodySink* sink;
  };

  template <typename Fields>
  static void copy_head(const Fields& res, int status, HttpResponse& out) {
    out.status = status;
    out.content_type = std::string(res[http::field::content_type]);
    for (const auto& f : res) {
      std::string name(f.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      out.headers.emplace_back(std::move(name), std::string(f.value()));
    }
  }

  template <typename Stream>
  Result<HttpResponse> exchange(Stream& stream, http::request<http::string_body>& req, bool& answered,
                                const Streamed* streamed = nullptr) {
    beast::error_code ec;
    const std::string where = std::string(req.method_string()) + " " + url.origin() + std::string(req.target());
    lowest().expires_after(opt.timeout);
    http::write(stream, req, ec);
    if (ec) return err(ErrorCode::kUnavailable, where + ": " + ec.message());
    beast::flat_buffer buffer;
    buffer.reserve(64 * 1024);  // Beast reads at most the free capacity per call (512 bytes otherwise)
    http::response_parser<http::string_body> parser;
    parser.body_limit(opt.max_body);
    auto too_large = [&] {
      return err(ErrorCode::kResourceExhausted, where + ": the answer is larger than " + std::to_string(opt.max_body) + " bytes");
    };
    http::read_header(stream, buffer, parser, ec);
    if (ec == http::error::body_limit) return too_large();
    if (ec) return err(ErrorCode::kUnavailable, where + ": " + ec.message());
    answered = true;
    if (streamed) {
      // The body in pieces as it arrives: never held whole.
      HttpResponse head;
      copy_head(parser.get(), parser.get().result_int(), head);
      auto encoding = parser.get()[http::field::content_encoding];
      if (!encoding.empty() && encoding != "identity") {
        close();
        return err(ErrorCode::kUnavailable, where + ": unsupported Content-Encoding \"" + std::string(encoding) + "\"");
      }
      if (Status s = (*streamed->head)(head); !s) {
        close();
        return std::unexpected(s.error());
      }
      auto length = parser.content_length();
      if (length && !parser.is_done()) {
        if (*length > opt.max_body) return too_large();
        uint64_t left = *length;
        std::string piece;
        while (left > 0) {
          // A whole piece (a megabyte, or what is left) before handing it over: what Beast
          // already buffered, then reads straight into the piece, with no zero fill.
          const size_t want = static_cast<size_t>(std::min<uint64_t>(left, kStreamPieceBytes));
          piece.resize_and_overwrite(want, [&](char* p, size_t n) {
            size_t got = boost::asio::buffer_copy(boost::asio::buffer(p, n), buffer.data());
            buffer.consume(got);
            while (got < n) {
              lowest().expires_after(opt.timeout);
              const size_t r = stream.read_some(boost::asio::buffer(p + got, n - got), ec);
              if (ec) break;
              got += r;
            }
            return got;
          });
          if (ec) {
            close();
            return err(ErrorCode::kUnavailable, where + ": " + ec.message());
          }
          left -= piece.size();
          if (Status s = (*streamed->sink)(piece); !s) {  // may take the piece's storage
            close();
            return std::unexpected(s.error());
          }
        }
        if (!parser.get().keep_alive()) close();
      } else {
        // Chunked or empty: read whole (bounded by max_body), then handed over in one piece.
        if (!parser.is_done()) {
          http::read(stream, buffer, parser, ec);
          if (ec == http::error::body_limit) return too_large();
          if (ec) return err(ErrorCode::kUnavailable, where + ": " + ec.message());
        }
        auto res = parser.release();
        if (!res.keep_alive()) close();
        if (!res.body().empty()) {
          if (Status s = (*streamed->sink)(res.body()); !s) {
            close();
            return std::unexpected(s.error());
          }
        }
      }
      return head;
    }
    // A large body of known length is read straight into its string: Beast's string body
    // zero-fills and then copies every chunk (an audit reads hundreds of megabytes of answers).
    std::string direct;
    bool read_direct = false;
    if (auto length = parser.content_length();
        length && *length >= kDirectReadBytes && !parser.is_done() && req.method() != http::verb::head) {
      if (*length > opt.max_body) return too_large();
      direct.resize_and_overwrite(static_cast<size_t>(*length), [&](char* p, size_t n) {
        size_t got = boost::asio::buffer_copy(boost::asio::buffer(p, n), buffer.data());
        buffer.consume(got);
        if (got < n) got += boost::asio::read(stream, boost::asio::buffer(p + got, n - got), ec);
        return got;
      });
      if (ec) return err(ErrorCode::kUnavailable, where + ": " + ec.message());
      read_direct = true;
    } else {
      http::read(stream, buffer, parser, ec);
      if (ec == http::error::body_limit) return too_large();
      if (ec) return err(ErrorCode::kUnavailable, where + ": " + ec.message());
    }
    auto res = parser.release();
    if (read_direct) res.body() = std::move(direct);
    if (!res.keep_alive()) close();
    auto encoding = res[http::field::content_encoding];
    if (!encoding.empty() && encoding != "identity") {
      return err(ErrorCode::kUnavailable, where + ": unsupported Content-Encoding \"" + std::string(encoding) + "\"");
    }
    HttpResponse out;
    copy_head(res, res.result_int(), out);
    out.body = std::move(res.body());
    return out;
  }

  Result<HttpResponse> request(http::verb verb, const std::string& target, std::string_view body,
                               std::string_view content_type, const Streamed* streamed = nullptr) {
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, url.host);
    req.set(http::field::user_agent, opt.user_agent);
    req.set(http::field::accept_encoding, "identity");
    for (const auto& [name, value] : opt.headers) req.set(name, value);
    req.keep_alive(true);
    if (verb == http::verb::post) {
      req.set(http::field::content_type, std::string(content_type));
      req.body() = std::string(body);
      req.prepare_payload();
    }
    for (int attempt = 0;; ++attempt) {
      if (!connected) TL_TRY(connect());
      bool was_reused = reused;
      bool answered = false;
      auto r = secure ? exchange(*secure, req, answered, streamed) : exchange(*plain, req, answered, streamed);
      if (r) {
        if (connected) reused = true;
        return r;
      }
      close();
      // A kept-alive connection the server closed meanwhile: try once more on a new one.
      if (attempt == 0 && was_reused && !answered && r.error().code == ErrorCode::kUnavailable) continue;
      return r;
    }
  }
};

HttpClient::HttpClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpClient::~HttpClient() {
  if (impl_) impl_->close();
}

Result<std::unique_ptr<HttpClient>> HttpClient::create(const Url& url, HttpClientOptions options) {
  try {
    auto impl = std::make_unique<Impl>();
    impl->url = url;
    impl->url.path.clear();
    impl->opt = std::move(options);
    // A header value with a line break would end the header early and send the rest as another
    // header or as a body: refused before anything is sent.
    for (const auto& [name, value] : impl->opt.headers) {
      if (name.empty() ||
          name.find_first_of(std::string_view(" \t\r\n:\0", 6)) != std::string::npos)
        return err(ErrorCode::kInvalidArgument, "HTTP header name \"" + name + "\" is not a token");
      if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos)
        return err(ErrorCode::kInvalidArgument,
                   "HTTP header " + name + ": its value holds a line break or NUL");
    }
    if (url.scheme == "https") {
      impl->tls.emplace(ssl::context::tls_client);
      beast::error_code ec;
      if (impl->opt.ca_file.empty()) {
        impl->tls->set_default_verify_paths(ec);
      } else {
        impl->tls->load_verify_file(impl->opt.ca_file, ec);
      }
      if (ec) {
        return err(ErrorCode::kInvalidArgument, "TLS trust store " +
                                                    (impl->opt.ca_file.empty() ? std::string("(system)") : impl->opt.ca_file) +
                                                    ": " + ec.message());
      }
      impl->tls->set_verify_mode(ssl::verify_peer);
    } else if (url.scheme != "http") {
      return err(ErrorCode::kInvalidArgument, "unsupported URL scheme \"" + url.scheme + "\"");
    }
    return std::unique_ptr<HttpClient>(new HttpClient(std::move(impl)));
  } catch (const std::exception& e) {
    return err(ErrorCode::kInternal, std::string("HTTP client: ") + e.what());
  }
}

Result<HttpResponse> HttpClient::get(const std::string& target) {
  try {
    return impl_->request(http::verb::get, target, {}, {});
  } catch (const std::exception& e) {
    impl_->close();
    return err(ErrorCode::kUnavailable, "GET " + impl_->url.origin() + target + ": " + e.what());
  }
}

Result<HttpResponse> HttpClient::get_streamed(const std::string& target,
                                              const std::function<Status(const HttpResponse& head)>& head,
                                              const BodySink& sink) {
  try {
    Impl::Streamed streamed{&head, &sink};
    return impl_->request(http::verb::get, target, {}, {}, &streamed);
  } catch (const std::exception& e) {
    impl_->close();
    return err(ErrorCode::kUnavailable, "GET " + impl_->url.origin() + target + ": " + e.what());
  }
}

Result<HttpResponse> HttpClient::post(const std::string& target, std::string_view body, std::string_view content_type) {
  try {
    return impl_->request(http::verb::post, target, body, content_type);
  } catch (const std::exception& e) {
    impl_->close();
    return err(ErrorCode::kUnavailable, "POST " + impl_->url.origin() + target + ": " + e.what());
  }
}

const Url& HttpClient::url() const { return impl_->url; }

}  // namespace tallylog::net
