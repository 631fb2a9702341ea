// deskgate's configuration: defaults → TOML file → DESKGATE_SECTION_KEY environment variables.
// Every key is declared once (config.cpp's key table); unknown keys and bad values are errors that name
// the key. With no file at all the embedded default of DESIGN.md §7 applies.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "config/cidr.hpp"

namespace deskgate {

using seconds = std::chrono::seconds;
using milliseconds = std::chrono::milliseconds;

struct server_config {
  std::string listen = "127.0.0.1:8080";  // host:port, [v6]:port
  std::string public_url = "http://127.0.0.1:8080";
  std::filesystem::path data_dir = "./data";
  std::vector<cidr> trusted_proxies = {cidr::parse("127.0.0.1/32"), cidr::parse("::1/128")};
  std::filesystem::path web_root;  // built web UI; empty: <data_dir>/../web/dist if present, else none
  int io_threads = 2;
  int worker_threads = 4;            // blocking work (database, files) runs here, never on I/O threads
  std::size_t max_connections = 10000;
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_body_bytes = 1024 * 1024;
  milliseconds header_timeout_ms{10'000};  // whole header must arrive within this (slowloris)
  milliseconds body_timeout_ms{30'000};
  milliseconds keepalive_timeout_ms{60'000};  // idle keep-alive connection closed after this
  milliseconds shutdown_grace_ms{10'000};     // in-flight requests get this long on SIGTERM

  // Derived from listen (filled by validation).
  std::string listen_host;
  std::uint16_t listen_port = 0;
  // Derived from public_url.
  bool public_https = false;
  std::string public_origin;  // scheme://host[:port], what Origin headers must equal

  bool operator==(const server_config&) const = default;
};

struct store_config {
  std::string url;  // default sqlite:<data_dir>/deskgate.db
  milliseconds busy_timeout_ms{5'000};
  int pool_size = 4;

  bool operator==(const store_config&) const = default;
};

struct session_config {
  seconds idle_timeout{8 * 3600};
  seconds absolute_timeout{7 * 24 * 3600};

  bool operator==(const session_config&) const = default;
};

struct local_auth_config {
  bool enabled = true;
  int max_failures_per_user = 5;     // within failure_window, then 429
  int max_failures_per_address = 20;
  seconds failure_window{15 * 60};

  bool operator==(const local_auth_config&) const = default;
};

struct oidc_config {
  std::string issuer;
  std::string client_id;
  std::string client_secret;  // secret
  std::string display_name = "IServ";
  std::vector<std::string> scopes = {"openid", "profile", "email", "groups"};
  std::vector<std::string> admin_groups = {"admins"};
  std::vector<std::string> teacher_groups = {"teachers"};
  bool enabled() const { return !issuer.empty(); }

  bool operator==(const oidc_config&) const = default;
};

struct auth_config {
  local_auth_config local;
  oidc_config oidc;
  session_config session;

  bool operator==(const auth_config&) const = default;
};

struct log_config {
  std::string level = "info";   // trace|debug|info|warn|error
  std::string format = "text";  // text|json

  bool operator==(const log_config&) const = default;
};

struct desktops_config {
  seconds idle_timeout{2 * 3600};
  seconds remove_stopped_after{24 * 3600};
  int max_per_user = 3;
  int max_total = 500;

  bool operator==(const desktops_config&) const = default;
};

// One [[desktop_types]] entry. Later issues add fields; these are DESIGN.md §7's.
struct desktop_type_config {
  std::string slug;
  std::string name;
  std::string description;
  std::string icon;
  std::string backend = "local";  // local|docker|static
  bool open_to_all = false;
  bool enabled = true;
  std::string image;
  std::string command;
  std::string host;
  std::uint16_t port = 0;
  std::string protocol = "vnc";     // vnc|websocket
  std::string auth = "vnc-password";  // vnc-password|basic|none
  std::string password;             // secret
  std::string path = "/websockify";
  bool tls = false;
  bool tls_verify = true;

  bool operator==(const desktop_type_config&) const = default;
};

struct config {
  server_config server;
  store_config store;
  auth_config auth;
  log_config log;
  desktops_config desktops;
  std::vector<desktop_type_config> desktop_types;

  bool operator==(const config&) const = default;
};

using environment = std::map<std::string, std::string>;

// The process environment as a map (only DESKGATE_* variables).
environment process_environment();

// Loads the configuration. `file`: a TOML file (nullopt: the embedded default). Throws config_error
// naming the key on unknown keys, wrong types and bad values.
config load_config(const std::optional<std::filesystem::path>& file, const environment& env);
config load_config_from_string(std::string_view toml_text, const environment& env);

// The effective configuration as TOML, secrets masked ("********" when set, "" when not).
std::string render_config(const config& cfg);

class config_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// "90s", "15m", "2h", "1d", "500ms" → duration; throws std::invalid_argument on anything else.
milliseconds parse_duration(std::string_view text);
std::string format_duration(milliseconds d);

}  // namespace deskgate
