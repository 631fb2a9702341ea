// Cookie header parsing and Set-Cookie building (RFC 6265 subset: what browsers send and what we set).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace deskgate::http {

// The value of cookie `name` in a Cookie header ("a=1; b=2"), or nullopt. Values may be quoted.
std::optional<std::string> find_cookie(std::string_view cookie_header, std::string_view name);

struct cookie_options {
  bool secure = false;
  bool http_only = true;
  std::string same_site = "Lax";
  std::string path = "/";
  std::optional<std::int64_t> max_age_seconds;  // nullopt: session cookie; 0: delete
};

std::string make_set_cookie(std::string_view name, std::string_view value, const cookie_options& opts);

}  // namespace deskgate::http
