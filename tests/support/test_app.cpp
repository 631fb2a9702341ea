#include "support/test_app.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

namespace deskgate::testing {

temp_dir::temp_dir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "deskgate-test-XXXXXX").string();
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

temp_dir::~temp_dir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

test_app::test_app(const std::string& extra_toml, std::shared_ptr<manual_clock> clk) {
  std::string toml = "[server]\nlisten = \"127.0.0.1:0\"\ndata_dir = \"" + dir_.path().string() + "\"\n" +
                     "shutdown_grace = \"2s\"\n" + extra_toml;
  auto cfg = load_config_from_string(toml, {});
  app_ = std::make_unique<application>(cfg, clk);
  app_->start();
  if (const auto& admin = app_->bootstrap_admin()) {
    admin_username_ = admin->username;
    admin_password_ = admin->password;
  }
}

test_app::~test_app() { stop(); }

void test_app::stop() {
  if (stopped_) return;
  stopped_ = true;
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

}  // namespace deskgate::testing
