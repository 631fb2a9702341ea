#include "http/cookies.hpp"

#include "core/text.hpp"

namespace deskgate::http {

std::optional<std::string> find_cookie(std::string_view cookie_header, std::string_view name) {
  while (!cookie_header.empty()) {
    auto semi = cookie_header.find(';');
    std::string_view pair = trim(cookie_header.substr(0, semi));
    cookie_header = semi == std::string_view::npos ? std::string_view{} : cookie_header.substr(semi + 1);
    auto eq = pair.find('=');
    if (eq == std::string_view::npos || trim(pair.substr(0, eq)) != name) continue;
    std::string_view value = trim(pair.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    return std::string(value);
  }
  return std::nullopt;
}

std::string make_set_cookie(std::string_view name, std::string_view value, const cookie_options& opts) {
  std::string out;
  out.append(name).append("=").append(value).append("; Path=").append(opts.path);
  if (opts.max_age_seconds) {
    out.append("; Max-Age=").append(std::to_string(*opts.max_age_seconds));
  }
  if (opts.http_only) out.append("; HttpOnly");
  if (opts.secure) out.append("; Secure");
  if (!opts.same_site.empty()) out.append("; SameSite=").append(opts.same_site);
  return out;
}

}  // namespace deskgate::http
