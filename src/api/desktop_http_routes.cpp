// The http relay mode (DESIGN.md §2): ANY /desktop/{id}/http/... is passed to the desktop's web port (a
// type's http_port: the Kasm web client, a web app inside the container) with the same authorization as
// the desktop's WebSocket; a WebSocket under the prefix is relayed to the same port. The bare prefix
// redirects to the trailing-slash form so the app's relative asset URLs resolve under it. deskgate's own
// session cookie and CSRF header never reach the desktop, and the app cannot set deskgate's cookie.
#include <fmt/format.h>

#include "api/gateway_access.hpp"
#include "api/services.hpp"
#include "auth/session_service.hpp"
#include "core/crypto.hpp"
#include "core/error.hpp"
#include "core/text.hpp"
#include "http/cookies.hpp"
#include "relay/http_forward.hpp"

namespace deskgate::api {
namespace {

using http::access;
using http::method;

// A desktop's last_active_at is written at most this often for page loads (every asset is a request).
constexpr std::int64_t activity_write_interval_seconds = 30;

std::string prefix_of(std::string_view public_id) { return fmt::format("/desktop/{}/http", public_id); }

std::string upstream_target(const http::context& ctx) {
  std::string target = "/" + std::string(ctx.params.get("rest"));
  if (!ctx.req.query.empty()) target += "?" + ctx.req.query;
  return target;
}

// The Cookie header without deskgate's session cookie ("" when nothing else is left).
std::string cookies_for_desktop(std::string_view header) {
  std::string kept;
  while (!header.empty()) {
    auto end = header.find(';');
    auto pair = trim(header.substr(0, end));
    header = end == std::string_view::npos ? std::string_view{} : header.substr(end + 1);
    if (pair.empty() || trim(pair.substr(0, pair.find('='))) == auth::session_service::cookie_name) continue;
    if (!kept.empty()) kept += "; ";
    kept += pair;
  }
  return kept;
}

http::request request_for_desktop(const http::context& ctx, const desktop_type& type, const desktop& d,
                                  const endpoint& web) {
  const http::request& in = ctx.req;
  http::request out;
  out.verb = in.verb;
  out.method_text = in.method_text;
  out.target = upstream_target(ctx);
  out.body = in.body;
  for (const auto& [name, value] : in.headers.fields()) {
    if (is_hop_by_hop(name) || iequals(name, "Host") || iequals(name, "Cookie") || iequals(name, "X-CSRF-Token") ||
        iequals(name, "Authorization") || iequals(name, "Content-Length") || name.starts_with("X-Forwarded-")) {
      continue;
    }
    out.headers.add(name, value);
  }
  if (auto cookies = cookies_for_desktop(in.headers.get("Cookie")); !cookies.empty()) {
    out.headers.add("Cookie", cookies);
  }
  out.headers.add("Host", web.host + ":" + std::to_string(web.port));
  if (type.auth_scheme == "basic") {
    const std::string& secret = type.backend == "static" ? type.secret : d.secret;
    out.headers.add("Authorization", "Basic " + crypto::base64_encode("kasm_user:" + secret));
  }
  out.headers.add("X-Forwarded-For", in.client_address);
  out.headers.add("X-Forwarded-Proto", in.scheme);
  out.headers.add("X-Forwarded-Host", in.host);
  out.headers.add("X-Forwarded-Prefix", prefix_of(d.public_id));
  return out;
}

// Redirects inside the app stay under the prefix: "/x" becomes "/desktop/{id}/http/x", and so does an
// absolute URL naming the desktop's own address.
std::string rewrite_location(std::string_view location, const endpoint& web, std::string_view prefix) {
  for (const char* scheme : {"http://", "https://"}) {
    auto own = fmt::format("{}{}:{}", scheme, web.host, web.port);
    if (location.starts_with(own)) location.remove_prefix(own.size());
  }
  if (location.starts_with('/') && !location.starts_with("//")) return std::string(prefix) + std::string(location);
  return std::string(location);
}

http::response answer_for_browser(http::response res, const endpoint& web, std::string_view prefix) {
  http::header_map headers;
  for (auto& [name, value] : res.headers.fields()) {
    if (iequals(name, "Location")) {
      headers.add(name, rewrite_location(value, web, prefix));
    } else if (iequals(name, "Set-Cookie") &&
               trim(std::string_view(value).substr(0, value.find('='))) == auth::session_service::cookie_name) {
      continue;  // the desktop may not replace (or log out) the browser's deskgate session
    } else {
      headers.add(name, value);
    }
  }
  res.headers = std::move(headers);
  return res;
}

http::response proxy(services& s, http::context& ctx) {
  auto [d, type, observer] = running_desktop_for(s, ctx, ctx.params.get("id"));
  if (type.http_port == 0) throw error(errc::not_found, "This desktop has no web interface.");
  auto web = s.desktops.web_endpoint(d, type);
  if (!web) throw error(errc::unavailable, "The desktop's web interface is not reachable yet; try again in a moment.");

  if (wants_websocket(ctx.req)) {
    check_websocket_upgrade(s, ctx.req);
    auto target = relay_target_for(ctx, d, *web);
    target->mode = relay_mode::websocket;
    target->upstream_path = upstream_target(ctx);
    target->tls = type.tls;
    target->tls_verify = type.tls_verify;
    bool basic = type.auth_scheme == "basic";
    target->basic_user = basic ? "kasm_user" : "";
    target->secret = basic ? (type.backend == "static" ? type.secret : d.secret) : "";
    ctx.upgrade = std::move(target);
    return upgrade_placeholder();
  }

  // The app's own forms cannot carry deskgate's CSRF token: state-changing requests must at least come
  // from deskgate's pages (the dispatcher has already refused a foreign Origin).
  if (http::is_unsafe(ctx.req.verb) && ctx.req.headers.get("Origin").empty()) {
    throw error(errc::bad_origin, "Changes through a desktop's web interface must come from deskgate's pages.");
  }
  auto now = s.clk.now();
  if (now - d.last_active_at.value_or(0) >= activity_write_interval_seconds) s.desktops.record_activity(d.id);

  http_upstream upstream{*web, type.tls, type.tls_verify};
  auto res = forward_http(s.desktop_web, upstream, request_for_desktop(ctx, type, d, *web));
  return answer_for_browser(std::move(res), *web, prefix_of(d.public_id));
}

http::response redirect_to_slash(services&, http::context& ctx) {
  http::response res;
  res.status = 308;
  std::string location = prefix_of(ctx.params.get("id")) + "/";
  if (!ctx.req.query.empty()) location += "?" + ctx.req.query;
  res.headers.add("Location", location);
  return res;
}

}  // namespace

void add_desktop_http_routes(http::router& r, services& s) {
  // The app's own requests cannot carry deskgate's CSRF header; Origin and SameSite=Lax guard them instead.
  for (method m : {method::get, method::post, method::put, method::patch, method::del, method::options}) {
    r.add({m, "/desktop/{id}/http", access::signed_in, bind_handler(s, redirect_to_slash), false});
    r.add({m, "/desktop/{id}/http/{rest*}", access::signed_in, bind_handler(s, proxy), false});
  }
}

}  // namespace deskgate::api
