// Runs a real deskgate (application: SQLite file, HTTP server on 127.0.0.1, port chosen by the OS) in a
// temporary folder for one test, with helpers to sign in and call the API.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "app/application.hpp"
#include "config/config.hpp"
#include "core/clock.hpp"
#include "support/http_client.hpp"

namespace deskgate::testing {

// Configuration for a local desktop type "light" whose session is a single sleeping process: real Xvnc,
// but cheap enough to start many of.
inline constexpr const char* light_desktop_toml = R"(
[local]
session_command = "exec sleep 100000"

[[desktop_types]]
slug = "light"
name = "Light desktop"
backend = "local"
open_to_all = true
)";

class temp_dir {
 public:
  temp_dir();
  ~temp_dir();
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Credentials of a signed-in test client.
// An answer's body as JSON (discarded, not thrown, when it is not JSON: the assertion then says so).
inline nlohmann::json json_of(const http_answer& a) { return nlohmann::json::parse(a.body, nullptr, false); }

struct signed_in {
  std::string cookie;  // "deskgate_session=..."
  std::string csrf;
};

class test_app {
 public:
  // `extra_toml` is appended to a minimal config (listen on 127.0.0.1:0, data in a temp folder); `env`
  // overrides keys like DESKGATE_* variables do.
  explicit test_app(const std::string& extra_toml = "", std::shared_ptr<manual_clock> clk = nullptr,
                    const environment& env = {});
  ~test_app();

  std::uint16_t port() const { return app_->port(); }
  application& app() { return *app_; }
  const std::filesystem::path& data_dir() const { return dir_.path(); }
  const std::string& admin_username() const { return admin_username_; }
  const std::string& admin_password() const { return admin_password_; }

  http_answer request(const std::string& method, const std::string& target, const signed_in* who = nullptr,
                      const std::string& body = "", std::vector<std::pair<std::string, std::string>> headers = {});
  http_answer post_json(const std::string& target, const nlohmann::json& body, const signed_in* who = nullptr);
  http_answer login_answer(const std::string& username, const std::string& password);
  // Signs in (the test fails if that does not work).
  signed_in login(const std::string& username, const std::string& password);
  signed_in login_admin() { return login(admin_username_, admin_password_); }
  // Creates a local user through the admin API and returns their credentials after signing in.
  signed_in add_user(const std::string& username, const std::string& role,
                     const std::string& password = "correct horse 1");

  // Creates a local group of these users through the admin API; returns its id.
  std::int64_t add_group(const std::string& name, const std::vector<std::string>& usernames);
  // Replaces a local group's members as the admin does (the test fails if that is refused).
  void set_group_members(std::int64_t group_id, const std::vector<std::string>& usernames);

  void stop();

  // Polls GET /api/desktops/{id} until the desktop is in `state`; returns the last answer's desktop.
  nlohmann::json wait_for_state(const signed_in& who, const std::string& desktop_id, const std::string& state,
                                std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // Starts a desktop of `type` through the API; returns its id (the test fails if that is refused).
  std::string start_desktop(const signed_in& who, const std::string& type);

 private:
  temp_dir dir_;
  std::unique_ptr<application> app_;
  std::string admin_username_;
  std::string admin_password_;
  bool stopped_ = false;
};

}  // namespace deskgate::testing
