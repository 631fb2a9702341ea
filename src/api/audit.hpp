// Writes audit log rows for what handlers do. Details are JSON and never carry secrets.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

#include "api/services.hpp"

namespace deskgate::api {

struct audit_record {
  std::string action;  // "auth.login", "auth.login_failed", "user.update", ...
  std::string target;  // "user:12"
  bool success = true;
  // Who acted when nobody is signed in yet (a login attempt): overrides the request's user.
  std::optional<std::int64_t> actor_id;
  std::string actor_name;
  nlohmann::json detail = nlohmann::json::object();
};

void record_audit(services& s, const http::context& ctx, const audit_record& rec);

}  // namespace deskgate::api
