// Groups as teachers see them (their own groups and the members' names, never emails), the class view's
// list of running desktops of a group's members, and the admins' management of local groups (accounts
// without an IdP have no synced groups). Groups synced from the IdP are changed only by the IdP.
#include "api/audit.hpp"
#include "api/gateway_access.hpp"
#include "api/json_io.hpp"
#include "api/services.hpp"
#include "core/error.hpp"
#include "files/path_rules.hpp"

namespace deskgate::api {
namespace {

using http::access;
using http::method;

constexpr std::string_view local_prefix = "local:";
constexpr std::size_t max_group_name_bytes = 100;

nlohmann::json group_json(const group& g) {
  return {{"id", g.id}, {"external_id", g.external_id}, {"name", g.name}, {"member_count", g.member_count}};
}

// The group `id` if the caller may look into it: admins any, teachers only their own; 404 otherwise
// (a group one is not in does not exist for one).
group visible_group(services& s, const http::context& ctx, std::string_view id_text) {
  auto id = parse_id(id_text, "The group id");
  auto g = s.db.find_group(id);
  if (!g || (ctx.user->user_role != role::admin && !s.db.is_group_member(id, ctx.user->user_id))) {
    throw error(errc::not_found, "There is no group with id " + std::to_string(id) + " among your groups.");
  }
  return *g;
}

http::response list_groups(services& s, http::context& ctx) {
  auto groups = ctx.user->user_role == role::admin ? s.db.list_groups() : s.db.list_groups_of(ctx.user->user_id);
  auto out = nlohmann::json::array();
  for (const auto& g : groups) out.push_back(group_json(g));
  return json_response(200, out);
}

http::response list_members(services& s, http::context& ctx) {
  auto g = visible_group(s, ctx, ctx.params.get("id"));
  bool admin = ctx.user->user_role == role::admin;
  auto out = nlohmann::json::array();
  for (const auto& u : s.db.list_group_members(g.id)) {
    nlohmann::json member = {{"id", u.id}, {"display_name", u.display_name}, {"role", to_string(u.user_role)}};
    if (admin) member["username"] = u.username;
    out.push_back(std::move(member));
  }
  return json_response(200, out);
}

http::response class_desktops(services& s, http::context& ctx) {
  auto g = visible_group(s, ctx, ctx.params.get("group_id"));
  auto out = nlohmann::json::array();
  for (const auto& d : s.db.list_group_desktops(g.id)) {
    if (d.state != desktop_state::running) continue;
    auto owner = s.db.find_user(d.user_id);
    auto type = s.db.find_desktop_type(d.desktop_type_id);
    if (!owner || !type) continue;
    out.push_back({{"id", d.public_id},
                   {"user", {{"id", owner->id}, {"display_name", owner->display_name}}},
                   {"type", {{"slug", type->slug}, {"name", type->name}}},
                   {"state", to_string(d.state)},
                   {"started_at", d.started_at ? nlohmann::json(*d.started_at) : nlohmann::json(nullptr)}});
  }
  return json_response(200, out);
}

// A local group for the admin routes: 404 when unknown, 409 when the IdP owns it.
group local_group(services& s, std::string_view id_text) {
  auto id = parse_id(id_text, "The group id");
  auto g = s.db.find_group(id);
  if (!g) throw error(errc::not_found, "There is no group with id " + std::to_string(id) + ".");
  if (!g->external_id.starts_with(local_prefix)) {
    throw error(errc::conflict, "The group \"" + g->name + "\" comes from the identity provider; change it there.");
  }
  return *g;
}

http::response create_group(services& s, http::context& ctx) {
  auto body = parse_json_object(ctx.req, {"name"});
  auto name = required_string(body, "name", max_group_name_bytes);
  try {
    files::check_name(name);
  } catch (const error& e) {
    throw error(errc::bad_request, std::string("The group name cannot be used: ") + e.what());
  }
  auto g = s.db.create_group(std::string(local_prefix) + name, name);
  record_audit(s, ctx, {"group.create", "group:" + std::to_string(g.id), true, std::nullopt, "", {{"name", name}}});
  return json_response(201, group_json(g));
}

http::response set_members(services& s, http::context& ctx) {
  auto g = local_group(s, ctx.params.get("id"));
  auto body = parse_json_object(ctx.req, {"user_ids"});
  if (!body.contains("user_ids")) throw error(errc::bad_request, "\"user_ids\" is required.");
  auto ids = optional_id_list(body, "user_ids");
  for (auto id : ids) {
    if (!s.db.find_user(id)) throw error(errc::bad_request, "There is no user with id " + std::to_string(id) + ".");
  }
  s.db.set_group_members(g.id, ids);
  close_unauthorized_observers(s);  // a teacher taken out stops watching the members at once
  record_audit(s, ctx, {"group.members", "group:" + std::to_string(g.id), true, std::nullopt, "", {{"user_ids", ids}}});
  return json_response(200, group_json(*s.db.find_group(g.id)));
}

http::response delete_group(services& s, http::context& ctx) {
  auto g = local_group(s, ctx.params.get("id"));
  s.db.delete_group(g.id);
  close_unauthorized_observers(s);
  record_audit(s, ctx, {"group.delete", "group:" + std::to_string(g.id), true, std::nullopt, "", {{"name", g.name}}});
  return http::response::no_content();
}

}  // namespace

void add_group_routes(http::router& r, services& s) {
  r.add({method::get, "/api/groups", access::signed_in, bind_handler(s, list_groups)});
  r.add({method::get, "/api/groups/{id}/members", access::teacher, bind_handler(s, list_members)});
  r.add({method::get, "/api/class/{group_id}/desktops", access::teacher, bind_handler(s, class_desktops)});
  r.add({method::post, "/api/admin/groups", access::admin, bind_handler(s, create_group)});
  r.add({method::put, "/api/admin/groups/{id}/members", access::admin, bind_handler(s, set_members)});
  r.add({method::del, "/api/admin/groups/{id}", access::admin, bind_handler(s, delete_group)});
}

}  // namespace deskgate::api
