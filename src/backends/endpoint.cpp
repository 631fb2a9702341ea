// Text form of an endpoint, as stored in desktops.endpoint: "unix:/abs/path", "tcp:host:port" or
// "tcp:[v6]:port". parse() is strict: anything it does not fully understand is rejected, so a damaged
// database row can never make the gateway connect somewhere unexpected.
#include <charconv>
#include <optional>
#include <string>
#include <string_view>

#include "backends/backend.hpp"

namespace deskgate {
namespace {

constexpr std::string_view unix_prefix = "unix:";
constexpr std::string_view tcp_prefix = "tcp:";

bool is_host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
}

bool is_v6_char(char c) {
  return (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || (c >= '0' && c <= '9') || c == ':' || c == '.';
}

std::optional<std::uint16_t> parse_port(std::string_view text) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  if (value == 0 || value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

}  // namespace

std::string endpoint::to_string() const {
  if (is_unix()) return std::string(unix_prefix) + unix_path;
  std::string out(tcp_prefix);
  if (host.find(':') != std::string::npos) {
    out += '[';
    out += host;
    out += ']';
  } else {
    out += host;
  }
  out += ':';
  out += std::to_string(port);
  return out;
}

std::optional<endpoint> endpoint::parse(std::string_view text) {
  if (text.starts_with(unix_prefix)) {
    std::string_view path = text.substr(unix_prefix.size());
    if (path.size() < 2 || path.front() != '/') return std::nullopt;
    if (path.find('\0') != std::string_view::npos) return std::nullopt;
    endpoint e;
    e.unix_path = std::string(path);
    return e;
  }
  if (!text.starts_with(tcp_prefix)) return std::nullopt;
  std::string_view rest = text.substr(tcp_prefix.size());

  std::string_view host;
  std::string_view port_text;
  if (!rest.empty() && rest.front() == '[') {
    auto close = rest.find(']');
    if (close == std::string_view::npos || close + 1 >= rest.size() || rest[close + 1] != ':') return std::nullopt;
    host = rest.substr(1, close - 1);
    port_text = rest.substr(close + 2);
    // At least two colons: "[1.2.3.4]" or "[abc]" is not an IPv6 address.
    if (host.find(':') == std::string_view::npos) return std::nullopt;
    for (char c : host)
      if (!is_v6_char(c)) return std::nullopt;
  } else {
    auto colon = rest.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    host = rest.substr(0, colon);
    port_text = rest.substr(colon + 1);
    for (char c : host)
      if (!is_host_char(c)) return std::nullopt;  // also rejects a second ':' (unbracketed IPv6)
  }
  if (host.empty() || host.size() > 253) return std::nullopt;
  auto port = parse_port(port_text);
  if (!port) return std::nullopt;
  endpoint e;
  e.host = std::string(host);
  e.port = *port;
  return e;
}

}  // namespace deskgate
