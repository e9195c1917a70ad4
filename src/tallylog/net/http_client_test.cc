#include "tallylog/net/http_client.h"

#include <gtest/gtest.h>

#include <atomic>

#include "tallylog/http/server.h"

namespace tallylog::net {
namespace {

TEST(Url, ParsesSchemeHostPortAndPath) {
  auto u = parse_url("http://127.0.0.1:8080/log/").value();
  EXPECT_EQ(u.scheme, "http");
  EXPECT_EQ(u.host, "127.0.0.1");
  EXPECT_EQ(u.port, "8080");
  EXPECT_EQ(u.path, "/log");
  EXPECT_EQ(u.to_string(), "http://127.0.0.1:8080/log");
  auto s = parse_url("https://example.org").value();
  EXPECT_EQ(s.port, "443");
  EXPECT_EQ(s.path, "");
  EXPECT_EQ(s.origin(), "https://example.org");
  auto v6 = parse_url("http://[::1]:81/x").value();
  EXPECT_EQ(v6.host, "::1");
  EXPECT_EQ(v6.origin(), "http://[::1]:81");
}

TEST(Url, RejectsWhatItCannotFetch) {
  EXPECT_FALSE(parse_url("ftp://example.org/"));
  EXPECT_FALSE(parse_url("http://"));
  EXPECT_FALSE(parse_url("http://host:99999/"));
  EXPECT_FALSE(parse_url("http://host:8x/"));
  EXPECT_FALSE(parse_url("http://user@host/"));
  EXPECT_FALSE(parse_url("http://host/a?b=c"));
}

struct TestServer {
  std::atomic<int> requests{0};
  http::Server server;
  TestServer(std::chrono::milliseconds idle = std::chrono::milliseconds(120000))
      : server(
            [&] {
              http::ServerOptions o;
              o.host = "127.0.0.1";
              o.port = 0;
              o.io_threads = 1;
              o.worker_threads = 1;
              o.idle_timeout = idle;
              return o;
            }(),
            [this](const http::Request& r) {
              ++requests;
              if (r.path == "/big") return http::Response::text(200, std::string(4096, 'x'));
              if (r.path == "/huge") {  // above the size read straight into the body's string
                std::string body(3 * 1024 * 1024 + 7, ' ');
                for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>('a' + i % 26);
                return http::Response::text(200, body);
              }
              if (r.method == "POST") return http::Response::text(201, "got " + std::string(r.header("content-type")) + ": " + r.body);
              if (r.path == "/missing") return http::Response::text(404, "no\n");
              return http::Response::text(200, "hello " + r.path);
            }) {
    EXPECT_TRUE(server.start());
  }
  Url url() { return parse_url("http://127.0.0.1:" + std::to_string(server.port())).value(); }
};

TEST(HttpClient, GetsAndPostsOverOneKeptAliveConnection) {
  TestServer s;
  auto c = HttpClient::create(s.url()).value();
  auto a = c->get("/a").value();
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.body, "hello /a");
  auto p = c->post("/add", "old 0\n", "text/plain").value();
  EXPECT_EQ(p.status, 201);
  EXPECT_EQ(p.body, "got text/plain: old 0\n");
  EXPECT_EQ(a.header("content-type"), "text/plain; charset=utf-8");
  auto m = c->get("/missing").value();
  EXPECT_EQ(m.status, 404);  // statuses are values, not errors
  EXPECT_EQ(s.server.open_connections(), 1u);
}

TEST(HttpClient, RetriesOnceWhenTheServerClosedAnIdleConnection) {
  TestServer s(std::chrono::milliseconds(50));
  auto c = HttpClient::create(s.url()).value();
  ASSERT_TRUE(c->get("/one"));
  // Wait until the server has closed the idle connection (no wall-clock assertion: just poll).
  for (int i = 0; i < 200 && s.server.open_connections() > 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  auto r = c->get("/two");
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->body, "hello /two");
}

TEST(HttpClient, RefusesABodyAboveTheLimitAndNamesTheUrl) {
  TestServer s;
  HttpClientOptions o;
  o.max_body = 100;
  auto c = HttpClient::create(s.url(), o).value();
  auto r = c->get("/big");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kResourceExhausted);
  EXPECT_NE(r.error().message.find("GET " + s.url().origin() + "/big"), std::string::npos);
}

TEST(HttpClient, ReadsALargeBodyWholeAndKeepsTheConnectionForTheNextRequest) {
  TestServer s;
  auto c = HttpClient::create(s.url()).value();
  for (int round = 0; round < 2; ++round) {
    auto r = c->get("/huge");
    ASSERT_TRUE(r) << r.error().to_string();
    ASSERT_EQ(r->body.size(), 3u * 1024 * 1024 + 7);
    size_t wrong = 0;
    for (size_t i = 0; i < r->body.size(); ++i) wrong += r->body[i] != static_cast<char>('a' + i % 26);
    EXPECT_EQ(wrong, 0u);
    EXPECT_EQ(r->header("content-type"), "text/plain; charset=utf-8");
  }
  auto small = c->get("/after");
  ASSERT_TRUE(small);
  EXPECT_EQ(small->body, "hello /after");
  EXPECT_EQ(s.server.open_connections(), 1u);
  HttpClientOptions o;
  o.max_body = 1024 * 1024;
  auto limited = HttpClient::create(s.url(), o).value();
  auto refused = limited->get("/huge");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kResourceExhausted);
}

TEST(HttpClient, StreamsALargeBodyInPiecesAndKeepsTheConnection) {
  TestServer s;
  auto c = HttpClient::create(s.url()).value();
  for (int round = 0; round < 2; ++round) {
    int status = 0;
    size_t pieces = 0, biggest = 0, got = 0, wrong = 0;
    auto r = c->get_streamed(
        "/huge",
        [&](const HttpResponse& head) -> Status {
          status = head.status;
          EXPECT_TRUE(head.body.empty());
          return ok();
        },
        [&](std::string& p) -> Status {
          ++pieces;
          biggest = std::max(biggest, p.size());
          for (char ch : p) wrong += ch != static_cast<char>('a' + got++ % 26);
          return ok();
        });
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(status, 200);
    EXPECT_TRUE(r->body.empty());
    EXPECT_EQ(got, 3u * 1024 * 1024 + 7);
    EXPECT_EQ(wrong, 0u);
    EXPECT_EQ(pieces, 4u);                // never the whole body at once: whole megabytes, then the rest
    EXPECT_EQ(biggest, size_t{1} << 20);  // a megabyte per piece
  }
  // A small body arrives in one piece; the connection was kept throughout.
  std::string small;
  auto r = c->get_streamed("/after", [](const HttpResponse&) -> Status { return ok(); },
                           [&](std::string& p) -> Status { small += p; return ok(); });
  ASSERT_TRUE(r);
  EXPECT_EQ(small, "hello /after");
  EXPECT_EQ(s.server.open_connections(), 1u);
  // A receiver that gives up stops the read; its error is returned and the next request works.
  auto stopped = c->get_streamed("/huge", [](const HttpResponse&) -> Status { return ok(); },
                                 [](std::string&) -> Status { return err(ErrorCode::kUnavailable, "enough"); });
  ASSERT_FALSE(stopped);
  EXPECT_EQ(stopped.error().message, "enough");
  auto again = c->get("/again");
  ASSERT_TRUE(again) << again.error().to_string();
  EXPECT_EQ(again->body, "hello /again");
}

TEST(HttpClient, ReportsAnUnreachableServerAsUnavailable) {
  uint16_t port;
  {
    TestServer s;
    port = s.server.port();
    s.server.shutdown();
  }
  auto c = HttpClient::create(parse_url("http://127.0.0.1:" + std::to_string(port)).value()).value();
  auto r = c->get("/x");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(r.error().message.find("127.0.0.1:" + std::to_string(port)), std::string::npos);
}

TEST(HttpClient, HttpsToAPlainServerFailsTheHandshake) {
  TestServer s;
  auto u = s.url();
  u.scheme = "https";
  auto c = HttpClient::create(u).value();
  auto r = c->get("/x");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("TLS handshake"), std::string::npos) << r.error().message;
}

TEST(HttpClient, RefusesAHeaderThatWouldSplitTheRequest) {
  TestServer s;
  for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
           {"Authorization", "Bearer tl_x\r\nX-Injected: 1"},
           {"Authorization", "Bearer tl_x\n"},
           {"Authorization", std::string("Bearer tl_x\0y", 13)},
           {"X Bad", "v"},
           {"", "v"}}) {
    HttpClientOptions o;
    o.headers.emplace_back(name, value);
    auto c = HttpClient::create(s.url(), o);
    ASSERT_FALSE(c) << name;
    EXPECT_EQ(c.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(c.error().message.find("HTTP header"), std::string::npos) << c.error().message;
  }
  HttpClientOptions o;
  o.headers.emplace_back("Authorization", "Bearer tl_x");  // one printable line: fine
  EXPECT_TRUE(HttpClient::create(s.url(), o));
}

TEST(HttpClient, NamesAMissingCaFile) {
  HttpClientOptions o;
  o.ca_file = "/nonexistent/ca.pem";
  auto r = HttpClient::create(parse_url("https://example.org").value(), o);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("/nonexistent/ca.pem"), std::string::npos);
}

}  // namespace
}  // namespace tallylog::net
