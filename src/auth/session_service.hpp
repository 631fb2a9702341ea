// Browser sessions: a random 256-bit token in the deskgate_session cookie, stored only as its SHA-256;
// idle and absolute expiry; a CSRF token per session; disabled users lose their sessions at once.
// This is the http::authenticator every route goes through.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/clock.hpp"
#include "http/dispatcher.hpp"
#include "store/store.hpp"

namespace deskgate::auth {

struct session_settings {
  std::int64_t idle_timeout_seconds = 8 * 3600;
  std::int64_t absolute_timeout_seconds = 7 * 24 * 3600;
  bool secure_cookie = false;  // the public URL is https
  // last_seen is written at most this often per session, so every request is not a database write.
  std::int64_t touch_interval_seconds = 60;
};

struct issued_session {
  std::string token;  // goes into the cookie, nowhere else
  session row;
};

class session_service final : public http::authenticator {
 public:
  static constexpr std::string_view cookie_name = "deskgate_session";

  session_service(store& db, const clock& clk, session_settings settings);

  issued_session create(const user& u, const http::request& req);
  std::optional<http::principal> authenticate(const http::request& req) override;
  // Ends the session named by the request's cookie, if any.
  void destroy(const http::request& req);
  // Whether a session (by id) is still live: not expired, its user enabled. For connections that outlive
  // the request that opened them (desktop relays), re-checked periodically.
  bool still_valid(std::int64_t session_id);
  // Use of a desktop counts as use of the session that opened it.
  void touch(std::int64_t session_id);

  std::string set_cookie_header(const std::string& token) const;
  std::string clear_cookie_header() const;
  int purge_expired();

  const session_settings& settings() const { return settings_; }

 private:
  store& db_;
  const clock& clock_;
  session_settings settings_;
};

}  // namespace deskgate::auth
