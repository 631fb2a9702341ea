// JSON in and out for handlers: strict request bodies (content type, object, known fields only) and
// JSON responses. The one place request JSON is parsed.
#pragma once

#include <nlohmann/json.hpp>

#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.hpp"
#include "store/store.hpp"

namespace deskgate::api {

// The body as a JSON object. Throws deskgate::error: unsupported_media_type (not application/json),
// invalid_json (syntax, not an object), bad_request (a field not in `allowed`).
nlohmann::json parse_json_object(const http::request& req, std::span<const std::string_view> allowed);
inline nlohmann::json parse_json_object(const http::request& req, std::initializer_list<std::string_view> allowed) {
  return parse_json_object(req, std::span<const std::string_view>(allowed.begin(), allowed.size()));
}

// A string field: required (bad_request when missing or not a string) or optional.
std::string required_string(const nlohmann::json& body, std::string_view field, std::size_t max_length);
std::optional<std::string> optional_string(const nlohmann::json& body, std::string_view field, std::size_t max_length);
std::optional<bool> optional_bool(const nlohmann::json& body, std::string_view field);
std::optional<role> optional_role(const nlohmann::json& body, std::string_view field);

// An id from a path or query: a positive number, else bad_request naming `what` ("The user id").
std::int64_t parse_id(std::string_view text, std::string_view what);
// An optional array of ids (missing or null: empty); bad_request when it is anything else.
std::vector<std::int64_t> optional_id_list(const nlohmann::json& body, std::string_view field);

http::response json_response(int status, const nlohmann::json& body);

// A user as the API shows it: never the password hash.
nlohmann::json user_json(const user& u);

// A desktop as its owner sees it: never its secret, endpoint or container.
nlohmann::json desktop_json(const desktop& d, const std::string& type_slug);
// A desktop type as the API shows it: the static server's password only as "has_password".
nlohmann::json desktop_type_json(const desktop_type& t);

}  // namespace deskgate::api
