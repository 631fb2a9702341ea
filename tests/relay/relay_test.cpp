// The relay end to end: a browser-side WebSocket client → a tiny gateway calling start_relay → a real
// Xvnc, websockify (TLS + Basic auth) or small peers standing in for a desktop.
#include <gtest/gtest.h>

#include <signal.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/websocket.hpp>

#include <filesystem>
#include <random>

#include "relay/relay_harness.hpp"
#include "rfb/vnc_auth.hpp"
#include "rfb/xvnc_server.hpp"
#include "support/process.hpp"
#include "support/ws_client.hpp"

namespace deskgate::testing {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
using namespace std::chrono_literals;

std::uint32_t be32(const std::string& s, std::size_t at) {
  auto b = [&](std::size_t i) { return std::uint32_t(std::uint8_t(s[at + i])); };
  return (b(0) << 24) | (b(1) << 16) | (b(2) << 8) | b(3);
}
std::uint16_t be16(const std::string& s, std::size_t at) {
  return static_cast<std::uint16_t>((std::uint8_t(s[at]) << 8) | std::uint8_t(s[at + 1]));
}

// The browser's side of RFB 3.8 with security None up to ServerInit; returns ServerInit's header
// (width, height) or fails the test. Everything received is appended to `seen`.
std::pair<int, int> browser_rfb_handshake(ws_client& c, std::string& seen) {
  auto version = c.read_bytes(12);
  if (!version) return {-1, -1};
  seen += *version;
  EXPECT_EQ(*version, "RFB 003.008\n");
  c.write("RFB 003.008\n");
  auto count = c.read_bytes(1);
  if (!count) return {-1, -2};
  auto types = c.read_bytes(std::uint8_t((*count)[0]));
  if (!types) return {-1, -3};
  seen += *count + *types;
  EXPECT_EQ(*types, std::string("\x01", 1)) << "only None is offered";
  c.write(std::string("\x01", 1));
  auto result = c.read_bytes(4);
  if (!result) return {-1, -4};
  seen += *result;
  EXPECT_EQ(be32(*result, 0), 0u);
  c.write(std::string("\x01", 1));  // ClientInit, shared
  auto init = c.read_bytes(24);
  if (!init) return {-1, -5};
  auto name = c.read_bytes(be32(*init, 20));
  seen += *init + name.value_or("");
  return {be16(*init, 0), be16(*init, 2)};
}

std::string key_event(bool down, std::uint32_t key) {
  std::string m = {4, char(down ? 1 : 0), 0, 0};
  m += {char(key >> 24), char(key >> 16), char(key >> 8), char(key)};
  return m;
}
std::string pointer_event(int mask, int x, int y) {
  return {5, char(mask), char(x >> 8), char(x), char(y >> 8), char(y)};
}
std::string update_request() { return {3, 0, 0, 0, 0, 0, 0, 10, 0, 10}; }

class RelayXvnc : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { xvnc_ = new xvnc_server({"deskgate-pw", "VncAuth", false}); }
  static void TearDownTestSuite() {
    delete xvnc_;
    xvnc_ = nullptr;
  }
  void SetUp() override {
    ASSERT_TRUE(xvnc_->running()) << xvnc_->error();
    gw_.target.mode = relay_mode::rfb_auth;
    gw_.target.public_id = "d-test";
    gw_.target.upstream = xvnc_->where();
    gw_.target.secret = "deskgate-pw";
  }
  static xvnc_server* xvnc_;
  relay_gateway gw_;
};
xvnc_server* RelayXvnc::xvnc_ = nullptr;

TEST_F(RelayXvnc, BrowserGetsNoneAndServerInitWithoutTheSecret) {
  ws_client c;
  ASSERT_TRUE(c.connect(gw_.port(), {.path = "/desktop/d-test/websockify", .protocol = "binary"})) << c.error();
  EXPECT_EQ(c.accepted_protocol(), "binary");
  std::string seen;
  auto [w, h] = browser_rfb_handshake(c, seen);
  EXPECT_EQ(w, 1024);  // the shared Xvnc helper runs at 1024x768
  EXPECT_EQ(h, 768);
  // A pointer event still reaches the desktop (not view-only): the relay stays up and frames come back.
  ASSERT_TRUE(c.write(pointer_event(0, 100, 100)));
  ASSERT_TRUE(c.write(update_request()));
  auto update = c.read_bytes(1);
  ASSERT_TRUE(update.has_value());
  EXPECT_EQ((*update)[0], 0) << "FramebufferUpdate";
  EXPECT_GE(gw_.activity_calls.load(), 1);
  seen += *update;
  EXPECT_EQ(seen.find("deskgate-pw"), std::string::npos);
  EXPECT_EQ(seen.find("deskgate"), std::string::npos);
  c.close(1000);
  auto closed = gw_.wait_closed();
  ASSERT_TRUE(closed);
  EXPECT_GT(closed->to_browser, 24u);
  EXPECT_EQ(gw_.closed_count(), 1);
}

TEST_F(RelayXvnc, WrongSecretIs502AndNoUpgrade) {
  gw_.target.secret = "not-it";
  ws_client c;
  EXPECT_FALSE(c.connect(gw_.port(), {.path = "/desktop/d-test/websockify"}));
  EXPECT_EQ(c.status(), 502);
  EXPECT_NE(c.body().find("\"upstream_failed\""), std::string::npos) << c.body();
  EXPECT_EQ(c.body().find("not-it"), std::string::npos);
}

TEST(Relay, UnreachableDesktopIs503) {
  relay_gateway gw;
  gw.target.mode = relay_mode::rfb_auth;
  gw.target.upstream.unix_path = "/tmp/deskgate-no-such-socket-" + std::to_string(::getpid());
  ws_client c;
  EXPECT_FALSE(c.connect(gw.port()));
  EXPECT_EQ(c.status(), 503);
  EXPECT_NE(c.body().find("not reachable"), std::string::npos) << c.body();

  tcp_peer* closed_port = new tcp_peer([](int) {});
  endpoint gone = closed_port->where();
  delete closed_port;
  gw.target.upstream = gone;
  ws_client c2;
  EXPECT_FALSE(c2.connect(gw.port()));
  EXPECT_EQ(c2.status(), 503);
}

// A desktop that speaks RFB 3.8 with VncAuth and records what arrives after ServerInit.
struct fake_rfb_desktop {
  std::mutex mu;
  std::string after_init;
  std::string password = "pw";
  tcp_peer peer{[this](int fd) { serve(fd); }};

  void serve(int fd) {
    send_all(fd, "RFB 003.008\n");
    if (!recv_exact(fd, 12)) return;
    send_all(fd, std::string("\x01\x02", 2));
    if (!recv_exact(fd, 1)) return;
    std::string challenge = "ABCDEFGHIJKLMNOP";
    send_all(fd, challenge);
    auto response = recv_exact(fd, 16);
    if (!response) return;
    rfb::vnc_challenge ch{};
    std::copy(challenge.begin(), challenge.end(), ch.begin());
    auto expected = rfb::vnc_auth_response(ch, password);
    if (*response != std::string(expected.begin(), expected.end())) {
      send_all(fd, std::string("\0\0\0\x01\0\0\0\x04nope", 12));
      return;
    }
    send_all(fd, std::string(4, '\0'));
    {
      auto init = recv_exact(fd, 1);  // ClientInit
      if (!init) return;
      std::lock_guard lock(mu);
      after_init += *init;
    }
    std::string server_init = {0x03, 0x20, 0x02, 0x58};  // 800x600
    server_init += std::string(16, '\0') + std::string(
                                               "\0\0\0\x04"
                                               "fake",
                                               8);
    send_all(fd, server_init);
    char buf[4096];
    while (true) {
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return;
      std::lock_guard lock(mu);
      after_init.append(buf, static_cast<std::size_t>(n));
    }
  }
  std::string received() {
    std::lock_guard lock(mu);
    return after_init;
  }
};

void view_only_run(bool view_only, std::string& received) {
  fake_rfb_desktop desktop;
  relay_gateway gw;
  gw.target.mode = relay_mode::rfb_auth;
  gw.target.upstream = desktop.peer.where();
  gw.target.secret = "pw";
  gw.target.view_only = view_only;
  ws_client c;
  ASSERT_TRUE(c.connect(gw.port())) << c.status() << c.body();
  std::string seen;
  auto [w, h] = browser_rfb_handshake(c, seen);
  EXPECT_EQ(w, 800);
  EXPECT_EQ(h, 600);
  std::string cut = std::string("\x06\0\0\0\0\0\0\x03", 8) + "abc";
  // Input split oddly across messages, then a FramebufferUpdateRequest that must always pass.
  std::string input = key_event(true, 0x61) + pointer_event(1, 5, 5) + cut + update_request();
  ASSERT_TRUE(c.write(input.substr(0, 5)))
      << c.error() << " relay: " << (gw.wait_closed(1s) ? gw.wait_closed()->reason : "open");
  ASSERT_TRUE(c.write(input.substr(5)));
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (desktop.received().size() < 1 + (view_only ? 10 : input.size()) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(10ms);
  std::this_thread::sleep_for(100ms);
  received = desktop.received();
  c.close(1000);
}

TEST(RelayViewOnly, InputNeverReachesTheDesktop) {
  std::string received;
  view_only_run(true, received);
  EXPECT_EQ(received, std::string("\x01", 1) + update_request());
}

TEST(RelayViewOnly, WithoutViewOnlyInputPasses) {
  std::string received;
  view_only_run(false, received);
  std::string cut = std::string("\x06\0\0\0\0\0\0\x03", 8) + "abc";
  EXPECT_EQ(received, std::string("\x01", 1) + key_event(true, 0x61) + pointer_event(1, 5, 5) + cut + update_request());
}

TEST(RelayRfb, UnknownMessageTypeClosesTheRelay) {
  fake_rfb_desktop desktop;
  relay_gateway gw;
  gw.target.mode = relay_mode::rfb_auth;
  gw.target.upstream = desktop.peer.where();
  gw.target.secret = "pw";
  ws_client c;
  ASSERT_TRUE(c.connect(gw.port()));
  std::string seen;
  browser_rfb_handshake(c, seen);
  ASSERT_TRUE(c.write(std::string("\x07\x00\x00", 3)));
  EXPECT_FALSE(c.read(5s));
  EXPECT_TRUE(c.closed());
  EXPECT_EQ(c.close_code(), 1002);
  auto closed = gw.wait_closed();
  ASSERT_TRUE(closed);
  EXPECT_NE(closed->reason.find("type 7"), std::string::npos) << closed->reason;
}

TEST(RelayRaw, ByteExactBothWaysIncludingTenMegabytes) {
  tcp_peer echo([](int fd) {
    char buf[65536];
    while (true) {
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0 || !send_all(fd, buf, static_cast<std::size_t>(n))) return;
    }
  });
  relay_gateway gw;
  gw.target.mode = relay_mode::raw;
  gw.target.upstream = echo.where();
  ws_client c;
  ASSERT_TRUE(c.connect(gw.port()));
  std::string all_bytes;
  for (int i = 0; i < 256; ++i) all_bytes.push_back(static_cast<char>(i));
  ASSERT_TRUE(c.write(all_bytes));
  EXPECT_EQ(c.read_bytes(256), all_bytes);

  std::string big(10 * 1024 * 1024, '\0');
  std::mt19937 rng(42);
  for (auto& ch : big) ch = static_cast<char>(rng());
  std::string back;
  // Send in 1 MB messages while reading: the echo comes back in buffer-sized messages.
  for (std::size_t at = 0; at < big.size(); at += 1 << 20) {
    ASSERT_TRUE(c.write(big.substr(at, 1 << 20)));
    auto got = c.read_bytes(1 << 20, 10s);
    ASSERT_TRUE(got.has_value());
    back += *got;
  }
  EXPECT_TRUE(back == big);
  c.close(1000);
  auto closed = gw.wait_closed();
  ASSERT_TRUE(closed);
  EXPECT_EQ(closed->to_desktop, big.size() + 256);
  EXPECT_EQ(closed->to_browser, big.size() + 256);
}

TEST(RelayRaw, BackpressureStopsAFloodingDesktop) {
  std::atomic<std::uint64_t> sent{0};
  tcp_peer flood([&](int fd) {
    std::string chunk(65536, 'x');
    while (send_all(fd, chunk)) sent += chunk.size();
  });
  relay_gateway gw;
  gw.target.mode = relay_mode::raw;
  gw.target.upstream = flood.where();
  ws_client c;
  ASSERT_TRUE(c.connect(gw.port()));
  // The browser reads nothing: after the socket buffers fill, the desktop's sender must block.
  std::this_thread::sleep_for(1500ms);
  auto first = sent.load();
  std::this_thread::sleep_for(1000ms);
  auto second = sent.load();
  EXPECT_EQ(first, second) << "the desktop kept sending: the relay buffered without bound";
  EXPECT_LT(second, 64u * 1024 * 1024);
  // And the data then flows again when the browser reads.
  auto m = c.read(5s);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->data.substr(0, 4), "xxxx");
  c.drop();
}

TEST(RelayRaw, OfferedBinaryIsEchoedAndHandshakeTimeoutIs504) {
  tcp_peer echo([](int fd) {
    char buf[1];
    ::recv(fd, buf, 1, 0);
  });
  relay_gateway gw;
  gw.target.mode = relay_mode::raw;
  gw.target.upstream = echo.where();
  ws_client c;
  ASSERT_TRUE(c.connect(gw.port(), {.protocol = "base64, binary"}));
  EXPECT_EQ(c.accepted_protocol(), "binary");
  c.drop();

  // A desktop that accepts but never sends its banner.
  gw.target.mode = relay_mode::rfb_auth;
  gw.options.handshake_timeout = 300ms;
  ws_client slow;
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(slow.connect(gw.port()));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  EXPECT_EQ(slow.status(), 504);
  EXPECT_NE(slow.body().find("did not complete its handshake"), std::string::npos) << slow.body();
}

TEST(RelayRaw, CloseFromOutsideReachesTheBrowser) {
  std::atomic<int> received{0};
  auto echo = std::make_unique<tcp_peer>([&](int fd) {
    char buf[4096];
    ssize_t n;
    while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) received += static_cast<int>(n);
  });
  relay_gateway gw;
  gw.target.mode = relay_mode::raw;
  gw.target.upstream = echo->where();
  ws_client c;
  ASSERT_TRUE(c.connect(gw.port()));
  ASSERT_TRUE(c.write("hi"));
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (received < 2 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(5ms);
  ASSERT_TRUE(gw.handle());
  gw.handle()->close(4003, "desktop stopped");
  EXPECT_FALSE(c.read(5s));
  EXPECT_TRUE(c.closed()) << c.error() << " relay: " << (gw.wait_closed(1s) ? gw.wait_closed()->reason : "open");
  EXPECT_EQ(c.close_code(), 4003);
  EXPECT_EQ(c.close_reason(), "desktop stopped");
  auto closed = gw.wait_closed();
  ASSERT_TRUE(closed);
  EXPECT_NE(closed->reason.find("desktop stopped"), std::string::npos);
  gw.handle()->close(1000, "again");  // after the end: harmless
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(gw.closed_count(), 1);
}

TEST(RelayRaw, KeepalivePingsAndMessageLimit) {
  tcp_peer sink([](int fd) {
    char buf[65536];
    while (::recv(fd, buf, sizeof buf, 0) > 0) {
    }
  });
  relay_gateway gw;
  gw.target.mode = relay_mode::raw;
  gw.target.upstream = sink.where();
  gw.options.ping_interval = 200ms;
  gw.options.max_message_bytes = 1000;
  ws_client c;
  ASSERT_TRUE(c.connect(gw.port()));
  EXPECT_FALSE(c.read(1200ms));  // nothing to read, but pings arrive meanwhile
  EXPECT_TRUE(c.timed_out());
  EXPECT_GE(c.pings_seen(), 2u);

  ws_client big;
  ASSERT_TRUE(big.connect(gw.port()));
  ASSERT_TRUE(big.write(std::string(999, 'a')));
  big.write(std::string(2000, 'a'));
  EXPECT_FALSE(big.read(5s));
  EXPECT_TRUE(big.closed()) << big.error();
  EXPECT_EQ(big.close_code(), 1009);
}

// An upstream WebSocket server (a stand-in for a desktop's own): echoes messages with their type,
// closes with 4001 when told "close4001", records the Authorization header and the close code it got.
struct ws_echo_desktop {
  std::mutex mu;
  std::string authorization;
  std::string path;
  int close_code_seen = 0;
  tcp_peer peer{[this](int fd) { serve(fd); }};

  void serve(int fd) {
    net::io_context ioc;
    net::ip::tcp::socket sock(ioc);
    sock.assign(net::ip::tcp::v4(), ::dup(fd));
    websocket::stream<net::ip::tcp::socket> ws(std::move(sock));
    beast::flat_buffer buf;
    beast::http::request<beast::http::string_body> req;
    boost::system::error_code ec;
    beast::http::read(ws.next_layer(), buf, req, ec);
    if (ec) return;
    {
      std::lock_guard lock(mu);
      authorization = std::string(req[beast::http::field::authorization]);
      path = std::string(req.target());
    }
    bool binary = req[beast::http::field::sec_websocket_protocol].find("binary") != beast::string_view::npos;
    ws.set_option(websocket::stream_base::decorator([binary](websocket::response_type& res) {
      if (binary) res.set(beast::http::field::sec_websocket_protocol, "binary");
    }));
    ws.accept(req, ec);
    if (ec) return;
    while (true) {
      beast::flat_buffer msg;
      ws.read(msg, ec);
      if (ec) {
        std::lock_guard lock(mu);
        if (ec == websocket::error::closed) close_code_seen = ws.reason().code;
        return;
      }
      auto text = beast::buffers_to_string(msg.data());
      if (text == "close4001") {
        websocket::close_reason r(std::uint16_t{4001});
        r.reason = "bye";
        ws.close(r, ec);
        return;
      }
      ws.text(ws.got_text());
      ws.write(msg.data(), ec);
      if (ec) return;
    }
  }
};

TEST(RelayWebsocket, TextStaysTextAndCloseCodesCrossBothWays) {
  ws_echo_desktop desktop;
  relay_gateway gw;
  gw.target.mode = relay_mode::websocket;
  gw.target.upstream = desktop.peer.where();
  gw.target.upstream_path = "/websockify?token=1";
  gw.target.basic_user = "kasm_user";
  gw.target.secret = "pass";
  ws_client c;
  ASSERT_TRUE(c.connect(gw.port(), {.protocol = "binary"})) << c.status() << c.body();
  EXPECT_EQ(c.accepted_protocol(), "binary");
  ASSERT_TRUE(c.write("hello text", true));
  auto m = c.read();
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->text);
  EXPECT_EQ(m->data, "hello text");
  ASSERT_TRUE(c.write(std::string("\x00\x01\xff", 3), false));
  m = c.read();
  ASSERT_TRUE(m);
  EXPECT_FALSE(m->text);
  EXPECT_EQ(m->data, std::string("\x00\x01\xff", 3));
  {
    std::lock_guard lock(desktop.mu);
    EXPECT_EQ(desktop.authorization, "Basic a2FzbV91c2VyOnBhc3M=");  // kasm_user:pass
    EXPECT_EQ(desktop.path, "/websockify?token=1");
  }
  ASSERT_TRUE(c.write("close4001", true));
  EXPECT_FALSE(c.read());
  EXPECT_TRUE(c.closed());
  EXPECT_EQ(c.close_code(), 4001);

  ws_client c2;
  ASSERT_TRUE(c2.connect(gw.port()));
  ASSERT_TRUE(c2.write("x", true));
  ASSERT_TRUE(c2.read());
  c2.close(1000);
  auto deadline = std::chrono::steady_clock::now() + 5s;
  int seen = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    {
      std::lock_guard lock(desktop.mu);
      seen = desktop.close_code_seen;
    }
    if (seen) break;
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(seen, 1000);
}

// websockify with TLS and Basic auth in front of an Xvnc without VNC auth: a stand-in for a Kasm-style
// desktop that speaks WebSocket itself.
class RelayWebsockify : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(std::filesystem::exists("/usr/bin/websockify")) << "scripts/setup.sh --test installs websockify";
    xvnc_ = std::make_unique<xvnc_server>(xvnc_options{"unused", "None", false});
    ASSERT_TRUE(xvnc_->running()) << xvnc_->error();
    char tmpl[] = "/tmp/deskgate-wsfy-XXXXXX";
    ASSERT_TRUE(::mkdtemp(tmpl));
    dir_ = tmpl;
    auto cert =
        run_command({{"/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                      "/CN=localhost", "-keyout", (dir_ / "key.pem").string(), "-out", (dir_ / "cert.pem").string()},
                     {},
                     "",
                     {}});
    ASSERT_EQ(cert.status, 0) << cert.err;
    port_ = free_tcp_port();
    websockify_ = std::make_unique<child_process>(process_options{
        {"/usr/bin/websockify", "--cert", (dir_ / "cert.pem").string(), "--key", (dir_ / "key.pem").string(),
         "--auth-plugin", "BasicHTTPAuth", "--auth-source", "kasm_user:wspass", "--unix-target",
         xvnc_->where().unix_path, "127.0.0.1:" + std::to_string(port_)},
        {},
        "",
        dir_});
    ASSERT_TRUE(wait_for_tcp_port(port_, 10s)) << "websockify did not start";
    gw_.target.mode = relay_mode::websocket;
    gw_.target.upstream.host = "127.0.0.1";
    gw_.target.upstream.port = port_;
    gw_.target.upstream_path = "/websockify";
    gw_.target.tls = true;
    gw_.target.tls_verify = false;
    gw_.target.basic_user = "kasm_user";
    gw_.target.secret = "wspass";
  }
  void TearDown() override {
    if (websockify_) {
      websockify_->signal(SIGTERM);
      if (websockify_->wait(5s) < 0) websockify_.reset();
    }
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }
  std::unique_ptr<xvnc_server> xvnc_;
  std::unique_ptr<child_process> websockify_;
  std::filesystem::path dir_;
  std::uint16_t port_ = 0;
  relay_gateway gw_;
};

TEST_F(RelayWebsockify, ServerInitArrivesThroughTlsAndBasicAuth) {
  ws_client c;
  ASSERT_TRUE(c.connect(gw_.port(), {.protocol = "binary"})) << c.status() << c.body();
  auto version = c.read_bytes(12, 10s);
  ASSERT_TRUE(version) << websockify_->err();
  EXPECT_EQ(version->substr(0, 8), "RFB 003.");
  c.write("RFB 003.008\n");
  auto count = c.read_bytes(1);
  ASSERT_TRUE(count);
  auto types = c.read_bytes(std::uint8_t((*count)[0]));
  ASSERT_TRUE(types);
  ASSERT_NE(types->find('\x01'), std::string::npos);
  c.write(std::string("\x01", 1));
  auto result = c.read_bytes(4);
  ASSERT_TRUE(result);
  EXPECT_EQ(be32(*result, 0), 0u);
  c.write(std::string("\x01", 1));
  auto init = c.read_bytes(24);
  ASSERT_TRUE(init);
  EXPECT_EQ(be16(*init, 0), 1024);
  EXPECT_EQ(be16(*init, 2), 768);
}

TEST_F(RelayWebsockify, VerifyingTheSelfSignedCertificateIs502) {
  gw_.target.tls_verify = true;
  ws_client c;
  EXPECT_FALSE(c.connect(gw_.port()));
  EXPECT_EQ(c.status(), 502);
  EXPECT_NE(c.body().find("TLS"), std::string::npos) << c.body();
}

TEST_F(RelayWebsockify, WrongBasicPasswordIs502) {
  gw_.target.secret = "nope";
  ws_client c;
  EXPECT_FALSE(c.connect(gw_.port()));
  EXPECT_EQ(c.status(), 502);
  EXPECT_NE(c.body().find("refused the WebSocket upgrade"), std::string::npos) << c.body();
}

}  // namespace
}  // namespace deskgate::testing
