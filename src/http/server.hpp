// The HTTP/1.1 server: accepts connections on io threads, reads requests with size limits and
// timeouts, hands each complete request to the request handler on the worker pool, writes the answer
// back on the connection's strand, and shuts down gracefully. Uploads and downloads can be streamed
// (body_sink, body_source) so no file is held in memory whole. Beast stays inside server.cpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config/cidr.hpp"
#include "http/dispatcher.hpp"
#include "http/metrics.hpp"

namespace deskgate {
class relay_handle;
struct relay_options;
struct relay_events;
}  // namespace deskgate

namespace deskgate::http {

// What the server does with authorized WebSocket upgrades: starts a relay with these options and events
// (or a push socket) and reports its handle (the gateway keeps a registry to close relays when desktops stop or users leave).
struct upgrade_support {
  std::shared_ptr<const relay_options> options;
  std::shared_ptr<const relay_events> events;
  std::function<void(std::shared_ptr<relay_handle>)> on_started;
  // Push WebSockets (/api/events): their keepalive, and their handles for the same registry.
  std::chrono::milliseconds push_ping_interval{25'000};
  std::function<void(std::shared_ptr<relay_handle>)> on_push_started;
};

struct server_options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;  // 0: the OS picks (tests)
  int io_threads = 2;
  int worker_threads = 4;
  std::size_t max_connections = 10000;
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_body_bytes = 1024 * 1024;
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds body_timeout{30'000};
  std::chrono::milliseconds keepalive_timeout{60'000};
  std::vector<cidr> trusted_proxies;
  upgrade_support upgrades;  // empty: upgrade routes answer, but nothing is relayed
  // Whether a request (method, raw target) goes to a route that takes its body as a stream
  // (dispatcher::streams_body). Such requests are handled on their headers alone; the body then goes,
  // piece by piece with a per-piece body_timeout, into the sink the handler returns, and only after the
  // handler accepted it is "100 Continue" sent. Empty: every body is read whole (max_body_bytes).
  std::function<bool(method, std::string_view target)> streams_body;
};

// Called on a worker thread with a complete request; returns the answer.
using request_handler = std::function<outcome(const request&)>;

class server {
 public:
  server(server_options opts, request_handler handler, metrics& m);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  // Binds and starts the io and worker threads. Throws std::system_error when the address is taken.
  void start();
  // The bound port (after start).
  std::uint16_t port() const;
  // Stops accepting, closes idle connections, lets in-flight requests finish, and force-closes whatever
  // is left after `grace`. Returns at once; wait() blocks until everything has stopped.
  void shutdown(std::chrono::milliseconds grace);
  void wait();

  // Runs `fn` on the worker pool (blocking work: database, files).
  void post_blocking(std::function<void()> fn);

  struct impl;  // public only so server.cpp's connection class can name it; opaque everywhere else

 private:
  std::unique_ptr<impl> impl_;
};

}  // namespace deskgate::http
