// The relay: one browser WebSocket ⇄ one desktop. Connects upstream FIRST (and, for rfb_auth, completes
// VNC authentication with the desktop's secret), and only then answers the browser's upgrade with 101;
// when the desktop cannot be reached the browser gets a plain 502/503 instead. Then relays both ways with
// bounded buffers, one write in flight per direction and backpressure (a side is not read while the
// other side's write is pending), keepalive pings, idle and handshake timeouts and a message size limit.
// Internal to the gateway: this header names Beast types and is included only by relay/*.cpp,
// http/server.cpp and tests.
#pragma once

#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "relay/relay_target.hpp"

namespace deskgate {

struct relay_options {
  std::chrono::milliseconds handshake_timeout{10'000};  // upstream connect + RFB/WS handshakes
  std::chrono::milliseconds ping_interval{25'000};      // keeps reverse proxies from dropping idle tunnels
  std::chrono::milliseconds idle_timeout{0};            // no traffic either way for this long: close (0: never)
  std::size_t max_message_bytes = 16 * 1024 * 1024;     // a browser message larger than this closes (1009)
  // Per direction: where a busy relay's read buffer stops growing (an idle one keeps its first 2 KiB).
  // Large reads mean fewer system calls, wake-ups and WebSocket frames per byte on a busy stream.
  std::size_t buffer_bytes = 256 * 1024;
};

// What the relay tells the rest of the gateway. Called from the relay's strand: keep them quick.
struct relay_events {
  // Input from the browser (key or pointer events in RFB modes; any message in other modes). The relay
  // calls this at most once per `activity_interval`.
  std::function<void(const relay_target&)> on_activity;
  std::chrono::milliseconds activity_interval{30'000};
  // When the relay ends: bytes each way, how long it lived, and why it ended.
  std::function<void(const relay_target&, std::uint64_t to_browser, std::uint64_t to_desktop,
                     std::chrono::milliseconds lived, const std::string& reason)>
      on_close;
};

// A running relay, for the gateway's registry: closing it from outside (desktop stopped, logout).
class relay_handle {
 public:
  virtual ~relay_handle() = default;
  // Thread-safe. Closes the browser side with `code` and `reason` and the upstream side.
  virtual void close(std::uint16_t code, std::string reason) = 0;
  virtual const relay_target& target() const = 0;
  // False once the relay has ended (the handle is only a name for it, it does not keep it alive).
  virtual bool alive() const = 0;
};

// Starts a relay for an authorized upgrade. `browser` is the client connection (its strand executor);
// `upgrade` the browser's upgrade request (for the 101 answer and Sec-WebSocket-Protocol). Returns the
// handle at once; everything else happens asynchronously on the stream's executor.
std::shared_ptr<relay_handle> start_relay(boost::beast::tcp_stream browser,
                                          boost::beast::http::request<boost::beast::http::string_body> upgrade,
                                          relay_target target, relay_options options, relay_events events);

}  // namespace deskgate
