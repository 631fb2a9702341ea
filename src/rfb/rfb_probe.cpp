// Blocking RFB client on non-blocking POSIX sockets and poll(): every read, write and the connect wait
// at most until the one deadline of the probe.
#include "rfb/rfb_probe.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <memory>
#include <span>
#include <vector>

#include "rfb/vnc_auth.hpp"

namespace deskgate::rfb {
namespace {

using steady = std::chrono::steady_clock;

constexpr std::uint8_t security_none = 1;
constexpr std::uint8_t security_vnc_auth = 2;
constexpr std::uint32_t max_reason_length = 4096;
constexpr std::uint32_t max_name_length = 64 * 1024;

struct probe_error {
  probe_failure failure;
  std::string detail;
};

class socket_fd {
 public:
  explicit socket_fd(int fd = -1) : fd_(fd) {}
  ~socket_fd() { reset(); }
  socket_fd(const socket_fd&) = delete;
  socket_fd& operator=(const socket_fd&) = delete;
  int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

int remaining_ms(steady::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady::now()).count();
  if (left <= 0) return 0;
  return static_cast<int>(std::min<long long>(left, 60'000));
}

// Waits for `events` on fd; throws timed_out at the deadline.
void wait_for(int fd, short events, steady::time_point deadline) {
  for (;;) {
    int ms = remaining_ms(deadline);
    if (ms == 0) throw probe_error{probe_failure::timed_out, {}};
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, ms);
    if (n > 0) return;  // ready, or an error/hang-up the next call reports
    if (n < 0 && errno != EINTR) throw probe_error{probe_failure::connection_failed, std::strerror(errno)};
  }
}

probe_error connect_error(int err, const endpoint& where) {
  if (err == ECONNREFUSED) return {probe_failure::connection_refused, {}};
  if (err == ENOENT) return {probe_failure::connection_refused, "no socket at " + where.unix_path};
  if (err == EAGAIN) return {probe_failure::connection_refused, "the server's backlog is full"};
  return {probe_failure::connection_failed, std::strerror(err)};
}

// Connects one socket; returns the connected descriptor or throws.
int connect_address(int family, const sockaddr* addr, socklen_t len, const endpoint& where,
                    steady::time_point deadline) {
  socket_fd fd(::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) throw probe_error{probe_failure::connection_failed, std::strerror(errno)};
  if (::connect(fd.get(), addr, len) != 0) {
    if (errno != EINPROGRESS && errno != EINTR) throw connect_error(errno, where);
    wait_for(fd.get(), POLLOUT, deadline);
    int err = 0;
    socklen_t err_len = sizeof err;
    if (::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &err_len) != 0) err = errno;
    if (err != 0) throw connect_error(err, where);
  }
  if (family != AF_UNIX) {
    int one = 1;
    ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  return fd.release();
}

int connect_endpoint(const endpoint& where, steady::time_point deadline) {
  if (where.is_unix()) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (where.unix_path.size() >= sizeof addr.sun_path)
      throw probe_error{probe_failure::connection_failed, "socket path too long: " + where.unix_path};
    std::memcpy(addr.sun_path, where.unix_path.c_str(), where.unix_path.size() + 1);
    return connect_address(AF_UNIX, reinterpret_cast<const sockaddr*>(&addr), sizeof addr, where, deadline);
  }
  if (where.host.empty() || where.port == 0)
    throw probe_error{probe_failure::connection_failed, "no address to connect to"};
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  std::string port = std::to_string(where.port);
  int rc = ::getaddrinfo(where.host.c_str(), port.c_str(), &hints, &found);
  if (rc != 0) throw probe_error{probe_failure::connection_failed, std::string("cannot resolve ") + where.host};
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> list(found, &::freeaddrinfo);
  probe_error last{probe_failure::connection_refused, {}};
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    try {
      return connect_address(a->ai_family, a->ai_addr, a->ai_addrlen, where, deadline);
    } catch (const probe_error& e) {
      if (e.failure == probe_failure::timed_out) throw;
      last = e;
    }
  }
  throw last;
}

class connection {
 public:
  connection(const endpoint& where, steady::time_point deadline)
      : fd_(connect_endpoint(where, deadline)), deadline_(deadline) {}

  // Reads exactly out.size() bytes. `what` names the step for the error when the peer hangs up.
  void read(std::span<std::uint8_t> out, probe_failure on_close, std::string_view what) {
    std::size_t got = 0;
    while (got < out.size()) {
      ssize_t n = ::recv(fd_.get(), out.data() + got, out.size() - got, 0);
      if (n > 0) {
        got += static_cast<std::size_t>(n);
        continue;
      }
      if (n == 0) throw probe_error{on_close, "connection closed " + std::string(what)};
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        wait_for(fd_.get(), POLLIN, deadline_);
        continue;
      }
      throw probe_error{probe_failure::connection_failed, std::strerror(errno)};
    }
  }

  std::uint8_t read_u8(std::string_view what) {
    std::array<std::uint8_t, 1> b{};
    read(b, probe_failure::connection_failed, what);
    return b[0];
  }

  std::uint32_t read_u32(std::string_view what) {
    std::array<std::uint8_t, 4> b{};
    read(b, probe_failure::connection_failed, what);
    return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) | b[3];
  }

  // A u32 length and that many bytes of text (reasons, the desktop name).
  std::string read_string(std::uint32_t limit, std::string_view what) {
    std::uint32_t len = read_u32(what);
    if (len > limit) throw probe_error{probe_failure::not_rfb, "implausible string length " + std::to_string(len)};
    std::string s(len, '\0');
    read(std::span(reinterpret_cast<std::uint8_t*>(s.data()), s.size()), probe_failure::connection_failed, what);
    return s;
  }

  void write(std::span<const std::uint8_t> data) {
    std::size_t sent = 0;
    while (sent < data.size()) {
      ssize_t n = ::send(fd_.get(), data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n > 0) {
        sent += static_cast<std::size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        wait_for(fd_.get(), POLLOUT, deadline_);
        continue;
      }
      throw probe_error{probe_failure::connection_failed, std::strerror(errno)};
    }
  }

  void write(std::string_view text) {
    write(std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
  }

 private:
  socket_fd fd_;
  steady::time_point deadline_;
};

struct protocol_version {
  std::string text;  // "RFB 003.008"
  int major = 0;
  int minor = 0;
};

// "RFB xxx.yyy\n", digits only.
protocol_version read_banner(connection& c) {
  std::array<std::uint8_t, 12> b{};
  c.read(b, probe_failure::not_rfb, "before a ProtocolVersion arrived");
  std::string text(b.begin(), b.end());
  auto digits = [&](std::size_t from) {
    int v = 0;
    for (std::size_t i = from; i < from + 3; ++i) {
      if (text[i] < '0' || text[i] > '9') return -1;
      v = v * 10 + (text[i] - '0');
    }
    return v;
  };
  if (!text.starts_with("RFB ") || text[7] != '.' || text[11] != '\n' || digits(4) < 0 || digits(8) < 0) {
    std::string shown;
    for (char ch : text) shown += (ch >= 0x20 && ch < 0x7f) ? ch : '?';
    throw probe_error{probe_failure::not_rfb, "unexpected greeting \"" + shown + "\""};
  }
  return {text.substr(0, 11), digits(4), digits(8)};
}

void finish_security(connection& c, int minor, bool result_expected) {
  if (!result_expected) return;
  std::uint32_t result = c.read_u32("before SecurityResult");
  if (result == 0) return;
  std::string reason;
  if (minor >= 8) {
    try {
      reason = c.read_string(max_reason_length, "before the failure reason");
    } catch (const probe_error&) {
      // Some servers close without a reason; the result alone is enough.
    }
  }
  throw probe_error{probe_failure::authentication_failed, reason};
}

void answer_vnc_auth(connection& c, std::string_view secret) {
  vnc_challenge challenge{};
  c.read(challenge, probe_failure::connection_failed, "before the VNC challenge");
  vnc_challenge response = vnc_auth_response(challenge, secret);
  c.write(response);
}

auth_result handshake(connection& c, std::string_view secret) {
  protocol_version v = read_banner(c);
  if (v.major != 3 && v.major != 4) throw probe_error{probe_failure::not_rfb, "unsupported protocol version " + v.text};
  // 3.3 to 3.6 are treated as 3.3; 3.8 and later (Apple's 3.889) as 3.8.
  int minor = v.major > 3 || v.minor >= 8 ? 8 : v.minor == 7 ? 7 : 3;
  c.write(minor == 8 ? "RFB 003.008\n" : minor == 7 ? "RFB 003.007\n" : "RFB 003.003\n");

  std::uint8_t chosen = 0;
  if (minor == 3) {
    std::uint32_t type = c.read_u32("before the security type");
    if (type == 0) throw probe_error{probe_failure::rejected, c.read_string(max_reason_length, "before the reason")};
    if (type != security_none && type != security_vnc_auth)
      throw probe_error{probe_failure::unsupported, "the server requires security type " + std::to_string(type)};
    chosen = static_cast<std::uint8_t>(type);
  } else {
    std::uint8_t count = c.read_u8("before the security types");
    if (count == 0) throw probe_error{probe_failure::rejected, c.read_string(max_reason_length, "before the reason")};
    std::vector<std::uint8_t> types(count);
    c.read(types, probe_failure::connection_failed, "before the security types");
    bool has_none = std::find(types.begin(), types.end(), security_none) != types.end();
    bool has_vnc = std::find(types.begin(), types.end(), security_vnc_auth) != types.end();
    if (has_vnc && (!secret.empty() || !has_none)) {
      chosen = security_vnc_auth;
    } else if (has_none) {
      chosen = security_none;
    } else {
      std::string offered;
      for (auto t : types) offered += (offered.empty() ? "" : ", ") + std::to_string(t);
      throw probe_error{probe_failure::unsupported, "the server offers " + offered};
    }
    std::array<std::uint8_t, 1> pick{chosen};
    c.write(pick);
  }

  if (chosen == security_vnc_auth) {
    answer_vnc_auth(c, secret);
    finish_security(c, minor, true);
  } else {
    finish_security(c, minor, minor == 8);
  }

  std::array<std::uint8_t, 1> client_init{1};  // shared: never disconnect other viewers
  c.write(client_init);
  std::array<std::uint8_t, 20> head{};  // width, height, 16 bytes of pixel format
  c.read(head, probe_failure::connection_failed, "before ServerInit");
  auth_result r;
  r.width = static_cast<std::uint16_t>((head[0] << 8) | head[1]);
  r.height = static_cast<std::uint16_t>((head[2] << 8) | head[3]);
  r.name = c.read_string(max_name_length, "before the desktop name");
  return r;
}

template <typename Result>
Result failed(const probe_error& e) {
  Result r;
  r.failure = e.failure;
  r.error = std::string(to_string(e.failure));
  if (!e.detail.empty()) r.error += ": " + e.detail;
  return r;
}

}  // namespace

std::string_view to_string(probe_failure f) {
  switch (f) {
    case probe_failure::none:
      return "ok";
    case probe_failure::connection_refused:
      return "connection refused";
    case probe_failure::timed_out:
      return "timed out";
    case probe_failure::not_rfb:
      return "not an RFB server";
    case probe_failure::authentication_failed:
      return "authentication failed";
    case probe_failure::rejected:
      return "the server refused the connection";
    case probe_failure::unsupported:
      return "no supported security type";
    case probe_failure::connection_failed:
      return "connection failed";
  }
  return "connection failed";
}

banner_result probe_banner(const endpoint& where, std::chrono::milliseconds timeout) {
  auto deadline = steady::now() + timeout;
  try {
    connection c(where, deadline);
    banner_result r;
    r.version = read_banner(c).text;
    return r;
  } catch (const probe_error& e) {
    return failed<banner_result>(e);
  }
}

auth_result probe_auth(const endpoint& where, std::string_view secret, std::chrono::milliseconds timeout) {
  auto deadline = steady::now() + timeout;
  try {
    connection c(where, deadline);
    return handshake(c, secret);
  } catch (const probe_error& e) {
    return failed<auth_result>(e);
  }
}

}  // namespace deskgate::rfb
