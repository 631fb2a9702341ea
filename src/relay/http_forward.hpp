// The http relay mode's transport: one request to a desktop's web port and its answer, read whole (up to
// a limit) on the calling worker thread, over TCP or TLS, bounded by a timeout. Which headers go where
// (the session cookie never reaches the desktop, Location rewritten under the prefix) is decided by the
// route; this only carries them. No Beast in this header.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "backends/backend.hpp"
#include "http/message.hpp"

namespace deskgate {

struct http_upstream {
  endpoint where;
  bool tls = false;
  bool tls_verify = true;
};

struct forward_limits {
  std::chrono::milliseconds timeout{30'000};  // connect, and each read or write
  std::size_t max_response_bytes = 64 * 1024 * 1024;
};

// Sends `req` (method, target, headers and body as given) and returns the desktop's answer with its
// headers as they came, but for hop-by-hop ones. Throws deskgate::error: gateway_timeout when the desktop
// does not answer in time, unavailable when it cannot be reached, bad_gateway for a broken or oversized
// answer.
http::response forward_http(const http_upstream& upstream, const http::request& req, const forward_limits& limits);

// Header names that belong to one connection and are never forwarded (RFC 9110 §7.6.1).
bool is_hop_by_hop(std::string_view name);

}  // namespace deskgate
