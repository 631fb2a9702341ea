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
  std::string issuer;  // discovery at <issuer>/.well-known/openid-configuration; empty: OIDC off
  std::string client_id;
  std::string client_secret;             // secret
  std::filesystem::path client_secret_file;  // read at start when client_secret is empty
  std::string display_name = "IServ";
  std::vector<std::string> scopes = {"openid", "profile", "email", "groups"};
  std::string user_id_claim = "sub";     // IServ: "uuid"
  std::string username_claim = "preferred_username";
  std::string email_claim = "email";
  std::string groups_claim = "groups";
  std::string token_auth_method = "client_secret_basic";  // or client_secret_post
  bool end_session = false;              // logout also ends the IdP session (RP-initiated logout)
  milliseconds timeout{10'000};          // each call to the IdP
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
  seconds scheduler_interval{30};  // how often idle culling and removal of stopped desktops run
  seconds reconcile_interval{60};  // how often the database is compared with what the backends run
  seconds start_timeout{60};       // readiness deadline for types that set none
  seconds stop_grace{10};          // SIGTERM → SIGKILL (local) / docker stop timeout
  std::uint16_t port_range_start = 7000;  // host ports published for docker desktops
  std::uint16_t port_range_end = 7999;
  bool remove_unknown = false;  // remove labelled containers/sessions the database does not know

  bool operator==(const desktops_config&) const = default;
};

// The WebSocket gateway: how relays to desktops behave.
struct gateway_config {
  milliseconds ping_interval{25'000};      // keepalive pings; proxies drop silent tunnels after 60 s
  milliseconds handshake_timeout{10'000};  // upstream connect + RFB/WebSocket handshakes + the browser's
  std::size_t max_message_bytes = 16 * 1024 * 1024;  // larger browser messages close the relay (1009)
  seconds session_recheck_interval{60};    // how often open relays check their session still exists
  milliseconds http_timeout{30'000};       // http relay mode: the whole exchange with the desktop's web port
  std::size_t http_max_response_bytes = 64 * 1024 * 1024;  // http relay mode: larger answers are a 502

  bool operator==(const gateway_config&) const = default;
};

// The local backend: Xvnc and a session command as local processes.
struct local_backend_config {
  std::string xvnc = "Xvnc";  // a path, or a name looked up in PATH
  std::string session_command = "openbox & exec xterm";  // run by /bin/sh with DISPLAY set
  // When deskgate runs as root, user N's desktops run as uid and gid uid_base + N (no passwd entry needed);
  // the group uid_base itself is shared by the desktops that may change the shared space.
  std::size_t uid_base = 200000;
  std::string geometry = "1280x800";

  bool operator==(const local_backend_config&) const = default;
};

// The file spaces (home, shared, assignment folders) and their limits.
struct files_config {
  std::string quota = "1g";                    // per user's home; "" for none (k/m/g/t: powers of 1024)
  std::string max_file_size = "512m";          // per uploaded file; "" for none
  std::string shared_writable_by = "teacher";  // student|teacher|admin: this role and those above change shared

  bool operator==(const files_config&) const = default;
};

// One [[docker_hosts]] entry: a Docker Engine (or Podman) API endpoint desktops can be placed on.
struct docker_host_config {
  std::string name = "default";                     // what desktop_types[].backend_host refers to
  std::string url = "unix:///var/run/docker.sock";  // unix:///path or tcp://host:port (TLS when tls_* set)
  std::string tls_ca;                               // files: CA, client certificate and key for tcp://
  std::string tls_cert;
  std::string tls_key;
  std::string publish_address = "127.0.0.1";  // host address desktop ports are published on
  std::string network;                        // when set, desktops join it and are reached by container IP

  bool operator==(const docker_host_config&) const = default;
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
  std::string backend_host;      // docker: a docker_hosts[].name; empty: the first docker host
  std::uint16_t http_port = 0;   // a web port of the desktop, proxied under /desktop/{id}/http/
  seconds start_timeout{0};      // readiness deadline; 0: desktops.start_timeout
  std::string cpus;              // docker limits: "1.5" CPUs, memory "2g", shm_size "512m", pids 512
  std::string memory;
  std::string shm_size;
  int pids = 0;
  std::vector<std::string> env;  // extra environment, "NAME=value"
  std::string secret_env = "VNC_PW";  // docker: the environment variable carrying the desktop's secret

  bool operator==(const desktop_type_config&) const = default;
};

struct config {
  server_config server;
  store_config store;
  auth_config auth;
  log_config log;
  desktops_config desktops;
  gateway_config gateway;
  local_backend_config local;
  files_config files;
  std::vector<docker_host_config> docker_hosts;
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

// The OIDC client secret: client_secret, or the first line of client_secret_file (std::invalid_argument
// when that cannot be read or is empty). The file is read when needed, so a rotated secret is picked up.
std::string oidc_client_secret(const oidc_config& oidc);

// "90s", "15m", "2h", "1d", "500ms" → duration; throws std::invalid_argument on anything else.
milliseconds parse_duration(std::string_view text);
std::string format_duration(milliseconds d);

// "512m", "2g", "1024k", "1073741824" (bytes; k/m/g/t are powers of 1024) → bytes; throws
// std::invalid_argument. Used for desktop memory and shm limits.
std::int64_t parse_byte_size(std::string_view text);
// "1.5" → 1.5 CPUs (positive, at most 1024); throws std::invalid_argument.
double parse_cpus(std::string_view text);

}  // namespace deskgate
