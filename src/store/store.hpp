// The store: every piece of persistent state behind one interface, one implementation per database engine
// (store/sqlite/ now, store/postgresql/ for several gateways later). Calls block: callers run them on the
// worker pool, never on an I/O thread. Constraint violations surface as deskgate::error{errc::conflict}.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace deskgate {

class clock;

enum class role { student, teacher, admin };
std::string_view to_string(role r);
std::optional<role> parse_role(std::string_view text);

struct user {
  std::int64_t id = 0;
  std::string username;
  std::string display_name;
  std::string email;
  role user_role = role::student;
  std::string password_hash;  // empty: no local password (OIDC-only)
  std::string oidc_subject;   // empty: local account
  bool disabled = false;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
};

struct new_user {
  std::string username;
  std::string display_name;
  std::string email;
  role user_role = role::student;
  std::string password_hash;
  std::string oidc_subject;
};

struct session {
  std::int64_t id = 0;
  std::string token_hash;  // sha256 hex of the cookie token; the token itself is never stored
  std::int64_t user_id = 0;
  std::string csrf_token;
  std::int64_t created_at = 0;
  std::int64_t last_seen_at = 0;
  std::int64_t expires_at = 0;  // absolute expiry
  std::string client_address;
  std::string user_agent;
};

struct audit_entry {
  std::int64_t id = 0;
  std::int64_t at = 0;
  std::optional<std::int64_t> actor_id;  // the signed-in user, if any
  std::string actor_name;                // username as given (also for failed logins)
  std::string action;                    // e.g. "auth.login", "auth.login_failed", "user.create"
  std::string target;                    // what it was done to, e.g. "user:12"
  bool success = true;
  std::string client_address;
  std::string detail;  // JSON object as text, never secrets
};

class store {
 public:
  virtual ~store() = default;

  // Applies every migration not yet recorded in schema_migrations, each in its own transaction.
  // Returns how many were applied.
  virtual int migrate() = 0;
  virtual int schema_version() = 0;
  // True when the database answers a trivial query (for /readyz).
  virtual bool ping() = 0;

  // Users. create_user throws errc::conflict when the username is taken.
  virtual user create_user(const new_user& u) = 0;
  virtual std::optional<user> find_user(std::int64_t id) = 0;
  virtual std::optional<user> find_user_by_username(std::string_view username) = 0;
  virtual std::vector<user> list_users() = 0;
  virtual void set_user_password(std::int64_t id, std::string_view password_hash) = 0;
  virtual void set_user_role(std::int64_t id, role r) = 0;
  virtual void set_user_disabled(std::int64_t id, bool disabled) = 0;
  virtual std::int64_t count_admins() = 0;  // enabled admins

  // Sessions.
  virtual session create_session(const session& s) = 0;  // id filled in on return
  virtual std::optional<session> find_session(std::string_view token_hash) = 0;
  virtual void touch_session(std::int64_t id, std::int64_t last_seen_at) = 0;
  virtual void delete_session(std::int64_t id) = 0;
  virtual int delete_sessions_of_user(std::int64_t user_id) = 0;
  // Deletes sessions whose absolute expiry passed or that were idle longer than `idle_seconds`.
  virtual int purge_expired_sessions(std::int64_t now, std::int64_t idle_seconds) = 0;

  // Audit log, newest first; `before_id` pages backwards (0: from the newest).
  virtual void append_audit(const audit_entry& e) = 0;
  virtual std::vector<audit_entry> list_audit(int limit, std::int64_t before_id = 0) = 0;

  // Settings (branding, theme): small JSON values by key.
  virtual std::optional<std::string> get_setting(std::string_view key) = 0;
  virtual void put_setting(std::string_view key, std::string_view value) = 0;
};

// Opens the store named by `url` ("sqlite:PATH" or "sqlite::memory:"), creating the database file and
// its folder if needed. Does not migrate. Throws deskgate::error{errc::unavailable} when it cannot open.
std::unique_ptr<store> open_store(std::string_view url, const clock& clk, int pool_size = 4,
                                  int busy_timeout_ms = 5000);

}  // namespace deskgate
