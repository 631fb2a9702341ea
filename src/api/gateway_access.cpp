#include "api/gateway_access.hpp"

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

std::shared_ptr<relay_target> relay_target_for(const http::context& ctx, const desktop& d, const endpoint& upstream) {
  auto target = std::make_shared<relay_target>();
  target->desktop_id = d.id;
  target->public_id = d.public_id;
  target->user_id = ctx.user->user_id;
  target->session_id = ctx.user->session_id;
  target->upstream = upstream;
  return target;
}

http::response upgrade_placeholder() {
  http::response placeholder;
  placeholder.status = 101;
  return placeholder;
}

bool wants_websocket(const http::request& req) {
  return req.headers.has("Sec-WebSocket-Key") || header_has_token(req.headers, "Upgrade", "websocket");
}

usable_desktop running_desktop_for(services& s, const http::context& ctx, std::string_view public_id, bool view_only) {
  auto found = s.db.find_desktop_with_type(public_id);  // the desktop and its type in one query
  desktop* d = found ? &found->desk : nullptr;
  bool owner = d && d->user_id == ctx.user->user_id;
  bool admin = ctx.user->user_role == role::admin;
  // Teachers watch the desktops of their groups' members, only ever view-only (without it they are
  // strangers like anyone else).
  bool watcher = d && view_only && may_observe(s.db, ctx.user->user_role, ctx.user->user_id, d->user_id);
  if (!owner && !admin && !watcher) throw error(errc::not_found, "There is no such desktop.");
  if (d->state != desktop_state::running) {
    throw error(errc::conflict,
                "The desktop is " + std::string(to_string(d->state)) + ", not running; start it first.");
  }
  if (d->endpoint.empty()) throw error(errc::unavailable, "The desktop has no address yet; try again in a moment.");
  bool observer = !owner && view_only;
  // Input is filtered only in the RFB stream; a desktop speaking its own WebSocket protocol cannot be
  // watched without handing over its keyboard.
  if (observer && found->type.protocol == "websocket") {
    throw error(errc::conflict, "This desktop type cannot be watched view-only.");
  }
  return {std::move(found->desk), std::move(found->type), observer};
}

bool may_observe(store& db, role viewer_role, std::int64_t viewer_id, std::int64_t owner_id) {
  if (viewer_role == role::admin) return true;
  return viewer_role == role::teacher && db.shares_group(viewer_id, owner_id);
}

void close_unauthorized_observers(services& s) {
  s.relays.recheck_observers([&s](std::int64_t viewer_id, std::int64_t owner_id) {
    auto viewer = s.db.find_user(viewer_id);  // the role now: a teacher made a student watches no more
    return viewer && may_observe(s.db, viewer->user_role, viewer_id, owner_id);
  });
}

}  // namespace deskgate::api
