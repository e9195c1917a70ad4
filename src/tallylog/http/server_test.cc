#include "tallylog/http/server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <thread>
#include <vector>

#include "tallylog/http/test_client.h"

namespace tallylog::http {
namespace {

using namespace std::chrono_literals;
using testing::connect_to;
using testing::fetch;
using testing::get_request;
using testing::Reader;
using testing::send_all;

Response echo(const Request& r) {
  if (r.path == "/slow-write") {
    std::this_thread::sleep_for(400ms);
    return Response::text(201, "written " + r.body);
  }
  return Response::text(200, r.method + " " + r.target + " " + std::to_string(r.body.size()));
}

ServerOptions test_options() {
  ServerOptions o;
  o.port = 0;
  o.io_threads = 2;
  o.worker_threads = 2;
  o.read_timeout = 300ms;
  o.idle_timeout = 5s;
  o.max_header_bytes = 4096;
  o.default_body_limit = 1000;
  return o;
}

TEST(Server, AnswersSeveralRequestsOnOneKeepAliveConnection) {
  Server s(test_options(), echo);
  ASSERT_TRUE(s.start());
  int fd = connect_to(s.port());
  ASSERT_GE(fd, 0);
  Reader reader(fd);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(send_all(fd, get_request("/x?i=" + std::to_string(i))));
    auto r = reader.read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "GET /x?i=" + std::to_string(i) + " 0");
  }
  ::close(fd);
}

TEST(Server, AnswersPipelinedRequestsInOrder) {
  Server s(test_options(), echo);
  ASSERT_TRUE(s.start());
  int fd = connect_to(s.port());
  ASSERT_TRUE(send_all(fd, get_request("/a") + get_request("/b")));
  Reader reader(fd);
  EXPECT_EQ(reader.read()->body, "GET /a 0");
  EXPECT_EQ(reader.read()->body, "GET /b 0");
  ::close(fd);
}

TEST(Server, HeadGetsHeadersWithoutBody) {
  Server s(test_options(), echo);
  ASSERT_TRUE(s.start());
  auto r = fetch(s.port(), "HEAD /h HTTP/1.1\r\nHost: t\r\n\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("content-length"), "9");  // "HEAD /h 0"
  EXPECT_EQ(r->body, "");
}

TEST(Server, RefusesABodyLargerThanTheLimitWith413) {
  Server s(test_options(), echo);
  ASSERT_TRUE(s.start());
  auto r = fetch(s.port(), "POST /p HTTP/1.1\r\nHost: t\r\nContent-Length: 5000000\r\n\r\nabc");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  // Chunked bodies have no Content-Length up front: the parser stops at the limit.
  std::string chunked = "POST /p HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 3; ++i) chunked += "1f4\r\n" + std::string(500, 'x') + "\r\n";
  auto c = fetch(s.port(), chunked + "0\r\n\r\n");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->status, 413);
  // And it keeps serving.
  EXPECT_EQ(fetch(s.port(), get_request("/ok"))->status, 200);
}

TEST(Server, UsesThePerRouteBodyLimit) {
  Server s(test_options(), echo, [](std::string_view, std::string_view path) -> uint64_t {
    return path == "/big" ? 100000 : 10;
  });
  ASSERT_TRUE(s.start());
  std::string body(50000, 'b');
  auto big = fetch(s.port(), "POST /big HTTP/1.1\r\nHost: t\r\nContent-Length: 50000\r\n\r\n" + body);
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 200);
  EXPECT_EQ(big->body, "POST /big 50000");
  auto small = fetch(s.port(), "POST /small HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\n\r\nhello world");
  EXPECT_EQ(small->status, 413);
}

TEST(Server, AnswersExpectContinueBeforeTheBody) {
  Server s(test_options(), echo);
  ASSERT_TRUE(s.start());
  int fd = connect_to(s.port());
  send_all(fd, "POST /p HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
  auto interim = testing::recv_some(fd, 2000);
  ASSERT_TRUE(interim);
  EXPECT_TRUE(interim->starts_with("HTTP/1.1 100 Continue"));
  send_all(fd, "hello");
  Reader reader(fd);
  auto r = reader.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "POST /p 5");
  ::close(fd);
}

TEST(Server, RefusesOversizedHeadersWith431) {
  Server s(test_options(), echo);
  ASSERT_TRUE(s.start());
  auto r = fetch(s.port(), get_request("/", "X-Big: " + std::string(8000, 'a') + "\r\n"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 431);
}

TEST(Server, RefusesGarbageWith400AndKeepsServing) {
  Server s(test_options(), echo);
  ASSERT_TRUE(s.start());
  auto r = fetch(s.port(), "THIS IS NOT HTTP\r\n\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  std::mt19937 rng(42);
  for (int i = 0; i < 200; ++i) {
    std::string junk(rng() % 300, '\0');
    for (auto& c : junk) c = static_cast<char>(rng());
    if (i % 2) junk = "GET /" + junk;
    int fd = connect_to(s.port());
    send_all(fd, junk + "\r\n\r\n");
    ::shutdown(fd, SHUT_WR);
    testing::recv_some(fd, 1000);
    ::close(fd);
  }
  EXPECT_EQ(fetch(s.port(), get_request("/still"))->status, 200);
}

TEST(Server, ClosesASlowlorisConnectionAfterTheReadTimeout) {
  Server s(test_options(), echo);
  ASSERT_TRUE(s.start());
  int fd = connect_to(s.port());
  // Dribble a header one byte at a time, never finishing it, for about 2 s (40 x 50 ms): far
  // past the 300 ms read timeout. A server without one never closes; no wall-clock assertion.
  std::string partial = "GET / HTTP/1.1\r\nHost: t\r\nX-A: ";
  bool closed = false;
  for (size_t i = 0; i < 40 && !closed; ++i) {
    if (!send_all(fd, partial.substr(i % partial.size(), 1))) closed = true;
    auto got = testing::recv_some(fd, 50);
    if (got) closed = true;  // 408 or EOF
  }
  EXPECT_TRUE(closed);
  ::close(fd);
  EXPECT_EQ(fetch(s.port(), get_request("/after"))->status, 200);
}

TEST(Server, HoldsAThousandIdleKeepAliveConnectionsAndStillAnswers) {
  Server s(test_options(), echo);
  ASSERT_TRUE(s.start());
  std::vector<int> fds;
  for (int i = 0; i < 1000; ++i) {
    int fd = connect_to(s.port());
    ASSERT_GE(fd, 0) << "connection " << i;
    fds.push_back(fd);
  }
  auto t0 = std::chrono::steady_clock::now();
  auto r = fetch(s.port(), get_request("/fresh"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
  // Every idle connection is still usable.
  for (int fd : fds) ASSERT_TRUE(send_all(fd, get_request("/k")));
  int ok = 0;
  for (int fd : fds) {
    Reader reader(fd);
    auto got = reader.read(5000);
    if (got && got->status == 200) ++ok;
    ::close(fd);
  }
  EXPECT_EQ(ok, 1000);
}

TEST(Server, GracefulShutdownFinishesAnInFlightWriteThenRefusesConnections) {
  Server s(test_options(), echo);
  ASSERT_TRUE(s.start());
  uint16_t port = s.port();
  int idle = connect_to(port);
  int fd = connect_to(port);
  send_all(fd, "POST /slow-write HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nab");
  std::this_thread::sleep_for(100ms);  // the handler is running
  std::thread stopper([&] { s.shutdown(); });
  Reader reader(fd);
  auto r = reader.read(3000);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 201);
  EXPECT_EQ(r->body, "written ab");
  EXPECT_EQ(r->header("connection"), "close");
  stopper.join();
  EXPECT_TRUE(Reader(idle).closed_within(1000));
  ::close(fd);
  ::close(idle);
  EXPECT_EQ(connect_to(port), -1);
}

TEST(Server, TurnsAThrowingHandlerInto500) {
  Server s(test_options(), [](const Request&) -> Response { throw std::runtime_error("boom"); });
  ASSERT_TRUE(s.start());
  auto r = fetch(s.port(), get_request("/"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
}

TEST(Server, ReportsAnAddressInUse) {
  Server a(test_options(), echo);
  ASSERT_TRUE(a.start());
  auto o = test_options();
  o.port = a.port();
  Server b(o, echo);
  auto st = b.start();
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::kUnavailable);
}

TEST(Server, CallsTheObserverWithStatusForEveryAnswer) {
  std::atomic<int> seen404{0};
  Server s(test_options(), [](const Request&) { return Response::text(404, "no"); }, {},
           [&](const Request& r, int status, std::chrono::nanoseconds) {
             if (status == 404 && r.path == "/nope") ++seen404;
           });
  ASSERT_TRUE(s.start());
  fetch(s.port(), get_request("/nope"));
  fetch(s.port(), get_request("/nope"));
  for (int i = 0; i < 100 && seen404 < 2; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(seen404.load(), 2);
}

}  // namespace
}  // namespace tallylog::http
