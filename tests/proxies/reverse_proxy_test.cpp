// deskgate behind the real Apache 2.4, nginx and HAProxy, each run privately on 127.0.0.1 with a config
// generated FROM the shipped file in deploy/ (the proxying lines between "BEGIN deskgate proxy" and
// "END deskgate proxy" are reused verbatim; only listen address, certificate paths and deskgate's port are
// substituted). The browser side speaks TLS (self-signed certificate made with openssl per test).
// Also: the seed's broken Apache advice (RewriteRule to http:// [P] without upgrade=websocket) against the
// real Apache, which must produce deskgate's explanatory 400, and `deskgate doctor` through all of them.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <thread>

#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/test_app.hpp"

namespace deskgate::testing {
namespace {

using namespace std::chrono_literals;

const std::filesystem::path source_dir = source_root();

std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_text(const std::filesystem::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }

// The lines strictly between the "BEGIN deskgate proxy" and "END deskgate proxy" marker lines.
std::string proxy_block(const std::filesystem::path& shipped) {
  std::istringstream in(read_text(shipped));
  std::string line;
  std::string out;
  int state = 0;
  while (std::getline(in, line)) {
    if (state == 0 && line.find("BEGIN deskgate proxy") != std::string::npos) {
      state = 1;
    } else if (state == 1 && line.find("END deskgate proxy") != std::string::npos) {
      state = 2;
    } else if (state == 1) {
      out += line + "\n";
    }
  }
  EXPECT_EQ(state, 2) << "markers missing in " << shipped;
  return out;
}

// Replaces `from` by `to`, expecting exactly `count` occurrences (the shipped file must not drift away from
// what the test substitutes).
std::string replace_exactly(std::string text, const std::string& from, const std::string& to, int count) {
  int found = 0;
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
    ++found;
  }
  EXPECT_EQ(found, count) << "\"" << from << "\" in the shipped proxy block";
  return text;
}

std::uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

bool accepts_connections(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

// --- a small blocking TLS client (OpenSSL on a socket with receive/send timeouts) --------------------

struct answer_head {
  int status = 0;
  std::string head;  // status line and headers
  std::string body;
};

class tls_client {
 public:
  explicit tls_client(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{10, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return;
    ctx_ = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_NONE, nullptr);  // the test's self-signed certificate
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    ok_ = SSL_connect(ssl_) == 1;
  }
  ~tls_client() {
    if (ssl_) {
      SSL_shutdown(ssl_);
      SSL_free(ssl_);
    }
    if (ctx_) SSL_CTX_free(ctx_);
    if (fd_ >= 0) ::close(fd_);
  }
  bool ok() const { return ok_; }

  bool send(const std::string& bytes) {
    return ok_ && SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size())) == static_cast<int>(bytes.size());
  }

  // Reads the status line and headers, and a Content-Length body (not after 101).
  answer_head read_head() {
    answer_head a;
    while (pending_.find("\r\n\r\n") == std::string::npos) {
      if (!fill()) return a;
    }
    auto end = pending_.find("\r\n\r\n");
    a.head = pending_.substr(0, end + 2);
    pending_.erase(0, end + 4);
    if (a.head.size() > 12 && a.head.starts_with("HTTP/1.1 ")) a.status = std::stoi(a.head.substr(9, 3));
    if (a.status == 101) return a;
    std::string lower = a.head;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    auto cl = lower.find("\r\ncontent-length:");
    if (cl != std::string::npos) {
      std::size_t length = std::stoul(lower.substr(cl + 17));
      while (pending_.size() < length) {
        if (!fill()) break;
      }
      a.body = pending_.substr(0, length);
      pending_.erase(0, std::min(length, pending_.size()));
    }
    return a;
  }

  // One server-to-client WebSocket frame (unmasked): {opcode, payload}; opcode -1 on failure.
  std::pair<int, std::string> read_frame() {
    auto need = [&](std::size_t n) {
      while (pending_.size() < n) {
        if (!fill()) return false;
      }
      return true;
    };
    if (!need(2)) return {-1, ""};
    auto b0 = static_cast<unsigned char>(pending_[0]);
    auto b1 = static_cast<unsigned char>(pending_[1]);
    std::size_t header = 2;
    std::uint64_t length = b1 & 0x7f;
    if (length == 126) {
      if (!need(4)) return {-1, ""};
      length = (static_cast<unsigned char>(pending_[2]) << 8) | static_cast<unsigned char>(pending_[3]);
      header = 4;
    } else if (length == 127) {
      if (!need(10)) return {-1, ""};
      length = 0;
      for (int i = 2; i < 10; ++i) length = (length << 8) | static_cast<unsigned char>(pending_[i]);
      header = 10;
    }
    if ((b1 & 0x80) != 0 || length > (1u << 20) || !need(header + length)) return {-1, ""};
    std::string payload = pending_.substr(header, length);
    pending_.erase(0, header + length);
    return {b0 & 0x0f, payload};
  }

 private:
  bool fill() {
    if (!ok_) return false;
    char buf[16384];
    int n = SSL_read(ssl_, buf, sizeof buf);
    if (n <= 0) return false;
    pending_.append(buf, static_cast<std::size_t>(n));
    return true;
  }

  int fd_ = -1;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  bool ok_ = false;
  std::string pending_;
};

std::string upgrade_request(const std::string& target, std::uint16_t proxy_port, const std::string& cookie,
                            const std::string& origin) {
  std::string r = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(proxy_port) +
                  "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                  "Sec-WebSocket-Version: 13\r\n";
  if (!origin.empty()) r += "Origin: " + origin + "\r\n";
  if (!cookie.empty()) r += "Cookie: " + cookie + "\r\n";
  return r + "\r\n";
}

// --- the proxies -------------------------------------------------------------------------------------

enum class proxy_kind { apache, nginx, haproxy, apache_seed_style };

std::string name_of(proxy_kind k) {
  switch (k) {
    case proxy_kind::apache:
      return "apache";
    case proxy_kind::nginx:
      return "nginx";
    case proxy_kind::haproxy:
      return "haproxy";
    case proxy_kind::apache_seed_style:
      return "apache_seed_style";
  }
  return "?";
}

// The seed note's final Apache advice, as it was: WebSockets by a RewriteRule to http:// [P] and a plain
// ProxyPass without upgrade=websocket. Kept only here, as the negative test's proxy block.
const std::string seed_style_block = R"(    ProxyPreserveHost On
    Timeout 3600
    ProxyTimeout 3600
    RewriteEngine On
    RewriteCond %{HTTP:Upgrade} =websocket [NC]
    RewriteRule /(.*) http://127.0.0.1:8080/$1 [P,L]
    ProxyPass / http://127.0.0.1:8080/ retry=3 timeout=3600
    ProxyPassReverse / http://127.0.0.1:8080/
    RequestHeader set X-Forwarded-Proto "https"
)";

// A private proxy instance on 127.0.0.1:port in front of deskgate on 127.0.0.1:backend. Stopped by PID
// (SIGTERM, then SIGKILL from child_process) when it goes out of scope, whatever the test's outcome.
class running_proxy {
 public:
  running_proxy(proxy_kind kind, const std::filesystem::path& dir, std::uint16_t port, std::uint16_t backend)
      : kind_(kind), dir_(dir), port_(port) {
    make_certificate();
    std::string backend_address = "127.0.0.1:" + std::to_string(backend);
    process_options opts;
    if (kind == proxy_kind::apache || kind == proxy_kind::apache_seed_style) {
      std::string block =
          kind == proxy_kind::apache ? proxy_block(source_dir / "deploy/apache/deskgate.conf") : seed_style_block;
      block = replace_exactly(block, "127.0.0.1:8080", backend_address, kind == proxy_kind::apache ? 2 : 3);
      config_ = dir / "apache.conf";
      std::filesystem::create_directories(dir / "run");
      write_text(config_,
                 "ServerRoot /etc/apache2\n"
                 "LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so\n"
                 "LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so\n"
                 "LoadModule proxy_module /usr/lib/apache2/modules/mod_proxy.so\n"
                 "LoadModule proxy_http_module /usr/lib/apache2/modules/mod_proxy_http.so\n"
                 "LoadModule proxy_wstunnel_module /usr/lib/apache2/modules/mod_proxy_wstunnel.so\n"
                 "LoadModule rewrite_module /usr/lib/apache2/modules/mod_rewrite.so\n"
                 "LoadModule headers_module /usr/lib/apache2/modules/mod_headers.so\n"
                 "LoadModule socache_shmcb_module /usr/lib/apache2/modules/mod_socache_shmcb.so\n"
                 "LoadModule ssl_module /usr/lib/apache2/modules/mod_ssl.so\n"
                 "ServerName 127.0.0.1\n"
                 "Listen 127.0.0.1:" +
                     std::to_string(port) + "\n" + "PidFile " + (dir / "run/apache.pid").string() + "\n" + "ErrorLog " +
                     (dir / "apache-error.log").string() + "\n" +
                     "LogLevel warn\n"
                     "Mutex file:" +
                     (dir / "run").string() + " default\n" + "DefaultRuntimeDir " + (dir / "run").string() + "\n" +
                     "SSLSessionCache shmcb:" + (dir / "run/ssl_scache").string() + "(512000)\n" +
                     "<VirtualHost 127.0.0.1:" + std::to_string(port) + ">\n" +
                     "    ServerName 127.0.0.1\n"
                     "    SSLEngine on\n"
                     "    SSLCertificateFile " +
                     cert_.string() + "\n" + "    SSLCertificateKeyFile " + key_.string() + "\n" + block +
                     "</VirtualHost>\n");
      opts.args = {"/usr/sbin/apache2", "-f", config_.string(), "-DFOREGROUND"};
    } else if (kind == proxy_kind::nginx) {
      std::string block = proxy_block(source_dir / "deploy/nginx/deskgate.conf");
      block = replace_exactly(block, "listen 443 ssl;", "listen 127.0.0.1:" + std::to_string(port) + " ssl;", 1);
      block = replace_exactly(block, "/etc/ssl/certs/desktops.example.org.pem", cert_.string(), 1);
      block = replace_exactly(block, "/etc/ssl/private/desktops.example.org.key", key_.string(), 1);
      block = replace_exactly(block, "127.0.0.1:8080", backend_address, 1);
      config_ = dir / "nginx.conf";
      std::filesystem::create_directories(dir / "nginx-temp");
      std::string d = dir.string();
      write_text(config_, "daemon off;\nworker_processes 1;\npid " + d + "/nginx.pid;\nerror_log " + d +
                              "/nginx-error.log warn;\nevents { worker_connections 256; }\nhttp {\n"
                              "    access_log off;\n"
                              "    client_body_temp_path " +
                              d + "/nginx-temp/body;\n" + "    proxy_temp_path " + d + "/nginx-temp/proxy;\n" +
                              "    fastcgi_temp_path " + d + "/nginx-temp/fastcgi;\n" + "    uwsgi_temp_path " + d +
                              "/nginx-temp/uwsgi;\n" + "    scgi_temp_path " + d + "/nginx-temp/scgi;\n" + block +
                              "}\n");
      opts.args = {"/usr/sbin/nginx", "-c", config_.string(), "-p", d, "-e", d + "/nginx-error.log"};
    } else {
      std::string block = proxy_block(source_dir / "deploy/haproxy/deskgate.cfg");
      block = replace_exactly(block, "bind :443 ssl crt /etc/haproxy/certs/desktops.example.org.pem",
                              "bind 127.0.0.1:" + std::to_string(port) + " ssl crt " + combined_.string(), 1);
      block = replace_exactly(block, "127.0.0.1:8080", backend_address, 1);
      config_ = dir / "haproxy.cfg";
      write_text(config_, "global\n    maxconn 1000\n\n" + block);
      opts.args = {"/usr/sbin/haproxy", "-db", "-f", config_.string()};
    }
    process_ = std::make_unique<child_process>(opts);
    auto deadline = std::chrono::steady_clock::now() + 15s;
    while (std::chrono::steady_clock::now() < deadline && !accepts_connections(port)) {
      std::this_thread::sleep_for(50ms);
    }
    ready_ = accepts_connections(port);
  }

  ~running_proxy() {
    if (process_) {
      process_->signal(SIGTERM);
      if (process_->wait(10s) == -1) process_->signal(SIGKILL);
    }
  }

  bool ready() const { return ready_; }
  std::uint16_t port() const { return port_; }
  std::string url() const { return "https://127.0.0.1:" + std::to_string(port_); }
  // What went wrong, for failure messages.
  std::string diagnostics() const {
    std::string text = "config " + config_.string() + ":\n" + read_text(config_);
    if (process_) text += "\nstdout: " + process_->out() + "\nstderr: " + process_->err();
    for (const char* log : {"apache-error.log", "nginx-error.log"}) {
      if (std::filesystem::exists(dir_ / log)) text += std::string("\n") + log + ": " + read_text(dir_ / log);
    }
    return text;
  }

 private:
  void make_certificate() {
    cert_ = dir_ / "cert.pem";
    key_ = dir_ / "key.pem";
    combined_ = dir_ / "combined.pem";
    auto r = run_command({{"/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                           "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key_.string(), "-out", cert_.string(),
                           "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"}});
    ASSERT_EQ(r.status, 0) << r.err;
    write_text(combined_, read_text(cert_) + read_text(key_));
    // Apache and nginx workers may run as another account than root: the key must stay readable.
    std::filesystem::permissions(key_, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  }

  proxy_kind kind_;
  std::filesystem::path dir_;
  std::uint16_t port_;
  std::filesystem::path config_, cert_, key_, combined_;
  std::unique_ptr<child_process> process_;
  bool ready_ = false;
};

// deskgate (test_app) whose public URL is the proxy's, trusting 127.0.0.1 as a proxy, with a light
// local desktop type.
std::string gateway_toml(std::uint16_t proxy_port) {
  return "public_url = \"https://127.0.0.1:" + std::to_string(proxy_port) +
         "\"\ntrusted_proxies = [\"127.0.0.1/32\"]\n" + light_desktop_toml;
}

run_result doctor(const std::vector<std::string>& args) {
  process_options opts;
  opts.args = {DESKGATE_BINARY, "doctor"};
  opts.args.insert(opts.args.end(), args.begin(), args.end());
  child_process p(opts);
  run_result r;
  r.status = p.wait(60s);
  r.out = p.out();
  r.err = p.err();
  return r;
}

bool tools_present(proxy_kind k) {
  const char* bin = k == proxy_kind::nginx     ? "/usr/sbin/nginx"
                    : k == proxy_kind::haproxy ? "/usr/sbin/haproxy"
                                               : "/usr/sbin/apache2";
  return std::filesystem::exists(bin) && std::filesystem::exists("/usr/bin/openssl");
}

class through_proxy : public ::testing::TestWithParam<proxy_kind> {};

TEST_P(through_proxy, owner_gets_the_desktop_others_and_foreign_origins_are_refused_and_doctor_passes) {
  ASSERT_TRUE(tools_present(GetParam())) << name_of(GetParam()) << " is not installed (scripts/setup.sh installs it)";
  auto proxy_port = free_port();
  test_app app(gateway_toml(proxy_port));
  temp_dir proxy_dir;
  running_proxy proxy(GetParam(), proxy_dir.path(), proxy_port, app.port());
  ASSERT_TRUE(proxy.ready()) << proxy.diagnostics();

  auto owner = app.add_user("olivia", "student");
  auto other = app.add_user("oscar", "student");
  auto id = app.start_desktop(owner, "light");
  ASSERT_FALSE(id.empty());
  app.wait_for_state(owner, id, "running");

  // The owner's noVNC connection through the proxy: 101, then the RFB banner from deskgate's relay (which
  // did VNC authentication with the desktop's secret first).
  for (const std::string target : {"/desktop/" + id + "/websockify", "/websockify?desktop=" + id}) {
    tls_client c(proxy_port);
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE(c.send(upgrade_request(target, proxy_port, owner.cookie, proxy.url())));
    auto head = c.read_head();
    ASSERT_EQ(head.status, 101) << target << "\n" << head.head << head.body << "\n" << proxy.diagnostics();
    auto [opcode, payload] = c.read_frame();
    EXPECT_EQ(opcode, 2) << target;
    EXPECT_EQ(payload, "RFB 003.008\n") << target;
  }

  // What arrived at deskgate through the proxy: cookie (the session: signed in), Origin accepted,
  // upgrade headers, X-Forwarded-* from a trusted proxy.
  {
    tls_client c(proxy_port);
    ASSERT_TRUE(c.send(upgrade_request("/api/diagnostics/upgrade", proxy_port, owner.cookie, proxy.url())));
    auto a = c.read_head();
    ASSERT_EQ(a.status, 200) << a.head << a.body;
    auto j = nlohmann::json::parse(a.body);
    EXPECT_TRUE(j["cookie_present"].get<bool>()) << j.dump();
    EXPECT_TRUE(j["signed_in"].get<bool>()) << j.dump();
    EXPECT_EQ(j["origin"], proxy.url());
    EXPECT_TRUE(j["origin_accepted"].get<bool>()) << j.dump();
    EXPECT_TRUE(j["upgrade_ok"].get<bool>()) << j.dump();
    EXPECT_TRUE(j["peer_trusted_proxy"].get<bool>()) << j.dump();
    EXPECT_EQ(j["scheme"], "https") << j.dump();
    EXPECT_EQ(j["derived_host"], "127.0.0.1:" + std::to_string(proxy_port)) << j.dump();
    EXPECT_TRUE(j["x_forwarded_for"].is_string()) << j.dump();
    EXPECT_EQ(a.body.find(owner.cookie.substr(owner.cookie.find('=') + 1)), std::string::npos)
        << "the session token must never be reported";
  }

  // Another user: deskgate's 404, passed through, nothing upgraded.
  {
    tls_client c(proxy_port);
    ASSERT_TRUE(c.send(upgrade_request("/desktop/" + id + "/websockify", proxy_port, other.cookie, proxy.url())));
    auto a = c.read_head();
    EXPECT_EQ(a.status, 404) << a.head << a.body;
    EXPECT_NE(a.body.find("no such desktop"), std::string::npos) << a.body;
  }
  // A foreign Origin (cross-site WebSocket hijacking) with the owner's cookie: 403.
  {
    tls_client c(proxy_port);
    ASSERT_TRUE(
        c.send(upgrade_request("/desktop/" + id + "/websockify", proxy_port, owner.cookie, "https://evil.example")));
    auto a = c.read_head();
    EXPECT_EQ(a.status, 403) << a.head << a.body;
  }
  // No cookie at all: 401.
  {
    tls_client c(proxy_port);
    ASSERT_TRUE(c.send(upgrade_request("/desktop/" + id + "/websockify", proxy_port, "", proxy.url())));
    EXPECT_EQ(c.read_head().status, 401);
  }

  // The doctor through the proxy: every item ✓, exit 0.
  auto r = doctor({proxy.url(), "--insecure"});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  for (const char* item : {"✓ Upgrade", "✓ Connection", "✓ Cookie", "✓ Origin", "✓ X-Forwarded-For",
                           "✓ X-Forwarded-Proto", "✓ X-Forwarded-Host", "✓ trusted proxy"}) {
    EXPECT_NE(r.out.find(item), std::string::npos) << item << "\n" << r.out;
  }
  EXPECT_EQ(r.out.find("✗"), std::string::npos) << r.out;

  // With verification on (the default), the self-signed certificate is refused: exit 2, with the hint.
  auto strict = doctor({proxy.url()});
  EXPECT_EQ(strict.status, 2) << strict.out << strict.err;
  EXPECT_NE(strict.err.find("--insecure"), std::string::npos) << strict.err;
}

INSTANTIATE_TEST_SUITE_P(shipped_configs, through_proxy,
                         ::testing::Values(proxy_kind::apache, proxy_kind::nginx, proxy_kind::haproxy),
                         [](const auto& info) { return name_of(info.param); });

// The seed note's advice on the real Apache: the handshake reaches deskgate as a plain GET, and deskgate
// says so (400 naming the proxy fix) instead of failing silently; the doctor points at upgrade=websocket.
TEST(seed_style_apache, drops_the_upgrade_and_deskgate_explains_it) {
  ASSERT_TRUE(tools_present(proxy_kind::apache)) << "apache2 is not installed (scripts/setup.sh installs it)";
  auto proxy_port = free_port();
  test_app app(gateway_toml(proxy_port));
  temp_dir proxy_dir;
  running_proxy proxy(proxy_kind::apache_seed_style, proxy_dir.path(), proxy_port, app.port());
  ASSERT_TRUE(proxy.ready()) << proxy.diagnostics();

  auto owner = app.add_user("olivia", "student");
  auto id = app.start_desktop(owner, "light");
  app.wait_for_state(owner, id, "running");

  tls_client c(proxy_port);
  ASSERT_TRUE(c.send(upgrade_request("/desktop/" + id + "/websockify", proxy_port, owner.cookie, proxy.url())));
  auto a = c.read_head();
  EXPECT_EQ(a.status, 400) << a.head << a.body << "\n" << proxy.diagnostics();
  EXPECT_NE(a.body.find("removed them"), std::string::npos) << a.body;
  EXPECT_NE(a.body.find("upgrade=websocket"), std::string::npos) << a.body;

  auto r = doctor({proxy.url(), "--insecure"});
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("✗ Upgrade"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("upgrade=websocket"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("✓ Cookie"), std::string::npos) << r.out;
}

// No proxy at all: the essentials pass, the X-Forwarded-* items are marked not applicable.
TEST(doctor, directly_against_deskgate) {
  test_app app;  // its public_url names another port; an Origin equal to scheme://Host is accepted too
  auto url = "http://127.0.0.1:" + std::to_string(app.port());
  auto r = doctor({url});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  for (const char* item : {"✓ Upgrade", "✓ Connection", "✓ Cookie", "✓ Origin", "– X-Forwarded-For"}) {
    EXPECT_NE(r.out.find(item), std::string::npos) << item << "\n" << r.out;
  }
  EXPECT_EQ(r.out.find("✗"), std::string::npos) << r.out;

  auto with_prefix_slash = doctor({url + "/", "--cookie", "deskgate_session=not-a-session"});
  EXPECT_EQ(with_prefix_slash.status, 0) << with_prefix_slash.out << with_prefix_slash.err;
}

TEST(doctor, usage_and_connection_errors_exit_2) {
  auto closed = free_port();
  auto refused = doctor({"http://127.0.0.1:" + std::to_string(closed)});
  EXPECT_EQ(refused.status, 2);
  EXPECT_NE(refused.err.find("cannot reach"), std::string::npos) << refused.err;

  auto bad = doctor({"ftp://127.0.0.1/"});
  EXPECT_EQ(bad.status, 2);
  EXPECT_NE(bad.err.find("http://"), std::string::npos) << bad.err;

  EXPECT_EQ(doctor({}).status, 2);  // URL missing

  // Something that is not deskgate answers: exit 2, saying so.
  test_app app;
  auto r = doctor({"http://127.0.0.1:" + std::to_string(app.port()) + "/nothing-here"});
  EXPECT_EQ(r.status, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("does not lead to deskgate"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace deskgate::testing
