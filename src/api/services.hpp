// What the API handlers work with. Built once at start-up by the application and passed by reference.
#pragma once

#include "auth/login_throttle.hpp"
#include "auth/oidc/login_flow.hpp"
#include "auth/session_service.hpp"
#include "config/config.hpp"
#include "core/clock.hpp"
#include "desktops/desktop_manager.hpp"
#include "files/file_service.hpp"
#include "gateway/observations.hpp"
#include "gateway/relay_registry.hpp"
#include "http/http_client.hpp"
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
  desktop_manager& desktops;
  relay_registry& relays;
  observation_registry& observations;  // who watches whose desktop (view-only)
  auth::oidc::login_flow* oidc;  // nullptr when OpenID Connect is not configured
  files::file_service& files;
  const http::http_client& desktop_web;  // the http relay mode's client ([gateway] http_* limits)
};

// A route handler as a plain function of the services and the request context.
using service_handler = http::response (*)(services&, http::context&);
inline http::handler bind_handler(services& s, service_handler fn) {
  return [&s, fn](http::context& c) { return fn(s, c); };
}

// Every route deskgate serves, each with its authorization rule.
http::router make_router(services& s);

void add_health_routes(http::router& r, services& s);
void add_auth_routes(http::router& r, services& s);
void add_oidc_routes(http::router& r, services& s);
void add_admin_user_routes(http::router& r, services& s);
void add_desktop_routes(http::router& r, services& s);
void add_desktop_type_routes(http::router& r, services& s);
void add_gateway_routes(http::router& r, services& s);
void add_diagnostics_routes(http::router& r, services& s);
void add_branding_routes(http::router& r, services& s);
void add_event_routes(http::router& r, services& s);
void add_desktop_http_routes(http::router& r, services& s);
void add_file_routes(http::router& r, services& s);
void add_group_routes(http::router& r, services& s);
void add_teaching_routes(http::router& r, services& s);

}  // namespace deskgate::api
