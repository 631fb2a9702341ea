#include "support/test_idp.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <regex>
#include <stdexcept>

namespace deskgate::testing {
namespace {

namespace fs = std::filesystem;

fs::path idp_dir() { return DESKGATE_TEST_IDP_DIR; }

std::string find_node() {
  for (const char* candidate : {"/usr/bin/node", "/usr/local/bin/node", "/usr/bin/nodejs"}) {
    if (::access(candidate, X_OK) == 0) return candidate;
  }
  throw std::runtime_error("node is not installed (scripts/setup.sh --test installs nodejs)");
}

struct url_parts {
  std::uint16_t port = 0;
  std::string target;
};

url_parts split_url(const std::string& url) {
  static const std::regex pattern(R"(^http://127\.0\.0\.1:(\d+)(/.*)?$)");
  std::smatch m;
  if (!std::regex_match(url, m, pattern)) throw std::runtime_error("the test browser only visits 127.0.0.1: " + url);
  return {static_cast<std::uint16_t>(std::stoi(m[1])), m[2].length() ? m[2].str() : "/"};
}

}  // namespace

std::uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof addr;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length) != 0) {
    throw std::runtime_error("cannot find a free port");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

test_idp::test_idp() {
  if (!fs::exists(idp_dir() / "node_modules" / "oidc-provider")) {
    throw std::runtime_error(
        "tests/idp/node_modules is missing: run npm ci --prefix tests/idp (scripts/setup.sh --test)");
  }
  node_ = std::make_unique<child_process>(
      process_options{.args = {find_node(), (idp_dir() / "server.js").string(), "--port", "0"},
                      .env = {},
                      .stdin_text = "",
                      .work_dir = idp_dir()});
  const std::string marker = "test idp listening on http://127.0.0.1:";
  if (!node_->wait_for_output(marker, std::chrono::seconds(60))) {
    throw std::runtime_error("the test IdP did not start: " + node_->err());
  }
  auto out = node_->out();
  port_ = static_cast<std::uint16_t>(std::stoi(out.substr(out.find(marker) + marker.size())));
}

test_idp::~test_idp() = default;  // child_process SIGKILLs node

void test_idp::control(const std::string& path, const nlohmann::json& body) {
  auto a = http_request(
      port_,
      {.method = "POST", .target = path, .headers = {{"Content-Type", "application/json"}}, .body = body.dump()});
  if (a.status != 200) throw std::runtime_error("test IdP " + path + " answered " + std::to_string(a.status));
}

void test_idp::reset() { control("/test/reset", nlohmann::json::object()); }
void test_idp::set_mode(const nlohmann::json& mode) { control("/test/mode", mode); }
void test_idp::set_groups(const std::string& username, const nlohmann::json& groups) {
  control("/test/groups", {{"username", username}, {"groups", groups}});
}
void test_idp::register_client(const std::string& redirect_uri, const std::string& post_logout_uri) {
  control("/test/client", {{"redirect_uris", {redirect_uri}}, {"post_logout_redirect_uris", {post_logout_uri}}});
}

http_answer test_browser::send(const std::string& method, const std::string& url, const std::string& body,
                               const std::string& content_type) {
  auto parts = split_url(url);
  request_spec spec{.method = method, .target = parts.target, .headers = {}, .body = body};
  std::string cookies;
  for (const auto& [name, value] : jars_[parts.port]) cookies += (cookies.empty() ? "" : "; ") + name + "=" + value;
  if (!cookies.empty()) spec.headers.emplace_back("Cookie", cookies);
  if (!content_type.empty()) spec.headers.emplace_back("Content-Type", content_type);
  auto answer = http_request(parts.port, spec);
  for (const auto& set : answer.all("Set-Cookie")) {
    auto eq = set.find('=');
    auto end = set.find(';');
    std::string name = set.substr(0, eq);
    std::string value = set.substr(eq + 1, end == std::string::npos ? std::string::npos : end - eq - 1);
    bool expired =
        set.find("Max-Age=0") != std::string::npos || set.find("expires=Thu, 01 Jan 1970") != std::string::npos;
    if (expired || value.empty()) {
      jars_[parts.port].erase(name);
    } else {
      jars_[parts.port][name] = value;
    }
  }
  return answer;
}

http_answer test_browser::get(const std::string& url) { return send("GET", url, "", ""); }

http_answer test_browser::post_form(const std::string& url, const std::string& body) {
  return send("POST", url, body, "application/x-www-form-urlencoded");
}

std::string test_browser::location(const http_answer& a, const std::string& from) {
  auto to = a.header("Location");
  if (to.starts_with("/")) return "http://127.0.0.1:" + std::to_string(split_url(from).port) + to;
  return to;
}

std::string test_browser::cookie(std::uint16_t port, const std::string& name) const {
  auto jar = jars_.find(port);
  if (jar == jars_.end()) return "";
  auto it = jar->second.find(name);
  return it == jar->second.end() ? "" : it->second;
}

test_browser::sign_in_result test_browser::sign_in(std::uint16_t app_port, const std::string& username,
                                                   const std::string& next, bool stop_before_callback) {
  std::string app = "http://127.0.0.1:" + std::to_string(app_port);
  std::string url = app + "/api/auth/oidc/start?next=" + next;
  auto answer = get(url);
  // Through the provider's redirects to its login form, then from the form back to deskgate.
  for (int hops = 0; hops < 10; ++hops) {
    if (answer.status == 200 && answer.body.find("/login\"") != std::string::npos) {
      std::smatch m;
      static const std::regex action(R"|(action="([^"]+)")|");
      if (!std::regex_search(answer.body, m, action)) break;
      url = location({.status = 303, .headers = {{"Location", m[1]}}, .body = ""}, url);
      answer = post_form(url, "username=" + username + "&password=" + username + "-pw");
      continue;
    }
    if (answer.status != 302 && answer.status != 303) break;
    url = location(answer, url);
    if (url.starts_with(app)) {
      if (stop_before_callback) return {url, {}};
      return {url, get(url)};
    }
    answer = get(url);
  }
  throw std::runtime_error("the sign-in did not come back to deskgate; last answer " + std::to_string(answer.status) +
                           ": " + answer.body.substr(0, 300));
}

}  // namespace deskgate::testing
