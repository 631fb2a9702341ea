// What the API handlers work with. Built once at start-up by the application and passed by reference.
#pragma once

#include "auth/login_throttle.hpp"
#include "auth/session_service.hpp"
#include "config/config.hpp"
#include "core/clock.hpp"
#include "http/metrics.hpp"
#include "http/router.hpp"
#include "store/store.hpp"

namespace deskgate::api {

struct services {
  const config& cfg;
  store& db;
  const clock& clk;
  auth::session_service& sessions;
  auth::login_throttle& throttle;
  http::metrics& stats;
};

// Every route deskgate serves, each with its authorization rule.
http::router make_router(services& s);

void add_health_routes(http::router& r, services& s);
void add_auth_routes(http::router& r, services& s);
void add_admin_user_routes(http::router& r, services& s);

}  // namespace deskgate::api
