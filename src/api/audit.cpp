#include "api/audit.hpp"

namespace deskgate::api {

void record_audit(services& s, const http::context& ctx, const audit_record& rec) {
  audit_entry e;
  e.at = s.clk.now();
  if (ctx.user) {
    e.actor_id = ctx.user->user_id;
    e.actor_name = ctx.user->username;
  }
  if (rec.actor_id) e.actor_id = rec.actor_id;
  if (!rec.actor_name.empty()) e.actor_name = rec.actor_name;
  e.action = rec.action;
  e.target = rec.target;
  e.success = rec.success;
  e.client_address = ctx.req.client_address;
  e.detail = rec.detail.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  s.db.append_audit(e);
}

}  // namespace deskgate::api
