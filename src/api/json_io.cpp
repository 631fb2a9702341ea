#include "api/json_io.hpp"

#include <algorithm>
#include <charconv>

#include "core/error.hpp"

namespace deskgate::api {

nlohmann::json parse_json_object(const http::request& req, std::span<const std::string_view> allowed) {
  std::string_view type = req.headers.get("Content-Type");
  auto semi = type.find(';');
  std::string_view mime = type.substr(0, semi);
  while (!mime.empty() && mime.back() == ' ') mime.remove_suffix(1);
  if (mime != "application/json") {
    throw error(errc::unsupported_media_type, "Send the request body as JSON (Content-Type: application/json).");
  }
  auto body = nlohmann::json::parse(req.body, nullptr, false);
  if (body.is_discarded()) throw error(errc::invalid_json, "The request body is not valid JSON.");
  if (!body.is_object()) throw error(errc::invalid_json, "The request body must be a JSON object.");
  for (const auto& [key, value] : body.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      throw error(errc::bad_request, "Unknown field \"" + key + "\".");
    }
  }
  return body;
}

std::optional<std::string> optional_string(const nlohmann::json& body, std::string_view field, std::size_t max_length) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) throw error(errc::bad_request, "\"" + std::string(field) + "\" must be a string.");
  auto value = it->get<std::string>();
  if (value.size() > max_length) {
    throw error(errc::bad_request,
                "\"" + std::string(field) + "\" is longer than " + std::to_string(max_length) + " characters.");
  }
  return value;
}

std::string required_string(const nlohmann::json& body, std::string_view field, std::size_t max_length) {
  auto value = optional_string(body, field, max_length);
  if (!value) throw error(errc::bad_request, "\"" + std::string(field) + "\" is required.");
  return *value;
}

std::int64_t parse_id(std::string_view text, std::string_view what) {
  std::int64_t id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc{} || end != text.data() + text.size() || id <= 0) {
    throw error(errc::bad_request, std::string(what) + " must be a positive number.");
  }
  return id;
}

std::vector<std::int64_t> optional_id_list(const nlohmann::json& body, std::string_view field) {
  std::vector<std::int64_t> ids;
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return ids;
  auto refuse = [&] {
    throw error(errc::bad_request, "\"" + std::string(field) + "\" must be a list of ids (positive numbers).");
  };
  if (!it->is_array() || it->size() > 10000) refuse();
  for (const auto& v : *it) {
    if (!v.is_number_integer() || v.get<std::int64_t>() <= 0) refuse();
    ids.push_back(v.get<std::int64_t>());
  }
  return ids;
}

std::optional<bool> optional_bool(const nlohmann::json& body, std::string_view field) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_boolean()) throw error(errc::bad_request, "\"" + std::string(field) + "\" must be true or false.");
  return it->get<bool>();
}

std::optional<role> optional_role(const nlohmann::json& body, std::string_view field) {
  auto text = optional_string(body, field, 16);
  if (!text) return std::nullopt;
  auto r = parse_role(*text);
  if (!r) throw error(errc::bad_request, "\"" + std::string(field) + "\" must be admin, teacher or student.");
  return r;
}

http::response json_response(int status, const nlohmann::json& body) {
  auto res = http::response::json(status, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  res.headers.set("Cache-Control", "no-store");
  return res;
}

nlohmann::json user_json(const user& u) {
  return {{"id", u.id},
          {"username", u.username},
          {"display_name", u.display_name},
          {"email", u.email},
          {"role", to_string(u.user_role)},
          {"disabled", u.disabled},
          {"local", !u.password_hash.empty()},
          {"created_at", u.created_at}};
}

namespace {

nlohmann::json optional_time(const std::optional<std::int64_t>& t) {
  return t ? nlohmann::json(*t) : nlohmann::json(nullptr);
}

}  // namespace

nlohmann::json desktop_json(const desktop& d, const std::string& type_slug) {
  return {{"id", d.public_id},
          {"type", type_slug},
          {"state", to_string(d.state)},
          {"error", d.error},
          {"created_at", d.created_at},
          {"started_at", optional_time(d.started_at)},
          {"stopped_at", optional_time(d.stopped_at)},
          {"last_active_at", optional_time(d.last_active_at)}};
}

nlohmann::json desktop_type_json(const desktop_type& t) {
  auto env = nlohmann::json::object();
  for (const auto& [name, value] : t.environment) env[name] = value;
  return {{"slug", t.slug},
          {"name", t.name},
          {"description", t.description},
          {"icon", t.icon},
          {"backend", t.backend},
          {"backend_host", t.backend_host},
          {"image", t.image},
          {"command", t.command},
          {"protocol", t.protocol},
          {"port", t.port},
          {"http_port", t.http_port},
          {"tls", t.tls},
          {"tls_verify", t.tls_verify},
          {"path", t.upstream_path},
          {"auth", t.auth_scheme},
          {"has_password", !t.secret.empty()},
          {"secret_env", t.secret_env},
          {"cpus", t.resources.cpus},
          {"memory_bytes", t.resources.memory_bytes},
          {"shm_bytes", t.resources.shm_bytes},
          {"pids", t.resources.pids},
          {"env", env},
          {"start_timeout", t.start_timeout_seconds},
          {"open_to_all", t.open_to_all},
          {"enabled", t.enabled}};
}

}  // namespace deskgate::api
