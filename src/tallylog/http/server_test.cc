#include "tallylog/http/server.h"

#include <gtest/gtest.h>

#include <sys/resource.h>

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

// Regression (issue 11): this test asserted the fresh request took under 1 s. It now asserts only
// behaviour: a thousand answered, idle keep-alive clients do not stop a new one being answered,
// and every one of them is still usable.
TEST(Server, HoldsAThousandIdleKeepAliveConnectionsAndStillAnswers) {
  Server s(test_options(), echo);
  ASSERT_TRUE(s.start());
  std::vector<int> fds;
  for (int i = 0; i < 1000; ++i) {
    int fd = connect_to(s.port());
    ASSERT_GE(fd, 0) << "connection " << i;
    ASSERT_TRUE(send_all(fd, get_request("/first")));
    auto first = Reader(fd).read();
    ASSERT_TRUE(first) << "connection " << i;
    fds.push_back(fd);
  }
  auto r = fetch(s.port(), get_request("/fresh"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
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

template <class Pred>
bool eventually(Pred pred) {  // waits for a state, never asserts on how long it took
  for (int i = 0; i < 2000 && !pred(); ++i) std::this_thread::sleep_for(10ms);
  return pred();
}

// Regression (issue 10.5): a connection that never sent a byte was kept for the idle timeout
// (120 s), not the request timeout, so silent sockets could hold every descriptor.
TEST(Server, GivesAConnectionThatNeverSendsARequestOnlyTheReadTimeout) {
  auto o = test_options();
  o.idle_timeout = std::chrono::hours(1);
  Server s(o, echo);
  ASSERT_TRUE(s.start());
  int silent = connect_to(s.port());
  ASSERT_GE(silent, 0);
  // An answered client, by contrast, may stay idle (up to the hour).
  int client = connect_to(s.port());
  ASSERT_TRUE(send_all(client, get_request("/a")));
  ASSERT_TRUE(Reader(client).read());
  EXPECT_TRUE(Reader(silent).closed_within(20000));
  ASSERT_TRUE(send_all(client, get_request("/b")));
  auto again = Reader(client).read();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->body, "GET /b 0");
  ::close(silent);
  ::close(client);
}

// Regression (issue 10.5): at max_connections new clients were closed at once while idle
// connections held every slot. Now the connection idle the longest makes room.
TEST(Server, ShedsTheConnectionIdleLongestToLetANewClientIn) {
  auto o = test_options();
  o.max_connections = 3;
  o.idle_timeout = std::chrono::hours(1);
  Server s(o, echo);
  ASSERT_TRUE(s.start());
  ASSERT_EQ(s.connection_limit(), 3u);
  std::vector<int> idle;
  for (int i = 0; i < 3; ++i) {  // answered in order: the first is idle the longest
    int fd = connect_to(s.port());
    ASSERT_TRUE(send_all(fd, get_request("/idle" + std::to_string(i))));
    ASSERT_TRUE(Reader(fd).read());
    idle.push_back(fd);
    // The server marks it idle after its write completes, which the client cannot see.
    ASSERT_TRUE(eventually([&] { return s.idle_connections() == idle.size(); }));
  }
  auto fresh = fetch(s.port(), get_request("/fresh"));
  ASSERT_TRUE(fresh) << "the new client was refused";
  EXPECT_EQ(fresh->status, 200);
  EXPECT_TRUE(Reader(idle[0]).closed_within(20000));
  EXPECT_EQ(s.shed_connections(), 1u);
  // The others were not touched (the fresh one left, so there is room for them again).
  for (int i = 1; i < 3; ++i) {
    ASSERT_TRUE(send_all(idle[i], get_request("/again")));
    auto r = Reader(idle[i]).read();
    ASSERT_TRUE(r) << "connection " << i;
    EXPECT_EQ(r->status, 200);
  }
  for (int fd : idle) ::close(fd);
}

// Issue 10.5: the cap follows RLIMIT_NOFILE (50,000 connections with 20,000 descriptors meant
// accept() failing while the server believed it had room).
TEST(Server, CapsConnectionsBelowTheOpenFileLimit) {
  EXPECT_EQ(connection_cap(100, 20000), 100u);
  EXPECT_LT(connection_cap(50000, 20000), 20000u);
  EXPECT_GE(connection_cap(50000, 20000), 18000u);
  EXPECT_LT(connection_cap(50000, 64), 64u);
  EXPECT_GE(connection_cap(50000, 64), 1u);
  rlimit rl{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &rl), 0);
  auto o = test_options();
  o.max_connections = 1u << 30;
  Server s(o, echo);
  ASSERT_TRUE(s.start());
  EXPECT_LT(s.connection_limit(), rl.rlim_cur);
}

// A client that asks for a large answer and never reads it: SO_RCVBUF 4 KiB, request sent.
int slow_reader(uint16_t port, const std::string& target) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  int small = 4096;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  send_all(fd, get_request(target));
  return fd;
}

// Regression (issue 10.4): every slow reader held its own copy of a cached 10 MB answer.
TEST(Server, SharesOneBodyBetweenSlowReadersWithoutCopyingIt) {
  auto body = std::make_shared<const std::string>(4 << 20, 'x');
  Server s(test_options(), [&](const Request&) { return Response::json(200, body); });
  ASSERT_TRUE(s.start());
  std::vector<int> fds;
  for (int i = 0; i < 20; ++i) fds.push_back(slow_reader(s.port(), "/big"));
  // Each connection writing it holds a reference to the same bytes, and no owned copy.
  EXPECT_TRUE(eventually([&] { return body.use_count() == 21; })) << body.use_count();
  EXPECT_EQ(s.buffered_bytes(), 0u);
  for (int fd : fds) ::close(fd);
  EXPECT_TRUE(eventually([&] { return body.use_count() == 1; })) << "references kept after close";
}

// Regression (issue 10.4): owned answers waiting for slow readers had no bound.
TEST(Server, AnswersBusyRatherThanBufferingPastTheBudget) {
  auto o = test_options();
  o.max_buffered_bytes = 12 << 20;
  o.write_timeout = std::chrono::hours(1);
  Server s(o, [](const Request&) { return Response::text(200, std::string(8 << 20, 'y')); });
  ASSERT_TRUE(s.start());
  int first = slow_reader(s.port(), "/owned");
  ASSERT_TRUE(eventually([&] { return s.buffered_bytes() >= (8u << 20); }));
  auto second = fetch(s.port(), get_request("/owned"));
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 503);
  EXPECT_EQ(second->header("retry-after"), "1");
  ::close(first);
  EXPECT_TRUE(eventually([&] { return s.buffered_bytes() == 0; })) << s.buffered_bytes();
  // With the slow reader gone, the same answer fits again.
  auto third = fetch(s.port(), get_request("/owned"), 20000);
  ASSERT_TRUE(third);
  EXPECT_EQ(third->status, 200);
  EXPECT_EQ(third->body.size(), 8u << 20);
}

// Regression (issue 10.8): "xchunked", "chunked, identity" or "gzip" were read as an empty body
// and the request answered. RFC 9112 §6.3: 400 and close.
TEST(Server, RefusesATransferEncodingOtherThanExactlyChunked) {
  Server s(test_options(), echo);
  ASSERT_TRUE(s.start());
  for (std::string te : {"xchunked", "chunked, identity", "gzip", "identity", "gzip, chunked"}) {
    int fd = connect_to(s.port());
    send_all(fd, "POST /p HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: " + te + "\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
    Reader reader(fd);
    auto r = reader.read();
    ASSERT_TRUE(r) << te;
    EXPECT_EQ(r->status, 400) << te;
    EXPECT_EQ(r->header("connection"), "close") << te;
    EXPECT_TRUE(reader.closed_within(5000)) << te;
    ::close(fd);
  }
  auto twice = fetch(s.port(), "POST /p HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n"
                               "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
  ASSERT_TRUE(twice);
  EXPECT_EQ(twice->status, 400);
  auto chunked = fetch(s.port(), "POST /p HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: Chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
  ASSERT_TRUE(chunked);
  EXPECT_EQ(chunked->status, 200);
  EXPECT_EQ(chunked->body, "POST /p 5");
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
