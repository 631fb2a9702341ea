// The test OpenID provider (tests/idp/server.js, npm oidc-provider) run by node on 127.0.0.1, and a
// small cookie-keeping "browser" that walks the sign-in: deskgate's start, the provider's login form,
// back to deskgate's callback. Missing node or missing node_modules fail the test (setup.sh installs both).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "support/http_client.hpp"
#include "support/process.hpp"

namespace deskgate::testing {

class test_idp {
 public:
  test_idp();  // throws std::runtime_error when it cannot start
  ~test_idp();

  std::uint16_t port() const { return port_; }
  std::string issuer() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // Back to the initial accounts and good behaviour.
  void reset();
  // Switches misbehaviour on (see server.js: forge, rotate, delay_ms/delay_path, discovery).
  void set_mode(const nlohmann::json& mode);
  void set_groups(const std::string& username, const nlohmann::json& groups);
  // Registers the clients "deskgate" and "deskgate-es" with these redirect URIs.
  void register_client(const std::string& redirect_uri, const std::string& post_logout_uri);

 private:
  void control(const std::string& path, const nlohmann::json& body);
  std::unique_ptr<child_process> node_;
  std::uint16_t port_ = 0;
};

// A browser for 127.0.0.1: keeps cookies per port, resolves relative redirects.
class test_browser {
 public:
  // GET an absolute http://127.0.0.1:PORT/... URL with this browser's cookies; stores Set-Cookie.
  http_answer get(const std::string& url);
  http_answer post_form(const std::string& url, const std::string& body);
  // The URL a redirect answer points to, made absolute against `from`.
  static std::string location(const http_answer& a, const std::string& from);
  std::string cookie(std::uint16_t port, const std::string& name) const;

  struct sign_in_result {
    std::string callback_url;  // the provider's redirect back to deskgate (code, state, iss)
    http_answer callback;      // deskgate's answer to it
  };
  // Starts at deskgate's /api/auth/oidc/start?next=, signs in at the provider with `username` (password
  // username + "-pw"), and GETs the callback. `stop_before_callback`: return without calling it.
  sign_in_result sign_in(std::uint16_t app_port, const std::string& username, const std::string& next = "/",
                         bool stop_before_callback = false);

 private:
  http_answer send(const std::string& method, const std::string& url, const std::string& body,
                   const std::string& content_type);
  std::map<std::uint16_t, std::map<std::string, std::string>> jars_;
};

// A port nothing listens on right now (bound and released), for addresses that must be known in advance.
std::uint16_t free_port();

}  // namespace deskgate::testing
