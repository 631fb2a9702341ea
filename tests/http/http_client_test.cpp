// The outgoing HTTP(S) client against real servers on 127.0.0.1: a deskgate (plain http), `openssl
// s_server` (https: a trusted certificate works, an untrusted one or another host name does not), a socket
// that never answers (timeout) and a closed port (refused).
#include "http/http_client.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "core/error.hpp"
#include "support/process.hpp"
#include "support/test_app.hpp"
#include "support/test_idp.hpp"

namespace deskgate::http {
namespace {

using namespace std::chrono_literals;
using testing::child_process;
using testing::free_port;

bool port_open(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  bool open = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return open;
}

std::string base(std::uint16_t port) { return "http://127.0.0.1:" + std::to_string(port); }

errc failure_of(const http_client& c, const std::string& url) {
  try {
    c.send({.method = "GET", .url = url, .headers = {}, .body = {}});
  } catch (const error& e) {
    return e.code();
  }
  ADD_FAILURE() << url << " answered";
  return errc::internal;
}

TEST(HttpClient, PlainHttpGetAndPost) {
  testing::test_app t;
  http_client c;
  auto a = c.send({.method = "GET", .url = base(t.port()) + "/healthz", .headers = {}, .body = {}});
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.body, R"({"status":"ok"})");
  EXPECT_TRUE(a.content_type.starts_with("application/json"));
  auto p = c.send({.method = "POST",
                   .url = base(t.port()) + "/api/auth/login",
                   .headers = {{"Content-Type", "application/json"}},
                   .body = R"({"username":"nobody","password":"wrong password"})"});
  EXPECT_EQ(p.status, 401);
}

TEST(HttpClient, RefusedSilentAndBadUrls) {
  http_client fast({.timeout = 300ms});
  EXPECT_EQ(failure_of(fast, base(free_port()) + "/"), errc::unavailable);
  // Listening, never accepting: the connection is made, no answer ever comes.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof addr;
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 4), 0);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length), 0);
  EXPECT_EQ(failure_of(fast, base(ntohs(addr.sin_port)) + "/slow"), errc::timeout);
  ::close(fd);
  EXPECT_EQ(failure_of(fast, "ftp://127.0.0.1/"), errc::bad_request);
  EXPECT_EQ(failure_of(fast, "http://user:pw@127.0.0.1/"), errc::bad_request);
  EXPECT_EQ(form_encode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
}

class HttpsClient : public ::testing::Test {
 protected:
  void SetUp() override {
    auto openssl = [&](std::vector<std::string> args) {
      args.insert(args.begin(), "/usr/bin/openssl");
      auto r = testing::run_command({.args = args, .env = {}, .stdin_text = "", .work_dir = dir_.path()});
      ASSERT_EQ(r.status, 0) << r.err;
    };
    for (auto [name, san] : {std::pair{"good", "IP:127.0.0.1"}, {"other", "DNS:other.example"}}) {
      openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
               "-subj", std::string("/CN=") + name, "-addext", std::string("subjectAltName=") + san, "-keyout",
               std::string(name) + "-key.pem", "-out", std::string(name) + ".pem"});
    }
  }

  // `openssl s_server -www` with certificate `name`, answering any number of connections.
  std::unique_ptr<child_process> serve(const std::string& name, std::uint16_t port) {
    auto server = std::make_unique<child_process>(testing::process_options{
        .args = {"/usr/bin/openssl", "s_server", "-accept", "127.0.0.1:" + std::to_string(port), "-cert", name + ".pem",
                 "-key", name + "-key.pem", "-www", "-quiet"},
        .env = {},
        .stdin_text = "",
        .work_dir = dir_.path()});
    for (int i = 0; i < 100 && !port_open(port); ++i) std::this_thread::sleep_for(50ms);
    return server;
  }

  std::string file(const std::string& name) const { return (dir_.path() / name).string(); }

  testing::temp_dir dir_;
};

TEST_F(HttpsClient, VerifiesTheCertificateAndTheHostName) {
  auto good_port = free_port();
  auto good = serve("good", good_port);
  std::string url = "https://127.0.0.1:" + std::to_string(good_port) + "/";
  http_client trusting({.timeout = 5s, .max_response_bytes = 1024 * 1024, .ca_file = file("good.pem")});
  EXPECT_EQ(trusting.send({.method = "GET", .url = url, .headers = {}, .body = {}}).status, 200);
  // The system's trusted certificates do not include this self-signed one.
  http_client system_trust({.timeout = 5s});
  EXPECT_EQ(failure_of(system_trust, url), errc::unavailable);

  auto other_port = free_port();
  auto other = serve("other", other_port);
  http_client trusts_other({.timeout = 5s, .max_response_bytes = 1024 * 1024, .ca_file = file("other.pem")});
  EXPECT_EQ(failure_of(trusts_other, "https://127.0.0.1:" + std::to_string(other_port) + "/"), errc::unavailable);
}

}  // namespace
}  // namespace deskgate::http
