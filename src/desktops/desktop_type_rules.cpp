#include "desktops/desktop_type_rules.hpp"

#include <regex>

#include "core/error.hpp"

namespace deskgate {
namespace {

[[noreturn]] void bad(std::string_view field, std::string_view why) {
  throw error(errc::bad_request, std::string(field) + ": " + std::string(why));
}

bool one_of(std::string_view value, std::initializer_list<std::string_view> choices) {
  return std::find(choices.begin(), choices.end(), value) != choices.end();
}

}  // namespace

void apply_desktop_type_defaults(desktop_type& t) {
  if (t.backend == "docker" && t.port == 0) t.port = 5901;
}

void validate_desktop_type(const desktop_type& t) {
  static const std::regex slug_pattern("[a-z0-9][a-z0-9-]{0,62}");
  static const std::regex env_name_pattern("[A-Za-z_][A-Za-z0-9_]*");
  if (!std::regex_match(t.slug, slug_pattern)) {
    bad("slug", "use 1 to 63 lower-case letters, digits and dashes, starting with a letter or digit");
  }
  if (t.name.empty() || t.name.size() > 100) bad("name", "give a name of 1 to 100 characters");
  if (t.description.size() > 1000) bad("description", "at most 1000 characters");
  if (t.icon.size() > 64) bad("icon", "an emoji or a short name, at most 64 characters");
  if (!one_of(t.backend, {"local", "docker", "static"})) bad("backend", "must be local, docker or static");
  if (!one_of(t.protocol, {"vnc", "websocket"})) bad("protocol", "must be vnc or websocket");
  if (!one_of(t.auth_scheme, {"vnc-password", "basic", "none"})) bad("auth", "must be vnc-password, basic or none");
  if (t.backend == "static" && (t.backend_host.empty() || t.port == 0)) {
    bad("host", "a static desktop needs the host and port of its server");
  }
  if (t.backend == "docker" && t.image.empty()) bad("image", "a docker desktop needs an image");
  if (t.backend == "docker" && t.port == 0)
    bad("port", "the port the desktop's server listens on inside the container");
  if (t.http_port != 0 && t.backend == "local") {
    bad("http_port", "local desktops have no web port of their own; use a docker or static type");
  }
  if (!t.upstream_path.empty() && t.upstream_path.front() != '/') bad("path", "must start with /");
  if (!std::regex_match(t.secret_env, env_name_pattern)) bad("secret_env", "must be an environment variable name");
  if (t.resources.cpus < 0 || t.resources.memory_bytes < 0 || t.resources.shm_bytes < 0 || t.resources.pids < 0) {
    bad("resources", "limits cannot be negative");
  }
  for (const auto& [name, value] : t.environment) {
    if (!std::regex_match(name, env_name_pattern)) bad("env", "\"" + name + "\" is not an environment variable name");
  }
  if (t.start_timeout_seconds < 0 || t.start_timeout_seconds > 3600) bad("start_timeout", "0 to 3600 seconds");
}

desktop_type desktop_type_from_config(const desktop_type_config& c) {
  desktop_type t;
  t.slug = c.slug;
  t.name = c.name.empty() ? c.slug : c.name;
  t.description = c.description;
  t.icon = c.icon;
  t.backend = c.backend;
  t.backend_host = c.backend == "static" ? c.host : c.backend_host;
  t.image = c.image;
  t.command = c.command;
  t.protocol = c.protocol;
  t.port = c.port;
  t.http_port = c.http_port;
  t.tls = c.tls;
  t.tls_verify = c.tls_verify;
  t.upstream_path = c.path;
  t.auth_scheme = c.auth;
  t.secret = c.password;
  t.secret_env = c.secret_env;
  if (!c.cpus.empty()) t.resources.cpus = parse_cpus(c.cpus);
  if (!c.memory.empty()) t.resources.memory_bytes = parse_byte_size(c.memory);
  if (!c.shm_size.empty()) t.resources.shm_bytes = parse_byte_size(c.shm_size);
  t.resources.pids = c.pids;
  for (const auto& entry : c.env) {
    auto eq = entry.find('=');
    t.environment.emplace_back(entry.substr(0, eq), eq == std::string::npos ? "" : entry.substr(eq + 1));
  }
  t.start_timeout_seconds = c.start_timeout.count();
  t.open_to_all = c.open_to_all;
  t.enabled = c.enabled;
  apply_desktop_type_defaults(t);
  return t;
}

int upsert_configured_types(store& db, const std::vector<desktop_type_config>& configured) {
  int written = 0;
  for (const auto& c : configured) {
    auto wanted = desktop_type_from_config(c);
    try {
      validate_desktop_type(wanted);
    } catch (const error& e) {
      throw error(e.code(), "desktop type " + c.slug + " in the configuration: " + e.what());
    }
    if (auto existing = db.find_desktop_type_by_slug(wanted.slug)) {
      wanted.id = existing->id;
      wanted.created_at = existing->created_at;
      db.update_desktop_type(wanted);
    } else {
      db.create_desktop_type(wanted);
    }
    ++written;
  }
  return written;
}

}  // namespace deskgate
