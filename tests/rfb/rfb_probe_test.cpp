// The blocking RFB probe against a real Xvnc (unix socket and TCP, VncAuth and None) and against small
// scripted servers for what Xvnc will not do on request: silence, a non-RFB greeting, a refusal, RFB 3.3.
#include "rfb/rfb_probe.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <functional>
#include <thread>

#include "rfb/vnc_auth.hpp"
#include "rfb/xvnc_server.hpp"

namespace deskgate::testing {
namespace {

using namespace std::chrono_literals;

// A unix-socket server that runs `script` on the first connection it accepts.
class scripted_server {
 public:
  explicit scripted_server(std::function<void(int)> script, bool accept_connections = true) {
    char tmpl[] = "/tmp/deskgate-rfbfake-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    path_ = dir_ + "/s.sock";
    listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, path_.c_str(), sizeof a.sun_path - 1);
    ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(listen_fd_, 4);
    if (accept_connections) {
      thread_ = std::thread([this, script = std::move(script)] {
        int fd = ::accept(listen_fd_, nullptr, nullptr);
        if (fd < 0) return;
        script(fd);
        ::close(fd);
      });
    }
  }
  ~scripted_server() {
    ::shutdown(listen_fd_, SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
    ::close(listen_fd_);
    ::unlink(path_.c_str());
    ::rmdir(dir_.c_str());
  }
  endpoint where() const {
    endpoint e;
    e.unix_path = path_;
    return e;
  }

 private:
  std::string dir_;
  std::string path_;
  int listen_fd_ = -1;
  std::thread thread_;
};

void send_all(int fd, const void* data, std::size_t n) {
  ASSERT_EQ(::send(fd, data, n, MSG_NOSIGNAL), static_cast<ssize_t>(n));
}
void send_text(int fd, std::string_view s) { send_all(fd, s.data(), s.size()); }
void send_u32(int fd, std::uint32_t v) {
  std::uint8_t b[4] = {static_cast<std::uint8_t>(v >> 24), static_cast<std::uint8_t>(v >> 16),
                       static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
  send_all(fd, b, 4);
}
std::string recv_exact(int fd, std::size_t n) {
  std::string out(n, '\0');
  std::size_t got = 0;
  while (got < n) {
    ssize_t r = ::recv(fd, out.data() + got, n - got, 0);
    if (r <= 0) break;
    got += static_cast<std::size_t>(r);
  }
  out.resize(got);
  return out;
}

TEST(rfb_probe, BannerFromXvncOnAUnixSocket) {
  xvnc_server server;
  ASSERT_TRUE(server.running()) << server.error();
  auto r = rfb::probe_banner(server.where(), 3s);
  EXPECT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.version, "RFB 003.008");
}

TEST(rfb_probe, BannerAndAuthOverTcp) {
  xvnc_server server({.password = "tcp-pass", .tcp = true});
  ASSERT_TRUE(server.running()) << server.error();
  auto banner = rfb::probe_banner(server.where(), 3s);
  EXPECT_TRUE(banner.ok()) << banner.error;
  EXPECT_EQ(banner.version, "RFB 003.008");
  auto auth = rfb::probe_auth(server.where(), "tcp-pass", 3s);
  EXPECT_TRUE(auth.ok()) << auth.error;
  EXPECT_EQ(auth.width, 1024);
}

TEST(rfb_probe, AuthWithTheSecretReturnsServerInit) {
  xvnc_server server({.password = "s3cret-pw"});
  ASSERT_TRUE(server.running()) << server.error();
  auto r = rfb::probe_auth(server.where(), "s3cret-pw", 3s);
  ASSERT_TRUE(r.ok()) << r.error << "\n" << server.log();
  EXPECT_EQ(r.failure, rfb::probe_failure::none);
  EXPECT_EQ(r.width, 1024);
  EXPECT_EQ(r.height, 768);
  EXPECT_EQ(r.name, "probe-test");
}

TEST(rfb_probe, AuthWithAWrongSecretFails) {
  xvnc_server server({.password = "s3cret-pw"});
  ASSERT_TRUE(server.running()) << server.error();
  auto r = rfb::probe_auth(server.where(), "wrong-pw", 3s);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.failure, rfb::probe_failure::authentication_failed);
  EXPECT_TRUE(r.error.starts_with("authentication failed")) << r.error;
  // The right one still works afterwards (no blacklisting of the gateway's address).
  for (int i = 0; i < 6; ++i) rfb::probe_auth(server.where(), "wrong-pw", 3s);
  auto again = rfb::probe_auth(server.where(), "s3cret-pw", 3s);
  EXPECT_TRUE(again.ok()) << again.error;
}

TEST(rfb_probe, SecurityTypeNoneNeedsNoSecret) {
  xvnc_server server({.security_types = "None"});
  ASSERT_TRUE(server.running()) << server.error();
  auto r = rfb::probe_auth(server.where(), "", 3s);
  EXPECT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.height, 768);
}

TEST(rfb_probe, NothingListeningIsConnectionRefused) {
  endpoint missing;
  missing.unix_path = "/tmp/deskgate-no-such-dir/vnc.sock";
  auto r = rfb::probe_banner(missing, 1s);
  EXPECT_EQ(r.failure, rfb::probe_failure::connection_refused);
  EXPECT_TRUE(r.error.starts_with("connection refused")) << r.error;

  // A TCP port nobody listens on: bound once to learn a free number, then closed.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  endpoint tcp;
  tcp.host = "127.0.0.1";
  tcp.port = ntohs(a.sin_port);
  auto t = rfb::probe_auth(tcp, "x", 1s);
  EXPECT_EQ(t.failure, rfb::probe_failure::connection_refused) << t.error;
  EXPECT_EQ(t.error, "connection refused");
}

TEST(rfb_probe, ASilentServerTimesOut) {
  scripted_server silent([](int) {}, /*accept_connections=*/false);  // connections wait in the backlog
  auto start = std::chrono::steady_clock::now();
  auto r = rfb::probe_banner(silent.where(), 300ms);
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.failure, rfb::probe_failure::timed_out);
  EXPECT_EQ(r.error, "timed out");
  EXPECT_GE(took, 250ms);
  EXPECT_LT(took, 2s);
}

TEST(rfb_probe, AnHttpServerIsNotAnRfbServer) {
  scripted_server http([](int fd) { send_text(fd, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"); });
  auto r = rfb::probe_auth(http.where(), "x", 2s);
  EXPECT_EQ(r.failure, rfb::probe_failure::not_rfb);
  EXPECT_TRUE(r.error.starts_with("not an RFB server")) << r.error;
}

TEST(rfb_probe, AServerThatHangsUpAtOnceIsNotAnRfbServer) {
  scripted_server closer([](int) {});
  auto r = rfb::probe_banner(closer.where(), 2s);
  EXPECT_EQ(r.failure, rfb::probe_failure::not_rfb) << r.error;
}

TEST(rfb_probe, ARefusalCarriesTheServersReason) {
  scripted_server refusing([](int fd) {
    send_text(fd, "RFB 003.008\n");
    EXPECT_EQ(recv_exact(fd, 12), "RFB 003.008\n");
    std::uint8_t zero = 0;
    send_all(fd, &zero, 1);
    std::string reason = "Too many security failures";
    send_u32(fd, static_cast<std::uint32_t>(reason.size()));
    send_text(fd, reason);
  });
  auto r = rfb::probe_auth(refusing.where(), "x", 2s);
  EXPECT_EQ(r.failure, rfb::probe_failure::rejected);
  EXPECT_NE(r.error.find("Too many security failures"), std::string::npos) << r.error;
}

TEST(rfb_probe, SpeaksRfb33WithVncAuth) {
  const std::string secret = "old-server";
  scripted_server old([&](int fd) {
    send_text(fd, "RFB 003.003\n");
    EXPECT_EQ(recv_exact(fd, 12), "RFB 003.003\n");
    send_u32(fd, 2);  // the server decides: VncAuth
    rfb::vnc_challenge challenge{};
    for (std::size_t i = 0; i < challenge.size(); ++i) challenge[i] = static_cast<std::uint8_t>(7 * i + 3);
    send_all(fd, challenge.data(), challenge.size());
    auto expected = rfb::vnc_auth_response(challenge, secret);
    EXPECT_EQ(recv_exact(fd, 16), std::string(expected.begin(), expected.end()));
    send_u32(fd, 0);
    EXPECT_EQ(recv_exact(fd, 1), std::string(1, '\1')) << "ClientInit asks for a shared session";
    std::array<std::uint8_t, 20> init{0x02, 0x80, 0x01, 0xe0};  // 640x480, pixel format left zero
    send_all(fd, init.data(), init.size());
    send_u32(fd, 4);
    send_text(fd, "fake");
  });
  auto r = rfb::probe_auth(old.where(), secret, 2s);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.width, 640);
  EXPECT_EQ(r.height, 480);
  EXPECT_EQ(r.name, "fake");
}

}  // namespace
}  // namespace deskgate::testing
