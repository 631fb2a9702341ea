// /api/assignments (teachers: their own; admins: all) and GET /api/me/assignments (what the caller is
// given). An assignment gives a desktop type to groups and/or users, with an optional folder of the
// creating teacher's home that their desktops of the type show read-only at ~/Public/<title>. A teacher
// may target only their own groups and those groups' members; the folder is checked for links here and
// again whenever a desktop starts (a link swapped in later is refused then).
#include <set>

#include "api/audit.hpp"
#include "api/json_io.hpp"
#include "api/services.hpp"
#include "core/error.hpp"
#include "files/path_rules.hpp"

namespace deskgate::api {
namespace {

using http::access;
using http::method;

constexpr std::size_t max_title_chars = 64;

std::size_t utf8_chars(std::string_view text) {
  std::size_t n = 0;
  for (char c : text) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

// The title names the folder inside desktops (~/Public/<title>), so it must be a valid file name and may
// not be "shared" (the shared space's place there).
void check_title(const std::string& title) {
  try {
    files::check_name(title);
  } catch (const error& e) {
    throw error(errc::bad_request, std::string("The title cannot be used as a folder name: ") + e.what());
  }
  if (utf8_chars(title) > max_title_chars) {
    throw error(errc::bad_request, "The title may be at most " + std::to_string(max_title_chars) + " characters long.");
  }
  if (title == "shared")
    throw error(errc::bad_request, "\"shared\" is taken by the shared folder; choose another title.");
}

nlohmann::json person_json(store& db, std::optional<std::int64_t> id) {
  auto u = id ? db.find_user(*id) : std::nullopt;
  if (!u) return nullptr;
  return {{"id", u->id}, {"display_name", u->display_name}};
}

// Desktops of the assignment's type of the targeted users that hold resources now: they keep the setup
// they started with until restarted.
std::int64_t running_desktops(store& db, const assignment& a) {
  std::int64_t n = 0;
  for (const auto& d : db.list_desktops()) {
    if (d.desktop_type_id == a.desktop_type_id && is_active(d.state) && db.assignment_includes(a.id, d.user_id)) ++n;
  }
  return n;
}

nlohmann::json assignment_json(store& db, const assignment& a) {
  auto type = db.find_desktop_type(a.desktop_type_id);
  auto groups = nlohmann::json::array();
  for (auto id : a.group_ids) {
    if (auto g = db.find_group(id)) groups.push_back({{"id", g->id}, {"name", g->name}});
  }
  auto users = nlohmann::json::array();
  for (auto id : a.user_ids) users.push_back(person_json(db, id));
  return {{"id", a.id},
          {"title", a.title},
          {"desktop_type", {{"id", a.desktop_type_id}, {"slug", type->slug}, {"name", type->name}}},
          {"groups", std::move(groups)},
          {"users", std::move(users)},
          {"folder", a.folder},
          {"created_by", person_json(db, a.created_by)},
          {"created_at", a.created_at},
          {"updated_at", a.updated_at},
          {"running_desktops", running_desktops(db, a)}};
}

// The assignment `id` if the caller may manage it: admins any, teachers those they created (404 otherwise).
assignment managed_assignment(services& s, const http::context& ctx) {
  auto id = parse_id(ctx.params.get("id"), "The assignment id");
  auto a = s.db.find_assignment(id);
  if (!a || (ctx.user->user_role != role::admin && a->created_by != ctx.user->user_id)) {
    throw error(errc::not_found, "There is no assignment with id " + std::to_string(id) + " among yours.");
  }
  return *a;
}

// The targets: every group must exist and (for a teacher) be one of theirs; every user must exist and
// (for a teacher) be a member of one of those groups of theirs.
void check_targets(services& s, const http::context& ctx, const assignment& a) {
  if (a.group_ids.empty() && a.user_ids.empty()) {
    throw error(errc::bad_request, "Choose at least one group or user to give the desktop type to.");
  }
  bool admin = ctx.user->user_role == role::admin;
  for (auto id : a.group_ids) {
    if (!s.db.find_group(id)) throw error(errc::bad_request, "There is no group with id " + std::to_string(id) + ".");
    if (!admin && !s.db.is_group_member(id, ctx.user->user_id)) {
      throw error(errc::forbidden,
                  "You may only assign to your own groups; you are not in group " + std::to_string(id) + ".");
    }
  }
  std::set<std::int64_t> own_groups;
  for (const auto& g : s.db.list_groups_of(ctx.user->user_id)) own_groups.insert(g.id);
  for (auto id : a.user_ids) {
    if (!s.db.find_user(id)) throw error(errc::bad_request, "There is no user with id " + std::to_string(id) + ".");
    if (admin) continue;
    bool in_own_group = false;
    for (const auto& g : s.db.list_groups_of(id)) in_own_group = in_own_group || own_groups.contains(g.id);
    if (!in_own_group) {
      throw error(errc::forbidden,
                  "You may only assign to members of your groups; user " + std::to_string(id) + " is in none of them.");
    }
  }
}

// Reads the body of POST and PUT into `a` (whose created_by says whose home the folder is in) and checks
// every rule.
void apply_body(services& s, const http::context& ctx, assignment& a) {
  auto body = parse_json_object(ctx.req, {"title", "desktop_type", "groups", "users", "folder"});
  a.title = required_string(body, "title", 4 * max_title_chars);
  check_title(a.title);
  auto slug = required_string(body, "desktop_type", 64);
  auto type = s.db.find_desktop_type_by_slug(slug);
  if (!type) throw error(errc::bad_request, "There is no desktop type \"" + slug + "\".");
  if (!type->enabled) throw error(errc::bad_request, "The desktop type \"" + slug + "\" is disabled.");
  a.desktop_type_id = type->id;
  a.group_ids = optional_id_list(body, "groups");
  a.user_ids = optional_id_list(body, "users");
  check_targets(s, ctx, a);
  auto folder = optional_string(body, "folder", files::max_path_bytes).value_or("");
  a.folder.clear();
  if (folder.empty()) return;
  if (!a.created_by)
    throw error(errc::bad_request, "The assignment's creator no longer exists; it can have no folder.");
  s.files.check_home_folder(*a.created_by, folder);
  a.folder = files::join_path(files::split_path(folder));  // "Docs/" and "Docs" are the same folder
}

void audit_assignment(services& s, const http::context& ctx, std::string action, const assignment& a) {
  record_audit(s, ctx,
               {std::move(action),
                "assignment:" + std::to_string(a.id),
                true,
                std::nullopt,
                "",
                {{"title", a.title},
                 {"desktop_type_id", a.desktop_type_id},
                 {"groups", a.group_ids},
                 {"users", a.user_ids},
                 {"folder", a.folder}}});
}

http::response list_assignments(services& s, http::context& ctx) {
  std::optional<std::int64_t> creator;
  if (ctx.user->user_role != role::admin) creator = ctx.user->user_id;
  auto out = nlohmann::json::array();
  for (const auto& a : s.db.list_assignments(creator)) out.push_back(assignment_json(s.db, a));
  return json_response(200, out);
}

http::response get_assignment(services& s, http::context& ctx) {
  return json_response(200, assignment_json(s.db, managed_assignment(s, ctx)));
}

http::response create_assignment(services& s, http::context& ctx) {
  assignment a;
  a.created_by = ctx.user->user_id;
  apply_body(s, ctx, a);
  a = s.db.create_assignment(a);
  audit_assignment(s, ctx, "assignment.create", a);
  return json_response(201, assignment_json(s.db, a));
}

http::response update_assignment(services& s, http::context& ctx) {
  assignment a = managed_assignment(s, ctx);
  apply_body(s, ctx, a);
  s.db.update_assignment(a);
  audit_assignment(s, ctx, "assignment.update", a);
  return json_response(200, assignment_json(s.db, *s.db.find_assignment(a.id)));
}

http::response delete_assignment(services& s, http::context& ctx) {
  assignment a = managed_assignment(s, ctx);
  s.db.delete_assignment(a.id);
  audit_assignment(s, ctx, "assignment.delete", a);
  return http::response::no_content();
}

http::response my_assignments(services& s, http::context& ctx) {
  auto out = nlohmann::json::array();
  for (const auto& a : s.db.list_assignments_for(ctx.user->user_id)) {
    auto type = s.db.find_desktop_type(a.desktop_type_id);
    out.push_back({{"id", a.id},
                   {"title", a.title},
                   {"desktop_type", {{"slug", type->slug}, {"name", type->name}}},
                   {"has_folder", !a.folder.empty() && a.created_by.has_value()}});
  }
  return json_response(200, out);
}

// Every enabled type, so a teacher can give one that is not open to all (the catalogue itself is the
// admins'; teachers see names only).
http::response assignable_desktop_types(services& s, http::context&) {
  auto out = nlohmann::json::array();
  for (const auto& t : s.db.list_desktop_types()) {
    if (t.enabled) out.push_back({{"id", t.id}, {"slug", t.slug}, {"name", t.name}, {"description", t.description}});
  }
  return json_response(200, {{"desktop_types", std::move(out)}});
}

}  // namespace

void add_teaching_routes(http::router& r, services& s) {
  r.add({method::get, "/api/assignments", access::teacher, bind_handler(s, list_assignments)});
  r.add({method::post, "/api/assignments", access::teacher, bind_handler(s, create_assignment)});
  r.add({method::get, "/api/assignments/{id}", access::teacher, bind_handler(s, get_assignment)});
  r.add({method::put, "/api/assignments/{id}", access::teacher, bind_handler(s, update_assignment)});
  r.add({method::del, "/api/assignments/{id}", access::teacher, bind_handler(s, delete_assignment)});
  r.add({method::get, "/api/me/assignments", access::signed_in, bind_handler(s, my_assignments)});
  r.add({method::get, "/api/assignable-desktop-types", access::teacher, bind_handler(s, assignable_desktop_types)});
}

}  // namespace deskgate::api
