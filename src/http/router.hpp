// Routes: method + path pattern + the one authorization rule of that route + its handler, declared
// together. The dispatcher enforces the rule before the handler runs; handlers never check it again.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/message.hpp"
#include "http/push_feed.hpp"
#include "relay/relay_target.hpp"
#include "store/store.hpp"

namespace deskgate::http {

// Who may call a route. Each rule includes the ones after it (admin ⊂ teacher ⊂ signed_in ⊂ anyone).
enum class access { anyone, signed_in, teacher, admin };

// The signed-in user behind a request.
struct principal {
  std::int64_t user_id = 0;
  std::string username;
  std::string display_name;
  role user_role = role::student;
  std::int64_t session_id = 0;
  std::string csrf_token;
  std::int64_t session_expires_at = 0;
};

bool allows(access rule, const std::optional<principal>& who);

class route_params {
 public:
  void add(std::string name, std::string value) { values_.emplace_back(std::move(name), std::move(value)); }
  // The captured value, or "" when the pattern has no such parameter.
  std::string_view get(std::string_view name) const;

 private:
  std::vector<std::pair<std::string, std::string>> values_;
};

// What a handler receives: the request, the path parameters and the caller (when signed in).
struct context {
  const request& req;
  route_params params;
  std::optional<principal> user;
  // Set by handlers that change who is signed in (login/logout), for the request log.
  std::optional<std::int64_t> acting_user_id;
  // Set by WebSocket routes that authorized an upgrade (their response is then not sent).
  std::shared_ptr<const relay_target> upgrade;
  // Set by push WebSocket routes (/api/events) that authorized an upgrade.
  std::shared_ptr<push_feed> push;
};

using handler = std::function<response(context&)>;

struct route {
  method verb = method::get;
  std::string pattern;  // "/api/desktops/{id}"; a last segment "{name*}" captures the rest of the path
  access rule = access::signed_in;
  handler fn;
  // Unsafe methods on signed-in routes need X-CSRF-Token. Only routes that create the session (login)
  // are exempt; they are protected by the Origin check and the JSON content type instead.
  bool csrf = true;
};

class router {
 public:
  void add(route r);

  struct match_result {
    const route* matched = nullptr;
    route_params params;
    std::vector<method> allowed;  // when the path exists but not for this method (→ 405)
  };
  // HEAD falls back to the GET route of the same path.
  match_result match(method verb, std::string_view path) const;

  const std::vector<route>& routes() const { return routes_; }

 private:
  std::vector<route> routes_;
};

}  // namespace deskgate::http
