// /healthz (the process answers), /readyz (and its database does), /metrics (Prometheus text).
#include "api/json_io.hpp"
#include "api/services.hpp"

namespace deskgate::api {

void add_health_routes(http::router& r, services& s) {
  using http::access;
  using http::method;
  r.add({method::get, "/healthz", access::anyone, [](http::context&) {
           return json_response(200, {{"status", "ok"}});
         }});
  r.add({method::get, "/readyz", access::anyone, [&s](http::context&) {
           bool ready = false;
           try {
             ready = s.db.ping();
           } catch (const std::exception&) {
             ready = false;
           }
           return ready ? json_response(200, {{"status", "ready"}})
                        : json_response(503, {{"status", "unavailable"}, {"reason", "the database does not answer"}});
         }});
  // Open like /healthz: counts by route pattern reveal no user data. Restrict it at the proxy if wanted.
  r.add({method::get, "/metrics", access::anyone, [&s](http::context&) {
           http::response res;
           res.headers.set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
           res.headers.set("Cache-Control", "no-store");
           res.body = s.stats.render();
           return res;
         }});
}

}  // namespace deskgate::api
