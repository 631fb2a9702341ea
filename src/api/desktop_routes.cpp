// /api/desktops (a user's own desktops) and /api/admin/desktops, /api/admin/stats (all of them). A
// desktop another user owns is 404 to everyone but admins: its id does not even exist for them.
#include "api/audit.hpp"
#include "api/json_io.hpp"
#include "api/services.hpp"
#include "core/error.hpp"

namespace deskgate::api {
namespace {

using http::access;
using http::method;

// The desktop named by the path, if the caller may see it.
desktop visible_desktop(services& s, const http::context& ctx) {
  auto d = s.db.find_desktop_by_public_id(ctx.params.get("id"));
  bool allowed = d && (d->user_id == ctx.user->user_id || ctx.user->user_role == role::admin);
  if (!allowed) throw error(errc::not_found, "There is no such desktop.");
  return *d;
}

std::string slug_of(services& s, const desktop& d) {
  auto t = s.db.find_desktop_type(d.desktop_type_id);
  return t ? t->slug : "";
}

nlohmann::json admin_desktop_json(services& s, const desktop& d) {
  auto j = desktop_json(d, slug_of(s, d));
  auto owner = s.db.find_user(d.user_id);
  j["owner"] = {{"id", d.user_id},
                {"username", owner ? owner->username : ""},
                {"display_name", owner ? owner->display_name : ""}};
  j["backend_host"] = d.backend_host;
  j["container_id"] = d.container_id;
  return j;
}

http::response start_desktop(services& s, http::context& ctx) {
  auto body = parse_json_object(ctx.req, {"type"});
  auto slug = required_string(body, "type", 64);
  auto owner = s.db.find_user(ctx.user->user_id);
  if (!owner) throw error(errc::unauthenticated, "Please sign in first.");
  auto d = s.desktops.start(*owner, slug);
  record_audit(s, ctx, {"desktop.start", "desktop:" + d.public_id, true, std::nullopt, "", {{"type", slug}}});
  return json_response(202, {{"desktop", desktop_json(d, slug)}});
}

http::response list_own(services& s, http::context& ctx) {
  auto all = nlohmann::json::array();
  for (const auto& d : s.db.list_desktops_of(ctx.user->user_id)) all.push_back(desktop_json(d, slug_of(s, d)));
  return json_response(200, {{"desktops", all}});
}

http::response get_desktop(services& s, http::context& ctx) {
  auto d = visible_desktop(s, ctx);
  return json_response(200, {{"desktop", desktop_json(d, slug_of(s, d))}});
}

http::response stop_desktop(services& s, http::context& ctx) {
  auto d = s.desktops.stop(visible_desktop(s, ctx).id);
  record_audit(s, ctx, {"desktop.stop", "desktop:" + d.public_id});
  return json_response(202, {{"desktop", desktop_json(d, slug_of(s, d))}});
}

http::response remove_desktop(services& s, http::context& ctx) {
  auto d = s.desktops.remove(visible_desktop(s, ctx).id);
  record_audit(s, ctx, {"desktop.remove", "desktop:" + d.public_id});
  return json_response(202, {{"desktop", desktop_json(d, slug_of(s, d))}});
}

http::response admin_list(services& s, http::context&) {
  auto all = nlohmann::json::array();
  for (const auto& d : s.db.list_desktops()) all.push_back(admin_desktop_json(s, d));
  return json_response(200, {{"desktops", all}});
}

http::response admin_stop_all(services& s, http::context& ctx) {
  int asked = s.desktops.stop_all();
  record_audit(s, ctx, {"desktop.stop_all", "", true, std::nullopt, "", {{"count", asked}}});
  return json_response(202, {{"stopping", asked}});
}

http::response admin_stats(services& s, http::context&) {
  auto st = s.desktops.stats();
  auto users = s.db.list_users();
  auto types = s.db.list_desktop_types();
  auto enabled = std::count_if(types.begin(), types.end(), [](const auto& t) { return t.enabled; });
  return json_response(200,
                       {{"desktops", {{"total", st.total}, {"by_state", st.by_state}}},
                        {"users", {{"total", users.size()}, {"with_active_desktops", st.users_with_active_desktops}}},
                        {"desktop_types", {{"total", types.size()}, {"enabled", enabled}}}});
}

}  // namespace

void add_desktop_routes(http::router& r, services& s) {
  r.add({method::get, "/api/desktops", access::signed_in, bind_handler(s, list_own)});
  r.add({method::post, "/api/desktops", access::signed_in, bind_handler(s, start_desktop)});
  r.add({method::get, "/api/desktops/{id}", access::signed_in, bind_handler(s, get_desktop)});
  r.add({method::post, "/api/desktops/{id}/stop", access::signed_in, bind_handler(s, stop_desktop)});
  r.add({method::del, "/api/desktops/{id}", access::signed_in, bind_handler(s, remove_desktop)});

  r.add({method::get, "/api/admin/desktops", access::admin, bind_handler(s, admin_list)});
  r.add({method::post, "/api/admin/desktops/stop-all", access::admin, bind_handler(s, admin_stop_all)});
  r.add({method::post, "/api/admin/desktops/{id}/stop", access::admin, bind_handler(s, stop_desktop)});
  r.add({method::del, "/api/admin/desktops/{id}", access::admin, bind_handler(s, remove_desktop)});
  r.add({method::get, "/api/admin/stats", access::admin, bind_handler(s, admin_stats)});
}

}  // namespace deskgate::api
