#include "support/test_app.hpp"

#include "core/error.hpp"
#include "desktops/desktop_manager.hpp"
#include "store/store.hpp"
#include "support/process.hpp"

#include <gtest/gtest.h>

#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <thread>

namespace deskgate::testing {

temp_dir::temp_dir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "deskgate-test-XXXXXX").string();
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
  // Local desktops run as an unprivileged account that must reach their folders inside.
  std::filesystem::permissions(path_, std::filesystem::perms::others_exec | std::filesystem::perms::group_exec,
                               std::filesystem::perm_options::add);
}

temp_dir::~temp_dir() {
  // Desktops a failed test left behind must not outlive it: Xvnc names the folder on its command line,
  // session processes in their environment (HOME).
  for (const char* file : {"cmdline", "environ"}) {
    for (pid_t pid : processes_with(file, path_.string())) ::kill(pid, SIGKILL);
  }
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

test_app::test_app(const std::string& extra_toml, std::shared_ptr<manual_clock> clk, const environment& env) {
  std::string toml = "[server]\nlisten = \"127.0.0.1:0\"\ndata_dir = \"" + dir_.path().string() + "\"\n" +
                     "shutdown_grace = \"2s\"\n" + extra_toml;
  auto cfg = load_config_from_string(toml, env);
  app_ = std::make_unique<application>(cfg, clk);
  app_->start();
  if (const auto& admin = app_->bootstrap_admin()) {
    admin_username_ = admin->username;
    admin_password_ = admin->password;
  }
}

test_app::~test_app() { stop(); }

nlohmann::json test_app::wait_for_state(const signed_in& who, const std::string& desktop_id, const std::string& state,
                                        std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  nlohmann::json last;
  while (std::chrono::steady_clock::now() < deadline) {
    auto a = request("GET", "/api/desktops/" + desktop_id, &who);
    if (a.status != 200) return nlohmann::json{{"status", a.status}};
    last = nlohmann::json::parse(a.body)["desktop"];
    if (last["state"] == state) return last;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ADD_FAILURE() << "desktop " << desktop_id << " did not reach " << state << "; last seen: " << last.dump();
  return last;
}

std::string test_app::start_desktop(const signed_in& who, const std::string& type) {
  auto a = post_json("/api/desktops", {{"type", type}}, &who);
  EXPECT_EQ(a.status, 202) << a.body;
  auto body = nlohmann::json::parse(a.body, nullptr, false);
  return body.is_object() && body.contains("desktop") ? body["desktop"]["id"].get<std::string>() : "";
}

void test_app::stop() {
  if (stopped_) return;
  stopped_ = true;
  // A real gateway leaves desktops running for the next start to adopt; a test cleans up after itself.
  // A removal the test asked for may finish between the listing and this call (the desktop is gone).
  for (const auto& d : app_->db().list_desktops()) {
    try {
      app_->desktops().remove(d.id);
    } catch (const error& e) {
      if (e.code() != errc::not_found) ADD_FAILURE() << "removing a desktop after the test: " << e.what();
    }
  }
  app_->desktops().wait_idle();
  app_->shutdown();
  app_->wait();
}

http_answer test_app::request(const std::string& method, const std::string& target, const signed_in* who,
                              const std::string& body, std::vector<std::pair<std::string, std::string>> headers) {
  request_spec spec{method, target, std::move(headers), body};
  if (who) {
    spec.headers.emplace_back("Cookie", who->cookie);
    spec.headers.emplace_back("X-CSRF-Token", who->csrf);
  }
  return http_request(port(), spec);
}

http_answer test_app::post_json(const std::string& target, const nlohmann::json& body, const signed_in* who) {
  return request("POST", target, who, body.dump(), {{"Content-Type", "application/json"}});
}

http_answer test_app::login_answer(const std::string& username, const std::string& password) {
  return post_json("/api/auth/login", {{"username", username}, {"password", password}});
}

signed_in test_app::login(const std::string& username, const std::string& password) {
  auto a = login_answer(username, password);
  EXPECT_EQ(a.status, 200) << a.body;
  auto cookie = a.header("Set-Cookie");
  auto body = nlohmann::json::parse(a.body, nullptr, false);
  signed_in who;
  who.cookie = cookie.substr(0, cookie.find(';'));
  if (body.is_object() && body.contains("csrf_token")) who.csrf = body["csrf_token"];
  return who;
}

signed_in test_app::add_user(const std::string& username, const std::string& role, const std::string& password) {
  auto admin = login_admin();
  auto a = post_json("/api/admin/users", {{"username", username}, {"password", password}, {"role", role}}, &admin);
  EXPECT_EQ(a.status, 201) << a.body;
  return login(username, password);
}

std::int64_t test_app::add_group(const std::string& name, const std::vector<std::string>& usernames) {
  auto admin = login_admin();
  auto created = post_json("/api/admin/groups", {{"name", name}}, &admin);
  EXPECT_EQ(created.status, 201) << created.body;
  auto id = nlohmann::json::parse(created.body, nullptr, false).value("id", std::int64_t{0});
  set_group_members(id, usernames);
  return id;
}

void test_app::set_group_members(std::int64_t group_id, const std::vector<std::string>& usernames) {
  auto admin = login_admin();
  auto ids = nlohmann::json::array();
  for (const auto& u : usernames) ids.push_back(app().db().find_user_by_username(u)->id);
  auto set = request("PUT", "/api/admin/groups/" + std::to_string(group_id) + "/members", &admin,
                     nlohmann::json{{"user_ids", ids}}.dump(), {{"Content-Type", "application/json"}});
  EXPECT_EQ(set.status, 200) << set.body;
}

}  // namespace deskgate::testing
