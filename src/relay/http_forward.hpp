// The http relay mode's transport: one request to a desktop's web port and its answer, through the
// gateway's HTTP client (read whole up to its limit, within its timeout), with errors worded for the
// browser. Which headers go where (the session cookie never reaches the desktop, Location rewritten under
// the prefix) is decided by the route; this only carries them.
#pragma once

#include <string_view>

#include "backends/backend.hpp"
#include "http/http_client.hpp"
#include "http/message.hpp"

namespace deskgate {

struct http_upstream {
  endpoint where;
  bool tls = false;
  bool tls_verify = true;
};

// Sends `req` (method, target, headers and body as given) and returns the desktop's answer with its
// headers as they came, but for hop-by-hop ones. Throws deskgate::error: gateway_timeout when the desktop
// does not answer in time, unavailable when it cannot be reached, bad_gateway for a broken or oversized
// answer. The messages never name the desktop's address.
http::response forward_http(const http::http_client& client, const http_upstream& upstream, const http::request& req);

// Header names that belong to one connection and are never forwarded (RFC 9110 §7.6.1).
bool is_hop_by_hop(std::string_view name);

}  // namespace deskgate
