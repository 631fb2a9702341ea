// The HTTP server on real sockets: limits (431, 413, slow clients, connection cap), malformed input,
// keep-alive, trusted proxies and graceful shutdown. Each case also checks that other clients are
// still served.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "http/server.hpp"
#include "support/http_client.hpp"
#include "support/test_app.hpp"

namespace deskgate::testing {
namespace {

using namespace std::chrono_literals;

// A server whose handler echoes what it saw, optionally after a delay.
class echo_server {
 public:
  explicit echo_server(http::server_options opts = {}, std::chrono::milliseconds delay = 0ms)
      : server_(std::move(opts),
                [this, delay](const http::request& req) {
                  ++handled_;
                  if (delay.count() > 0) std::this_thread::sleep_for(delay);
                  nlohmann::json j = {{"path", req.path},       {"query", req.query},
                                      {"client", req.client_address}, {"scheme", req.scheme},
                                      {"host", req.host},       {"body_size", req.body.size()}};
                  return http::outcome{http::response::json(200, j.dump()), "echo", std::nullopt};
                },
                stats_) {
    server_.start();
  }
  std::uint16_t port() const { return server_.port(); }
  http::server& server() { return server_; }
  http::metrics& stats() { return stats_; }
  int handled() const { return handled_; }

 private:
  http::metrics stats_;
  std::atomic<int> handled_{0};
  http::server server_;
};

bool still_serving(std::uint16_t port) { return http_request(port, {"GET", "/ping"}).status == 200; }

TEST(HttpServer, AnswersAndKeepsTheConnectionAlive) {
  echo_server s;
  raw_connection c(s.port());
  for (int i = 0; i < 3; ++i) {
    c.send("GET /a%20b?x=1 HTTP/1.1\r\nHost: h\r\n\r\n");
    auto a = c.read_answer();
    ASSERT_TRUE(a.has_value());
    EXPECT_EQ(a->status, 200);
    auto j = nlohmann::json::parse(a->body);
    EXPECT_EQ(j["path"], "/a b");
    EXPECT_EQ(j["query"], "x=1");
    EXPECT_FALSE(a->header("X-Request-Id").empty());
  }
  EXPECT_EQ(s.handled(), 3);
}

TEST(HttpServer, MalformedRequestsGet400AndOthersAreStillServed) {
  echo_server s;
  for (std::string bad : {"GARBAGE\r\n\r\n", "GET / HTTP/9.9\r\n\r\n", "GET / HTTP/1.1\r\nBad Header\r\n\r\n",
                          "GET /%zz HTTP/1.1\r\nHost: h\r\n\r\n", "GET /a%00b HTTP/1.1\r\nHost: h\r\n\r\n"}) {
    raw_connection c(s.port());
    c.send(bad);
    auto a = c.read_answer();
    ASSERT_TRUE(a.has_value()) << bad;
    EXPECT_EQ(a->status, 400) << bad;
    auto j = nlohmann::json::parse(a->body);
    EXPECT_EQ(j["error"]["code"], "bad_request");
    EXPECT_TRUE(c.closed_by_peer()) << "the stream position is unknown after a parse error";
  }
  EXPECT_TRUE(still_serving(s.port()));
}

TEST(HttpServer, OversizedHeadersGet431) {
  http::server_options o;
  o.max_header_bytes = 4096;
  echo_server s(o);
  raw_connection c(s.port());
  c.send("GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + std::string(8000, 'a') + "\r\n\r\n");
  auto a = c.read_answer();
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->status, 431);
  EXPECT_EQ(nlohmann::json::parse(a->body)["error"]["code"], "headers_too_large");
  EXPECT_EQ(s.handled(), 0);
  EXPECT_TRUE(still_serving(s.port()));
}

TEST(HttpServer, OversizedBodiesGet413WithoutBeingRead) {
  http::server_options o;
  o.max_body_bytes = 1000;
  echo_server s(o);
  raw_connection c(s.port());
  c.send("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 100000000\r\n\r\n" + std::string(2000, 'x'));
  auto a = c.read_answer();
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->status, 413);
  EXPECT_NE(nlohmann::json::parse(a->body)["error"]["message"].get<std::string>().find("1000"), std::string::npos);

  raw_connection chunked(s.port());
  chunked.send("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n7d0\r\n" + std::string(2000, 'x') +
               "\r\n0\r\n\r\n");
  auto b = chunked.read_answer();
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->status, 413) << "the limit also holds without Content-Length";
  EXPECT_EQ(s.handled(), 0);
  EXPECT_TRUE(still_serving(s.port()));
}

TEST(HttpServer, SlowHeadersAreCutOffWhileOthersAreServed) {
  http::server_options o;
  o.header_timeout = 300ms;
  echo_server s(o);
  raw_connection slow(s.port());
  slow.send("GET / HTTP/1.1\r\nHost: h\r\n");  // never finishes the header
  EXPECT_TRUE(still_serving(s.port()));
  EXPECT_TRUE(slow.closed_by_peer(3000));
  // The socket closes before the read handler counts the refusal: give it a moment.
  for (int i = 0; i < 100 && s.stats().render().find("reason=\"timeout\"") == std::string::npos; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_NE(s.stats().render().find("deskgate_http_refusals_total{reason=\"timeout\"} 1"), std::string::npos);

  raw_connection silent(s.port());  // connects and sends nothing
  EXPECT_TRUE(silent.closed_by_peer(3000));
}

TEST(HttpServer, IdleKeepAliveConnectionsAreClosed) {
  http::server_options o;
  o.keepalive_timeout = 300ms;
  echo_server s(o);
  raw_connection c(s.port());
  c.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_TRUE(c.read_answer().has_value());
  EXPECT_TRUE(c.closed_by_peer(3000));
}

TEST(HttpServer, ConnectionsOverTheLimitGet503) {
  http::server_options o;
  o.max_connections = 2;
  echo_server s(o);
  raw_connection a(s.port());
  raw_connection b(s.port());
  a.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_TRUE(a.read_answer().has_value());
  b.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_TRUE(b.read_answer().has_value());
  raw_connection third(s.port());
  auto refused = third.read_answer();
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->status, 503);
  EXPECT_EQ(nlohmann::json::parse(refused->body)["error"]["code"], "unavailable");
  EXPECT_NE(s.stats().render().find("deskgate_http_refusals_total{reason=\"max_connections\"} 1"), std::string::npos);
}

TEST(HttpServer, ForwardedHeadersCountOnlyFromTrustedProxies) {
  const std::string forwarded =
      "GET / HTTP/1.1\r\nHost: inner:8080\r\nX-Forwarded-For: 203.0.113.7\r\nX-Forwarded-Proto: https\r\n"
      "X-Forwarded-Host: desk.school.example\r\n\r\n";
  {
    echo_server untrusted;  // no trusted proxies
    raw_connection c(untrusted.port());
    c.send(forwarded);
    auto j = nlohmann::json::parse(c.read_answer()->body);
    EXPECT_EQ(j["client"], "127.0.0.1");
    EXPECT_EQ(j["scheme"], "http");
    EXPECT_EQ(j["host"], "inner:8080");
  }
  http::server_options o;
  o.trusted_proxies = {cidr::parse("127.0.0.1/32")};
  echo_server trusted(o);
  raw_connection c(trusted.port());
  c.send(forwarded);
  auto j = nlohmann::json::parse(c.read_answer()->body);
  EXPECT_EQ(j["client"], "203.0.113.7");
  EXPECT_EQ(j["scheme"], "https");
  EXPECT_EQ(j["host"], "desk.school.example");
}

TEST(HttpServer, GracefulShutdownFinishesInFlightRequests) {
  echo_server s({}, 500ms);
  raw_connection busy(s.port());
  raw_connection idle(s.port());
  busy.send("GET /slow HTTP/1.1\r\nHost: h\r\n\r\n");
  std::this_thread::sleep_for(100ms);  // the handler is running now
  s.server().shutdown(5s);
  auto a = busy.read_answer(5000);
  ASSERT_TRUE(a.has_value()) << "the in-flight request was answered";
  EXPECT_EQ(a->status, 200);
  EXPECT_EQ(a->header("Connection"), "close");
  EXPECT_TRUE(idle.closed_by_peer(3000)) << "idle connections are closed";
  auto started = std::chrono::steady_clock::now();
  s.server().wait();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 4s) << "no need to wait out the grace period";
  EXPECT_THROW(raw_connection{s.port()}, std::runtime_error) << "no longer accepting";
}

TEST(HttpServer, GracefulShutdownForceClosesAfterTheGracePeriod) {
  echo_server s({}, 3s);
  raw_connection busy(s.port());
  busy.send("GET /stuck HTTP/1.1\r\nHost: h\r\n\r\n");
  std::this_thread::sleep_for(100ms);
  auto started = std::chrono::steady_clock::now();
  s.server().shutdown(200ms);
  EXPECT_TRUE(busy.closed_by_peer(2000));
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
  s.server().wait();
}

TEST(HttpServer, MetricsCountRequestsByRouteAndStatus) {
  test_app t;
  t.request("GET", "/healthz");
  t.request("GET", "/healthz");
  t.request("GET", "/api/nothing-here");
  auto m = t.request("GET", "/metrics");
  ASSERT_EQ(m.status, 200);
  EXPECT_NE(m.header("Content-Type").find("text/plain"), std::string::npos);
  EXPECT_NE(m.body.find("deskgate_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"} 2"),
            std::string::npos)
      << m.body;
  EXPECT_NE(m.body.find("deskgate_http_requests_total{route=\"unmatched\",method=\"GET\",status=\"404\"} 1"),
            std::string::npos);
  const std::string gauge_line = "\ndeskgate_http_open_connections ";
  auto gauge = m.body.find(gauge_line);
  ASSERT_NE(gauge, std::string::npos);
  EXPECT_GE(std::stoi(m.body.substr(gauge + gauge_line.size())), 1) << "at least this request's own connection";
}

TEST(HttpServer, UnknownApiPathsAndMethodsGetJsonErrors) {
  test_app t;
  auto missing = t.request("GET", "/api/does-not-exist");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(nlohmann::json::parse(missing.body)["error"]["code"], "not_found");
  auto wrong_method = t.request("PUT", "/healthz");
  EXPECT_EQ(wrong_method.status, 405);
  EXPECT_EQ(wrong_method.header("Allow"), "GET");
  auto head = t.request("HEAD", "/healthz");
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(head.body.empty());
}

}  // namespace
}  // namespace deskgate::testing
