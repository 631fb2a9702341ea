// GET /api/diagnostics/upgrade: what a WebSocket-style request looked like when it reached deskgate,
// after every reverse proxy in front of it had its way with it. `deskgate doctor URL` sends such a request
// through the proxy and turns this answer into verdicts and fixes. Open to anyone (the doctor runs before
// anybody can sign in through a broken proxy) and therefore free of secrets: the Cookie header is reported
// only as "did one arrive", never by value, and nothing about accounts or desktops is said.
#include <algorithm>
#include <cctype>

#include "api/json_io.hpp"
#include "api/services.hpp"
#include "http/dispatcher.hpp"

namespace deskgate::api {
namespace {

using http::access;
using http::method;

bool has_token(std::string_view value, std::string_view token) {
  std::string lower(value);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  return lower.find(token) != std::string::npos;
}

// A header as a JSON value: its text, or null when it did not arrive at all (so "sent empty" and
// "removed" stay distinguishable).
nlohmann::json header_or_null(const http::request& req, std::string_view name) {
  if (!req.headers.has(name)) return nullptr;
  return std::string(req.headers.get(name));
}

http::response upgrade_report(services& s, http::context& ctx) {
  const auto& req = ctx.req;
  bool peer_trusted = std::any_of(s.cfg.server.trusted_proxies.begin(), s.cfg.server.trusted_proxies.end(),
                                  [&](const cidr& c) { return c.contains(req.peer_address); });
  std::string_view origin = req.headers.get("Origin");
  nlohmann::json origin_accepted = nullptr;  // null: no Origin to judge
  if (req.headers.has("Origin")) {
    origin_accepted = http::origin_matches(req, origin, s.cfg.server.public_origin);
  }
  bool upgrade_ok = has_token(req.headers.get("Upgrade"), "websocket");
  bool connection_ok = has_token(req.headers.get("Connection"), "upgrade");

  nlohmann::json body = {
      {"upgrade", header_or_null(req, "Upgrade")},
      {"connection", header_or_null(req, "Connection")},
      {"upgrade_ok", upgrade_ok && connection_ok},
      {"sec_websocket_key_present", req.headers.has("Sec-WebSocket-Key")},
      {"sec_websocket_version", header_or_null(req, "Sec-WebSocket-Version")},
      {"origin", header_or_null(req, "Origin")},
      {"origin_accepted", origin_accepted},
      {"public_origin", s.cfg.server.public_origin},
      {"host", header_or_null(req, "Host")},
      {"x_forwarded_for", header_or_null(req, "X-Forwarded-For")},
      {"x_forwarded_proto", header_or_null(req, "X-Forwarded-Proto")},
      {"x_forwarded_host", header_or_null(req, "X-Forwarded-Host")},
      {"x_forwarded_port", header_or_null(req, "X-Forwarded-Port")},
      {"cookie_present", req.headers.has("Cookie") && !req.headers.get("Cookie").empty()},
      {"signed_in", ctx.user.has_value()},
      {"peer_address", req.peer_address},
      {"peer_trusted_proxy", peer_trusted},
      {"client_address", req.client_address},
      {"scheme", req.scheme},
      {"derived_host", req.host},
  };
  auto res = json_response(200, body);
  res.headers.set("Cache-Control", "no-store");
  return res;
}

}  // namespace

void add_diagnostics_routes(http::router& r, services& s) {
  r.add({method::get, "/api/diagnostics/upgrade", access::anyone, bind_handler(s, upgrade_report)});
}

}  // namespace deskgate::api
