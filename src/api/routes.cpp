#include "api/services.hpp"

namespace deskgate::api {

http::router make_router(services& s) {
  http::router r;
  add_health_routes(r, s);
  add_auth_routes(r, s);
  add_oidc_routes(r, s);
  add_admin_user_routes(r, s);
  add_desktop_type_routes(r, s);
  add_desktop_routes(r, s);
  add_gateway_routes(r, s);
  add_diagnostics_routes(r, s);
  add_branding_routes(r, s);
  add_event_routes(r, s);
  add_desktop_http_routes(r, s);
  add_file_routes(r, s);
  add_group_routes(r, s);
  add_teaching_routes(r, s);
  return r;
}

}  // namespace deskgate::api
