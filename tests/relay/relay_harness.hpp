// Test scaffolding for the relay: a tiny gateway (an accept loop that reads the upgrade request with
// Beast and calls start_relay, as the real server does after authorization) and small blocking peers
// standing in for a desktop: TCP servers run by a function per connection.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "relay/relay_session.hpp"

namespace deskgate::testing {

struct closed_relay {
  std::uint64_t to_browser = 0;
  std::uint64_t to_desktop = 0;
  std::string reason;
};

class relay_gateway {
 public:
  relay_target target;
  relay_options options;
  std::atomic<int> activity_calls{0};

  relay_gateway() : acceptor_(ioc_, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
    options.handshake_timeout = std::chrono::milliseconds(3000);
    accept();
    thread_ = std::thread([this] { ioc_.run(); });
  }
  ~relay_gateway() {
    ioc_.stop();
    thread_.join();
  }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

  // The last relay's handle (after a browser connected).
  std::shared_ptr<relay_handle> handle() {
    std::lock_guard lock(mu_);
    return handles_.empty() ? nullptr : handles_.back();
  }
  // Waits for the next relay to end.
  std::optional<closed_relay> wait_closed(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, timeout, [&] { return !closed_.empty(); })) return std::nullopt;
    return closed_.front();
  }
  int closed_count() {
    std::lock_guard lock(mu_);
    return static_cast<int>(closed_.size());
  }

 private:
  void accept() {
    acceptor_.async_accept(
        boost::asio::make_strand(ioc_), [this](boost::system::error_code ec, boost::asio::ip::tcp::socket socket) {
          if (ec) return;
          auto stream = std::make_shared<boost::beast::tcp_stream>(std::move(socket));
          auto buffer = std::make_shared<boost::beast::flat_buffer>();
          auto req = std::make_shared<boost::beast::http::request<boost::beast::http::string_body>>();
          boost::beast::http::async_read(
              *stream, *buffer, *req, [this, stream, buffer, req](boost::system::error_code ec, std::size_t) {
                if (ec) return;
                relay_events events;
                events.activity_interval = std::chrono::milliseconds(0);
                events.on_activity = [this](const relay_target&) { ++activity_calls; };
                events.on_close = [this](const relay_target&, std::uint64_t tb, std::uint64_t td,
                                         std::chrono::milliseconds, const std::string& reason) {
                  std::lock_guard lock(mu_);
                  closed_.push_back({tb, td, reason});
                  cv_.notify_all();
                };
                auto h = start_relay(std::move(*stream), std::move(*req), target, options, std::move(events));
                std::lock_guard lock(mu_);
                handles_.push_back(h);
              });
          accept();
        });
  }

  // Declared before the io_context: relays it still owns report to them when it is destroyed.
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::shared_ptr<relay_handle>> handles_;
  std::vector<closed_relay> closed_;
  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::thread thread_;
};

// Blocking helpers on a connected fd.
inline bool send_all(int fd, const void* data, std::size_t n) {
  auto p = static_cast<const char*>(data);
  while (n > 0) {
    ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
    if (w <= 0) return false;
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}
inline bool send_all(int fd, std::string_view s) { return send_all(fd, s.data(), s.size()); }
inline std::optional<std::string> recv_exact(int fd, std::size_t n) {
  std::string out(n, '\0');
  std::size_t have = 0;
  while (have < n) {
    ssize_t r = ::recv(fd, out.data() + have, n - have, 0);
    if (r <= 0) return std::nullopt;
    have += static_cast<std::size_t>(r);
  }
  return out;
}

// A TCP server on 127.0.0.1:<free port>; `serve` runs on its own thread for each connection, with the
// fd (closed afterwards). Stops accepting and joins on destruction (connections get shut down).
class tcp_peer {
 public:
  explicit tcp_peer(std::function<void(int)> serve) : serve_(std::move(serve)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    ::listen(listen_fd_, 16);
    accept_thread_ = std::thread([this] {
      while (true) {
        int fd = ::accept(listen_fd_, nullptr, nullptr);
        if (fd < 0) return;
        std::lock_guard lock(mu_);
        if (stopping_) {
          ::close(fd);
          return;
        }
        fds_.push_back(fd);
        workers_.emplace_back([this, fd] { serve_(fd); });
      }
    });
  }
  ~tcp_peer() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
      for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
    }
    ::shutdown(listen_fd_, SHUT_RDWR);
    ::close(listen_fd_);
    accept_thread_.join();
    for (auto& t : workers_) t.join();
    for (int fd : fds_) ::close(fd);
  }
  std::uint16_t port() const { return port_; }
  endpoint where() const {
    endpoint e;
    e.host = "127.0.0.1";
    e.port = port_;
    return e;
  }
  int connections() {
    std::lock_guard lock(mu_);
    return static_cast<int>(fds_.size());
  }

 private:
  std::function<void(int)> serve_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::thread accept_thread_;
  std::mutex mu_;
  bool stopping_ = false;
  std::vector<int> fds_;
  std::vector<std::thread> workers_;
};

}  // namespace deskgate::testing
