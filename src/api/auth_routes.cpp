// /api/auth/*: local login and logout, the current session, and what sign-in methods exist.
#include <fmt/format.h>

#include "api/audit.hpp"
#include "api/json_io.hpp"
#include "api/services.hpp"
#include "auth/password.hpp"
#include "core/error.hpp"

namespace deskgate::api {
namespace {

using http::access;
using http::method;

constexpr std::size_t max_username_length = 64;
constexpr std::size_t max_password_length = 1024;

nlohmann::json session_json(const user& u, const std::string& csrf_token, std::int64_t expires_at) {
  return {{"user", user_json(u)}, {"csrf_token", csrf_token}, {"expires_at", expires_at}};
}

http::response login(services& s, http::context& ctx) {
  if (!s.cfg.auth.local.enabled) {
    throw error(errc::forbidden,
                "Local accounts are switched off here; sign in with " + s.cfg.auth.oidc.display_name + ".");
  }
  auto body = parse_json_object(ctx.req, {"username", "password"});
  auto username = required_string(body, "username", max_username_length);
  auto password = required_string(body, "password", max_password_length);
  const auto& client = ctx.req.client_address;

  if (auto wait = s.throttle.retry_after(username, client); wait > 0) {
    record_audit(s, ctx, {"auth.login_throttled", "", false, std::nullopt, username});
    auto res = json_response(429, {{"error",
                                    {{"code", code_name(errc::too_many_requests)},
                                     {"message", fmt::format("Too many failed sign-ins. Try again in {} "
                                                             "seconds.",
                                                             wait)}}}});
    res.headers.set("Retry-After", std::to_string(wait));
    return res;
  }

  auto u = s.db.find_user_by_username(username);
  bool password_ok = false;
  if (u && !u->password_hash.empty()) {
    password_ok = auth::verify_password(u->password_hash, password);
  } else {
    auth::verify_dummy_password(password);
  }
  if (!password_ok) {
    s.throttle.record_failure(username, client);
    record_audit(s, ctx,
                 {"auth.login_failed", u ? "user:" + std::to_string(u->id) : "", false, std::nullopt, username});
    throw error(errc::unauthenticated, "Wrong username or password.");
  }
  if (u->disabled) {
    record_audit(
        s, ctx,
        {"auth.login_failed", "user:" + std::to_string(u->id), false, u->id, username, {{"reason", "disabled"}}});
    throw error(errc::forbidden, "This account is disabled. Ask your administrator.");
  }

  s.throttle.record_success(username);
  s.sessions.destroy(ctx.req);  // a session cookie brought along is never carried over (fixation)
  auto issued = s.sessions.create(*u, ctx.req);
  record_audit(s, ctx, {"auth.login", "user:" + std::to_string(u->id), true, u->id, u->username});
  ctx.acting_user_id = u->id;
  auto res = json_response(200, session_json(*u, issued.row.csrf_token, issued.row.expires_at));
  res.headers.add("Set-Cookie", s.sessions.set_cookie_header(issued.token));
  return res;
}

http::response logout(services& s, http::context& ctx) {
  s.sessions.destroy(ctx.req);
  s.relays.close_session(ctx.user->session_id, close_session_ended, "You signed out.");
  record_audit(s, ctx, {"auth.logout", "user:" + std::to_string(ctx.user->user_id)});
  auto res = http::response::no_content();
  res.headers.add("Set-Cookie", s.sessions.clear_cookie_header());
  return res;
}

http::response current_session(services& s, http::context& ctx) {
  auto u = s.db.find_user(ctx.user->user_id);
  if (!u) throw error(errc::unauthenticated, "Please sign in first.");
  return json_response(200, session_json(*u, ctx.user->csrf_token, ctx.user->session_expires_at));
}

http::response auth_config(services& s, http::context&) {
  const auto& oidc = s.cfg.auth.oidc;
  return json_response(200, {{"local", {{"enabled", s.cfg.auth.local.enabled}}},
                             {"oidc", {{"enabled", oidc.enabled()}, {"display_name", oidc.display_name}}}});
}

}  // namespace

void add_auth_routes(http::router& r, services& s) {
  r.add({method::post, "/api/auth/login", access::anyone, bind_handler(s, login), false});
  r.add({method::post, "/api/auth/logout", access::signed_in, bind_handler(s, logout)});
  r.add({method::get, "/api/auth/session", access::signed_in, bind_handler(s, current_session)});
  r.add({method::get, "/api/auth/config", access::anyone, bind_handler(s, auth_config)});
}

}  // namespace deskgate::api
