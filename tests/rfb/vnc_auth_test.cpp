// VNC authentication DES and the vncpasswd file format: fixed vectors (one of them a challenge and
// response a real Xvnc accepted), agreement with TigerVNC's own vncpasswd, and a live handshake with Xvnc
// that uses only vnc_auth_response (no deskgate RFB client in between).
#include "rfb/vnc_auth.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "rfb/xvnc_server.hpp"
#include "support/process.hpp"

namespace deskgate::testing {
namespace {

std::string hex(std::span<const std::uint8_t> bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (auto b : bytes) {
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

rfb::vnc_challenge from_hex(const std::string& h) {
  rfb::vnc_challenge c{};
  for (std::size_t i = 0; i < c.size(); ++i)
    c[i] = static_cast<std::uint8_t>(std::stoi(h.substr(2 * i, 2), nullptr, 16));
  return c;
}

rfb::vnc_challenge counting_challenge() {
  rfb::vnc_challenge c{};
  for (std::size_t i = 0; i < c.size(); ++i) c[i] = static_cast<std::uint8_t>(i);
  return c;
}

TEST(vnc_auth, ResponseToAChallengeRealXvncAccepted) {
  // Captured from TigerVNC 1.12's Xvnc with the password "deskgate": it answered SecurityResult 0.
  auto challenge = from_hex("c1d01bce5015936f8437b1fbd2ec5d47");
  EXPECT_EQ(hex(rfb::vnc_auth_response(challenge, "deskgate")), "79756211bc7fe5c9f29c40a4e3d6ee48");
}

TEST(vnc_auth, FixedVectorsMatchSingleDesWithReversedKeyBits) {
  // Computed independently with `openssl enc -des-ecb -provider legacy` and the bit-reversed key.
  EXPECT_EQ(hex(rfb::vnc_auth_response(counting_challenge(), "deskgate")), "3d709dfaf70241a376c69a2d5ba97f10");
  EXPECT_EQ(hex(rfb::vnc_auth_response(counting_challenge(), "pw")), "858600d9af143c9e6541d3dd92a835d0");
}

TEST(vnc_auth, OnlyTheFirstEightBytesOfThePasswordCount) {
  auto c = counting_challenge();
  EXPECT_EQ(rfb::vnc_auth_response(c, "deskgate"), rfb::vnc_auth_response(c, "deskgate-and-more"));
  EXPECT_NE(rfb::vnc_auth_response(c, "deskgate"), rfb::vnc_auth_response(c, "deskgatf"));
  // Shorter passwords are padded with zero bytes.
  EXPECT_EQ(rfb::vnc_auth_response(c, "pw"), rfb::vnc_auth_response(c, std::string("pw\0\0", 4)));
}

TEST(vnc_auth, PasswordFileBytesFixedVector) {
  // `printf secret12 | vncpasswd -f | xxd -p` on TigerVNC 1.12.
  EXPECT_EQ(hex(rfb::vnc_password_file_bytes("secret12")), "24b5ae4ce15503c6");
  EXPECT_EQ(hex(rfb::vnc_password_file_bytes("abc")), "9c0a172d3482e122");
}

TEST(vnc_auth, PasswordFileBytesMatchVncpasswd) {
  for (std::string pw : {"deskgate", "abc", "exactly8", "a much longer password", "Grüße!x"}) {
    run_result r = run_command({{"/usr/bin/vncpasswd", "-f"}, {}, pw + "\n", {}});
    ASSERT_EQ(r.status, 0) << "vncpasswd -f failed (apt-get install tigervnc-tools): " << r.err;
    ASSERT_EQ(r.out.size(), 8u) << pw;
    auto ours = rfb::vnc_password_file_bytes(pw);
    EXPECT_EQ(hex(ours), hex(std::span(reinterpret_cast<const std::uint8_t*>(r.out.data()), 8))) << pw;
  }
}

// A minimal RFB 3.8 exchange up to SecurityResult, so only vnc_auth_response is under test.
std::uint32_t live_security_result(const endpoint& where, const std::string& password) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strncpy(a.sun_path, where.unix_path.c_str(), sizeof a.sun_path - 1);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  auto read_exact = [&](void* buf, std::size_t n) {
    std::size_t got = 0;
    while (got < n) {
      ssize_t r = ::recv(fd, static_cast<char*>(buf) + got, n - got, 0);
      if (r <= 0) return false;
      got += static_cast<std::size_t>(r);
    }
    return true;
  };
  char banner[12];
  std::uint32_t result = 0xffffffff;
  std::uint8_t count = 0;
  if (read_exact(banner, 12) && ::send(fd, "RFB 003.008\n", 12, 0) == 12 && read_exact(&count, 1) && count > 0) {
    std::vector<std::uint8_t> types(count);
    read_exact(types.data(), count);
    EXPECT_NE(std::find(types.begin(), types.end(), 2), types.end()) << "Xvnc offers VncAuth";
    std::uint8_t pick = 2;
    rfb::vnc_challenge challenge{};
    if (::send(fd, &pick, 1, 0) == 1 && read_exact(challenge.data(), challenge.size())) {
      auto response = rfb::vnc_auth_response(challenge, password);
      std::uint8_t r[4];
      if (::send(fd, response.data(), response.size(), 0) == 16 && read_exact(r, 4))
        result = (std::uint32_t{r[0]} << 24) | (std::uint32_t{r[1]} << 16) | (std::uint32_t{r[2]} << 8) | r[3];
    }
  }
  ::close(fd);
  return result;
}

TEST(vnc_auth, RealXvncAcceptsTheResponseAndRejectsAWrongPassword) {
  xvnc_server server({.password = "k9Secret"});
  ASSERT_TRUE(server.running()) << server.error();
  EXPECT_EQ(live_security_result(server.where(), "k9Secret"), 0u) << server.log();
  EXPECT_EQ(live_security_result(server.where(), "k9Secreu"), 1u);
  EXPECT_EQ(live_security_result(server.where(), ""), 1u);
  // Beyond eight bytes nothing counts, on the server's side too.
  EXPECT_EQ(live_security_result(server.where(), "k9Secret-but-longer"), 0u);
}

}  // namespace
}  // namespace deskgate::testing
