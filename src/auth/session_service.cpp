#include "auth/session_service.hpp"

#include <algorithm>
#include <cctype>

#include "core/crypto.hpp"
#include "http/cookies.hpp"

namespace deskgate::auth {
namespace {

constexpr std::size_t max_user_agent_length = 256;

}  // namespace

session_service::session_service(store& db, const clock& clk, session_settings settings)
    : db_(db), clock_(clk), settings_(settings) {}

issued_session session_service::create(const user& u, const http::request& req) {
  issued_session out;
  out.token = crypto::random_token(32);
  auto now = clock_.now();
  session s;
  s.token_hash = crypto::sha256_hex(out.token);
  s.user_id = u.id;
  s.csrf_token = crypto::random_token(32);
  s.created_at = now;
  s.last_seen_at = now;
  s.expires_at = now + settings_.absolute_timeout_seconds;
  s.client_address = req.client_address;
  s.user_agent = std::string(req.headers.get("User-Agent").substr(0, max_user_agent_length));
  out.row = db_.create_session(s);
  return out;
}

std::optional<http::principal> session_service::authenticate(const http::request& req) {
  auto token = http::find_cookie(req.headers.get("Cookie"), cookie_name);
  if (!token || !crypto::looks_like_token(*token)) return std::nullopt;
  // One query for both: this runs for every signed-in request and every WebSocket upgrade.
  auto found = db_.find_session_with_user(crypto::sha256_hex(*token));
  if (!found) return std::nullopt;
  const session& s = found->sess;
  const user& u = found->owner;
  auto now = clock_.now();
  if (s.expires_at <= now || s.last_seen_at + settings_.idle_timeout_seconds <= now) {
    db_.delete_session(s.id);
    return std::nullopt;
  }
  if (u.disabled) {
    db_.delete_sessions_of_user(u.id);
    return std::nullopt;
  }
  if (now - s.last_seen_at >= settings_.touch_interval_seconds) {
    db_.touch_session(s.id, now);
  }
  return http::principal{u.id, u.username, u.display_name, u.user_role, s.id, s.csrf_token, s.expires_at};
}

bool session_service::still_valid(std::int64_t session_id) {
  auto s = db_.find_session_by_id(session_id);
  if (!s) return false;
  auto now = clock_.now();
  if (s->expires_at <= now || s->last_seen_at + settings_.idle_timeout_seconds <= now) return false;
  auto u = db_.find_user(s->user_id);
  return u && !u->disabled;
}

void session_service::touch(std::int64_t session_id) { db_.touch_session(session_id, clock_.now()); }

void session_service::destroy(const http::request& req) {
  auto token = http::find_cookie(req.headers.get("Cookie"), cookie_name);
  if (!token || !crypto::looks_like_token(*token)) return;
  if (auto s = db_.find_session(crypto::sha256_hex(*token))) {
    db_.delete_session(s->id);
  }
}

std::string session_service::set_cookie_header(const std::string& token) const {
  http::cookie_options opts;
  opts.secure = settings_.secure_cookie;
  opts.max_age_seconds = settings_.absolute_timeout_seconds;
  return http::make_set_cookie(cookie_name, token, opts);
}

std::string session_service::clear_cookie_header() const {
  http::cookie_options opts;
  opts.secure = settings_.secure_cookie;
  opts.max_age_seconds = 0;
  return http::make_set_cookie(cookie_name, "", opts);
}

int session_service::purge_expired() {
  return db_.purge_expired_sessions(clock_.now(), settings_.idle_timeout_seconds);
}

}  // namespace deskgate::auth
