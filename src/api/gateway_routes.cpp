// The WebSocket gateway's front door (DESIGN.md §1): /desktop/{id}/websockify and noVNC's default
// /websockify?desktop={id}. Everything is decided here, before any upgrade, and refusals are plain HTTP:
// 401 no session, 404 unknown or someone else's desktop, 403 foreign Origin, 409 not running, 400 not an
// upgrade (with the reverse-proxy fix when a proxy stripped the upgrade headers). An authorized request
// leaves with a relay_target; the server then connects upstream and answers 101.
#include <atomic>
#include <chrono>

#include "api/services.hpp"
#include "core/error.hpp"
#include "core/text.hpp"
#include "http/dispatcher.hpp"
#include "log/log.hpp"

namespace deskgate::api {

namespace {

using http::access;
using http::method;

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

// The desktop id of /websockify: ?desktop=, or the Referer of the page that opened it (/desktops/{id} or
// /desktop/{id}/...). Either is only a name: the same authorization follows.
std::string desktop_id_for_default_path(const http::request& req) {
  if (auto q = req.query_param("desktop"); q && !q->empty()) return *q;
  std::string_view referer = req.headers.get("Referer");
  for (std::string_view prefix : {"/desktops/", "/desktop/"}) {
    auto at = referer.find(prefix);
    if (at == std::string_view::npos) continue;
    auto rest = referer.substr(at + prefix.size());
    return std::string(rest.substr(0, rest.find_first_of("/?#")));
  }
  throw error(errc::bad_request, "Say which desktop: /desktop/{id}/websockify or /websockify?desktop={id}.");
}

relay_mode mode_for(const desktop_type& t) {
  if (t.protocol == "websocket") return relay_mode::websocket;
  return t.auth_scheme == "none" ? relay_mode::raw : relay_mode::rfb_auth;
}

http::response authorize_upgrade(services& s, http::context& ctx, const std::string& public_id) {
  require_upgrade(ctx.req);
  std::string_view origin = ctx.req.headers.get("Origin");
  if (!origin.empty() && !http::origin_matches(ctx.req, origin, s.cfg.server.public_origin)) {
    throw error(errc::bad_origin, "WebSocket connections from " + std::string(origin) + " are not accepted.");
  }
  auto d = s.db.find_desktop_by_public_id(public_id);
  bool owner_or_admin = d && (d->user_id == ctx.user->user_id || ctx.user->user_role == role::admin);
  // Observers (teachers watching their class, view-only) are admitted here by the teaching issue.
  if (!owner_or_admin) throw error(errc::not_found, "There is no such desktop.");
  if (d->state != desktop_state::running) {
    throw error(errc::conflict,
                "The desktop is " + std::string(to_string(d->state)) + ", not running; start it first.");
  }
  auto type = s.db.find_desktop_type(d->desktop_type_id);
  auto where = endpoint::parse(d->endpoint);
  if (!type || !where) throw error(errc::unavailable, "The desktop has no address yet; try again in a moment.");

  auto target = std::make_shared<relay_target>();
  target->desktop_id = d->id;
  target->public_id = d->public_id;
  target->user_id = ctx.user->user_id;
  target->session_id = ctx.user->session_id;
  target->upstream = *where;
  target->mode = mode_for(*type);
  target->secret = type->backend == "static" ? type->secret : d->secret;
  target->upstream_path = type->upstream_path.empty() ? "/websockify" : type->upstream_path;
  target->tls = type->tls;
  target->tls_verify = type->tls_verify;
  target->view_only = ctx.req.query_param("view_only").value_or("") == "1";
  ctx.upgrade = std::move(target);
  http::response placeholder;  // never sent: the relay answers 101 (or 502/503)
  placeholder.status = 101;
  return placeholder;
}

http::response upgrade_by_path(services& s, http::context& ctx) {
  return authorize_upgrade(s, ctx, std::string(ctx.params.get("id")));
}

http::response upgrade_by_default_path(services& s, http::context& ctx) {
  return authorize_upgrade(s, ctx, desktop_id_for_default_path(ctx.req));
}

}  // namespace

void add_gateway_routes(http::router& r, services& s) {
  r.add({method::get, "/desktop/{id}/websockify", access::signed_in, bind_handler(s, upgrade_by_path)});
  r.add({method::get, "/websockify", access::signed_in, bind_handler(s, upgrade_by_default_path)});
}

}  // namespace deskgate::api
