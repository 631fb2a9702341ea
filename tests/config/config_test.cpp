// Tests for the configuration: embedded default, TOML file, DESKGATE_* environment, validation and its
// messages, durations, and the rendered effective configuration.
#include "config/config.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

namespace deskgate {
namespace {

using namespace std::chrono_literals;

::testing::AssertionResult has(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << part << "\" not in: " << text;
}

config load(std::string_view toml, const environment& env = {}) { return load_config_from_string(toml, env); }

// The config_error message for `toml` + `env`, or a marker no expectation matches when loading succeeds.
std::string load_error(std::string_view toml, const environment& env = {}) {
  try {
    load(toml, env);
  } catch (const config_error& e) {
    return e.what();
  }
  return "<loaded without error>";
}

// A config as the loader returns it for the embedded default (derived fields filled in).
config embedded() { return load_config(std::nullopt, {}); }

// A TOML file that is removed again when the test ends.
class temp_file {
 public:
  explicit temp_file(std::string_view text) {
    std::string pattern = (std::filesystem::temp_directory_path() / "deskgate-config-XXXXXX.toml").string();
    int fd = mkstemps(pattern.data(), 5);
    if (fd < 0) throw std::runtime_error("mkstemps failed");
    close(fd);
    path_ = pattern;
    std::ofstream(path_) << text;
  }
  ~temp_file() { std::filesystem::remove(path_); }
  temp_file(const temp_file&) = delete;
  temp_file& operator=(const temp_file&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// ---------------------------------------------------------------------------------------------------
// Durations

TEST(duration, parses_every_unit) {
  EXPECT_EQ(parse_duration("500ms"), 500ms);
  EXPECT_EQ(parse_duration("90s"), 90s);
  EXPECT_EQ(parse_duration("15m"), 15min);
  EXPECT_EQ(parse_duration("2h"), 2h);
  EXPECT_EQ(parse_duration("1d"), 24h);
  EXPECT_EQ(parse_duration("0s"), 0ms);
  EXPECT_EQ(parse_duration("007s"), 7s);
}

TEST(duration, rejects_everything_else) {
  for (const char* text : {"", "s", "ms", "90", "90x", "90S", "1.5h", "-5s", "+5s", " 90s", "90s ", "90 s",
                           "1h30m", "h1", "99999999999999999999s", "9223372036854775807d", "106751991167301d"}) {
    SCOPED_TRACE(text);
    EXPECT_THROW(parse_duration(text), std::invalid_argument);
  }
}

TEST(duration, error_message_quotes_the_input) {
  try {
    parse_duration("5 minutes");
    FAIL() << "accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_TRUE(has(e.what(), "\"5 minutes\""));
  }
}

TEST(duration, formats_with_the_largest_exact_unit) {
  EXPECT_EQ(format_duration(0ms), "0s");
  EXPECT_EQ(format_duration(500ms), "500ms");
  EXPECT_EQ(format_duration(1500ms), "1500ms");
  EXPECT_EQ(format_duration(90s), "90s");
  EXPECT_EQ(format_duration(25min), "25m");
  EXPECT_EQ(format_duration(15min), "15m");
  EXPECT_EQ(format_duration(2h), "2h");
  EXPECT_EQ(format_duration(36h), "36h");
  EXPECT_EQ(format_duration(48h), "2d");
}

TEST(duration, format_then_parse_is_identity) {
  for (milliseconds d : {milliseconds(1), milliseconds(999), milliseconds(1001), milliseconds(60'000),
                         milliseconds(61'000), milliseconds(3'600'000), milliseconds(90'000'000),
                         milliseconds(86'400'000 * 400LL)}) {
    SCOPED_TRACE(d.count());
    EXPECT_EQ(parse_duration(format_duration(d)), d);
  }
}

// ---------------------------------------------------------------------------------------------------
// Byte sizes and CPU counts (docker limits)

TEST(byte_size, units_are_powers_of_1024_in_any_case) {
  EXPECT_EQ(parse_byte_size("0"), 0);
  EXPECT_EQ(parse_byte_size("1"), 1);
  EXPECT_EQ(parse_byte_size("1073741824"), 1073741824);
  EXPECT_EQ(parse_byte_size("100b"), 100);
  EXPECT_EQ(parse_byte_size("100B"), 100);
  EXPECT_EQ(parse_byte_size("1024k"), 1024LL * 1024);
  EXPECT_EQ(parse_byte_size("1K"), 1024);
  EXPECT_EQ(parse_byte_size("512m"), 512LL * 1024 * 1024);
  EXPECT_EQ(parse_byte_size("512M"), 512LL * 1024 * 1024);
  EXPECT_EQ(parse_byte_size("512mb"), 512LL * 1024 * 1024);
  EXPECT_EQ(parse_byte_size("512MB"), 512LL * 1024 * 1024);
  EXPECT_EQ(parse_byte_size("512mB"), 512LL * 1024 * 1024);
  EXPECT_EQ(parse_byte_size("2g"), 2LL * 1024 * 1024 * 1024);
  EXPECT_EQ(parse_byte_size("2GB"), 2LL * 1024 * 1024 * 1024);
  EXPECT_EQ(parse_byte_size("3t"), 3LL * 1024 * 1024 * 1024 * 1024);
  EXPECT_EQ(parse_byte_size("1kb"), 1024);
  EXPECT_EQ(parse_byte_size("007m"), 7LL * 1024 * 1024);
}

TEST(byte_size, largest_values_and_overflow) {
  EXPECT_EQ(parse_byte_size("9223372036854775807"), std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(parse_byte_size("8388607t"), 8388607LL << 40);
  EXPECT_EQ(parse_byte_size("9007199254740991k"), 9007199254740991LL << 10);
  EXPECT_EQ(parse_byte_size("8589934591g"), 8589934591LL << 30);
  for (const char* text : {"9223372036854775808", "8388608t", "9007199254740992k", "8589934592g",
                           "99999999999999999999999", "99999999999999999999999t"}) {
    SCOPED_TRACE(text);
    EXPECT_THROW(parse_byte_size(text), std::invalid_argument);
  }
}

TEST(byte_size, rejects_everything_else) {
  for (const char* text : {"", "b", "m", "mb", "-1", "-1m", "+1", "1.5g", ".5g", " 1m", "1m ", "1 m", "1x", "1mbb",
                           "1kib", "1KiB", "1bb", "0x10", "1e3", "1,000", "1p", "1mm", "one"}) {
    SCOPED_TRACE(text);
    EXPECT_THROW(parse_byte_size(text), std::invalid_argument);
  }
}

TEST(byte_size, error_message_quotes_the_input) {
  try {
    parse_byte_size("2 gigs");
    FAIL() << "accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_TRUE(has(e.what(), "\"2 gigs\""));
  }
}

TEST(cpus, accepts_positive_decimals_up_to_1024) {
  EXPECT_DOUBLE_EQ(parse_cpus("1"), 1.0);
  EXPECT_DOUBLE_EQ(parse_cpus("1.5"), 1.5);
  EXPECT_DOUBLE_EQ(parse_cpus(".5"), 0.5);
  EXPECT_DOUBLE_EQ(parse_cpus("0.25"), 0.25);
  EXPECT_DOUBLE_EQ(parse_cpus("0.000000001"), 1e-9);
  EXPECT_DOUBLE_EQ(parse_cpus("1024"), 1024.0);
  EXPECT_DOUBLE_EQ(parse_cpus("1024.000000000"), 1024.0);
  EXPECT_DOUBLE_EQ(parse_cpus("0002"), 2.0);
}

TEST(cpus, rejects_zero_too_many_and_everything_else) {
  std::string huge = "1" + std::string(400, '0');
  for (const std::string& text :
       {std::string(""), std::string("0"), std::string("0.0"), std::string("000"), std::string(".0"), std::string("."),
        std::string("1."), std::string("-1"), std::string("-0.5"), std::string("+1"), std::string("1e2"),
        std::string("1E2"), std::string("inf"), std::string("nan"), std::string("1024.000000001"),
        std::string("1024.5"), std::string("1025"), std::string("100000"), std::string("1,5"), std::string(" 1"),
        std::string("1 "), std::string("0x1"), std::string("1.5.0"), std::string("one"), std::string("0.0000000001"),
        std::string("0.0000000000"), std::string("1/2"), huge}) {
    SCOPED_TRACE(text);
    EXPECT_THROW(parse_cpus(text), std::invalid_argument);
  }
}

TEST(cpus, error_messages_say_why) {
  auto message = [](const char* text) -> std::string {
    try {
      parse_cpus(text);
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "<accepted>";
  };
  EXPECT_TRUE(has(message("0"), "more than 0"));
  EXPECT_TRUE(has(message("2048"), "at most 1024"));
  EXPECT_TRUE(has(message("two"), "\"two\""));
  EXPECT_TRUE(has(message("0.1234567891"), "9 decimal places"));
}

// ---------------------------------------------------------------------------------------------------
// Defaults

TEST(config_defaults, embedded_default_is_the_header_defaults_plus_terminal_type) {
  config cfg = embedded();
  const config plain;
  EXPECT_EQ(cfg.server.listen, "127.0.0.1:8080");
  EXPECT_EQ(cfg.server.public_url, "http://127.0.0.1:8080");
  EXPECT_EQ(cfg.server.data_dir, plain.server.data_dir);
  EXPECT_EQ(cfg.server.trusted_proxies, plain.server.trusted_proxies);
  EXPECT_EQ(cfg.server.io_threads, plain.server.io_threads);
  EXPECT_EQ(cfg.server.header_timeout_ms, plain.server.header_timeout_ms);
  EXPECT_EQ(cfg.store.busy_timeout_ms, plain.store.busy_timeout_ms);
  EXPECT_EQ(cfg.auth, plain.auth);
  EXPECT_EQ(cfg.log, plain.log);
  EXPECT_EQ(cfg.desktops, plain.desktops);
  EXPECT_EQ(cfg.local, plain.local);
  EXPECT_TRUE(cfg.docker_hosts.empty());

  ASSERT_EQ(cfg.desktop_types.size(), 1u);
  const auto& terminal = cfg.desktop_types[0];
  EXPECT_EQ(terminal.slug, "terminal");
  EXPECT_EQ(terminal.name, "Terminal desktop");
  EXPECT_EQ(terminal.backend, "local");
  EXPECT_TRUE(terminal.open_to_all);
  EXPECT_EQ(terminal.description, "A lightweight Linux desktop with a terminal");
  EXPECT_EQ(terminal.icon, "\xF0\x9F\x96\xA5\xEF\xB8\x8F");  // U+1F5A5 U+FE0F, the desktop computer emoji
  EXPECT_TRUE(terminal.enabled);
  EXPECT_EQ(terminal.protocol, "vnc");
  EXPECT_EQ(terminal.backend_host, "");
  EXPECT_EQ(terminal.start_timeout, 0s);
  EXPECT_TRUE(terminal.env.empty());
}

TEST(config_defaults, new_defaults_match_the_documentation) {
  config cfg = embedded();
  EXPECT_EQ(cfg.desktops.scheduler_interval, 30s);
  EXPECT_EQ(cfg.desktops.reconcile_interval, 60s);
  EXPECT_EQ(cfg.desktops.start_timeout, 60s);
  EXPECT_EQ(cfg.desktops.stop_grace, 10s);
  EXPECT_EQ(cfg.desktops.port_range_start, 7000);
  EXPECT_EQ(cfg.desktops.port_range_end, 7999);
  EXPECT_FALSE(cfg.desktops.remove_unknown);
  EXPECT_EQ(cfg.local.xvnc, "Xvnc");
  EXPECT_EQ(cfg.local.session_command, "openbox & exec xterm");
  EXPECT_EQ(cfg.local.uid_base, 200000u);
  EXPECT_EQ(cfg.local.geometry, "1280x800");
  EXPECT_EQ(cfg.desktop_types[0].secret_env, "VNC_PW");
  EXPECT_EQ(cfg.desktop_types[0].pids, 0);
}

TEST(config_defaults, derived_fields_are_filled) {
  config cfg = embedded();
  EXPECT_EQ(cfg.server.listen_host, "127.0.0.1");
  EXPECT_EQ(cfg.server.listen_port, 8080);
  EXPECT_FALSE(cfg.server.public_https);
  EXPECT_EQ(cfg.server.public_origin, "http://127.0.0.1:8080");
  EXPECT_EQ(cfg.store.url, "sqlite:./data/deskgate.db");
}

TEST(config_defaults, a_file_without_desktop_types_has_none) {
  config cfg = load("[server]\nio_threads = 3\n");
  EXPECT_TRUE(cfg.desktop_types.empty());
  EXPECT_EQ(cfg.server.io_threads, 3);
  EXPECT_TRUE(load("").desktop_types.empty());
}

TEST(config_defaults, an_empty_file_equals_the_embedded_default_but_for_desktop_types) {
  config from_empty = load("");
  config expected = embedded();
  expected.desktop_types.clear();
  EXPECT_EQ(from_empty, expected);
}

TEST(config_defaults, store_url_follows_data_dir) {
  EXPECT_EQ(load("[server]\ndata_dir = \"/var/lib/deskgate\"\n").store.url, "sqlite:/var/lib/deskgate/deskgate.db");
  EXPECT_EQ(load("[server]\ndata_dir = \"/srv\"\n[store]\nurl = \"sqlite:/tmp/x.db\"\n").store.url,
            "sqlite:/tmp/x.db");
}

// ---------------------------------------------------------------------------------------------------
// The TOML file

constexpr std::string_view full_file = R"toml(
[server]
listen = "[::1]:9090"
public_url = "https://Desk.Example.ORG"
data_dir = "/srv/deskgate"
trusted_proxies = ["10.0.0.0/8", "2001:db8::/32"]
web_root = "/usr/share/deskgate/web"
io_threads = 3
worker_threads = 6
max_connections = 20000
max_header_bytes = 32768
max_body_bytes = 2097152
header_timeout = "5s"
body_timeout = "1m"
keepalive_timeout = "500ms"
shutdown_grace = 20

[store]
url = "postgresql://deskgate@db.example.org/deskgate"
busy_timeout = "2s"
pool_size = 8

[auth.local]
enabled = false
max_failures_per_user = 7
max_failures_per_address = 50
failure_window = "30m"

[auth.oidc]
issuer = "https://idp.example.org"
client_id = "deskgate"
display_name = "School login"
scopes = ["openid", "email"]
admin_groups = ["it", "heads"]
teacher_groups = []

[auth.session]
idle_timeout = "4h"
absolute_timeout = "2d"

[log]
level = "debug"
format = "json"

[desktops]
idle_timeout = "90m"
remove_stopped_after = 3600
max_per_user = 2
max_total = 100
scheduler_interval = "15s"
reconcile_interval = "5m"
start_timeout = 120
stop_grace = "3s"
port_range_start = 20000
port_range_end = 20099
remove_unknown = true

[gateway]
ping_interval = "20s"
handshake_timeout = "5s"
max_message_bytes = 4096
session_recheck_interval = "2m"

[local]
xvnc = "/usr/bin/Xvnc"
session_command = "startxfce4"
uid_base = 300000
geometry = "1920x1080"

[[docker_hosts]]
name = "local-docker"
url = "unix:///run/podman/podman.sock"
publish_address = "::1"

[[docker_hosts]]
name = "gpu-1"
url = "tcp://gpu-1.example.org:2376"
tls_ca = "/etc/deskgate/ca.pem"
tls_cert = "/etc/deskgate/cert.pem"
tls_key = "/etc/deskgate/key.pem"
publish_address = "10.0.0.7"
network = "deskgate_desktops"

[[desktop_types]]
slug = "xfce"
name = "XFCE"
description = "Full desktop"
icon = "x"
backend = "docker"
open_to_all = false
enabled = false
image = "deskgate/xfce:1"
command = "startxfce4"
backend_host = "gpu-1"
http_port = 6901
start_timeout = "3m"
cpus = "1.5"
memory = "2g"
shm_size = "512m"
pids = 512
env = ["LANG=de_DE.UTF-8", "EMPTY=", "EQUALS=a=b"]
secret_env = "PASSWORD"

[[desktop_types]]
slug = "lab-pc-1"
name = "Lab PC 1"
backend = "static"
host = "192.0.2.10"
port = 5901
protocol = "websocket"
auth = "basic"
path = "/kasm"
tls = true
tls_verify = false
)toml";

TEST(config_file, every_key_is_read) {
  config cfg = load(full_file);
  EXPECT_EQ(cfg.server.listen, "[::1]:9090");
  EXPECT_EQ(cfg.server.listen_host, "::1");
  EXPECT_EQ(cfg.server.listen_port, 9090);
  EXPECT_EQ(cfg.server.public_url, "https://Desk.Example.ORG");
  EXPECT_TRUE(cfg.server.public_https);
  EXPECT_EQ(cfg.server.public_origin, "https://desk.example.org");
  EXPECT_EQ(cfg.server.data_dir, "/srv/deskgate");
  EXPECT_EQ(cfg.server.trusted_proxies,
            (std::vector<cidr>{cidr::parse("10.0.0.0/8"), cidr::parse("2001:db8::/32")}));
  EXPECT_EQ(cfg.server.web_root, "/usr/share/deskgate/web");
  EXPECT_EQ(cfg.server.io_threads, 3);
  EXPECT_EQ(cfg.server.worker_threads, 6);
  EXPECT_EQ(cfg.server.max_connections, 20000u);
  EXPECT_EQ(cfg.server.max_header_bytes, 32768u);
  EXPECT_EQ(cfg.server.max_body_bytes, 2097152u);
  EXPECT_EQ(cfg.server.header_timeout_ms, 5s);
  EXPECT_EQ(cfg.server.body_timeout_ms, 60s);
  EXPECT_EQ(cfg.server.keepalive_timeout_ms, 500ms);
  EXPECT_EQ(cfg.server.shutdown_grace_ms, 20s);
  EXPECT_EQ(cfg.store.url, "postgresql://deskgate@db.example.org/deskgate");
  EXPECT_EQ(cfg.store.busy_timeout_ms, 2s);
  EXPECT_EQ(cfg.store.pool_size, 8);
  EXPECT_FALSE(cfg.auth.local.enabled);
  EXPECT_EQ(cfg.auth.local.max_failures_per_user, 7);
  EXPECT_EQ(cfg.auth.local.max_failures_per_address, 50);
  EXPECT_EQ(cfg.auth.local.failure_window, 30min);
  EXPECT_EQ(cfg.auth.oidc.issuer, "https://idp.example.org");
  EXPECT_TRUE(cfg.auth.oidc.enabled());
  EXPECT_EQ(cfg.auth.oidc.client_id, "deskgate");
  EXPECT_EQ(cfg.auth.oidc.display_name, "School login");
  EXPECT_EQ(cfg.auth.oidc.scopes, (std::vector<std::string>{"openid", "email"}));
  EXPECT_EQ(cfg.auth.oidc.admin_groups, (std::vector<std::string>{"it", "heads"}));
  EXPECT_TRUE(cfg.auth.oidc.teacher_groups.empty());
  EXPECT_EQ(cfg.auth.session.idle_timeout, 4h);
  EXPECT_EQ(cfg.auth.session.absolute_timeout, 48h);
  EXPECT_EQ(cfg.log.level, "debug");
  EXPECT_EQ(cfg.log.format, "json");
  EXPECT_EQ(cfg.desktops.idle_timeout, 90min);
  EXPECT_EQ(cfg.desktops.remove_stopped_after, 1h);
  EXPECT_EQ(cfg.desktops.max_per_user, 2);
  EXPECT_EQ(cfg.desktops.max_total, 100);
  EXPECT_EQ(cfg.desktops.scheduler_interval, 15s);
  EXPECT_EQ(cfg.desktops.reconcile_interval, 5min);
  EXPECT_EQ(cfg.desktops.start_timeout, 2min);
  EXPECT_EQ(cfg.desktops.stop_grace, 3s);
  EXPECT_EQ(cfg.desktops.port_range_start, 20000);
  EXPECT_EQ(cfg.desktops.port_range_end, 20099);
  EXPECT_TRUE(cfg.desktops.remove_unknown);
  EXPECT_EQ(cfg.local.xvnc, "/usr/bin/Xvnc");
  EXPECT_EQ(cfg.local.session_command, "startxfce4");
  EXPECT_EQ(cfg.local.uid_base, 300000u);
  EXPECT_EQ(cfg.local.geometry, "1920x1080");

  ASSERT_EQ(cfg.docker_hosts.size(), 2u);
  const auto& podman = cfg.docker_hosts[0];
  EXPECT_EQ(podman.name, "local-docker");
  EXPECT_EQ(podman.url, "unix:///run/podman/podman.sock");
  EXPECT_EQ(podman.publish_address, "::1");
  EXPECT_EQ(podman.tls_ca, "");
  EXPECT_EQ(podman.tls_cert, "");
  EXPECT_EQ(podman.tls_key, "");
  EXPECT_EQ(podman.network, "");
  const auto& gpu = cfg.docker_hosts[1];
  EXPECT_EQ(gpu.name, "gpu-1");
  EXPECT_EQ(gpu.url, "tcp://gpu-1.example.org:2376");
  EXPECT_EQ(gpu.tls_ca, "/etc/deskgate/ca.pem");
  EXPECT_EQ(gpu.tls_cert, "/etc/deskgate/cert.pem");
  EXPECT_EQ(gpu.tls_key, "/etc/deskgate/key.pem");
  EXPECT_EQ(gpu.publish_address, "10.0.0.7");
  EXPECT_EQ(gpu.network, "deskgate_desktops");

  ASSERT_EQ(cfg.desktop_types.size(), 2u);
  const auto& xfce = cfg.desktop_types[0];
  EXPECT_EQ(xfce.slug, "xfce");
  EXPECT_EQ(xfce.name, "XFCE");
  EXPECT_EQ(xfce.description, "Full desktop");
  EXPECT_EQ(xfce.icon, "x");
  EXPECT_EQ(xfce.backend, "docker");
  EXPECT_FALSE(xfce.open_to_all);
  EXPECT_FALSE(xfce.enabled);
  EXPECT_EQ(xfce.image, "deskgate/xfce:1");
  EXPECT_EQ(xfce.command, "startxfce4");
  EXPECT_EQ(xfce.backend_host, "gpu-1");
  EXPECT_EQ(xfce.http_port, 6901);
  EXPECT_EQ(xfce.start_timeout, 3min);
  EXPECT_EQ(xfce.cpus, "1.5");
  EXPECT_EQ(xfce.memory, "2g");
  EXPECT_EQ(xfce.shm_size, "512m");
  EXPECT_EQ(xfce.pids, 512);
  EXPECT_EQ(xfce.env, (std::vector<std::string>{"LANG=de_DE.UTF-8", "EMPTY=", "EQUALS=a=b"}));
  EXPECT_EQ(xfce.secret_env, "PASSWORD");
  const auto& lab = cfg.desktop_types[1];
  EXPECT_EQ(lab.slug, "lab-pc-1");
  EXPECT_EQ(lab.backend, "static");
  EXPECT_EQ(lab.host, "192.0.2.10");
  EXPECT_EQ(lab.port, 5901);
  EXPECT_EQ(lab.protocol, "websocket");
  EXPECT_EQ(lab.auth, "basic");
  EXPECT_EQ(lab.path, "/kasm");
  EXPECT_TRUE(lab.tls);
  EXPECT_FALSE(lab.tls_verify);
  // Keys an entry leaves out keep the struct's defaults.
  EXPECT_EQ(xfce.protocol, "vnc");
  EXPECT_EQ(xfce.auth, "vnc-password");
  EXPECT_EQ(xfce.path, "/websockify");
  EXPECT_TRUE(lab.enabled);
  EXPECT_EQ(lab.backend_host, "");
  EXPECT_EQ(lab.http_port, 0);
  EXPECT_EQ(lab.start_timeout, 0s);
  EXPECT_EQ(lab.cpus, "");
  EXPECT_EQ(lab.memory, "");
  EXPECT_EQ(lab.shm_size, "");
  EXPECT_EQ(lab.pids, 0);
  EXPECT_TRUE(lab.env.empty());
  EXPECT_EQ(lab.secret_env, "VNC_PW");
}

TEST(config_file, integer_durations_are_seconds) {
  config cfg = load("[server]\nheader_timeout = 12\n[auth.session]\nidle_timeout = 60\n");
  EXPECT_EQ(cfg.server.header_timeout_ms, 12s);
  EXPECT_EQ(cfg.auth.session.idle_timeout, 60s);
}

TEST(config_file, dotted_keys_and_inline_tables_are_the_same_keys) {
  config cfg = load("server.io_threads = 5\nauth.oidc = { display_name = \"X\" }\n");
  EXPECT_EQ(cfg.server.io_threads, 5);
  EXPECT_EQ(cfg.auth.oidc.display_name, "X");
}

TEST(config_file, listen_forms) {
  config v6 = load("[server]\nlisten = \"[::]:0\"\n");
  EXPECT_EQ(v6.server.listen_host, "::");
  EXPECT_EQ(v6.server.listen_port, 0);  // port 0: the OS picks one
  config any = load("[server]\nlisten = \"0.0.0.0:0\"\n");
  EXPECT_EQ(any.server.listen_host, "0.0.0.0");
  EXPECT_EQ(any.server.listen_port, 0);
  config named = load("[server]\nlisten = \"localhost:65535\"\n");
  EXPECT_EQ(named.server.listen_host, "localhost");
  EXPECT_EQ(named.server.listen_port, 65535);
}

TEST(config_file, public_url_origin_is_lowercase_without_default_port) {
  struct example {
    const char* url;
    const char* origin;
    bool https;
  };
  for (const auto& e : {example{"http://example.com:80", "http://example.com", false},
                        example{"https://Example.COM:443", "https://example.com", true},
                        example{"HTTPS://example.com", "https://example.com", true},
                        example{"https://example.com:8443", "https://example.com:8443", true},
                        example{"http://example.com:443", "http://example.com:443", false},
                        example{"https://example.com:80", "https://example.com:80", true},
                        example{"http://[::1]:8080", "http://[::1]:8080", false},
                        example{"http://[FE80::A]", "http://[fe80::a]", false},
                        example{"http://192.0.2.1:08080", "http://192.0.2.1:8080", false}}) {
    SCOPED_TRACE(e.url);
    config cfg = load(std::string("[server]\npublic_url = \"") + e.url + "\"\n");
    EXPECT_EQ(cfg.server.public_origin, e.origin);
    EXPECT_EQ(cfg.server.public_https, e.https);
    EXPECT_EQ(cfg.server.public_url, e.url);
  }
}

TEST(config_file, desktop_type_slug_edges) {
  std::string longest(63, 'a');
  for (const std::string& slug : {std::string("a"), std::string("0"), std::string("lab-pc-1"), std::string("a-"),
                                  longest}) {
    SCOPED_TRACE(slug);
    config cfg = load("[[desktop_types]]\nslug = \"" + slug + "\"\n");
    ASSERT_EQ(cfg.desktop_types.size(), 1u);
    EXPECT_EQ(cfg.desktop_types[0].slug, slug);
  }
}

TEST(config_file, load_config_reads_a_file) {
  temp_file file("[server]\nio_threads = 7\n");
  config cfg = load_config(file.path(), {});
  EXPECT_EQ(cfg.server.io_threads, 7);
  EXPECT_TRUE(cfg.desktop_types.empty());
}

TEST(config_file, errors_in_a_file_name_the_file_and_line) {
  temp_file file("[server]\nio_threads = 1\n\nlisten_adress = \"x\"\n");
  try {
    load_config(file.path(), {});
    FAIL() << "accepted";
  } catch (const config_error& e) {
    EXPECT_TRUE(has(e.what(), "server.listen_adress: unknown key"));
    EXPECT_TRUE(has(e.what(), file.path().string() + " line 4"));
  }
}

TEST(config_file, syntax_error_in_a_file_names_the_file_and_line) {
  temp_file file("[server]\nio_threads = 1\nlisten = \n");
  try {
    load_config(file.path(), {});
    FAIL() << "accepted";
  } catch (const config_error& e) {
    EXPECT_TRUE(has(e.what(), file.path().string() + " line 3"));
  }
}

TEST(config_file, missing_file_is_an_error_naming_it) {
  std::filesystem::path missing = std::filesystem::temp_directory_path() / "deskgate-no-such-dir" / "x.toml";
  try {
    load_config(missing, {});
    FAIL() << "accepted";
  } catch (const config_error& e) {
    EXPECT_TRUE(has(e.what(), missing.string()));
  }
}

// ---------------------------------------------------------------------------------------------------
// Errors: every message names the key (and where the value came from).

struct error_case {
  std::string toml;
  std::vector<std::string> expected;  // substrings of the message
};

void expect_errors(const std::vector<error_case>& cases) {
  for (const auto& c : cases) {
    SCOPED_TRACE(c.toml);
    std::string message = load_error(c.toml);
    for (const auto& part : c.expected) EXPECT_TRUE(has(message, part));
  }
}

TEST(config_errors, unknown_keys_anywhere) {
  expect_errors({
      {"foo = 1\n", {"foo: unknown key", "line 1"}},
      {"[servr]\nlisten = \"x\"\n", {"servr: unknown key", "line 1"}},
      {"[server]\nio_threads = 2\nlisten_adress = \"127.0.0.1:1\"\n", {"server.listen_adress: unknown key", "line 3"}},
      {"[auth]\nenabled = true\n", {"auth.enabled: unknown key", "line 2"}},
      {"[auth.ldap]\nurl = \"x\"\n", {"auth.ldap: unknown key", "line 1"}},
      {"[auth.oidc]\n\nsecret = \"x\"\n", {"auth.oidc.secret: unknown key", "line 3"}},
      {"[auth.local.extra]\na = 1\n", {"auth.local.extra: unknown key"}},
      {"[server.listen]\nhost = \"x\"\n", {"server.listen: expected a string, got a table"}},
      {"[[desktop_types]]\nslug = \"a\"\n[[desktop_types]]\nslug = \"b\"\nfoo = 1\n",
       {"desktop_types[1].foo: unknown key", "line 5"}},
      {"[[desktop_types]]\nslug = \"a\"\nsecret = \"x\"\n", {"desktop_types[0].secret: unknown key", "line 3"}},
  });
}

TEST(config_errors, wrong_types_name_key_and_expected_type) {
  expect_errors({
      {"server = 1\n", {"server: expected a table", "got an integer"}},
      {"auth.oidc = \"x\"\n", {"auth.oidc: expected a table", "got a string"}},
      {"[server]\nio_threads = \"4\"\n", {"server.io_threads: expected an integer, got a string", "line 2"}},
      {"[server]\nio_threads = 4.0\n", {"server.io_threads: expected an integer, got a floating-point number"}},
      {"[server]\nlisten = 8080\n", {"server.listen: expected a string, got an integer"}},
      {"[server]\ndata_dir = false\n", {"server.data_dir: expected a string, got a boolean"}},
      {"[auth.local]\nenabled = \"yes\"\n", {"auth.local.enabled: expected a boolean, got a string"}},
      {"[auth.oidc]\nscopes = \"openid\"\n", {"auth.oidc.scopes: expected an array", "got a string"}},
      {"[auth.oidc]\nadmin_groups = [\"a\", 1]\n", {"auth.oidc.admin_groups: element 1: expected a string"}},
      {"[server]\ntrusted_proxies = \"10.0.0.0/8\"\n", {"server.trusted_proxies: expected an array"}},
      {"[server]\nheader_timeout = true\n", {"server.header_timeout: expected a duration", "got a boolean"}},
      {"[server]\nheader_timeout = 1.5\n", {"server.header_timeout: expected a duration"}},
      {"[auth.session]\nidle_timeout = 1979-05-27\n", {"auth.session.idle_timeout: expected a duration", "date"}},
      {"desktop_types = 5\n", {"desktop_types: expected an array of tables"}},
      {"desktop_types = [1]\n", {"desktop_types[0]: expected a table, got an integer"}},
      {"[[desktop_types]]\nslug = \"a\"\nport = \"5901\"\n", {"desktop_types[0].port: expected an integer"}},
      {"[[desktop_types]]\nslug = \"a\"\nopen_to_all = 1\n", {"desktop_types[0].open_to_all: expected a boolean"}},
  });
}

TEST(config_errors, integers_out_of_range) {
  expect_errors({
      {"[server]\nio_threads = 0\n", {"server.io_threads: must be at least 1"}},
      {"[server]\nworker_threads = -1\n", {"server.worker_threads: must be at least 1"}},
      {"[server]\nio_threads = 9999999999\n", {"server.io_threads: must be between"}},
      {"[server]\nmax_connections = 0\n", {"server.max_connections: must be at least 1"}},
      {"[server]\nmax_header_bytes = 0\n", {"server.max_header_bytes: must be at least 1"}},
      {"[server]\nmax_body_bytes = 0\n", {"server.max_body_bytes: must be at least 1"}},
      {"[server]\nmax_body_bytes = -5\n", {"server.max_body_bytes: must be between 0 and"}},
      {"[store]\npool_size = 0\n", {"store.pool_size: must be at least 1"}},
      {"[auth.local]\nmax_failures_per_user = 0\n", {"auth.local.max_failures_per_user: must be at least 1"}},
      {"[auth.local]\nmax_failures_per_address = 0\n", {"auth.local.max_failures_per_address: must be at least 1"}},
      {"[desktops]\nmax_per_user = 0\n", {"desktops.max_per_user: must be at least 1"}},
      {"[desktops]\nmax_total = -3\n", {"desktops.max_total: must be at least 1"}},
      {"[[desktop_types]]\nslug = \"a\"\nport = 65536\n", {"desktop_types[0].port: must be between 0 and 65535"}},
      {"[[desktop_types]]\nslug = \"a\"\nport = -1\n", {"desktop_types[0].port: must be between 0 and 65535"}},
  });
}

TEST(config_errors, bad_durations) {
  expect_errors({
      {"[server]\nheader_timeout = \"0s\"\n", {"server.header_timeout: must be a positive duration"}},
      {"[server]\nbody_timeout = 0\n", {"server.body_timeout: must be a positive duration"}},
      {"[server]\nkeepalive_timeout = -5\n", {"server.keepalive_timeout: must be a positive duration"}},
      {"[server]\nshutdown_grace = \"soon\"\n", {"server.shutdown_grace: invalid duration \"soon\""}},
      {"[store]\nbusy_timeout = \"5 s\"\n", {"store.busy_timeout: invalid duration"}},
      {"[auth.session]\nidle_timeout = \"1500ms\"\n", {"auth.session.idle_timeout: must be a whole number of seconds"}},
      {"[auth.session]\nabsolute_timeout = \"0d\"\n", {"auth.session.absolute_timeout: must be a positive duration"}},
      {"[auth.local]\nfailure_window = \"15\"\n", {"auth.local.failure_window: invalid duration"}},
      {"[desktops]\nidle_timeout = \"2x\"\n", {"desktops.idle_timeout: invalid duration"}},
      {"[desktops]\nremove_stopped_after = 9223372036854775807\n", {"desktops.remove_stopped_after: duration too large"}},
  });
}

TEST(config_errors, bad_listen_addresses) {
  for (const char* listen : {"127.0.0.1", "127.0.0.1:", ":8080", "::1:8080", "[::1]", "[::1]8080", "[::1:8080",
                             "[::zz]:80", "[127.0.0.1]:80", "localhost:99999", "localhost:-1", "localhost:80x",
                             "host name:80", "", "localhost:0x10"}) {
    SCOPED_TRACE(listen);
    EXPECT_TRUE(has(load_error(std::string("[server]\nlisten = \"") + listen + "\"\n"), "server.listen: "));
  }
  EXPECT_TRUE(has(load_error("[server]\nlisten = \"::1:8080\"\n"), "brackets"));
}

TEST(config_errors, bad_public_urls) {
  for (const char* url : {"ftp://example.com", "example.com", "example.com:80", "http://", "http://example.com/",
                          "http://example.com/app", "http://example.com?x=1", "http://example.com#top",
                          "https://user:pw@example.com", "http://example.com:0", "http://example.com:",
                          "http://example.com:99999", "http://[::1", "http://::1:8080", "http://exa mple.com",
                          "wss://example.com", ""}) {
    SCOPED_TRACE(url);
    EXPECT_TRUE(has(load_error(std::string("[server]\npublic_url = \"") + url + "\"\n"), "server.public_url: "));
  }
}

TEST(config_errors, bad_enumerations) {
  expect_errors({
      {"[log]\nlevel = \"verbose\"\n", {"log.level: must be one of", "\"trace\"", "\"verbose\""}},
      {"[log]\nlevel = \"INFO\"\n", {"log.level: must be one of"}},
      {"[log]\nformat = \"xml\"\n", {"log.format: must be one of", "\"json\""}},
      {"[[desktop_types]]\nslug = \"a\"\nbackend = \"kubernetes\"\n", {"desktop_types[0].backend: must be one of"}},
      {"[[desktop_types]]\nslug = \"a\"\nprotocol = \"rdp\"\n", {"desktop_types[0].protocol: must be one of"}},
      {"[[desktop_types]]\nslug = \"a\"\nauth = \"password\"\n", {"desktop_types[0].auth: must be one of"}},
  });
}

TEST(config_errors, bad_desktop_types) {
  std::string too_long(64, 'a');
  expect_errors({
      {"[[desktop_types]]\nslug = \"Terminal\"\n", {"desktop_types[0].slug: must be", "line 2"}},
      {"[[desktop_types]]\nslug = \"-x\"\n", {"desktop_types[0].slug: must be"}},
      {"[[desktop_types]]\nslug = \"a_b\"\n", {"desktop_types[0].slug: must be"}},
      {"[[desktop_types]]\nslug = \"a b\"\n", {"desktop_types[0].slug: must be"}},
      {"[[desktop_types]]\nslug = \"\"\n", {"desktop_types[0].slug: must be"}},
      {"[[desktop_types]]\nslug = \"" + too_long + "\"\n", {"desktop_types[0].slug: must be"}},
      {"[[desktop_types]]\nname = \"No slug\"\n", {"desktop_types[0].slug: required", "line 1"}},
      {"[[desktop_types]]\nslug = \"a\"\n\n[[desktop_types]]\nslug = \"b\"\n\n[[desktop_types]]\nslug = \"a\"\n",
       {"desktop_types[2].slug: duplicate slug \"a\"", "desktop_types[0]", "line 7"}},
      {"[[desktop_types]]\nslug = \"s\"\nbackend = \"static\"\nport = 5901\n",
       {"desktop_types[0].host: required for backend \"static\""}},
      {"[[desktop_types]]\nslug = \"s\"\nbackend = \"static\"\nhost = \"10.0.0.1\"\n",
       {"desktop_types[0].port: required"}},
      {"[[desktop_types]]\nslug = \"d\"\nbackend = \"docker\"\n", {"desktop_types[0].image: required"}},
      {"[[desktop_types]]\nslug = \"a\"\npath = \"websockify\"\n", {"desktop_types[0].path: must start with '/'"}},
  });
}

TEST(config_errors, other_bad_values) {
  expect_errors({
      {"[server]\ndata_dir = \"\"\n", {"server.data_dir: must not be empty"}},
      {"[server]\ntrusted_proxies = [\"127.0.0.1/32\", \"10.0.0.0/33\"]\n",
       {"server.trusted_proxies: element 1: invalid CIDR \"10.0.0.0/33\""}},
      {"[store]\nurl = \"mysql://db/x\"\n", {"store.url: must start with"}},
      {"[auth.oidc]\nissuer = \"idp.example.org\"\nclient_id = \"x\"\n", {"auth.oidc.issuer: must be an http(s) URL"}},
      {"[auth.oidc]\nissuer = \"https://idp.example.org\"\n", {"auth.oidc.client_id: required"}},
      {"[auth.oidc]\ntoken_auth_method = \"private_key_jwt\"\n", {"auth.oidc.token_auth_method: must be one of"}},
      {"[auth.oidc]\nuser_id_claim = \"\"\n", {"auth.oidc.user_id_claim: must not be empty"}},
      {"[auth.oidc]\ntimeout = \"0s\"\n", {"auth.oidc.timeout: must be a positive duration"}},
      {"[auth.oidc]\nclient_secret_file = \"/nonexistent/secret\"\n",
       {"auth.oidc.client_secret_file: cannot read \"/nonexistent/secret\""}},
      {"[auth.oidc]\nclient_secret = \"a\"\nclient_secret_file = \"/nonexistent/secret\"\n",
       {"auth.oidc.client_secret_file: set either"}},
  });
}

TEST(config_oidc, new_keys_defaults_env_and_secret_file) {
  config defaults = load("");
  EXPECT_EQ(defaults.auth.oidc.user_id_claim, "sub");
  EXPECT_EQ(defaults.auth.oidc.username_claim, "preferred_username");
  EXPECT_EQ(defaults.auth.oidc.groups_claim, "groups");
  EXPECT_EQ(defaults.auth.oidc.token_auth_method, "client_secret_basic");
  EXPECT_FALSE(defaults.auth.oidc.end_session);
  EXPECT_EQ(defaults.auth.oidc.timeout, 10s);
  EXPECT_EQ(defaults.auth.oidc.scopes, (std::vector<std::string>{"openid", "profile", "email", "groups"}));

  auto dir = std::filesystem::temp_directory_path() / ("deskgate-secret-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "secret") << "from-the-file\n";
  config cfg = load("[auth.oidc]\nissuer = \"https://school.example/iserv/public\"\nclient_id = \"dg\"\n",
                    {{"DESKGATE_AUTH_OIDC_CLIENT_SECRET_FILE", (dir / "secret").string()},
                     {"DESKGATE_AUTH_OIDC_USER_ID_CLAIM", "uuid"},
                     {"DESKGATE_AUTH_OIDC_TOKEN_AUTH_METHOD", "client_secret_post"},
                     {"DESKGATE_AUTH_OIDC_END_SESSION", "true"}});
  EXPECT_EQ(oidc_client_secret(cfg.auth.oidc), "from-the-file");
  EXPECT_EQ(cfg.auth.oidc.user_id_claim, "uuid");
  EXPECT_EQ(cfg.auth.oidc.token_auth_method, "client_secret_post");
  EXPECT_TRUE(cfg.auth.oidc.end_session);
  config direct = load("[auth.oidc]\nclient_secret = \"s3cret-value\"\n");
  std::string rendered = render_config(direct);
  EXPECT_EQ(rendered.find("s3cret-value"), std::string::npos);
  EXPECT_NE(rendered.find("client_secret = \"********\""), std::string::npos) << rendered;
  std::filesystem::remove_all(dir);
}

TEST(config_errors, bad_desktops_keys) {
  expect_errors({
      {"[desktops]\nscheduler_interval = 0\n", {"desktops.scheduler_interval: must be a positive duration", "line 2"}},
      {"[desktops]\nreconcile_interval = \"0s\"\n", {"desktops.reconcile_interval: must be a positive duration"}},
      {"[desktops]\nstart_timeout = -1\n", {"desktops.start_timeout: must be a positive duration"}},
      {"[desktops]\nstop_grace = \"500ms\"\n", {"desktops.stop_grace: must be a whole number of seconds"}},
      {"[desktops]\nstop_grace = \"later\"\n", {"desktops.stop_grace: invalid duration"}},
      {"[desktops]\nscheduler_interval = true\n", {"desktops.scheduler_interval: expected a duration"}},
      {"[desktops]\nport_range_start = 0\n", {"desktops.port_range_start: must be at least 1"}},
      {"[desktops]\nport_range_end = 0\n", {"desktops.port_range_end: must be at least 1"}},
      {"[desktops]\nport_range_start = 65536\n", {"desktops.port_range_start: must be between 0 and 65535"}},
      {"[desktops]\nport_range_end = 65536\n", {"desktops.port_range_end: must be between 0 and 65535"}},
      {"[desktops]\nport_range_end = -1\n", {"desktops.port_range_end: must be between"}},
      {"[desktops]\nport_range_start = \"7000\"\n", {"desktops.port_range_start: expected an integer"}},
      {"[desktops]\nport_range_start = 8000\nport_range_end = 7999\n",
       {"desktops.port_range_start: must not be above desktops.port_range_end", "8000 > 7999"}},
      {"[desktops]\nport_range_start = 8000\n", {"desktops.port_range_start", "desktops.port_range_end"}},
      {"[desktops]\nremove_unknown = \"yes\"\n", {"desktops.remove_unknown: expected a boolean"}},
  });
}

TEST(config_errors, desktops_port_range_edges_are_accepted) {
  config one = load("[desktops]\nport_range_start = 5000\nport_range_end = 5000\n");
  EXPECT_EQ(one.desktops.port_range_start, 5000);
  EXPECT_EQ(one.desktops.port_range_end, 5000);
  config all = load("[desktops]\nport_range_start = 1\nport_range_end = 65535\n");
  EXPECT_EQ(all.desktops.port_range_start, 1);
  EXPECT_EQ(all.desktops.port_range_end, 65535);
}

TEST(config_errors, bad_local_keys) {
  expect_errors({
      {"[local]\nxvnc = \"\"\n", {"local.xvnc: must not be empty", "line 2"}},
      {"[local]\nsession_command = \"\"\n", {"local.session_command: must not be empty"}},
      {"[local]\nuid_base = 999\n", {"local.uid_base: must be at least 1000"}},
      {"[local]\nuid_base = -1\n", {"local.uid_base"}},
      {"[local]\nuid_base = \"200000\"\n", {"local.uid_base: expected an integer"}},
      {"[local]\ngeometry = 1280\n", {"local.geometry: expected a string"}},
      {"[local]\ndisplay = \":1\"\n", {"local.display: unknown key", "line 2"}},
      {"local = 1\n", {"local: expected a table"}},
  });
  for (const char* geometry : {"", "1280", "1280x", "x800", "1280X800", "1280*800", "1280x800x24", "63x800",
                               "1280x63", "8193x800", "1280x8193", "-1280x800", "+1280x800", "1280 x 800",
                               "1280x800 ", "0x0", "99999999x800", "1280.0x800"}) {
    SCOPED_TRACE(geometry);
    EXPECT_TRUE(has(load_error(std::string("[local]\ngeometry = \"") + geometry + "\"\n"),
                    "local.geometry: must be WIDTHxHEIGHT"));
  }
}

TEST(config_errors, local_geometry_edges_are_accepted) {
  for (const char* geometry : {"64x64", "8192x8192", "1024x768", "01280x0800"}) {
    SCOPED_TRACE(geometry);
    EXPECT_EQ(load(std::string("[local]\ngeometry = \"") + geometry + "\"\n").local.geometry, geometry);
  }
}

// A docker desktop type plus two docker hosts, so that only the key under test can be wrong. The type's
// table starts on line 6, `extra` on line 9.
std::string docker_type(const std::string& extra) {
  return "[[docker_hosts]]\nname = \"d1\"\n[[docker_hosts]]\nname = \"d2\"\nurl = \"unix:///run/d2.sock\"\n"
         "[[desktop_types]]\nslug = \"x\"\nbackend = \"docker\"\nimage = \"i\"\n" +
         extra;
}

TEST(config_errors, bad_desktop_type_resource_keys) {
  expect_errors({
      {docker_type("http_port = 65536\n"), {"desktop_types[0].http_port: must be between 0 and 65535", "line 10"}},
      {docker_type("http_port = -1\n"), {"desktop_types[0].http_port: must be between"}},
      {docker_type("start_timeout = -1\n"), {"desktop_types[0].start_timeout: must not be negative"}},
      {docker_type("start_timeout = \"1500ms\"\n"), {"desktop_types[0].start_timeout: must be a whole number"}},
      {docker_type("start_timeout = \"soon\"\n"), {"desktop_types[0].start_timeout: invalid duration"}},
      {docker_type("cpus = \"0\"\n"), {"desktop_types[0].cpus: invalid CPU count \"0\"", "more than 0"}},
      {docker_type("cpus = \"2000\"\n"), {"desktop_types[0].cpus:", "at most 1024"}},
      {docker_type("cpus = \"two\"\n"), {"desktop_types[0].cpus:"}},
      {docker_type("cpus = 2\n"), {"desktop_types[0].cpus: expected a string, got an integer"}},
      {docker_type("memory = \"2 GB\"\n"), {"desktop_types[0].memory: invalid size \"2 GB\""}},
      {docker_type("memory = \"-1g\"\n"), {"desktop_types[0].memory: invalid size"}},
      {docker_type("memory = \"0\"\n"), {"desktop_types[0].memory: must be more than 0"}},
      {docker_type("memory = \"0g\"\n"), {"desktop_types[0].memory: must be more than 0"}},
      {docker_type("memory = 2147483648\n"), {"desktop_types[0].memory: expected a string"}},
      {docker_type("shm_size = \"1.5g\"\n"), {"desktop_types[0].shm_size: invalid size"}},
      {docker_type("shm_size = \"99999999999t\"\n"), {"desktop_types[0].shm_size: invalid size", "too large"}},
      {docker_type("shm_size = \"0m\"\n"), {"desktop_types[0].shm_size: must be more than 0"}},
      {docker_type("pids = -1\n"), {"desktop_types[0].pids: must be at least 0"}},
      {docker_type("pids = \"512\"\n"), {"desktop_types[0].pids: expected an integer"}},
  });
}

TEST(config_errors, bad_desktop_type_environment) {
  expect_errors({
      {docker_type("env = \"A=b\"\n"), {"desktop_types[0].env: expected an array"}},
      {docker_type("env = [\"A=b\", 1]\n"), {"desktop_types[0].env: element 1: expected a string"}},
      {docker_type("env = [\"A=b\", \"NOVALUE\"]\n"), {"desktop_types[0].env: element 1: expected NAME=value"}},
      {docker_type("env = [\"=b\"]\n"), {"desktop_types[0].env: element 0: the name must match"}},
      {docker_type("env = [\"1A=b\"]\n"), {"desktop_types[0].env: element 0: the name must match", "\"1A=b\""}},
      {docker_type("env = [\"A-B=c\"]\n"), {"desktop_types[0].env: element 0: the name must match"}},
      {docker_type("env = [\"A B=c\"]\n"), {"desktop_types[0].env: element 0: the name must match"}},
      {docker_type("env = [\"\xC3\x84=c\"]\n"), {"desktop_types[0].env: element 0: the name must match"}},
      {docker_type("env = [\"A=b\\u0000c\"]\n"), {"desktop_types[0].env: element 0: must not contain a NUL"}},
      {docker_type("env = [\"A=1\", \"B=2\", \"A=3\"]\n"),
       {"desktop_types[0].env: element 2: A is set twice (also element 0)", "line 6"}},
      {docker_type("env = [\"VNC_PW=known\"]\n"), {"desktop_types[0].env: element 0: VNC_PW is secret_env"}},
      {docker_type("secret_env = \"PW\"\nenv = [\"PW=x\"]\n"), {"desktop_types[0].env: element 0: PW is secret_env"}},
      {docker_type("secret_env = \"\"\n"), {"desktop_types[0].secret_env: must be an environment variable name"}},
      {docker_type("secret_env = \"VNC-PW\"\n"), {"desktop_types[0].secret_env: must be an environment variable name"}},
      {docker_type("secret_env = \"9PW\"\n"), {"desktop_types[0].secret_env: must be an environment variable name"}},
      {docker_type("secret_env = \"PW=x\"\n"), {"desktop_types[0].secret_env: must be an environment variable name"}},
  });
}

TEST(config_errors, desktop_type_environment_edges_are_accepted) {
  config cfg = load(docker_type("env = [\"_=1\", \"a_B9=\", \"X==\", \"U=\xC3\xBC \\\"q\\\"\"]\nsecret_env = \"_pw1\"\n"));
  EXPECT_EQ(cfg.desktop_types[0].env, (std::vector<std::string>{"_=1", "a_B9=", "X==", "U=\xC3\xBC \"q\""}));
  EXPECT_EQ(cfg.desktop_types[0].secret_env, "_pw1");
  // Only the type's own secret_env is reserved: with another one, VNC_PW is an ordinary variable.
  EXPECT_EQ(load(docker_type("secret_env = \"PW\"\nenv = [\"VNC_PW=x\"]\n")).desktop_types[0].env[0], "VNC_PW=x");
}

TEST(config_errors, desktop_type_start_timeout_zero_means_default) {
  EXPECT_EQ(load(docker_type("start_timeout = 0\n")).desktop_types[0].start_timeout, 0s);
  EXPECT_EQ(load(docker_type("start_timeout = \"0s\"\n")).desktop_types[0].start_timeout, 0s);
  EXPECT_EQ(load(docker_type("start_timeout = \"90s\"\n")).desktop_types[0].start_timeout, 90s);
  EXPECT_EQ(load(docker_type("http_port = 0\n")).desktop_types[0].http_port, 0);
  EXPECT_EQ(load(docker_type("http_port = 65535\n")).desktop_types[0].http_port, 65535);
  EXPECT_EQ(load(docker_type("pids = 0\n")).desktop_types[0].pids, 0);
  EXPECT_EQ(load(docker_type("cpus = \"\"\nmemory = \"\"\nshm_size = \"\"\n")).desktop_types[0].memory, "");
  // Zero stays refused for the [desktops] durations.
  EXPECT_TRUE(has(load_error("[desktops]\nstart_timeout = 0\n"), "desktops.start_timeout: must be a positive"));
}

TEST(config_errors, docker_types_need_a_docker_host) {
  expect_errors({
      {"[[desktop_types]]\nslug = \"x\"\nbackend = \"docker\"\nimage = \"i\"\n",
       {"desktop_types[0].backend: \"docker\" needs at least one [[docker_hosts]] entry"}},
      {"[[desktop_types]]\nslug = \"t\"\n[[desktop_types]]\nslug = \"x\"\nbackend = \"docker\"\nimage = \"i\"\n",
       {"desktop_types[1].backend:", "[[docker_hosts]]"}},
      {docker_type("backend_host = \"d3\"\n"),
       {"desktop_types[0].backend_host: \"d3\" is not a docker host; known: \"d1\", \"d2\""}},
      {docker_type("backend_host = \"D1\"\n"), {"desktop_types[0].backend_host: \"D1\" is not a docker host"}},
      {"[[desktop_types]]\nslug = \"t\"\nbackend_host = \"d1\"\n",
       {"desktop_types[0].backend_host: only for backend \"docker\"", "line 1"}},
      {"[[desktop_types]]\nslug = \"s\"\nbackend = \"static\"\nhost = \"h\"\nport = 1\nbackend_host = \"d1\"\n",
       {"desktop_types[0].backend_host: only for backend \"docker\""}},
      {docker_type("backend_host = 1\n"), {"desktop_types[0].backend_host: expected a string"}},
  });
}

TEST(config_errors, docker_types_pick_a_named_or_the_first_host) {
  EXPECT_EQ(load(docker_type("")).desktop_types[0].backend_host, "");
  EXPECT_EQ(load(docker_type("backend_host = \"d2\"\n")).desktop_types[0].backend_host, "d2");
  // Non-docker types do not need any docker host.
  EXPECT_TRUE(load("[[desktop_types]]\nslug = \"t\"\n").docker_hosts.empty());
}

// ---------------------------------------------------------------------------------------------------
// [[docker_hosts]]

TEST(docker_hosts, an_entry_takes_the_header_defaults) {
  config cfg = load("[[docker_hosts]]\n");
  ASSERT_EQ(cfg.docker_hosts.size(), 1u);
  EXPECT_EQ(cfg.docker_hosts[0], docker_host_config{});
  EXPECT_EQ(cfg.docker_hosts[0].name, "default");
  EXPECT_EQ(cfg.docker_hosts[0].url, "unix:///var/run/docker.sock");
  EXPECT_EQ(cfg.docker_hosts[0].publish_address, "127.0.0.1");
  EXPECT_TRUE(load("").docker_hosts.empty());
}

TEST(docker_hosts, accepted_urls_addresses_and_networks) {
  for (const char* url : {"unix:///var/run/docker.sock", "unix:///run/user/1000/podman/podman.sock", "unix:///x",
                          "tcp://docker.example.org:2376", "tcp://10.0.0.5:2375", "tcp://[2001:db8::5]:2376",
                          "tcp://localhost:1", "tcp://host:65535"}) {
    SCOPED_TRACE(url);
    EXPECT_EQ(load(std::string("[[docker_hosts]]\nurl = \"") + url + "\"\n").docker_hosts[0].url, url);
  }
  for (const char* address : {"127.0.0.1", "10.1.2.3", "0.0.0.0", "::1", "fd00::1", "2001:db8::7", "::"}) {
    SCOPED_TRACE(address);
    EXPECT_EQ(load(std::string("[[docker_hosts]]\npublish_address = \"") + address + "\"\n")
                  .docker_hosts[0]
                  .publish_address,
              address);
  }
  for (const char* network : {"", "deskgate", "desk_net.1-a", "0abc", "A"}) {
    SCOPED_TRACE(network);
    EXPECT_EQ(load(std::string("[[docker_hosts]]\nnetwork = \"") + network + "\"\n").docker_hosts[0].network,
              network);
  }
}

TEST(docker_hosts, tls_files_with_tcp) {
  config cfg = load(
      "[[docker_hosts]]\nurl = \"tcp://h:2376\"\ntls_ca = \"/ca\"\ntls_cert = \"/c\"\ntls_key = \"/k\"\n"
      "[[docker_hosts]]\nname = \"ca-only\"\nurl = \"tcp://h:2376\"\ntls_ca = \"/ca\"\n"
      "[[docker_hosts]]\nname = \"client-only\"\nurl = \"tcp://h:2376\"\ntls_cert = \"/c\"\ntls_key = \"/k\"\n");
  ASSERT_EQ(cfg.docker_hosts.size(), 3u);
  EXPECT_EQ(cfg.docker_hosts[0].tls_key, "/k");
  EXPECT_EQ(cfg.docker_hosts[1].tls_ca, "/ca");
  EXPECT_EQ(cfg.docker_hosts[2].tls_cert, "/c");
}

TEST(docker_hosts, errors_name_the_entry_and_key) {
  std::string too_long(64, 'a');
  expect_errors({
      {"docker_hosts = 5\n", {"docker_hosts: expected an array of tables ([[docker_hosts]]), got an integer"}},
      {"[docker_hosts]\nname = \"a\"\n", {"docker_hosts: expected an array of tables", "got a table"}},
      {"docker_hosts = [1]\n", {"docker_hosts[0]: expected a table, got an integer"}},
      {"[[docker_hosts]]\nname = \"a\"\n[[docker_hosts]]\nname = \"b\"\nfoo = 1\n",
       {"docker_hosts[1].foo: unknown key (line 5)"}},
      {"[[docker_hosts]]\ntls_password = \"x\"\n", {"docker_hosts[0].tls_password: unknown key", "line 2"}},
      {"[[docker_hosts]]\nname = \"A\"\n", {"docker_hosts[0].name: must be 1-63 characters", "line 2"}},
      {"[[docker_hosts]]\nname = \"\"\n", {"docker_hosts[0].name: must be"}},
      {"[[docker_hosts]]\nname = \"a b\"\n", {"docker_hosts[0].name: must be"}},
      {"[[docker_hosts]]\nname = \"-a\"\n", {"docker_hosts[0].name: must be"}},
      {"[[docker_hosts]]\nname = \"" + too_long + "\"\n", {"docker_hosts[0].name: must be"}},
      {"[[docker_hosts]]\nname = 1\n", {"docker_hosts[0].name: expected a string, got an integer"}},
      {"[[docker_hosts]]\nname = \"a\"\n\n[[docker_hosts]]\nname = \"b\"\n\n[[docker_hosts]]\nname = \"a\"\n",
       {"docker_hosts[2].name: duplicate name \"a\" (also docker_hosts[0])", "line 7"}},
      {"[[docker_hosts]]\n[[docker_hosts]]\nurl = \"tcp://h:1\"\n",
       {"docker_hosts[1].name: duplicate name \"default\" (also docker_hosts[0])"}},
      {"[[docker_hosts]]\nurl = \"tcp://h:2376\"\ntls_cert = \"/c\"\n",
       {"docker_hosts[0].tls_key: tls_cert and tls_key must be set together", "line 1"}},
      {"[[docker_hosts]]\nurl = \"tcp://h:2376\"\ntls_key = \"/k\"\n",
       {"docker_hosts[0].tls_cert: tls_cert and tls_key must be set together"}},
      {"[[docker_hosts]]\ntls_cert = \"/c\"\ntls_key = \"/k\"\n",
       {"docker_hosts[0].tls_cert: only for tcp:// URLs", "unix:///var/run/docker.sock"}},
      {"[[docker_hosts]]\ntls_ca = \"/ca\"\n", {"docker_hosts[0].tls_ca: only for tcp:// URLs"}},
      {"[[docker_hosts]]\npublish_address = \"\"\n", {"docker_hosts[0].publish_address: must be an IPv4 or IPv6"}},
      {"[[docker_hosts]]\nnetwork = \"-net\"\n", {"docker_hosts[0].network: must be a Docker network name"}},
      {"[[docker_hosts]]\nnetwork = \"my net\"\n", {"docker_hosts[0].network: must be a Docker network name"}},
      {"[[docker_hosts]]\nnetwork = \"a/b\"\n", {"docker_hosts[0].network: must be a Docker network name"}},
  });
}

TEST(docker_hosts, bad_urls) {
  for (const char* url : {"", "/var/run/docker.sock", "unix://", "unix:///", "unix://var/run/docker.sock",
                          "unix:relative.sock", "UNIX:///var/run/docker.sock", "tcp://", "tcp://host", "tcp://host:",
                          "tcp://:2376", "tcp://host:0", "tcp://host:65536", "tcp://host:23x6", "tcp://host:2376/",
                          "tcp://host:2376/v1.41", "tcp://user@host:2376", "tcp://host:2376?x", "tcp://::1:2376",
                          "tcp://[::1]", "tcp://[zz::1]:2376", "tcp://ho st:2376", "http://host:2376",
                          "https://host:2376", "ssh://user@host", "npipe:////./pipe/docker_engine"}) {
    SCOPED_TRACE(url);
    EXPECT_TRUE(has(load_error(std::string("[[docker_hosts]]\nurl = \"") + url + "\"\n"), "docker_hosts[0].url: "));
  }
  EXPECT_TRUE(has(load_error("[[docker_hosts]]\nurl = \"tcp://h\"\n"), "expected tcp://host:port"));
  EXPECT_TRUE(has(load_error("[[docker_hosts]]\nurl = \"unix://x\"\n"), "unix:///absolute"));
}

TEST(docker_hosts, bad_publish_addresses) {
  for (const char* address : {"localhost", "127.0.0.1:80", "[::1]", "127.1", "256.0.0.1", "1.2.3.4.5", "01.2.3.4",
                              "::1%lo", "fe80::1::2", " 127.0.0.1", "127.0.0.1/32"}) {
    SCOPED_TRACE(address);
    EXPECT_TRUE(has(load_error(std::string("[[docker_hosts]]\npublish_address = \"") + address + "\"\n"),
                    "docker_hosts[0].publish_address: must be an IPv4 or IPv6 address"));
  }
}

TEST(config_errors, toml_syntax_errors_give_the_line) {
  expect_errors({
      {"[server\nio_threads = 1\n", {"line 1", "invalid TOML"}},
      {"[server]\nio_threads = 1\nlisten = \n", {"line 3", "invalid TOML"}},
      {"[server]\nio_threads = 1\nio_threads = 2\n", {"line 3", "invalid TOML"}},
      {"[server]\nlisten = \"unterminated\n", {"line 2", "invalid TOML"}},
  });
}

TEST(config_errors, a_valid_static_type_is_accepted) {
  config cfg = load("[[desktop_types]]\nslug = \"s\"\nbackend = \"static\"\nhost = \"10.0.0.1\"\nport = 5901\n");
  ASSERT_EQ(cfg.desktop_types.size(), 1u);
  EXPECT_EQ(cfg.desktop_types[0].port, 5901);
}

// ---------------------------------------------------------------------------------------------------
// Environment overrides

TEST(config_env, string_key) {
  config cfg = load("", {{"DESKGATE_SERVER_LISTEN", "0.0.0.0:9000"}});
  EXPECT_EQ(cfg.server.listen, "0.0.0.0:9000");
  EXPECT_EQ(cfg.server.listen_host, "0.0.0.0");
  EXPECT_EQ(cfg.server.listen_port, 9000);
}

TEST(config_env, public_url_updates_derived_fields) {
  config cfg = load("", {{"DESKGATE_SERVER_PUBLIC_URL", "https://desk.example.org"}});
  EXPECT_TRUE(cfg.server.public_https);
  EXPECT_EQ(cfg.server.public_origin, "https://desk.example.org");
}

TEST(config_env, path_key_and_the_store_url_derived_from_it) {
  config cfg = load("", {{"DESKGATE_SERVER_DATA_DIR", "/var/lib/deskgate"}});
  EXPECT_EQ(cfg.server.data_dir, "/var/lib/deskgate");
  EXPECT_EQ(cfg.store.url, "sqlite:/var/lib/deskgate/deskgate.db");
}

TEST(config_env, boolean_key_spellings) {
  for (const char* no : {"false", "FALSE", "0", "no", "off"}) {
    SCOPED_TRACE(no);
    EXPECT_FALSE(load("", {{"DESKGATE_AUTH_LOCAL_ENABLED", no}}).auth.local.enabled);
  }
  for (const char* yes : {"true", "True", "1", "yes", "on"}) {
    SCOPED_TRACE(yes);
    EXPECT_TRUE(load("[auth.local]\nenabled = false\n", {{"DESKGATE_AUTH_LOCAL_ENABLED", yes}}).auth.local.enabled);
  }
}

TEST(config_env, integer_keys) {
  config cfg = load("", {{"DESKGATE_SERVER_IO_THREADS", "6"},
                         {"DESKGATE_SERVER_MAX_BODY_BYTES", "5000000"},
                         {"DESKGATE_DESKTOPS_MAX_TOTAL", "42"}});
  EXPECT_EQ(cfg.server.io_threads, 6);
  EXPECT_EQ(cfg.server.max_body_bytes, 5'000'000u);
  EXPECT_EQ(cfg.desktops.max_total, 42);
}

TEST(config_env, duration_keys) {
  config cfg = load("", {{"DESKGATE_SERVER_HEADER_TIMEOUT", "500ms"},
                         {"DESKGATE_SERVER_BODY_TIMEOUT", "15"},
                         {"DESKGATE_AUTH_SESSION_IDLE_TIMEOUT", "2h"},
                         {"DESKGATE_DESKTOPS_REMOVE_STOPPED_AFTER", "3d"},
                         {"DESKGATE_STORE_BUSY_TIMEOUT", "1m"}});
  EXPECT_EQ(cfg.server.header_timeout_ms, 500ms);
  EXPECT_EQ(cfg.server.body_timeout_ms, 15s);
  EXPECT_EQ(cfg.auth.session.idle_timeout, 2h);
  EXPECT_EQ(cfg.desktops.remove_stopped_after, 72h);
  EXPECT_EQ(cfg.store.busy_timeout_ms, 60s);
}

TEST(config_env, list_keys_are_comma_separated) {
  config cfg = load("", {{"DESKGATE_AUTH_OIDC_SCOPES", "openid, email ,, groups,"},
                         {"DESKGATE_SERVER_TRUSTED_PROXIES", "10.0.0.0/8, ::1"}});
  EXPECT_EQ(cfg.auth.oidc.scopes, (std::vector<std::string>{"openid", "email", "groups"}));
  EXPECT_EQ(cfg.server.trusted_proxies, (std::vector<cidr>{cidr::parse("10.0.0.0/8"), cidr::parse("::1/128")}));
}

TEST(config_env, empty_list_clears_it) {
  config cfg = load("", {{"DESKGATE_SERVER_TRUSTED_PROXIES", ""}, {"DESKGATE_AUTH_OIDC_ADMIN_GROUPS", " "}});
  EXPECT_TRUE(cfg.server.trusted_proxies.empty());
  EXPECT_TRUE(cfg.auth.oidc.admin_groups.empty());
}

TEST(config_env, nested_oidc_keys) {
  config cfg = load("", {{"DESKGATE_AUTH_OIDC_ISSUER", "https://idp.example.org"},
                         {"DESKGATE_AUTH_OIDC_CLIENT_ID", "deskgate"},
                         {"DESKGATE_AUTH_OIDC_CLIENT_SECRET", "s3cret"},
                         {"DESKGATE_AUTH_OIDC_TEACHER_GROUPS", "lehrer"}});
  EXPECT_TRUE(cfg.auth.oidc.enabled());
  EXPECT_EQ(cfg.auth.oidc.issuer, "https://idp.example.org");
  EXPECT_EQ(cfg.auth.oidc.client_id, "deskgate");
  EXPECT_EQ(cfg.auth.oidc.client_secret, "s3cret");
  EXPECT_EQ(cfg.auth.oidc.teacher_groups, (std::vector<std::string>{"lehrer"}));
}

TEST(config_env, precedence_default_then_file_then_environment) {
  config cfg = load("[server]\nlisten = \"127.0.0.1:7000\"\nio_threads = 3\n",
                    {{"DESKGATE_SERVER_IO_THREADS", "5"}});
  EXPECT_EQ(cfg.server.listen, "127.0.0.1:7000");       // file over default
  EXPECT_EQ(cfg.server.io_threads, 5);                  // environment over file
  EXPECT_EQ(cfg.server.worker_threads, config{}.server.worker_threads);  // default
}

TEST(config_env, applies_to_the_embedded_default_and_to_files) {
  environment env{{"DESKGATE_LOG_LEVEL", "debug"}};
  EXPECT_EQ(load_config(std::nullopt, env).log.level, "debug");
  temp_file file("[log]\nlevel = \"warn\"\n");
  EXPECT_EQ(load_config(file.path(), env).log.level, "debug");
  EXPECT_EQ(load_config(file.path(), {}).log.level, "warn");
}

TEST(config_env, other_variables_and_deskgate_config_are_ignored) {
  config cfg = load("", {{"DESKGATE_CONFIG", "/etc/deskgate.toml"}, {"HOME", "/root"}, {"XDESKGATE_FOO", "1"}});
  EXPECT_EQ(cfg, load(""));
}

TEST(config_env, unknown_variable_is_an_error_naming_it) {
  EXPECT_TRUE(has(load_error("", {{"DESKGATE_SERVER_LISTN", "x"}}), "DESKGATE_SERVER_LISTN"));
  EXPECT_TRUE(has(load_error("", {{"DESKGATE_SERVER", "x"}}), "DESKGATE_SERVER:"));
  EXPECT_TRUE(has(load_error("", {{"DESKGATE_", "x"}}), "DESKGATE_:"));
  // The key spelled with dots or in lower case is not the variable.
  EXPECT_TRUE(has(load_error("", {{"DESKGATE_server_listen", "x"}}), "DESKGATE_server_listen"));
  EXPECT_TRUE(has(load_error("", {{"DESKGATE_DESKTOP_TYPES", "x"}}), "DESKGATE_DESKTOP_TYPES"));
}

TEST(config_env, new_desktops_and_local_keys) {
  config cfg = load("[desktops]\nport_range_start = 100\n[local]\ngeometry = \"800x600\"\n",
                    {{"DESKGATE_DESKTOPS_SCHEDULER_INTERVAL", "10s"},
                     {"DESKGATE_DESKTOPS_RECONCILE_INTERVAL", "120"},
                     {"DESKGATE_DESKTOPS_START_TIMEOUT", "2m"},
                     {"DESKGATE_DESKTOPS_STOP_GRACE", "1s"},
                     {"DESKGATE_DESKTOPS_PORT_RANGE_START", "40000"},
                     {"DESKGATE_DESKTOPS_PORT_RANGE_END", "40010"},
                     {"DESKGATE_DESKTOPS_REMOVE_UNKNOWN", "yes"},
                     {"DESKGATE_LOCAL_XVNC", "/opt/tigervnc/bin/Xvnc"},
                     {"DESKGATE_LOCAL_SESSION_COMMAND", "exec xterm"},
                     {"DESKGATE_LOCAL_UID_BASE", "100000"},
                     {"DESKGATE_LOCAL_GEOMETRY", "1024x768"}});
  EXPECT_EQ(cfg.desktops.scheduler_interval, 10s);
  EXPECT_EQ(cfg.desktops.reconcile_interval, 2min);
  EXPECT_EQ(cfg.desktops.start_timeout, 2min);
  EXPECT_EQ(cfg.desktops.stop_grace, 1s);
  EXPECT_EQ(cfg.desktops.port_range_start, 40000);
  EXPECT_EQ(cfg.desktops.port_range_end, 40010);
  EXPECT_TRUE(cfg.desktops.remove_unknown);
  EXPECT_EQ(cfg.local.xvnc, "/opt/tigervnc/bin/Xvnc");
  EXPECT_EQ(cfg.local.session_command, "exec xterm");
  EXPECT_EQ(cfg.local.uid_base, 100000u);
  EXPECT_EQ(cfg.local.geometry, "1024x768");
}

TEST(config_env, port_range_is_checked_after_the_environment) {
  // The variable alone is a fine port; only with the file's end does the range cross.
  EXPECT_TRUE(has(load_error("[desktops]\nport_range_end = 7100\n", {{"DESKGATE_DESKTOPS_PORT_RANGE_START", "7200"}}),
                  "desktops.port_range_start: must not be above desktops.port_range_end (7200 > 7100)"));
  // Moving both at once is fine, although the start alone would pass the file's end.
  config cfg = load("[desktops]\nport_range_start = 7000\nport_range_end = 7001\n",
                    {{"DESKGATE_DESKTOPS_PORT_RANGE_START", "9000"}, {"DESKGATE_DESKTOPS_PORT_RANGE_END", "9100"}});
  EXPECT_EQ(cfg.desktops.port_range_start, 9000);
  EXPECT_EQ(cfg.desktops.port_range_end, 9100);
}

TEST(config_env, docker_hosts_are_file_only) {
  for (const char* variable : {"DESKGATE_DOCKER_HOSTS", "DESKGATE_DOCKER_HOSTS_0_URL", "DESKGATE_DOCKER_HOSTS_URL"}) {
    SCOPED_TRACE(variable);
    EXPECT_TRUE(has(load_error("", {{variable, "tcp://h:1"}}),
                    std::string(variable) + ": docker hosts can only be set in the configuration file"));
  }
  EXPECT_TRUE(has(load_error("", {{"DESKGATE_DESKTOP_TYPES_0_CPUS", "2"}}),
                  "DESKGATE_DESKTOP_TYPES_0_CPUS: desktop types can only be set in the configuration file"));
  EXPECT_TRUE(has(load_error("", {{"DESKGATE_DOCKER", "x"}}), "DESKGATE_DOCKER: no configuration key matches"));
}

TEST(config_env, malformed_values_name_the_variable_and_key) {
  struct bad {
    const char* variable;
    const char* value;
    const char* key;
  };
  for (const auto& b : {bad{"DESKGATE_SERVER_IO_THREADS", "abc", "server.io_threads"},
                        bad{"DESKGATE_SERVER_IO_THREADS", "4x", "server.io_threads"},
                        bad{"DESKGATE_SERVER_IO_THREADS", "", "server.io_threads"},
                        bad{"DESKGATE_SERVER_IO_THREADS", "0", "server.io_threads"},
                        bad{"DESKGATE_SERVER_MAX_BODY_BYTES", "-1", "server.max_body_bytes"},
                        bad{"DESKGATE_AUTH_LOCAL_ENABLED", "maybe", "auth.local.enabled"},
                        bad{"DESKGATE_SERVER_HEADER_TIMEOUT", "soon", "server.header_timeout"},
                        bad{"DESKGATE_SERVER_HEADER_TIMEOUT", "0", "server.header_timeout"},
                        bad{"DESKGATE_AUTH_SESSION_IDLE_TIMEOUT", "10ms", "auth.session.idle_timeout"},
                        bad{"DESKGATE_SERVER_TRUSTED_PROXIES", "10.0.0.0/8,10.0.0.0/40", "server.trusted_proxies"},
                        bad{"DESKGATE_SERVER_LISTEN", "nowhere", "server.listen"},
                        bad{"DESKGATE_SERVER_PUBLIC_URL", "https://x/y", "server.public_url"},
                        bad{"DESKGATE_LOG_FORMAT", "yaml", "log.format"},
                        bad{"DESKGATE_DESKTOPS_SCHEDULER_INTERVAL", "0", "desktops.scheduler_interval"},
                        bad{"DESKGATE_DESKTOPS_RECONCILE_INTERVAL", "often", "desktops.reconcile_interval"},
                        bad{"DESKGATE_DESKTOPS_START_TIMEOUT", "0s", "desktops.start_timeout"},
                        bad{"DESKGATE_DESKTOPS_STOP_GRACE", "-1", "desktops.stop_grace"},
                        bad{"DESKGATE_DESKTOPS_PORT_RANGE_START", "0", "desktops.port_range_start"},
                        bad{"DESKGATE_DESKTOPS_PORT_RANGE_END", "70000", "desktops.port_range_end"},
                        bad{"DESKGATE_DESKTOPS_REMOVE_UNKNOWN", "sometimes", "desktops.remove_unknown"},
                        bad{"DESKGATE_LOCAL_XVNC", "", "local.xvnc"},
                        bad{"DESKGATE_LOCAL_SESSION_COMMAND", "", "local.session_command"},
                        bad{"DESKGATE_LOCAL_UID_BASE", "12ab", "local.uid_base"},
                        bad{"DESKGATE_LOCAL_GEOMETRY", "huge", "local.geometry"}}) {
    SCOPED_TRACE(std::string(b.variable) + "=" + b.value);
    std::string message = load_error("", {{b.variable, b.value}});
    EXPECT_TRUE(has(message, b.variable));
    EXPECT_TRUE(has(message, std::string(b.key) + ": "));
  }
}

TEST(config_env, bad_environment_value_fails_even_over_a_good_file) {
  EXPECT_TRUE(has(load_error("[server]\nio_threads = 2\n", {{"DESKGATE_SERVER_IO_THREADS", "two"}}),
                  "DESKGATE_SERVER_IO_THREADS"));
}

// Every key that render_config prints can be set through its DESKGATE_ variable: feeding each rendered
// default value back through the environment must leave the configuration unchanged.
TEST(config_env, every_rendered_key_has_a_working_variable) {
  std::istringstream lines(render_config(load("")));
  std::string line, section;
  int keys = 0;
  config expected = load("");
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (line[0] == '[') {
      section = line.substr(1, line.size() - 2);
      continue;
    }
    auto equals = line.find(" = ");
    ASSERT_NE(equals, std::string::npos) << line;
    std::string variable = "DESKGATE_" + section + "_" + line.substr(0, equals);
    for (char& c : variable) c = c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    // The defaults contain no escapes, so dropping quotes and brackets gives the environment spelling.
    std::string value;
    for (char c : line.substr(equals + 3)) {
      if (c != '"' && c != '[' && c != ']') value += c;
    }
    SCOPED_TRACE(variable + "=" + value);
    config cfg = load("", {{variable, value}});
    EXPECT_EQ(cfg, expected);
    ++keys;
  }
  EXPECT_EQ(keys, 64);
}

TEST(config_env, process_environment_collects_only_deskgate_variables) {
  ASSERT_EQ(setenv("DESKGATE_TEST_PROBE", "a=b", 1), 0);
  ASSERT_EQ(setenv("NOT_DESKGATE_TEST_PROBE", "x", 1), 0);
  environment env = process_environment();
  unsetenv("DESKGATE_TEST_PROBE");
  unsetenv("NOT_DESKGATE_TEST_PROBE");
  ASSERT_EQ(env.count("DESKGATE_TEST_PROBE"), 1u);
  EXPECT_EQ(env["DESKGATE_TEST_PROBE"], "a=b");
  EXPECT_EQ(env.count("NOT_DESKGATE_TEST_PROBE"), 0u);
  for (const auto& [name, value] : env) EXPECT_EQ(name.rfind("DESKGATE_", 0), 0u) << name;
}

// ---------------------------------------------------------------------------------------------------
// Rendering

TEST(config_render, embedded_default_round_trips) {
  config cfg = embedded();
  EXPECT_EQ(load(render_config(cfg)), cfg);
}

TEST(config_render, customised_config_round_trips) {
  config cfg = load(full_file);
  // full_file sets every key away from its default, the new ones included.
  const config plain;
  EXPECT_NE(cfg.desktops.scheduler_interval, plain.desktops.scheduler_interval);
  EXPECT_NE(cfg.desktops.port_range_end, plain.desktops.port_range_end);
  EXPECT_NE(cfg.desktops.remove_unknown, plain.desktops.remove_unknown);
  EXPECT_NE(cfg.local.xvnc, plain.local.xvnc);
  EXPECT_NE(cfg.gateway, plain.gateway);
  EXPECT_NE(cfg.local.geometry, plain.local.geometry);
  ASSERT_EQ(cfg.docker_hosts.size(), 2u);
  EXPECT_FALSE(cfg.docker_hosts[1].tls_key.empty());
  EXPECT_FALSE(cfg.desktop_types[0].env.empty());
  EXPECT_NE(cfg.desktop_types[0].start_timeout, 0s);
  config again = load(render_config(cfg));
  EXPECT_EQ(again.desktops, cfg.desktops);
  EXPECT_EQ(again.local, cfg.local);
  EXPECT_EQ(again.docker_hosts, cfg.docker_hosts);
  EXPECT_EQ(again.desktop_types, cfg.desktop_types);
  EXPECT_EQ(again, cfg);
}

TEST(config_render, awkward_strings_round_trip) {
  config cfg = embedded();
  cfg.auth.oidc.display_name = "Quote \" backslash \\ newline \n tab \t bell \x07 del \x7f umlaut \xC3\xBC";
  cfg.desktop_types[0].command = "sh -c 'echo \"hi\"'\r\n";
  cfg.server.web_root = "/srv/web root/\xE2\x82\xAC";
  config again = load(render_config(cfg));
  EXPECT_EQ(again.auth.oidc.display_name, cfg.auth.oidc.display_name);
  EXPECT_EQ(again.desktop_types[0].command, cfg.desktop_types[0].command);
  EXPECT_EQ(again, cfg);
}

TEST(config_render, durations_use_format_duration) {
  config cfg = load("[server]\nheader_timeout = \"1500ms\"\n[desktops]\nidle_timeout = 86400\n");
  std::string text = render_config(cfg);
  EXPECT_TRUE(has(text, "header_timeout = \"1500ms\""));
  EXPECT_TRUE(has(text, "[desktops]\nidle_timeout = \"1d\""));
  EXPECT_TRUE(has(text, "absolute_timeout = \"7d\""));
}

TEST(config_render, sections_and_keys_are_toml) {
  std::string text = render_config(embedded());
  EXPECT_TRUE(has(text, "[server]\nlisten = \"127.0.0.1:8080\"\n"));
  EXPECT_TRUE(has(text, "trusted_proxies = [\"127.0.0.1/32\", \"::1/128\"]\n"));
  EXPECT_TRUE(has(text, "[auth.oidc]\n"));
  EXPECT_TRUE(has(text, "[[desktop_types]]\nslug = \"terminal\"\n"));
  EXPECT_TRUE(has(text, "io_threads = 2\n"));
  EXPECT_TRUE(has(text, "enabled = true\n"));
}

TEST(config_render, docker_hosts_are_rendered_as_an_array_of_tables) {
  config cfg = load(full_file);
  std::string text = render_config(cfg);
  EXPECT_TRUE(has(text, "\n[[docker_hosts]]\nname = \"local-docker\"\nurl = \"unix:///run/podman/podman.sock\"\n"));
  // Nothing in a docker host is secret: the key file's path is shown as it is.
  EXPECT_TRUE(has(text, "tls_key = \"/etc/deskgate/key.pem\"\n"));
  EXPECT_TRUE(has(text, "network = \"deskgate_desktops\"\n"));
  EXPECT_TRUE(has(text, "[local]\nxvnc = \"/usr/bin/Xvnc\"\n"));
  EXPECT_TRUE(has(text, "port_range_start = 20000\n"));
  EXPECT_TRUE(has(text, "remove_unknown = true\n"));
  EXPECT_TRUE(has(text, "env = [\"LANG=de_DE.UTF-8\", \"EMPTY=\", \"EQUALS=a=b\"]\n"));
  EXPECT_TRUE(has(text, "start_timeout = \"3m\"\n"));
  EXPECT_FALSE(has(render_config(embedded()), "docker_hosts"));
  EXPECT_TRUE(has(render_config(embedded()), "start_timeout = \"0s\"\n"));  // the terminal type's
  // Docker hosts come before the desktop types that refer to them.
  EXPECT_LT(text.find("[[docker_hosts]]"), text.find("[[desktop_types]]"));
}

TEST(config_render, every_docker_host_and_type_key_is_rendered) {
  std::string text = render_config(load(full_file));
  for (const char* key : {"name", "url", "tls_ca", "tls_cert", "tls_key", "publish_address", "network",
                          "backend_host", "http_port", "start_timeout", "cpus", "memory", "shm_size", "pids", "env",
                          "secret_env", "scheduler_interval", "reconcile_interval", "stop_grace", "port_range_end",
                          "session_command", "uid_base", "geometry"}) {
    SCOPED_TRACE(key);
    EXPECT_TRUE(has(text, "\n" + std::string(key) + " = "));
  }
}

TEST(config_render, no_desktop_types_renders_none) {
  EXPECT_FALSE(has(render_config(load("")), "desktop_types"));
}

TEST(config_render, secrets_are_masked) {
  config cfg = load(R"toml(
[auth.oidc]
issuer = "https://idp.example.org"
client_id = "deskgate"
client_secret = "oidc-Secret-4711"
[[desktop_types]]
slug = "lab"
backend = "static"
host = "10.0.0.5"
port = 5900
password = "vnc-Pa55word"
[[desktop_types]]
slug = "open"
backend = "static"
host = "10.0.0.6"
port = 5900
)toml");
  std::string text = render_config(cfg);
  EXPECT_FALSE(has(text, "oidc-Secret-4711"));
  EXPECT_FALSE(has(text, "vnc-Pa55word"));
  EXPECT_TRUE(has(text, "client_secret = \"********\"\n"));
  EXPECT_TRUE(has(text, "password = \"********\"\n"));
  EXPECT_TRUE(has(text, "password = \"\"\n"));  // the second type has none

  // Reloading gives the same config except that the secrets are now the mask.
  config again = load(text);
  EXPECT_EQ(again.auth.oidc.client_secret, "********");
  EXPECT_EQ(again.desktop_types[0].password, "********");
  EXPECT_EQ(again.desktop_types[1].password, "");
  again.auth.oidc.client_secret = cfg.auth.oidc.client_secret;
  again.desktop_types[0].password = cfg.desktop_types[0].password;
  EXPECT_EQ(again, cfg);
}

TEST(config_render, empty_secret_renders_empty) {
  EXPECT_TRUE(has(render_config(embedded()), "client_secret = \"\"\n"));
}

TEST(config_render, secret_from_environment_is_masked) {
  config cfg = load("", {{"DESKGATE_AUTH_OIDC_ISSUER", "https://idp"},
                         {"DESKGATE_AUTH_OIDC_CLIENT_ID", "c"},
                         {"DESKGATE_AUTH_OIDC_CLIENT_SECRET", "env-Secret-0815"}});
  EXPECT_FALSE(has(render_config(cfg), "env-Secret-0815"));
}

TEST(config_render, password_in_store_url_is_masked) {
  config cfg = load("[store]\nurl = \"postgresql://deskgate:hunter2@db.example.org:5432/deskgate\"\n");
  std::string text = render_config(cfg);
  EXPECT_FALSE(has(text, "hunter2"));
  EXPECT_TRUE(has(text, "url = \"postgresql://deskgate:********@db.example.org:5432/deskgate\""));
  // Without a password nothing is hidden.
  EXPECT_TRUE(has(render_config(load("[store]\nurl = \"postgresql://deskgate@db/x\"\n")),
                  "url = \"postgresql://deskgate@db/x\""));
}

}  // namespace
}  // namespace deskgate
