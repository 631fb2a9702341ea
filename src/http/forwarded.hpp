// Who is really asking: the TCP peer, or, when the peer is a trusted reverse proxy, what its
// X-Forwarded-For/Proto/Host/Port headers say. Untrusted peers' X-Forwarded-* headers are ignored.
#pragma once

#include <string>
#include <vector>

#include "config/cidr.hpp"
#include "http/message.hpp"

namespace deskgate::http {

struct forwarded_view {
  std::string client_address;
  std::string scheme;
  std::string host;  // host[:port] as the browser addressed it
  bool via_trusted_proxy = false;
};

// `peer`: the TCP peer address; `default_scheme`: what this listener speaks (http).
forwarded_view resolve_forwarded(const header_map& headers, const std::string& peer,
                                 const std::vector<cidr>& trusted, const std::string& default_scheme);

}  // namespace deskgate::http
