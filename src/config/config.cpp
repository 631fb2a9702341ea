// Loading, validating and rendering deskgate's configuration. One table of key descriptors drives the
// TOML file, the DESKGATE_* environment overrides and the rendered effective configuration, so adding a
// key is one line here and it is parsed, overridable and printed the same way as every other key.
#include "config/config.hpp"

// Debian ships toml++ as a compiled library; its CMake package passes these two definitions. Builds
// that do not go through CMake must agree, or they would silently compile the header-only variant.
#ifndef TOML_HEADER_ONLY
#define TOML_HEADER_ONLY 0
#endif
#ifndef TOML_SHARED_LIB
#define TOML_SHARED_LIB 1
#endif
#include <arpa/inet.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <concepts>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <span>
#include <sstream>
#include <utility>
#include <variant>

namespace deskgate {

namespace {

constexpr std::string_view env_prefix = "DESKGATE_";
constexpr std::string_view secret_mask = "********";

// ---------------------------------------------------------------------------------------------------
// Small parsers shared by the value checks.

bool is_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string in_quotes(std::string_view s) { return "\"" + std::string(s) + "\""; }

// A port number; `allow_zero` for listen addresses, where 0 lets the OS pick one.
std::uint16_t parse_port(std::string_view text, bool allow_zero) {
  int port = -1;
  if (is_digits(text) && text.size() <= 5) std::from_chars(text.data(), text.data() + text.size(), port);
  int lowest = allow_zero ? 0 : 1;
  if (port < lowest || port > 65535) {
    throw std::invalid_argument("port must be a number " + std::to_string(lowest) + "-65535, got " +
                                in_quotes(text));
  }
  return static_cast<std::uint16_t>(port);
}

bool is_ipv6(std::string_view text) {
  in6_addr unused{};
  return text.find('\0') == std::string_view::npos &&
         inet_pton(AF_INET6, std::string(text).c_str(), &unused) == 1;
}

// A DNS name or dotted IPv4 address (the characters only; resolving is the listener's business).
bool is_host_name(std::string_view text) {
  return !text.empty() && text.size() <= 253 && std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
  });
}

struct host_and_port {
  std::string host;  // IPv6 without brackets
  bool bracketed = false;
  std::optional<std::string_view> port;  // the text after ':', when there is one
};

// "host", "host:port", "[v6]", "[v6]:port".
host_and_port split_host_port(std::string_view text) {
  host_and_port result;
  std::string_view rest;
  if (text.starts_with('[')) {
    auto close = text.find(']');
    if (close == std::string_view::npos) throw std::invalid_argument("missing ']' after the IPv6 address");
    result.host = std::string(text.substr(1, close - 1));
    result.bracketed = true;
    if (!is_ipv6(result.host)) throw std::invalid_argument(in_quotes(result.host) + " is not an IPv6 address");
    rest = text.substr(close + 1);
  } else {
    auto colon = text.find(':');
    result.host = std::string(text.substr(0, colon));
    if (colon != std::string_view::npos && text.find(':', colon + 1) != std::string_view::npos) {
      throw std::invalid_argument("an IPv6 address must be in brackets, e.g. [::1]:8080");
    }
    if (result.host.empty()) throw std::invalid_argument("the host is empty (use 0.0.0.0 for all interfaces)");
    if (!is_host_name(result.host)) throw std::invalid_argument(in_quotes(result.host) + " is not a valid host");
    rest = colon == std::string_view::npos ? std::string_view{} : text.substr(colon);
  }
  if (!rest.empty()) {
    if (rest[0] != ':') throw std::invalid_argument("unexpected " + in_quotes(rest) + " after the host");
    result.port = rest.substr(1);
  }
  return result;
}

struct listen_address {
  std::string host;
  std::uint16_t port;
};

listen_address parse_listen(std::string_view text) {
  auto parts = split_host_port(text);
  if (!parts.port) throw std::invalid_argument("expected host:port or [IPv6]:port, got " + in_quotes(text));
  return {parts.host, parse_port(*parts.port, true)};
}

struct public_url_parts {
  bool https;
  std::string origin;
};

public_url_parts parse_public_url(std::string_view text) {
  auto separator = text.find("://");
  if (separator == std::string_view::npos) {
    throw std::invalid_argument("expected http(s)://host[:port], got " + in_quotes(text));
  }
  std::string scheme = lower(text.substr(0, separator));
  if (scheme != "http" && scheme != "https") {
    throw std::invalid_argument("the scheme must be http or https, got " + in_quotes(text.substr(0, separator)));
  }
  auto authority = text.substr(separator + 3);
  // The origin is compared with browsers' Origin headers and prefixed to redirect paths, so anything
  // after host[:port], even a lone "/", would make both wrong.
  if (authority.find_first_of("/?#") != std::string_view::npos) {
    throw std::invalid_argument("must be scheme://host[:port] without a path (not even '/'), query or fragment");
  }
  if (authority.find('@') != std::string_view::npos) {
    throw std::invalid_argument("must not contain a user name or password");
  }
  auto parts = split_host_port(authority);
  bool https = scheme == "https";
  std::string origin = scheme + "://" + (parts.bracketed ? "[" + lower(parts.host) + "]" : lower(parts.host));
  if (parts.port) {
    auto port = parse_port(*parts.port, false);
    if (port != (https ? 443 : 80)) origin += ":" + std::to_string(port);
  }
  return {https, origin};
}

// ---------------------------------------------------------------------------------------------------
// Checks for single string values (key_spec::check). Each throws std::invalid_argument with the reason.

void check_listen(std::string_view text) { parse_listen(text); }

void check_public_url(std::string_view text) { parse_public_url(text); }

void check_not_empty(std::string_view text) {
  if (text.empty()) throw std::invalid_argument("must not be empty");
}

void check_store_url(std::string_view text) {
  // Empty means the SQLite default under data_dir, filled in after all layers are applied.
  if (!text.empty() && !text.starts_with("sqlite:") && !text.starts_with("postgresql://") &&
      !text.starts_with("postgres://")) {
    throw std::invalid_argument("must start with sqlite: or postgresql://");
  }
}

void check_issuer(std::string_view text) {
  // Empty disables OIDC.
  if (!text.empty() && !text.starts_with("https://") && !text.starts_with("http://")) {
    throw std::invalid_argument("must be an http(s) URL, got " + in_quotes(text));
  }
}

void check_slug(std::string_view text) {
  auto allowed = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; };
  if (text.empty() || text.size() > 63 || text[0] == '-' || !std::all_of(text.begin(), text.end(), allowed)) {
    throw std::invalid_argument("must be 1-63 characters a-z, 0-9 and '-', not starting with '-', got " +
                                in_quotes(text));
  }
}

void check_url_path(std::string_view text) {
  if (!text.starts_with('/')) throw std::invalid_argument("must start with '/', got " + in_quotes(text));
}

// Xvnc's -geometry: "1280x800", each side 64-8192 pixels.
void check_geometry(std::string_view text) {
  auto side = [](std::string_view digits) {
    int pixels = -1;
    if (is_digits(digits) && digits.size() <= 5) std::from_chars(digits.data(), digits.data() + digits.size(), pixels);
    return pixels;
  };
  auto x = text.find('x');
  int width = x == std::string_view::npos ? -1 : side(text.substr(0, x));
  int height = x == std::string_view::npos ? -1 : side(text.substr(x + 1));
  if (width < 64 || width > 8192 || height < 64 || height > 8192) {
    throw std::invalid_argument("must be WIDTHxHEIGHT with each side 64-8192 pixels, e.g. \"1280x800\", got " +
                                in_quotes(text));
  }
}

bool is_env_name(std::string_view text) {
  auto first = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; };
  return !text.empty() && first(text[0]) &&
         std::all_of(text.begin() + 1, text.end(), [&](char c) { return first(c) || (c >= '0' && c <= '9'); });
}

void check_env_name(std::string_view text) {
  if (!is_env_name(text)) {
    throw std::invalid_argument("must be an environment variable name ([A-Za-z_][A-Za-z0-9_]*), got " +
                                in_quotes(text));
  }
}

// One element of a desktop type's env: "NAME=value" (the value may be empty or contain '=').
void check_env_assignment(std::string_view text) {
  auto equals = text.find('=');
  if (equals == std::string_view::npos) throw std::invalid_argument("expected NAME=value, got " + in_quotes(text));
  if (!is_env_name(text.substr(0, equals))) {
    throw std::invalid_argument("the name must match [A-Za-z_][A-Za-z0-9_]*, got " + in_quotes(text));
  }
  // execve's environment is a list of C strings: a NUL would silently cut the value.
  if (text.find('\0') != std::string_view::npos) throw std::invalid_argument("must not contain a NUL character");
}

// Docker limits: empty means no limit, so an explicit 0 is refused rather than guessed at.
void check_cpus(std::string_view text) {
  if (!text.empty()) parse_cpus(text);
}

void check_byte_size(std::string_view text) {
  if (!text.empty() && parse_byte_size(text) == 0) {
    throw std::invalid_argument("must be more than 0 (leave it empty for no limit)");
  }
}

// A Docker Engine API endpoint: unix:///absolute/path or tcp://host:port (nothing after the port).
void check_docker_url(std::string_view text) {
  if (text.starts_with("unix://")) {
    auto path = text.substr(7);
    if (path.size() < 2 || path[0] != '/' || path.find('\0') != std::string_view::npos) {
      throw std::invalid_argument("expected unix:///absolute/path/to/docker.sock, got " + in_quotes(text));
    }
    return;
  }
  if (text.starts_with("tcp://")) {
    auto authority = text.substr(6);
    try {
      if (authority.empty() || authority[0] == ':') throw std::invalid_argument("the host is empty");
      if (authority.find_first_of("/?#@") != std::string_view::npos) {
        throw std::invalid_argument("nothing may follow the port");
      }
      auto parts = split_host_port(authority);
      if (!parts.port) throw std::invalid_argument("the port is missing");
      parse_port(*parts.port, false);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument("expected tcp://host:port, got " + in_quotes(text) + ": " + e.what());
    }
    return;
  }
  throw std::invalid_argument("must be unix:///absolute/path or tcp://host:port, got " + in_quotes(text));
}

void check_ip_address(std::string_view text) {
  in_addr v4{};
  bool v4_ok = text.find('\0') == std::string_view::npos && inet_pton(AF_INET, std::string(text).c_str(), &v4) == 1;
  if (!v4_ok && !is_ipv6(text)) {
    throw std::invalid_argument("must be an IPv4 or IPv6 address (no brackets, no port), got " + in_quotes(text));
  }
}

// A Docker network name or id; empty: desktops are reached through published ports.
void check_docker_network(std::string_view text) {
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); };
  bool ok = text.empty() || (alnum(text[0]) && std::all_of(text.begin(), text.end(), [&](char c) {
                               return alnum(c) || c == '_' || c == '.' || c == '-';
                             }));
  if (!ok) throw std::invalid_argument("must be a Docker network name ([A-Za-z0-9][A-Za-z0-9_.-]*), got " + in_quotes(text));
}

// Hides the password of "scheme://user:password@host/..." (a PostgreSQL URL) when rendering.
std::string redact_url_password(const std::string& url) {
  auto authority = url.find("://");
  if (authority == std::string::npos) return url;
  authority += 3;
  auto at = url.find('@', authority);
  auto slash = url.find('/', authority);
  if (at == std::string::npos || at > slash) return url;
  auto colon = url.find(':', authority);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon + 1) + std::string(secret_mask) + url.substr(at);
}

// ---------------------------------------------------------------------------------------------------
// The key table.

// A key's storage: a function returning a reference to the field inside the root struct. Captureless
// lambdas convert to these pointers, and the alternative chosen tells every operation below the type.
template <class Root>
using field_ref = std::variant<std::string& (*)(Root&), std::filesystem::path& (*)(Root&), bool& (*)(Root&),
                               int& (*)(Root&), std::size_t& (*)(Root&), std::uint16_t& (*)(Root&),
                               milliseconds& (*)(Root&), seconds& (*)(Root&),
                               std::vector<std::string>& (*)(Root&), std::vector<cidr>& (*)(Root&)>;

template <class Root>
struct key_spec {
  std::string_view name;  // dotted key; its environment variable is derived from it
  field_ref<Root> field;
  bool secret = false;                        // rendered as "********" (or "" when empty)
  long long min = 0;                          // integers: the smallest accepted value
  bool zero_allowed = false;                  // durations: 0 is accepted (it means "use the default")
  std::span<const std::string_view> one_of{};  // strings: the accepted values; empty: any
  void (*check)(std::string_view) = nullptr;  // strings, paths, each element of string lists: validation
  std::string (*redact)(const std::string&) = nullptr;  // strings: hides part of the value when rendered
};

constexpr std::string_view log_levels[] = {"trace", "debug", "info", "warn", "error"};
constexpr std::string_view log_formats[] = {"text", "json"};
constexpr std::string_view backends[] = {"local", "docker", "static"};
constexpr std::string_view protocols[] = {"vnc", "websocket"};
constexpr std::string_view upstream_auths[] = {"vnc-password", "basic", "none"};
constexpr std::string_view token_auth_methods[] = {"client_secret_basic", "client_secret_post"};
constexpr std::string_view role_names[] = {"student", "teacher", "admin"};

// Keys are grouped by section: render_config starts a new [section] whenever the prefix changes.
const key_spec<config> config_keys[] = {
    {.name = "server.listen", .field = [](config& c) -> auto& { return c.server.listen; }, .check = check_listen},
    {.name = "server.public_url",
     .field = [](config& c) -> auto& { return c.server.public_url; },
     .check = check_public_url},
    {.name = "server.data_dir",
     .field = [](config& c) -> auto& { return c.server.data_dir; },
     .check = check_not_empty},
    {.name = "server.trusted_proxies", .field = [](config& c) -> auto& { return c.server.trusted_proxies; }},
    {.name = "server.web_root", .field = [](config& c) -> auto& { return c.server.web_root; }},
    {.name = "server.io_threads", .field = [](config& c) -> auto& { return c.server.io_threads; }, .min = 1},
    {.name = "server.worker_threads", .field = [](config& c) -> auto& { return c.server.worker_threads; }, .min = 1},
    {.name = "server.max_connections",
     .field = [](config& c) -> auto& { return c.server.max_connections; },
     .min = 1},
    {.name = "server.max_header_bytes",
     .field = [](config& c) -> auto& { return c.server.max_header_bytes; },
     .min = 1},
    {.name = "server.max_body_bytes", .field = [](config& c) -> auto& { return c.server.max_body_bytes; }, .min = 1},
    {.name = "server.header_timeout", .field = [](config& c) -> auto& { return c.server.header_timeout_ms; }},
    {.name = "server.body_timeout", .field = [](config& c) -> auto& { return c.server.body_timeout_ms; }},
    {.name = "server.keepalive_timeout", .field = [](config& c) -> auto& { return c.server.keepalive_timeout_ms; }},
    {.name = "server.shutdown_grace", .field = [](config& c) -> auto& { return c.server.shutdown_grace_ms; }},

    {.name = "store.url",
     .field = [](config& c) -> auto& { return c.store.url; },
     .check = check_store_url,
     .redact = redact_url_password},
    {.name = "store.busy_timeout", .field = [](config& c) -> auto& { return c.store.busy_timeout_ms; }},
    {.name = "store.pool_size", .field = [](config& c) -> auto& { return c.store.pool_size; }, .min = 1},

    {.name = "auth.local.enabled", .field = [](config& c) -> auto& { return c.auth.local.enabled; }},
    {.name = "auth.local.max_failures_per_user",
     .field = [](config& c) -> auto& { return c.auth.local.max_failures_per_user; },
     .min = 1},
    {.name = "auth.local.max_failures_per_address",
     .field = [](config& c) -> auto& { return c.auth.local.max_failures_per_address; },
     .min = 1},
    {.name = "auth.local.failure_window", .field = [](config& c) -> auto& { return c.auth.local.failure_window; }},

    {.name = "auth.oidc.issuer", .field = [](config& c) -> auto& { return c.auth.oidc.issuer; }, .check = check_issuer},
    {.name = "auth.oidc.client_id", .field = [](config& c) -> auto& { return c.auth.oidc.client_id; }},
    {.name = "auth.oidc.client_secret",
     .field = [](config& c) -> auto& { return c.auth.oidc.client_secret; },
     .secret = true},
    {.name = "auth.oidc.client_secret_file",
     .field = [](config& c) -> auto& { return c.auth.oidc.client_secret_file; }},
    {.name = "auth.oidc.display_name", .field = [](config& c) -> auto& { return c.auth.oidc.display_name; }},
    {.name = "auth.oidc.scopes", .field = [](config& c) -> auto& { return c.auth.oidc.scopes; }},
    {.name = "auth.oidc.user_id_claim",
     .field = [](config& c) -> auto& { return c.auth.oidc.user_id_claim; },
     .check = check_not_empty},
    {.name = "auth.oidc.username_claim",
     .field = [](config& c) -> auto& { return c.auth.oidc.username_claim; },
     .check = check_not_empty},
    {.name = "auth.oidc.email_claim", .field = [](config& c) -> auto& { return c.auth.oidc.email_claim; }},
    {.name = "auth.oidc.groups_claim", .field = [](config& c) -> auto& { return c.auth.oidc.groups_claim; }},
    {.name = "auth.oidc.token_auth_method",
     .field = [](config& c) -> auto& { return c.auth.oidc.token_auth_method; },
     .one_of = token_auth_methods},
    {.name = "auth.oidc.end_session", .field = [](config& c) -> auto& { return c.auth.oidc.end_session; }},
    {.name = "auth.oidc.timeout", .field = [](config& c) -> auto& { return c.auth.oidc.timeout; }},
    {.name = "auth.oidc.admin_groups", .field = [](config& c) -> auto& { return c.auth.oidc.admin_groups; }},
    {.name = "auth.oidc.teacher_groups", .field = [](config& c) -> auto& { return c.auth.oidc.teacher_groups; }},

    {.name = "auth.session.idle_timeout", .field = [](config& c) -> auto& { return c.auth.session.idle_timeout; }},
    {.name = "auth.session.absolute_timeout",
     .field = [](config& c) -> auto& { return c.auth.session.absolute_timeout; }},

    {.name = "log.level", .field = [](config& c) -> auto& { return c.log.level; }, .one_of = log_levels},
    {.name = "log.format", .field = [](config& c) -> auto& { return c.log.format; }, .one_of = log_formats},

    {.name = "desktops.idle_timeout", .field = [](config& c) -> auto& { return c.desktops.idle_timeout; }},
    {.name = "desktops.remove_stopped_after",
     .field = [](config& c) -> auto& { return c.desktops.remove_stopped_after; }},
    {.name = "desktops.max_per_user", .field = [](config& c) -> auto& { return c.desktops.max_per_user; }, .min = 1},
    {.name = "desktops.max_total", .field = [](config& c) -> auto& { return c.desktops.max_total; }, .min = 1},
    {.name = "desktops.scheduler_interval",
     .field = [](config& c) -> auto& { return c.desktops.scheduler_interval; }},
    {.name = "desktops.reconcile_interval",
     .field = [](config& c) -> auto& { return c.desktops.reconcile_interval; }},
    {.name = "desktops.start_timeout", .field = [](config& c) -> auto& { return c.desktops.start_timeout; }},
    {.name = "desktops.stop_grace", .field = [](config& c) -> auto& { return c.desktops.stop_grace; }},
    {.name = "desktops.port_range_start",
     .field = [](config& c) -> auto& { return c.desktops.port_range_start; },
     .min = 1},
    {.name = "desktops.port_range_end", .field = [](config& c) -> auto& { return c.desktops.port_range_end; }, .min = 1},
    {.name = "desktops.remove_unknown", .field = [](config& c) -> auto& { return c.desktops.remove_unknown; }},

    {.name = "gateway.ping_interval", .field = [](config& c) -> auto& { return c.gateway.ping_interval; }},
    {.name = "gateway.handshake_timeout", .field = [](config& c) -> auto& { return c.gateway.handshake_timeout; }},
    {.name = "gateway.max_message_bytes",
     .field = [](config& c) -> auto& { return c.gateway.max_message_bytes; },
     .min = 1024},
    {.name = "gateway.session_recheck_interval",
     .field = [](config& c) -> auto& { return c.gateway.session_recheck_interval; }},
    {.name = "gateway.http_timeout", .field = [](config& c) -> auto& { return c.gateway.http_timeout; }},
    {.name = "gateway.http_max_response_bytes",
     .field = [](config& c) -> auto& { return c.gateway.http_max_response_bytes; },
     .min = 1024},

    {.name = "local.xvnc", .field = [](config& c) -> auto& { return c.local.xvnc; }, .check = check_not_empty},
    {.name = "local.session_command",
     .field = [](config& c) -> auto& { return c.local.session_command; },
     .check = check_not_empty},
    {.name = "local.uid_base", .field = [](config& c) -> auto& { return c.local.uid_base; }, .min = 1000},
    {.name = "local.geometry", .field = [](config& c) -> auto& { return c.local.geometry; }, .check = check_geometry},

    {.name = "files.quota", .field = [](config& c) -> auto& { return c.files.quota; }, .check = check_byte_size},
    {.name = "files.max_file_size",
     .field = [](config& c) -> auto& { return c.files.max_file_size; },
     .check = check_byte_size},
    {.name = "files.shared_writable_by",
     .field = [](config& c) -> auto& { return c.files.shared_writable_by; },
     .one_of = role_names},
};

// The keys of one [[desktop_types]] entry. Desktop types come from the file only: a list of tables has
// no sensible DESKGATE_SECTION_KEY spelling, so these keys are not overridable by environment.
const key_spec<desktop_type_config> desktop_type_keys[] = {
    {.name = "slug", .field = [](desktop_type_config& t) -> auto& { return t.slug; }, .check = check_slug},
    {.name = "name", .field = [](desktop_type_config& t) -> auto& { return t.name; }},
    {.name = "description", .field = [](desktop_type_config& t) -> auto& { return t.description; }},
    {.name = "icon", .field = [](desktop_type_config& t) -> auto& { return t.icon; }},
    {.name = "backend", .field = [](desktop_type_config& t) -> auto& { return t.backend; }, .one_of = backends},
    {.name = "open_to_all", .field = [](desktop_type_config& t) -> auto& { return t.open_to_all; }},
    {.name = "enabled", .field = [](desktop_type_config& t) -> auto& { return t.enabled; }},
    {.name = "image", .field = [](desktop_type_config& t) -> auto& { return t.image; }},
    {.name = "command", .field = [](desktop_type_config& t) -> auto& { return t.command; }},
    {.name = "host", .field = [](desktop_type_config& t) -> auto& { return t.host; }},
    {.name = "port", .field = [](desktop_type_config& t) -> auto& { return t.port; }},
    {.name = "protocol", .field = [](desktop_type_config& t) -> auto& { return t.protocol; }, .one_of = protocols},
    {.name = "auth", .field = [](desktop_type_config& t) -> auto& { return t.auth; }, .one_of = upstream_auths},
    {.name = "password", .field = [](desktop_type_config& t) -> auto& { return t.password; }, .secret = true},
    {.name = "path", .field = [](desktop_type_config& t) -> auto& { return t.path; }, .check = check_url_path},
    {.name = "tls", .field = [](desktop_type_config& t) -> auto& { return t.tls; }},
    {.name = "tls_verify", .field = [](desktop_type_config& t) -> auto& { return t.tls_verify; }},
    {.name = "backend_host", .field = [](desktop_type_config& t) -> auto& { return t.backend_host; }},
    {.name = "http_port", .field = [](desktop_type_config& t) -> auto& { return t.http_port; }},
    {.name = "start_timeout",
     .field = [](desktop_type_config& t) -> auto& { return t.start_timeout; },
     .zero_allowed = true},
    {.name = "cpus", .field = [](desktop_type_config& t) -> auto& { return t.cpus; }, .check = check_cpus},
    {.name = "memory", .field = [](desktop_type_config& t) -> auto& { return t.memory; }, .check = check_byte_size},
    {.name = "shm_size", .field = [](desktop_type_config& t) -> auto& { return t.shm_size; }, .check = check_byte_size},
    {.name = "pids", .field = [](desktop_type_config& t) -> auto& { return t.pids; }},
    {.name = "env", .field = [](desktop_type_config& t) -> auto& { return t.env; }, .check = check_env_assignment},
    {.name = "secret_env",
     .field = [](desktop_type_config& t) -> auto& { return t.secret_env; },
     .check = check_env_name},
};

// The keys of one [[docker_hosts]] entry; like desktop types, file only. None of them is secret: tls_key
// names a file, it is not the key itself.
const key_spec<docker_host_config> docker_host_keys[] = {
    {.name = "name", .field = [](docker_host_config& h) -> auto& { return h.name; }, .check = check_slug},
    {.name = "url", .field = [](docker_host_config& h) -> auto& { return h.url; }, .check = check_docker_url},
    {.name = "tls_ca", .field = [](docker_host_config& h) -> auto& { return h.tls_ca; }},
    {.name = "tls_cert", .field = [](docker_host_config& h) -> auto& { return h.tls_cert; }},
    {.name = "tls_key", .field = [](docker_host_config& h) -> auto& { return h.tls_key; }},
    {.name = "publish_address",
     .field = [](docker_host_config& h) -> auto& { return h.publish_address; },
     .check = check_ip_address},
    {.name = "network", .field = [](docker_host_config& h) -> auto& { return h.network; }, .check = check_docker_network},
};

// With no file at all: the header's defaults plus this one type, so `deskgate serve` works out of the box.
constexpr std::string_view embedded_default = R"toml(
[[desktop_types]]
slug = "terminal"
name = "Terminal desktop"
description = "A lightweight Linux desktop with a terminal"
icon = "🖥️"
backend = "local"
open_to_all = true
)toml";

// The key called `name` in a key table (an array or a span of key_spec), or nullptr.
template <class Keys>
auto find_key(const Keys& keys, std::string_view name) -> decltype(&*std::begin(keys)) {
  auto it = std::find_if(std::begin(keys), std::end(keys), [&](const auto& k) { return k.name == name; });
  return it == std::end(keys) ? nullptr : &*it;
}

// True when `name` is a section holding keys ("auth", "auth.oidc"), rather than a key or nothing.
bool is_section(std::string_view name) {
  return std::any_of(std::begin(config_keys), std::end(config_keys), [&](const auto& k) {
    return k.name.size() > name.size() && k.name.starts_with(name) && k.name[name.size()] == '.';
  });
}

std::string env_name(std::string_view key) {
  std::string name(env_prefix);
  for (char c : key) name += c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return name;
}

// ---------------------------------------------------------------------------------------------------
// Reading values: from a TOML node, from an environment string. Both throw std::invalid_argument with
// the reason; the caller adds the key and where the value came from.

template <class T>
concept integer_field = std::integral<T> && !std::same_as<T, bool>;

template <class T>
concept duration_field = std::same_as<T, milliseconds> || std::same_as<T, seconds>;

std::string type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a floating-point number";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    case toml::node_type::none: break;
  }
  return "nothing";
}

[[noreturn]] void wrong_type(const toml::node& node, std::string_view expected) {
  throw std::invalid_argument("expected " + std::string(expected) + ", got " + type_name(node));
}

template <integer_field T>
T narrow(long long value) {
  if (!std::in_range<T>(value)) {
    throw std::invalid_argument("must be between " + std::to_string(std::numeric_limits<T>::min()) + " and " +
                                std::to_string(std::numeric_limits<T>::max()) + ", got " +
                                std::to_string(value));
  }
  return static_cast<T>(value);
}

// A whole number of seconds as a duration field (integers in TOML and the environment mean seconds).
template <duration_field T>
T from_seconds(long long count) {
  if (count > std::numeric_limits<long long>::max() / 1000 || count < std::numeric_limits<long long>::min() / 1000) {
    throw std::invalid_argument("duration too large");
  }
  return std::chrono::duration_cast<T>(seconds(count));
}

template <duration_field T>
T from_milliseconds(milliseconds value) {
  auto converted = std::chrono::duration_cast<T>(value);
  if (converted != value) throw std::invalid_argument("must be a whole number of seconds");
  return converted;
}

std::string read_string_node(const toml::node& node) {
  if (!node.is_string()) wrong_type(node, "a string");
  return node.as_string()->get();
}

void read_toml(const toml::node& node, std::string& out) { out = read_string_node(node); }

void read_toml(const toml::node& node, std::filesystem::path& out) { out = read_string_node(node); }

void read_toml(const toml::node& node, bool& out) {
  if (!node.is_boolean()) wrong_type(node, "a boolean");
  out = node.as_boolean()->get();
}

template <integer_field T>
void read_toml(const toml::node& node, T& out) {
  if (!node.is_integer()) wrong_type(node, "an integer");
  out = narrow<T>(node.as_integer()->get());
}

template <duration_field T>
void read_toml(const toml::node& node, T& out) {
  if (node.is_integer()) {
    out = from_seconds<T>(node.as_integer()->get());
  } else if (node.is_string()) {
    out = from_milliseconds<T>(parse_duration(node.as_string()->get()));
  } else {
    wrong_type(node, "a duration (a string such as \"90s\", \"15m\", \"2h\" or an integer number of seconds)");
  }
}

cidr parse_cidr_item(std::string_view text, std::size_t index) {
  try {
    return cidr::parse(text);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument("element " + std::to_string(index) + ": " + e.what());
  }
}

template <class T>
void read_toml(const toml::node& node, std::vector<T>& out) {
  if (!node.is_array()) wrong_type(node, "an array of strings");
  std::vector<T> items;
  const auto& array = *node.as_array();
  for (std::size_t i = 0; i < array.size(); ++i) {
    if (!array[i].is_string()) {
      throw std::invalid_argument("element " + std::to_string(i) + ": expected a string, got " + type_name(array[i]));
    }
    const std::string& text = array[i].as_string()->get();
    if constexpr (std::is_same_v<T, cidr>) {
      items.push_back(parse_cidr_item(text, i));
    } else {
      items.push_back(text);
    }
  }
  out = std::move(items);
}

void read_text(std::string_view text, std::string& out) { out = text; }

void read_text(std::string_view text, std::filesystem::path& out) { out = text; }

void read_text(std::string_view text, bool& out) {
  std::string value = lower(text);
  if (value == "true" || value == "1" || value == "yes" || value == "on") {
    out = true;
  } else if (value == "false" || value == "0" || value == "no" || value == "off") {
    out = false;
  } else {
    throw std::invalid_argument("expected true or false, got " + in_quotes(text));
  }
}

long long parse_integer(std::string_view text) {
  long long value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) {
    throw std::invalid_argument("expected an integer, got " + in_quotes(text));
  }
  return value;
}

template <integer_field T>
void read_text(std::string_view text, T& out) {
  out = narrow<T>(parse_integer(text));
}

template <duration_field T>
void read_text(std::string_view text, T& out) {
  out = is_digits(text) ? from_seconds<T>(parse_integer(text)) : from_milliseconds<T>(parse_duration(text));
}

// Lists in the environment are comma-separated; blanks around items and empty items are ignored, so
// "a, b," is ["a", "b"] and "" is the empty list.
template <class T>
void read_text(std::string_view text, std::vector<T>& out) {
  std::vector<T> items;
  while (!text.empty()) {
    auto comma = text.find(',');
    auto item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    auto first = item.find_first_not_of(" \t");
    if (first == std::string_view::npos) continue;
    item = item.substr(first, item.find_last_not_of(" \t") - first + 1);
    if constexpr (std::is_same_v<T, cidr>) {
      items.push_back(parse_cidr_item(item, items.size()));
    } else {
      items.emplace_back(item);
    }
  }
  out = std::move(items);
}

// ---------------------------------------------------------------------------------------------------
// Checking, assigning and rendering one key, whatever its type.

template <class Root, class T>
void check_value(const key_spec<Root>& spec, const T& value) {
  if constexpr (std::is_same_v<T, std::string>) {
    if (!spec.one_of.empty() && std::find(spec.one_of.begin(), spec.one_of.end(), value) == spec.one_of.end()) {
      std::string choices;
      for (auto choice : spec.one_of) choices += (choices.empty() ? "" : ", ") + in_quotes(choice);
      throw std::invalid_argument("must be one of " + choices + ", got " + in_quotes(value));
    }
    if (spec.check) spec.check(value);
  } else if constexpr (std::is_same_v<T, std::filesystem::path>) {
    if (spec.check) spec.check(value.string());
  } else if constexpr (integer_field<T>) {
    if (std::cmp_less(value, spec.min)) {
      throw std::invalid_argument("must be at least " + std::to_string(spec.min) + ", got " + std::to_string(value));
    }
  } else if constexpr (duration_field<T>) {
    if (!spec.zero_allowed && value <= T::zero()) throw std::invalid_argument("must be a positive duration");
    if (value < T::zero()) throw std::invalid_argument("must not be negative");
  } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
    for (std::size_t i = 0; spec.check && i < value.size(); ++i) {
      try {
        spec.check(value[i]);
      } catch (const std::invalid_argument& e) {
        throw std::invalid_argument("element " + std::to_string(i) + ": " + e.what());
      }
    }
  }
}

[[noreturn]] void fail(std::string_view key, std::string_view reason, std::string_view origin) {
  std::string message = std::string(key) + ": " + std::string(reason);
  if (!origin.empty()) message += " (" + std::string(origin) + ")";
  throw config_error(message);
}

// Reads a key with `read` (a generic callable filling a value of the field's type), checks it, and only
// then stores it. `display` is the key as the user wrote it ("desktop_types[1].port").
template <class Root, class Read>
void assign(Root& root, const key_spec<Root>& spec, std::string_view display, std::string_view origin, Read read) {
  try {
    std::visit(
        [&](auto get) {
          auto value = get(root);
          read(value);
          check_value(spec, value);
          get(root) = std::move(value);
        },
        spec.field);
  } catch (const std::invalid_argument& e) {
    fail(display, e.what(), origin);
  }
}

// A TOML basic string. Control characters are escaped; other UTF-8 passes through unchanged.
std::string toml_string(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (byte < 0x20 || byte == 0x7f) {
          char escape[8];
          std::snprintf(escape, sizeof escape, "\\u%04x", byte);
          out += escape;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

template <class T>
std::string render_value(const T& value) {
  if constexpr (std::is_same_v<T, std::string>) {
    return toml_string(value);
  } else if constexpr (std::is_same_v<T, std::filesystem::path>) {
    return toml_string(value.string());
  } else if constexpr (std::is_same_v<T, bool>) {
    return value ? "true" : "false";
  } else if constexpr (integer_field<T>) {
    return std::to_string(value);
  } else if constexpr (duration_field<T>) {
    return toml_string(format_duration(value));
  } else {
    std::string out = "[";
    for (const auto& item : value) {
      if (out.size() > 1) out += ", ";
      if constexpr (std::is_same_v<typename T::value_type, cidr>) {
        out += toml_string(item.to_string());
      } else {
        out += toml_string(item);
      }
    }
    return out + "]";
  }
}

template <class Root>
std::string render_key(const key_spec<Root>& spec, Root& root) {
  return std::visit(
      [&](auto get) {
        const auto& value = get(root);
        if constexpr (std::is_same_v<std::decay_t<decltype(value)>, std::string>) {
          if (spec.secret) return toml_string(value.empty() ? "" : secret_mask);
          if (spec.redact) return toml_string(spec.redact(value));
        }
        return render_value(value);
      },
      spec.field);
}

// ---------------------------------------------------------------------------------------------------
// The layers.

// Where a TOML node is, for messages: "/etc/deskgate.toml line 12" or "line 12".
std::string where(std::string_view source_name, const toml::node& node) {
  auto line = node.source().begin.line;
  std::string out(source_name);
  if (line == 0) return out;
  return out + (out.empty() ? "" : " ") + "line " + std::to_string(line);
}

// Checks spanning several keys of one [[desktop_types]] entry, reported at the entry's line.
void check_desktop_type(const desktop_type_config& type, const std::string& display, const std::string& origin) {
  if (type.slug.empty()) fail(display + ".slug", "required", origin);
  if (type.backend == "static") {
    if (type.host.empty()) fail(display + ".host", "required for backend \"static\"", origin);
    if (type.port == 0) fail(display + ".port", "required (1-65535) for backend \"static\"", origin);
  }
  if (type.backend == "docker" && type.image.empty()) {
    fail(display + ".image", "required for backend \"docker\"", origin);
  }
  if (type.backend != "docker" && !type.backend_host.empty()) {
    fail(display + ".backend_host", "only for backend \"docker\"", origin);
  }
  std::map<std::string_view, std::size_t> names;  // env name -> the element that set it first
  for (std::size_t i = 0; i < type.env.size(); ++i) {
    std::string_view name = std::string_view(type.env[i]).substr(0, type.env[i].find('='));
    std::string element = "element " + std::to_string(i) + ": ";
    if (name == type.secret_env) {
      fail(display + ".env", element + std::string(name) + " is secret_env, which carries the desktop's secret",
           origin);
    }
    auto [previous, inserted] = names.emplace(name, i);
    if (!inserted) {
      fail(display + ".env",
           element + std::string(name) + " is set twice (also element " + std::to_string(previous->second) + ")",
           origin);
    }
  }
}

// Checks spanning several keys of one [[docker_hosts]] entry.
void check_docker_host(const docker_host_config& host, const std::string& display, const std::string& origin) {
  if (host.tls_cert.empty() != host.tls_key.empty()) {
    fail(display + (host.tls_cert.empty() ? ".tls_cert" : ".tls_key"), "tls_cert and tls_key must be set together",
         origin);
  }
  if (!host.url.starts_with("tcp://")) {
    for (auto [key, value] : {std::pair{".tls_ca", &host.tls_ca}, std::pair{".tls_cert", &host.tls_cert},
                              std::pair{".tls_key", &host.tls_key}}) {
      if (!value->empty()) fail(display + key, "only for tcp:// URLs, the url is " + in_quotes(host.url), origin);
    }
  }
}

// An array of tables ([[desktop_types]], [[docker_hosts]]): where its entries live, their keys, the key
// that identifies an entry (required unique, named in messages) and the checks spanning an entry's keys.
// Entries come from the file only: a list of tables has no sensible DESKGATE_SECTION_KEY spelling.
template <class Entry>
struct table_array_spec {
  std::string_view name;
  std::vector<Entry>& (*entries)(config&);
  std::span<const key_spec<Entry>> keys;
  std::string_view id_key;
  const std::string& (*id)(const Entry&);
  void (*check_entry)(const Entry&, const std::string& display, const std::string& origin);
};

const table_array_spec<docker_host_config> docker_hosts_array = {
    .name = "docker_hosts",
    .entries = [](config& c) -> auto& { return c.docker_hosts; },
    .keys = docker_host_keys,
    .id_key = "name",
    .id = [](const docker_host_config& h) -> const std::string& { return h.name; },
    .check_entry = check_docker_host,
};

const table_array_spec<desktop_type_config> desktop_types_array = {
    .name = "desktop_types",
    .entries = [](config& c) -> auto& { return c.desktop_types; },
    .keys = desktop_type_keys,
    .id_key = "slug",
    .id = [](const desktop_type_config& t) -> const std::string& { return t.slug; },
    .check_entry = check_desktop_type,
};

// Calls `f` with each array of tables, in the order they are rendered.
template <class F>
void for_each_table_array(F&& f) {
  f(docker_hosts_array);
  f(desktop_types_array);
}

template <class Entry>
void read_table_array(config& cfg, const table_array_spec<Entry>& array, const toml::node& node,
                      std::string_view source_name) {
  std::string array_name(array.name);
  if (!node.is_array()) {
    fail(array_name, "expected an array of tables ([[" + array_name + "]]), got " + type_name(node),
         where(source_name, node));
  }
  std::map<std::string, std::string> seen;  // id -> the entry that declared it first
  for (std::size_t i = 0; i < node.as_array()->size(); ++i) {
    const toml::node& entry_node = *node.as_array()->get(i);
    std::string display = array_name + "[" + std::to_string(i) + "]";
    std::string origin = where(source_name, entry_node);
    if (!entry_node.is_table()) fail(display, "expected a table, got " + type_name(entry_node), origin);
    Entry entry;
    // Named references rather than structured bindings: clang before 16 cannot capture those in lambdas.
    for (auto&& item : *entry_node.as_table()) {
      const toml::key& key = item.first;
      const toml::node& value_node = item.second;
      std::string name = display + "." + std::string(key.str());
      const auto* spec = find_key(array.keys, key.str());
      if (!spec) fail(name, "unknown key", where(source_name, value_node));
      assign(entry, *spec, name, where(source_name, value_node), [&](auto& value) { read_toml(value_node, value); });
    }
    array.check_entry(entry, display, origin);
    const std::string& id = array.id(entry);
    auto [previous, inserted] = seen.emplace(id, display);
    if (!inserted) {
      fail(display + "." + std::string(array.id_key),
           "duplicate " + std::string(array.id_key) + " " + in_quotes(id) + " (also " + previous->second + ")", origin);
    }
    array.entries(cfg).push_back(std::move(entry));
  }
}

template <class Entry>
void render_table_array(std::string& out, const table_array_spec<Entry>& array, config& cfg) {
  for (auto& entry : array.entries(cfg)) {
    out += "\n[[" + std::string(array.name) + "]]\n";
    for (const auto& spec : array.keys) out += std::string(spec.name) + " = " + render_key(spec, entry) + "\n";
  }
}

void read_table(config& cfg, const toml::table& table, const std::string& prefix, std::string_view source_name) {
  for (auto&& item : table) {
    const toml::key& key = item.first;
    const toml::node& node = item.second;
    std::string name = prefix.empty() ? std::string(key.str()) : prefix + "." + std::string(key.str());
    std::string origin = where(source_name, node);
    bool is_table_array = false;
    for_each_table_array([&](const auto& array) {
      if (name != array.name) return;
      read_table_array(cfg, array, node, source_name);
      is_table_array = true;
    });
    if (is_table_array) continue;
    if (const auto* spec = find_key(config_keys, name)) {
      assign(cfg, *spec, name, origin, [&](auto& value) { read_toml(node, value); });
    } else if (is_section(name)) {
      if (!node.is_table()) fail(name, "expected a table, got " + type_name(node), origin);
      read_table(cfg, *node.as_table(), name, source_name);
    } else {
      fail(name, "unknown key", origin);
    }
  }
}

void read_environment(config& cfg, const environment& env) {
  for (const auto& entry : env) {
    const std::string& variable = entry.first;
    const std::string& value = entry.second;
    // DESKGATE_CONFIG names the file itself (read by main), it is not a key.
    if (!variable.starts_with(env_prefix) || variable == "DESKGATE_CONFIG") continue;
    const auto* spec = std::find_if(std::begin(config_keys), std::end(config_keys),
                                    [&](const auto& k) { return env_name(k.name) == variable; });
    if (spec == std::end(config_keys)) {
      std::string message = variable + ": no configuration key matches this environment variable";
      for_each_table_array([&](const auto& array) {
        if (!variable.starts_with(env_name(array.name))) return;
        std::string what(array.name);
        std::replace(what.begin(), what.end(), '_', ' ');
        message = variable + ": " + what + " can only be set in the configuration file";
      });
      throw config_error(message);
    }
    assign(cfg, *spec, spec->name, "environment variable " + variable,
           [&](auto& field) { read_text(value, field); });
  }
}

// Cross-key checks and the derived fields, once every layer is applied.
void finish(config& cfg) {
  try {
    auto listen = parse_listen(cfg.server.listen);
    cfg.server.listen_host = listen.host;
    cfg.server.listen_port = listen.port;
  } catch (const std::invalid_argument& e) {
    fail("server.listen", e.what(), {});
  }
  try {
    auto url = parse_public_url(cfg.server.public_url);
    cfg.server.public_https = url.https;
    cfg.server.public_origin = url.origin;
  } catch (const std::invalid_argument& e) {
    fail("server.public_url", e.what(), {});
  }
  if (cfg.store.url.empty()) cfg.store.url = "sqlite:" + (cfg.server.data_dir / "deskgate.db").string();
  if (cfg.auth.oidc.enabled() && cfg.auth.oidc.client_id.empty()) {
    fail("auth.oidc.client_id", "required when auth.oidc.issuer is set", {});
  }
  if (!cfg.auth.oidc.client_secret_file.empty() && !cfg.auth.oidc.client_secret.empty()) {
    fail("auth.oidc.client_secret_file", "set either auth.oidc.client_secret or auth.oidc.client_secret_file", {});
  }
  try {
    oidc_client_secret(cfg.auth.oidc);
  } catch (const std::invalid_argument& e) {
    fail("auth.oidc.client_secret_file", e.what(), {});
  }
  const auto& desktops = cfg.desktops;
  if (desktops.port_range_start > desktops.port_range_end) {
    fail("desktops.port_range_start",
         "must not be above desktops.port_range_end (" + std::to_string(desktops.port_range_start) + " > " +
             std::to_string(desktops.port_range_end) + ")",
         {});
  }
  std::string host_names;
  for (const auto& host : cfg.docker_hosts) host_names += (host_names.empty() ? "" : ", ") + in_quotes(host.name);
  for (std::size_t i = 0; i < cfg.desktop_types.size(); ++i) {
    const auto& type = cfg.desktop_types[i];
    std::string display = "desktop_types[" + std::to_string(i) + "]";
    if (type.backend != "docker") continue;
    if (cfg.docker_hosts.empty()) {
      fail(display + ".backend", "\"docker\" needs at least one [[docker_hosts]] entry", {});
    }
    bool known = type.backend_host.empty() ||
                 std::any_of(cfg.docker_hosts.begin(), cfg.docker_hosts.end(),
                             [&](const auto& host) { return host.name == type.backend_host; });
    if (!known) {
      fail(display + ".backend_host",
           in_quotes(type.backend_host) + " is not a docker host; known: " + host_names, {});
    }
  }
}

config load(std::string_view toml_text, std::string_view source_name, const environment& env) {
  toml::table table;
  try {
    table = toml::parse(toml_text);
  } catch (const toml::parse_error& e) {
    const auto& at = e.source().begin;
    std::string prefix = source_name.empty() ? "" : std::string(source_name) + " ";
    throw config_error(prefix + "line " + std::to_string(at.line) + ", column " + std::to_string(at.column) +
                       ": invalid TOML: " + std::string(e.description()));
  }
  config cfg;
  read_table(cfg, table, "", source_name);
  read_environment(cfg, env);
  finish(cfg);
  return cfg;
}

}  // namespace

std::string oidc_client_secret(const oidc_config& oidc) {
  if (oidc.client_secret_file.empty()) return oidc.client_secret;
  std::ifstream in(oidc.client_secret_file);
  std::string secret;
  if (!in || !std::getline(in, secret)) {
    throw std::invalid_argument("cannot read " + in_quotes(oidc.client_secret_file.string()));
  }
  if (!secret.empty() && secret.back() == '\r') secret.pop_back();
  if (secret.empty()) throw std::invalid_argument(in_quotes(oidc.client_secret_file.string()) + " is empty");
  return secret;
}

milliseconds parse_duration(std::string_view text) {
  struct unit {
    std::string_view suffix;
    long long ms;
  };
  static constexpr unit units[] = {{"ms", 1}, {"s", 1'000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000}};
  auto fail_with = [&](std::string_view why) {
    return std::invalid_argument("invalid duration " + in_quotes(text) + ": " + std::string(why));
  };
  auto digits_end = std::find_if(text.begin(), text.end(), [](char c) { return c < '0' || c > '9'; });
  auto number = text.substr(0, static_cast<std::size_t>(digits_end - text.begin()));
  auto suffix = text.substr(number.size());
  if (number.empty()) throw fail_with("expected a number followed by ms, s, m, h or d, e.g. \"90s\"");
  const auto* u = std::find_if(std::begin(units), std::end(units), [&](const unit& x) { return x.suffix == suffix; });
  if (u == std::end(units)) throw fail_with("the unit must be ms, s, m, h or d");
  long long count = 0;
  auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), count);
  if (ec != std::errc{} || count > std::numeric_limits<long long>::max() / u->ms) throw fail_with("too large");
  return milliseconds(count * u->ms);
}

std::string format_duration(milliseconds d) {
  static constexpr std::pair<long long, std::string_view> units[] = {
      {86'400'000, "d"}, {3'600'000, "h"}, {60'000, "m"}, {1'000, "s"}};
  auto count = d.count();
  if (count == 0) return "0s";
  for (auto [ms, suffix] : units) {
    if (count % ms == 0) return std::to_string(count / ms) + std::string(suffix);
  }
  return std::to_string(count) + "ms";
}

std::int64_t parse_byte_size(std::string_view text) {
  struct unit {
    std::string_view suffix;
    int shift;  // powers of 1024, as Docker counts them
  };
  static constexpr unit units[] = {{"", 0},   {"b", 0},   {"k", 10},  {"kb", 10}, {"m", 20},
                                   {"mb", 20}, {"g", 30}, {"gb", 30}, {"t", 40}, {"tb", 40}};
  auto fail_with = [&](std::string_view why) {
    return std::invalid_argument("invalid size " + in_quotes(text) + ": " + std::string(why));
  };
  auto digits_end = std::find_if(text.begin(), text.end(), [](char c) { return c < '0' || c > '9'; });
  auto number = text.substr(0, static_cast<std::size_t>(digits_end - text.begin()));
  std::string suffix = lower(text.substr(number.size()));
  if (number.empty()) throw fail_with("expected a whole number of bytes, optionally followed by k, m, g or t");
  const auto* u = std::find_if(std::begin(units), std::end(units), [&](const unit& x) { return x.suffix == suffix; });
  if (u == std::end(units)) throw fail_with("the unit must be k, m, g or t (optionally followed by b)");
  std::int64_t count = 0;
  auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), count);
  if (ec != std::errc{} || count > (std::numeric_limits<std::int64_t>::max() >> u->shift)) throw fail_with("too large");
  return count << u->shift;
}

double parse_cpus(std::string_view text) {
  auto fail_with = [&](std::string_view why) {
    return std::invalid_argument("invalid CPU count " + in_quotes(text) + ": " + std::string(why));
  };
  // Digits with an optional fraction ("2", "1.5", ".5"): no sign, exponent, blanks, "inf" or "nan".
  auto dot = text.find('.');
  auto whole = text.substr(0, dot);
  auto fraction = dot == std::string_view::npos ? std::string_view{} : text.substr(dot + 1);
  bool well_formed = (whole.empty() || is_digits(whole)) &&
                     (dot == std::string_view::npos ? !whole.empty() : is_digits(fraction));
  if (!well_formed) throw fail_with("expected a decimal number such as \"2\" or \"1.5\"");
  // Docker counts in billionths of a CPU and refuses anything finer.
  if (fraction.size() > 9) throw fail_with("at most 9 decimal places are allowed");
  double cpus = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), cpus, std::chars_format::fixed);
  if (ec == std::errc::result_out_of_range || (ec == std::errc{} && cpus > 1024)) throw fail_with("must be at most 1024");
  if (ec != std::errc{} || end != text.data() + text.size()) throw fail_with("not a number");
  if (!(cpus > 0)) throw fail_with("must be more than 0");
  return cpus;
}

environment process_environment() {
  environment env;
  for (char** entry = environ; entry && *entry; ++entry) {
    std::string_view text(*entry);
    auto equals = text.find('=');
    if (equals == std::string_view::npos || !text.starts_with(env_prefix)) continue;
    env.emplace(text.substr(0, equals), text.substr(equals + 1));
  }
  return env;
}

config load_config(const std::optional<std::filesystem::path>& file, const environment& env) {
  if (!file) return load(embedded_default, "embedded default configuration", env);
  std::ifstream in(*file, std::ios::binary);
  if (!in) throw config_error(file->string() + ": cannot open: " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw config_error(file->string() + ": cannot read: " + std::strerror(errno));
  return load(text.str(), file->string(), env);
}

config load_config_from_string(std::string_view toml_text, const environment& env) {
  return load(toml_text, {}, env);
}

std::string render_config(const config& cfg) {
  // The key table hands out mutable references, so render from a copy.
  config copy = cfg;
  std::string out = "# deskgate effective configuration (secrets masked)\n";
  std::string_view section;
  for (const auto& spec : config_keys) {
    auto dot = spec.name.rfind('.');
    if (spec.name.substr(0, dot) != section) {
      section = spec.name.substr(0, dot);
      out += "\n[" + std::string(section) + "]\n";
    }
    out += std::string(spec.name.substr(dot + 1)) + " = " + render_key(spec, copy) + "\n";
  }
  for_each_table_array([&](const auto& array) { render_table_array(out, array, copy); });
  return out;
}

}  // namespace deskgate
