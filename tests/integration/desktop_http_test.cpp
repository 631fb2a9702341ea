// The http relay mode on a real server: /desktop/{id}/http/... reaches the web port of a static desktop
// (a small HTTP server in the test) with the desktop's own authorization; deskgate's session never reaches
// the desktop, redirects stay under the prefix, and slow, oversized or absent upstreams are clear errors.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "relay/relay_harness.hpp"
#include "support/process.hpp"
#include "support/test_app.hpp"
#include "support/ws_client.hpp"

namespace deskgate::testing {
namespace {

using namespace std::chrono_literals;

// Reads one request and answers it: /slow after 3 s, /big with 2 MiB, /redirect and /away with
// redirects, /cookie with Set-Cookie, anything else with the request it received as the body.
void serve_http(int fd) {
  std::string data;
  char chunk[4096];
  while (data.find("\r\n\r\n") == std::string::npos) {
    ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return;  // the readiness probe connects and leaves
    data.append(chunk, static_cast<std::size_t>(n));
  }
  auto head_end = data.find("\r\n\r\n") + 4;
  std::size_t length = 0;
  if (auto at = data.find("Content-Length: "); at != std::string::npos && at < head_end) {
    length = std::stoul(data.substr(at + 16));
  }
  while (data.size() < head_end + length) {
    ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return;
    data.append(chunk, static_cast<std::size_t>(n));
  }
  std::string target = data.substr(data.find(' ') + 1);
  target = target.substr(0, target.find(' '));
  std::string extra;
  std::string body = data;
  int status = 200;
  if (target == "/slow") std::this_thread::sleep_for(3s);
  if (target == "/big") body.assign(2 * 1024 * 1024, 'x');
  if (target == "/redirect") {
    status = 302;
    extra = "Location: /landed?x=1\r\n";
  }
  if (target == "/away") {
    status = 302;
    extra = "Location: https://elsewhere.example/\r\n";
  }
  if (target == "/cookie") extra = "Set-Cookie: deskgate_session=stolen; Path=/\r\nSet-Cookie: app=1; Path=/\r\n";
  send_all(fd,
           fmt::format("HTTP/1.1 {} X\r\nContent-Type: text/plain\r\n{}Content-Length: {}\r\nConnection: close\r\n\r\n",
                       status, extra, body.size()));
  send_all(fd, body);
}

std::string web_desktop_toml(std::uint16_t port) {
  return fmt::format(R"(
[gateway]
http_timeout = "1s"
http_max_response_bytes = 1048576

[[desktop_types]]
slug = "webapp"
name = "Web app"
backend = "static"
host = "127.0.0.1"
port = {0}
http_port = {0}
protocol = "websocket"
auth = "none"
open_to_all = true
)",
                     port);
}

class DesktopHttp : public ::testing::Test {
 protected:
  tcp_peer web_{serve_http};
  test_app app_{web_desktop_toml(web_.port())};
  signed_in anna_ = app_.add_user("anna", "student");
  std::string id_ = started();

  std::string started() {
    auto id = app_.start_desktop(anna_, "webapp");
    app_.wait_for_state(anna_, id, "running");
    return id;
  }
  std::string prefix() const { return "/desktop/" + id_ + "/http"; }
  http_answer get(const std::string& path, const signed_in* who) { return app_.request("GET", prefix() + path, who); }
};

TEST_F(DesktopHttp, TheOwnerReachesTheWebPortWithoutDeskgatesSession) {
  auto a = app_.request("GET", prefix() + "/app/page?q=1", &anna_, "",
                        {{"Cookie", anna_.cookie + "; app=1"}, {"X-CSRF-Token", anna_.csrf}});
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.body.rfind("GET /app/page?q=1 HTTP/1.1\r\n", 0), 0u) << a.body;
  EXPECT_NE(a.body.find("X-Forwarded-Prefix: " + prefix() + "\r\n"), std::string::npos);
  EXPECT_NE(a.body.find("Cookie: app=1\r\n"), std::string::npos);
  EXPECT_EQ(a.body.find("deskgate_session"), std::string::npos) << "the session cookie reached the desktop";
  EXPECT_EQ(a.body.find(anna_.csrf), std::string::npos) << "the CSRF token reached the desktop";
}

TEST_F(DesktopHttp, TheBarePrefixRedirectsToTheTrailingSlash) {
  auto a = app_.request("GET", prefix() + "?lang=de", &anna_);
  EXPECT_EQ(a.status, 308);
  EXPECT_EQ(a.header("Location"), prefix() + "/?lang=de");
}

TEST_F(DesktopHttp, OthersAndStrangersAreRefusedBeforeTheDesktopIsAsked) {
  auto ben = app_.add_user("ben", "student");
  EXPECT_EQ(get("/", &ben).status, 404);
  EXPECT_EQ(get("/", nullptr).status, 401);
  auto admin = app_.login_admin();
  EXPECT_EQ(get("/", &admin).status, 200);
  EXPECT_EQ(app_.request("GET", "/desktop/no-such-desktop/http/", &anna_).status, 404);
}

TEST_F(DesktopHttp, RedirectsStayUnderThePrefixAndTheAppCannotSetTheSessionCookie) {
  auto r = get("/redirect", &anna_);
  EXPECT_EQ(r.status, 302);
  EXPECT_EQ(r.header("Location"), prefix() + "/landed?x=1");
  EXPECT_EQ(get("/away", &anna_).header("Location"), "https://elsewhere.example/");

  auto c = get("/cookie", &anna_);
  auto cookies = c.all("Set-Cookie");
  ASSERT_EQ(cookies.size(), 1u);
  EXPECT_EQ(cookies[0].rfind("app=1", 0), 0u);
}

TEST_F(DesktopHttp, ChangesMustComeFromDeskgatesPages) {
  auto origin = "http://127.0.0.1:" + std::to_string(app_.port());
  auto no_origin = app_.request("POST", prefix() + "/form", &anna_, "a=1");
  EXPECT_EQ(no_origin.status, 403);
  auto foreign = app_.request("POST", prefix() + "/form", &anna_, "a=1", {{"Origin", "https://evil.example"}});
  EXPECT_EQ(foreign.status, 403);
  auto own = app_.request("POST", prefix() + "/form", &anna_, "a=1", {{"Origin", origin}});
  ASSERT_EQ(own.status, 200) << own.body;
  EXPECT_NE(own.body.find("\r\n\r\na=1"), std::string::npos);
}

TEST_F(DesktopHttp, SlowOversizedAndStoppedUpstreamsAreClearErrors) {
  auto slow = get("/slow", &anna_);
  EXPECT_EQ(slow.status, 504);
  EXPECT_NE(slow.body.find("did not answer within 1000 ms"), std::string::npos) << slow.body;

  auto big = get("/big", &anna_);
  EXPECT_EQ(big.status, 502);
  EXPECT_NE(big.body.find("larger than"), std::string::npos) << big.body;

  auto stop = app_.request("POST", "/api/desktops/" + id_ + "/stop", &anna_, "", {{"X-CSRF-Token", anna_.csrf}});
  ASSERT_EQ(stop.status, 202);
  app_.wait_for_state(anna_, id_, "stopped");
  auto stopped = get("/", &anna_);
  EXPECT_EQ(stopped.status, 409);
  EXPECT_NE(stopped.body.find("stopped"), std::string::npos);
}

TEST(DesktopHttpTypes, ALocalTypeCannotHaveAWebPort) {
  test_app app;
  auto admin = app.login_admin();
  auto a =
      app.post_json("/api/admin/desktop-types",
                    {{"slug", "localweb"}, {"name", "Local web"}, {"backend", "local"}, {"http_port", 8080}}, &admin);
  EXPECT_EQ(a.status, 400);
  EXPECT_NE(a.body.find("http_port"), std::string::npos) << a.body;
}

// A Kasm-style desktop: websockify serving a web client over HTTPS with Basic auth and a self-signed
// certificate, and a WebSocket on the same port (to a TCP echo standing in for VNC).
TEST(DesktopHttpKasmStyle, PagesAndTheWebSocketGoThroughTlsWithTheDesktopsCredentials) {
  ASSERT_TRUE(std::filesystem::exists("/usr/bin/websockify")) << "scripts/setup.sh --test installs websockify";
  temp_dir dir;
  auto web = dir.path() / "web";
  std::filesystem::create_directories(web);
  { std::ofstream(web / "index.html") << "<title>kasm web client</title>"; }
  auto cert = run_command(
      {{"/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
        "-keyout", (dir.path() / "key.pem").string(), "-out", (dir.path() / "cert.pem").string()},
       {},
       "",
       {}});
  ASSERT_EQ(cert.status, 0) << cert.err;
  tcp_peer echo([](int fd) {
    char buf[4096];
    for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) send_all(fd, buf, static_cast<std::size_t>(n));
  });
  auto port = free_tcp_port();
  child_process websockify(
      {{"/usr/bin/websockify", "--web", web.string(), "--cert", (dir.path() / "cert.pem").string(), "--key",
        (dir.path() / "key.pem").string(), "--auth-plugin", "BasicHTTPAuth", "--auth-source", "kasm_user:webpass",
        "127.0.0.1:" + std::to_string(port), "127.0.0.1:" + std::to_string(echo.port())},
       {},
       "",
       dir.path()});
  ASSERT_TRUE(wait_for_tcp_port(port, 10s)) << "websockify did not start";

  test_app app(fmt::format(R"(
[[desktop_types]]
slug = "kasm"
name = "Kasm-style desktop"
backend = "static"
host = "127.0.0.1"
port = {0}
http_port = {0}
protocol = "websocket"
auth = "basic"
password = "webpass"
tls = true
tls_verify = false
open_to_all = true
)",
                           port));
  auto anna = app.add_user("anna", "student");
  auto id = app.start_desktop(anna, "kasm");
  app.wait_for_state(anna, id, "running");

  auto page = app.request("GET", "/desktop/" + id + "/http/index.html", &anna);
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_NE(page.body.find("kasm web client"), std::string::npos);

  ws_client ws;
  ASSERT_TRUE(ws.connect(app.port(), {"/desktop/" + id + "/http/websockify", {{"Cookie", anna.cookie}}, "binary"}))
      << ws.status() << " " << ws.body() << ws.error();
  ASSERT_TRUE(ws.write("ping through the web port"));
  EXPECT_EQ(ws.read_bytes(25), "ping through the web port");

  auto ben = app.add_user("ben", "student");
  ws_client refused;
  EXPECT_FALSE(refused.connect(app.port(), {"/desktop/" + id + "/http/websockify", {{"Cookie", ben.cookie}}}));
  EXPECT_EQ(refused.status(), 404);
  websockify.signal(SIGTERM);
  websockify.wait(5s);
}

}  // namespace
}  // namespace deskgate::testing
