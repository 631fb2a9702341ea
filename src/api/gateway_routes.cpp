// The WebSocket gateway's front door (DESIGN.md §1): /desktop/{id}/websockify and noVNC's default
// /websockify?desktop={id}. Everything is decided here, before any upgrade, and refusals are plain HTTP:
// 401 no session, 404 unknown or someone else's desktop, 403 foreign Origin, 409 not running, 400 not an
// upgrade (with the reverse-proxy fix when a proxy stripped the upgrade headers). An authorized request
// leaves with a relay_target; the server then connects upstream and answers 101.
#include "api/gateway_access.hpp"
#include "api/services.hpp"
#include "core/error.hpp"

namespace deskgate::api {

namespace {

using http::access;
using http::method;

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
  check_websocket_upgrade(s, ctx.req);
  bool view_only = ctx.req.query_param("view_only").value_or("") == "1";
  auto [d, type, observer] = running_desktop_for(s, ctx, public_id, view_only);
  auto where = endpoint::parse(d.endpoint);
  if (!where) throw error(errc::unavailable, "The desktop has no address yet; try again in a moment.");

  auto target = relay_target_for(ctx, d, *where);
  target->mode = mode_for(type);
  target->secret = type.backend == "static" ? type.secret : d.secret;
  target->upstream_path = type.upstream_path.empty() ? "/websockify" : type.upstream_path;
  target->tls = type.tls;
  target->tls_verify = type.tls_verify;
  target->view_only = view_only;
  if (observer) {
    target->observed_owner_id = d.user_id;
    target->viewer_name = ctx.user->display_name;
  }
  ctx.upgrade = std::move(target);
  return upgrade_placeholder();  // the relay answers 101 (or 502/503)
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
