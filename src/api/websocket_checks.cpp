#include "api/websocket_checks.hpp"

#include <atomic>
#include <chrono>

#include "core/error.hpp"
#include "core/text.hpp"
#include "http/dispatcher.hpp"
#include "log/log.hpp"

namespace deskgate::api {
namespace {

// Whether any field named `name` lists `token` (case-insensitive); a header may be repeated ("Connection:
// close" from one hop and "Connection: Upgrade" from another are one list).
bool header_has_token(const http::header_map& headers, std::string_view name, std::string_view token) {
  for (const auto& [field, value] : headers.fields()) {
    if (iequals(field, name) && to_lower(value).find(token) != std::string::npos) return true;
  }
  return false;
}

// The seed's bug: a proxy forwarded the WebSocket handshake as a plain GET. Said once a minute in the log
// (not per request: a reconnecting browser would flood it), and every time to the client.
void warn_stripped_upgrade(const http::request& req) {
  static std::atomic<std::int64_t> last_warning{0};
  auto now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
  auto previous = last_warning.load();
  if (now - previous >= 60 && last_warning.compare_exchange_strong(previous, now)) {
    log::warn("WebSocket upgrade headers missing: a reverse proxy in front of deskgate drops them",
              {{"path", req.path}, {"peer", req.peer_address}});
  }
}

void require_upgrade(const http::request& req) {
  bool upgrade = header_has_token(req.headers, "Upgrade", "websocket");
  bool connection = header_has_token(req.headers, "Connection", "upgrade");
  if (upgrade && connection && req.headers.has("Sec-WebSocket-Key")) return;
  if (req.headers.has("Sec-WebSocket-Key")) {
    warn_stripped_upgrade(req);
    throw error(errc::bad_request,
                "This WebSocket request arrived without its Upgrade/Connection headers: a reverse proxy in front of "
                "deskgate removed them. Apache: use `ProxyPass / http://DESKGATE/ upgrade=websocket` (or a RewriteRule "
                "to ws://); nginx: `proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; proxy_set_header "
                "Connection $connection_upgrade;`; HAProxy: `mode http` passes them as they are. `deskgate doctor URL` "
                "checks a proxy.");
  }
  throw error(errc::bad_request, "This address is for WebSocket connections from the desktop viewer.");
}

}  // namespace

void check_websocket_upgrade(services& s, const http::request& req) {
  require_upgrade(req);
  std::string_view origin = req.headers.get("Origin");
  if (!origin.empty() && !http::origin_matches(req, origin, s.cfg.server.public_origin)) {
    throw error(errc::bad_origin, "WebSocket connections from " + std::string(origin) + " are not accepted.");
  }
}

}  // namespace deskgate::api
