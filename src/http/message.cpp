#include "http/message.hpp"

#include <algorithm>
#include <cctype>

#include "core/text.hpp"

namespace deskgate::http {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string_view to_string(method m) {
  switch (m) {
    case method::get: return "GET";
    case method::head: return "HEAD";
    case method::post: return "POST";
    case method::put: return "PUT";
    case method::patch: return "PATCH";
    case method::del: return "DELETE";
    case method::options: return "OPTIONS";
    case method::other: return "OTHER";
  }
  return "OTHER";
}

method parse_method(std::string_view text) {
  static constexpr std::pair<std::string_view, method> known[] = {
      {"GET", method::get},     {"HEAD", method::head},  {"POST", method::post},      {"PUT", method::put},
      {"PATCH", method::patch}, {"DELETE", method::del}, {"OPTIONS", method::options},
  };
  for (const auto& [name, m] : known) {
    if (name == text) return m;
  }
  return method::other;
}

bool is_unsafe(method m) {
  return m == method::post || m == method::put || m == method::patch || m == method::del ||
         m == method::other;
}

void header_map::add(std::string name, std::string value) { fields_.emplace_back(std::move(name), std::move(value)); }

void header_map::set(std::string name, std::string value) {
  std::erase_if(fields_, [&](const auto& f) { return iequals(f.first, name); });
  add(std::move(name), std::move(value));
}

std::string_view header_map::get(std::string_view name) const {
  for (const auto& [n, v] : fields_) {
    if (iequals(n, name)) return v;
  }
  return {};
}

bool header_map::has(std::string_view name) const {
  return std::any_of(fields_.begin(), fields_.end(), [&](const auto& f) { return iequals(f.first, name); });
}

std::optional<std::string> request::query_param(std::string_view name) const {
  std::string_view rest = query;
  while (!rest.empty()) {
    auto amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    auto eq = pair.find('=');
    auto key = percent_decode(pair.substr(0, eq), true);
    if (key && *key == name) {
      return eq == std::string_view::npos ? std::optional<std::string>{""}
                                          : percent_decode(pair.substr(eq + 1), true);
    }
  }
  return std::nullopt;
}

response response::json(int status, std::string body) {
  response r;
  r.status = status;
  r.headers.set("Content-Type", "application/json");
  r.body = std::move(body);
  return r;
}

response response::no_content() {
  response r;
  r.status = 204;
  return r;
}

std::optional<std::string> percent_decode(std::string_view text, bool plus_as_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      int hi = hex_value(text[i + 1]);
      int lo = hex_value(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_as_space) {
      c = ' ';
    }
    if (c == '\0') return std::nullopt;
    out.push_back(c);
  }
  return out;
}

}  // namespace deskgate::http
