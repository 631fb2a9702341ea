// /api/auth/oidc/*: sign-in through the school's OpenID provider. Both routes are browser navigations,
// so they answer with redirects: to the provider (start), to `next` (a successful callback), or to
// /login?error=<code> when anything fails (the codes and their messages are in GET /api/auth/config).
// Every failure writes an audit row "auth.oidc.login" with the reason and creates no session.
#include <fmt/format.h>

#include "api/audit.hpp"
#include "api/services.hpp"
#include "auth/oidc/login_error.hpp"
#include "auth/oidc/login_flow.hpp"
#include "http/cookies.hpp"
#include "log/log.hpp"

namespace deskgate::api {
namespace {

using http::access;
using http::method;
namespace oidc = auth::oidc;

http::response redirect(const std::string& location) {
  http::response res;
  res.status = 302;
  res.headers.set("Location", location);
  res.headers.set("Cache-Control", "no-store");
  return res;
}

http::response failed(services& s, http::context& ctx, const oidc::login_error& e) {
  auto code = std::string(oidc::code_of(e.reason()));
  log::warn("oidc sign-in failed", {{"reason", code}, {"detail", e.what()}, {"request_id", ctx.req.request_id}});
  record_audit(s, ctx, {"auth.oidc.login", "", false, std::nullopt, "", {{"reason", code}, {"detail", e.what()}}});
  return redirect("/login?error=" + code);
}

http::response start(services& s, http::context& ctx) {
  try {
    if (!s.oidc) throw oidc::login_error(oidc::failure::not_configured, "auth.oidc.issuer is not set");
    auto started = s.oidc->start(ctx.req.query_param("next").value_or("/"),
                                 http::find_cookie(ctx.req.headers.get("Cookie"), oidc::login_flow::cookie_name));
    auto res = redirect(started.authorization_url);
    res.headers.add("Set-Cookie", started.set_cookie);
    return res;
  } catch (const oidc::login_error& e) {
    return failed(s, ctx, e);
  }
}

http::response callback(services& s, http::context& ctx) {
  oidc::login_flow::signed_in done;
  try {
    if (!s.oidc) throw oidc::login_error(oidc::failure::not_configured, "auth.oidc.issuer is not set");
    const auto& q = ctx.req;
    done = s.oidc->finish({.code = q.query_param("code"),
                           .state = q.query_param("state"),
                           .error = q.query_param("error"),
                           .iss = q.query_param("iss"),
                           .browser_token = http::find_cookie(q.headers.get("Cookie"), oidc::login_flow::cookie_name)});
  } catch (const oidc::login_error& e) {
    return failed(s, ctx, e);
  }
  const user& u = done.account;
  s.sessions.destroy(ctx.req);  // a session cookie brought along is never carried over (fixation)
  auto issued = s.sessions.create(u, ctx.req);
  nlohmann::json groups = nlohmann::json::array();
  for (const auto& g : done.groups) groups.push_back(g.external_id);
  nlohmann::json detail = {{"role", to_string(u.user_role)}, {"groups", groups}, {"created", done.created}};
  if (done.previous_role != u.user_role) detail["previous_role"] = to_string(done.previous_role);
  record_audit(s, ctx, {"auth.oidc.login", "user:" + std::to_string(u.id), true, u.id, u.username, detail});
  ctx.acting_user_id = u.id;
  auto res = redirect(done.next);
  res.headers.add("Set-Cookie", s.sessions.set_cookie_header(issued.token));
  res.headers.add("Set-Cookie", s.oidc->clear_cookie_header());
  return res;
}

}  // namespace

void add_oidc_routes(http::router& r, services& s) {
  r.add({method::get, "/api/auth/oidc/start", access::anyone, bind_handler(s, start)});
  r.add({method::get, "/api/auth/oidc/callback", access::anyone, bind_handler(s, callback)});
}

}  // namespace deskgate::api
