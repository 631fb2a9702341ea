// GET /api/desktop-types (what the caller may start, each with the caller's desktop) and the admin
// catalogue /api/admin/desktop-types (create, read, update, delete; the slug never changes).
#include "api/audit.hpp"
#include "api/image_upload.hpp"
#include "api/json_io.hpp"
#include "api/services.hpp"
#include "config/config.hpp"
#include "core/error.hpp"
#include "desktops/desktop_type_rules.hpp"

namespace deskgate::api {
namespace {

using http::access;
using http::method;

constexpr std::string_view type_fields[] = {"slug",         "name",       "description",   "icon",        "backend",
                                            "backend_host", "image",      "command",       "protocol",    "port",
                                            "http_port",    "tls",        "tls_verify",    "path",        "auth",
                                            "password",     "secret_env", "cpus",          "memory",      "shm_size",
                                            "pids",         "env",        "start_timeout", "open_to_all", "enabled"};

std::optional<std::int64_t> optional_int(const nlohmann::json& body, std::string_view field, std::int64_t min,
                                         std::int64_t max) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_number_integer() || it->get<std::int64_t>() < min || it->get<std::int64_t>() > max) {
    throw error(errc::bad_request, "\"" + std::string(field) + "\" must be a whole number from " + std::to_string(min) +
                                       " to " + std::to_string(max) + ".");
  }
  return it->get<std::int64_t>();
}

// Byte sizes are accepted as a number of bytes or as "512m" / "2g".
std::optional<std::int64_t> optional_size(const nlohmann::json& body, std::string_view field) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return std::nullopt;
  try {
    if (it->is_number_integer() && it->get<std::int64_t>() >= 0) return it->get<std::int64_t>();
    if (it->is_string()) return parse_byte_size(it->get<std::string>());
  } catch (const std::invalid_argument&) {
  }
  throw error(errc::bad_request, "\"" + std::string(field) + "\" must be a size such as \"512m\" or \"2g\".");
}

// Applies the fields present in `body` to `t` (so PATCH-like updates and creation share one path).
void apply_fields(desktop_type& t, const nlohmann::json& body) {
  auto set_string = [&](std::string_view field, std::string& out, std::size_t max) {
    if (auto v = optional_string(body, field, max)) out = *v;
  };
  auto set_bool = [&](std::string_view field, bool& out) {
    if (auto v = optional_bool(body, field)) out = *v;
  };
  set_string("name", t.name, 100);
  set_string("description", t.description, 1000);
  set_string("icon", t.icon, 64);
  set_string("backend", t.backend, 16);
  set_string("backend_host", t.backend_host, 255);
  set_string("image", t.image, 512);
  set_string("command", t.command, 4096);
  set_string("protocol", t.protocol, 16);
  set_string("path", t.upstream_path, 1024);
  set_string("auth", t.auth_scheme, 16);
  set_string("password", t.secret, 256);
  set_string("secret_env", t.secret_env, 64);
  set_bool("tls", t.tls);
  set_bool("tls_verify", t.tls_verify);
  set_bool("open_to_all", t.open_to_all);
  set_bool("enabled", t.enabled);
  if (auto v = optional_int(body, "port", 0, 65535)) t.port = static_cast<std::uint16_t>(*v);
  if (auto v = optional_int(body, "http_port", 0, 65535)) t.http_port = static_cast<std::uint16_t>(*v);
  if (auto v = optional_int(body, "pids", 0, 1'000'000)) t.resources.pids = *v;
  if (auto v = optional_int(body, "start_timeout", 0, 3600)) t.start_timeout_seconds = *v;
  if (auto v = optional_size(body, "memory")) t.resources.memory_bytes = *v;
  if (auto v = optional_size(body, "shm_size")) t.resources.shm_bytes = *v;
  if (auto it = body.find("cpus"); it != body.end() && !it->is_null()) {
    if (!it->is_number() || it->get<double>() < 0 || it->get<double>() > 1024) {
      throw error(errc::bad_request, "\"cpus\" must be a number from 0 (no limit) to 1024.");
    }
    t.resources.cpus = it->get<double>();
  }
  if (auto it = body.find("env"); it != body.end() && !it->is_null()) {
    if (!it->is_object()) throw error(errc::bad_request, "\"env\" must be an object of names and values.");
    t.environment.clear();
    for (const auto& [name, value] : it->items()) {
      if (!value.is_string()) throw error(errc::bad_request, "\"env\" values must be strings.");
      t.environment.emplace_back(name, value.get<std::string>());
    }
  }
}

desktop_type type_from_path(services& s, const http::context& ctx) {
  auto t = s.db.find_desktop_type_by_slug(ctx.params.get("slug"));
  if (!t) throw error(errc::not_found, "There is no desktop type \"" + std::string(ctx.params.get("slug")) + "\".");
  return *t;
}

http::response list_for_caller(services& s, http::context& ctx) {
  bool admin = ctx.user->user_role == role::admin;
  auto types = admin ? s.db.list_desktop_types() : s.db.list_desktop_types_for(ctx.user->user_id);
  auto out = nlohmann::json::array();
  for (const auto& t : types) {
    auto j = nlohmann::json{{"slug", t.slug}, {"name", t.name},       {"description", t.description},
                            {"icon", t.icon}, {"enabled", t.enabled}, {"desktop", nullptr}};
    if (auto d = s.db.find_desktop_of(ctx.user->user_id, t.id)) j["desktop"] = desktop_json(*d, t.slug);
    out.push_back(std::move(j));
  }
  return json_response(200, {{"desktop_types", out}});
}

http::response admin_list(services& s, http::context&) {
  auto out = nlohmann::json::array();
  for (const auto& t : s.db.list_desktop_types()) out.push_back(desktop_type_json(t));
  return json_response(200, {{"desktop_types", out}});
}

http::response admin_get(services& s, http::context& ctx) {
  return json_response(200, {{"desktop_type", desktop_type_json(type_from_path(s, ctx))}});
}

http::response admin_create(services& s, http::context& ctx) {
  auto body = parse_json_object(ctx.req, type_fields);
  desktop_type t;
  t.slug = required_string(body, "slug", 63);
  apply_fields(t, body);
  apply_desktop_type_defaults(t);
  validate_desktop_type(t);
  auto created = s.db.create_desktop_type(t);
  record_audit(s, ctx, {"desktop_type.create", "desktop_type:" + created.slug});
  return json_response(201, {{"desktop_type", desktop_type_json(created)}});
}

http::response admin_update(services& s, http::context& ctx) {
  auto body = parse_json_object(ctx.req, type_fields);
  auto t = type_from_path(s, ctx);
  if (auto slug = optional_string(body, "slug", 63); slug && *slug != t.slug) {
    throw error(errc::bad_request, "slug: a desktop type's slug cannot change (its desktops and links use it).");
  }
  apply_fields(t, body);
  validate_desktop_type(t);
  s.db.update_desktop_type(t);
  record_audit(s, ctx, {"desktop_type.update", "desktop_type:" + t.slug});
  return json_response(200, {{"desktop_type", desktop_type_json(*s.db.find_desktop_type(t.id))}});
}

// An uploaded icon is named in the type's `icon` field as "upload:<version>:<content type>"; other values
// name one of the UI's built-in icons.
constexpr std::string_view uploaded_icon_prefix = "upload:";

std::filesystem::path icon_file(services& s, const desktop_type& t) {
  return s.cfg.server.data_dir / "uploads" / "type-icons" / t.slug;
}

http::response admin_delete(services& s, http::context& ctx) {
  auto t = type_from_path(s, ctx);
  s.db.delete_desktop_type(t.id);
  std::error_code ec;
  std::filesystem::remove(icon_file(s, t), ec);
  record_audit(s, ctx, {"desktop_type.delete", "desktop_type:" + t.slug});
  return http::response::no_content();
}

http::response upload_icon(services& s, http::context& ctx) {
  auto t = type_from_path(s, ctx);
  auto type = checked_image_upload(ctx.req);
  store_image(icon_file(s, t), ctx.req.body);
  int version = 1;
  if (t.icon.starts_with(uploaded_icon_prefix)) {
    version = std::atoi(t.icon.c_str() + uploaded_icon_prefix.size()) + 1;
  }
  t.icon = std::string(uploaded_icon_prefix) + std::to_string(version) + ":" + type;
  s.db.update_desktop_type(t);
  record_audit(s, ctx,
               {"desktop_type.icon_upload",
                "desktop_type:" + t.slug,
                true,
                std::nullopt,
                "",
                {{"type", type}, {"bytes", ctx.req.body.size()}}});
  return json_response(200, {{"desktop_type", desktop_type_json(t)}});
}

http::response remove_icon(services& s, http::context& ctx) {
  auto t = type_from_path(s, ctx);
  std::error_code ec;
  std::filesystem::remove(icon_file(s, t), ec);
  t.icon.clear();
  s.db.update_desktop_type(t);
  record_audit(s, ctx, {"desktop_type.icon_remove", "desktop_type:" + t.slug});
  return json_response(200, {{"desktop_type", desktop_type_json(t)}});
}

http::response get_icon(services& s, http::context& ctx) {
  auto t = type_from_path(s, ctx);
  if (!t.icon.starts_with(uploaded_icon_prefix)) {
    throw error(errc::not_found, "The desktop type \"" + t.slug + "\" has no uploaded icon.");
  }
  return image_response(icon_file(s, t), t.icon.substr(t.icon.find(':', uploaded_icon_prefix.size()) + 1));
}

}  // namespace

void add_desktop_type_routes(http::router& r, services& s) {
  r.add({method::get, "/api/desktop-types", access::signed_in, bind_handler(s, list_for_caller)});
  r.add({method::get, "/api/admin/desktop-types", access::admin, bind_handler(s, admin_list)});
  r.add({method::post, "/api/admin/desktop-types", access::admin, bind_handler(s, admin_create)});
  r.add({method::get, "/api/admin/desktop-types/{slug}", access::admin, bind_handler(s, admin_get)});
  r.add({method::patch, "/api/admin/desktop-types/{slug}", access::admin, bind_handler(s, admin_update)});
  r.add({method::del, "/api/admin/desktop-types/{slug}", access::admin, bind_handler(s, admin_delete)});
  r.add({method::get, "/api/desktop-types/{slug}/icon", access::signed_in, bind_handler(s, get_icon)});
  r.add({method::put, "/api/admin/desktop-types/{slug}/icon", access::admin, bind_handler(s, upload_icon)});
  r.add({method::del, "/api/admin/desktop-types/{slug}/icon", access::admin, bind_handler(s, remove_icon)});
}

}  // namespace deskgate::api
