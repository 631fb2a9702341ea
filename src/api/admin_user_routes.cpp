// /api/admin/users and /api/admin/audit: admins manage accounts (role, disabled, password) and read the
// audit log. Every change is audited; disabling a user ends their sessions at once.
#include "api/audit.hpp"
#include "api/json_io.hpp"
#include "api/services.hpp"
#include "auth/accounts.hpp"
#include "auth/password.hpp"
#include "core/error.hpp"

namespace deskgate::api {
namespace {

using http::access;
using http::method;

constexpr std::size_t max_name_length = 200;

std::int64_t query_int(const http::request& req, std::string_view name, std::int64_t fallback) {
  auto v = req.query_param(name);
  return v ? parse_id(*v, name) : fallback;
}

http::response list_users(services& s, http::context&) {
  auto all = nlohmann::json::array();
  for (const auto& u : s.db.list_users()) all.push_back(user_json(u));
  return json_response(200, {{"users", all}});
}

http::response create_user(services& s, http::context& ctx) {
  auto body = parse_json_object(ctx.req, {"username", "password", "role", "display_name", "email"});
  auto username = required_string(body, "username", 64);
  auto password = required_string(body, "password", 1024);
  auto r = optional_role(body, "role").value_or(role::student);
  auto display = optional_string(body, "display_name", max_name_length).value_or("");
  auto u = auth::create_local_user(s.db, username, password, r, display);
  record_audit(s, ctx,
               {"user.create",
                "user:" + std::to_string(u.id),
                true,
                std::nullopt,
                "",
                {{"username", u.username}, {"role", to_string(u.user_role)}}});
  return json_response(201, {{"user", user_json(u)}});
}

// The last enabled admin cannot be demoted or disabled: nobody could administer deskgate afterwards.
void keep_one_admin(services& s, const user& target, std::optional<role> new_role, std::optional<bool> disable) {
  bool loses_admin = target.user_role == role::admin && !target.disabled &&
                     ((new_role && *new_role != role::admin) || (disable && *disable));
  if (loses_admin && s.db.count_admins() <= 1) {
    throw error(errc::conflict, "This is the last administrator; make someone else an administrator first.");
  }
}

http::response update_user(services& s, http::context& ctx) {
  auto id = parse_id(ctx.params.get("id"), "The user id");
  auto body = parse_json_object(ctx.req, {"role", "disabled", "password"});
  auto new_role = optional_role(body, "role");
  auto disable = optional_bool(body, "disabled");
  auto password = optional_string(body, "password", 1024);
  auto target = s.db.find_user(id);
  if (!target) throw error(errc::not_found, "There is no user with id " + std::to_string(id) + ".");
  if (password) {
    if (auto why = auth::password_policy_violation(*password)) throw error(errc::bad_request, *why);
  }
  keep_one_admin(s, *target, new_role, disable);

  nlohmann::json changes = nlohmann::json::object();
  if (new_role) {
    s.db.set_user_role(id, *new_role);
    changes["role"] = to_string(*new_role);
  }
  if (disable) {
    s.db.set_user_disabled(id, *disable);
    if (*disable) s.db.delete_sessions_of_user(id);
    changes["disabled"] = *disable;
  }
  if (password) {
    auth::change_password(s.db, target->username, *password);
    changes["password"] = "changed";
  }
  record_audit(s, ctx, {"user.update", "user:" + std::to_string(id), true, std::nullopt, "", changes});
  return json_response(200, {{"user", user_json(*s.db.find_user(id))}});
}

http::response list_audit(services& s, http::context& ctx) {
  auto limit = static_cast<int>(std::min<std::int64_t>(query_int(ctx.req, "limit", 100), 1000));
  auto before = query_int(ctx.req, "before", 0);
  auto rows = nlohmann::json::array();
  for (const auto& e : s.db.list_audit(limit, before)) {
    auto detail = nlohmann::json::parse(e.detail, nullptr, false);
    rows.push_back({{"id", e.id},
                    {"at", e.at},
                    {"actor_id", e.actor_id ? nlohmann::json(*e.actor_id) : nlohmann::json(nullptr)},
                    {"actor_name", e.actor_name},
                    {"action", e.action},
                    {"target", e.target},
                    {"success", e.success},
                    {"client_address", e.client_address},
                    {"detail", detail.is_discarded() ? nlohmann::json::object() : detail}});
  }
  return json_response(200, {{"entries", rows}});
}

}  // namespace

void add_admin_user_routes(http::router& r, services& s) {
  r.add({method::get, "/api/admin/users", access::admin, bind_handler(s, list_users)});
  r.add({method::post, "/api/admin/users", access::admin, bind_handler(s, create_user)});
  r.add({method::patch, "/api/admin/users/{id}", access::admin, bind_handler(s, update_user)});
  r.add({method::get, "/api/admin/audit", access::admin, bind_handler(s, list_audit)});
}

}  // namespace deskgate::api
