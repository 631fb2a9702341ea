// The SQLite store: the migrator and the records of accounts (users, sessions, audit, settings), with
// one row -> struct function per record type. Desktops, their types, groups and ports are in
// sqlite_desktops.cpp; the connection pool, statements and error mapping in sqlite_db.hpp.
#include "store/sqlite/sqlite_store.hpp"

#include <algorithm>
#include <limits>
#include <set>
#include <utility>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "store/sqlite/sqlite_db.hpp"

namespace deskgate {

using sqlite::all_rows;
using sqlite::exec;
using sqlite::null_if_empty;
using sqlite::qualified;
using sqlite::returning;
using sqlite::select_from;
using sqlite::single_row;
using sqlite::statement;
using sqlite::write_transaction;

namespace {

constexpr std::string_view schema_migrations_table = R"sql(
CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER NOT NULL PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at BIGINT NOT NULL
))sql";

bool has_schema_migrations(sqlite::connection& db) {
  statement st(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'");
  return single_row(st, [](const statement&) { return true; }).has_value();
}

std::set<int> applied_versions(sqlite::connection& db) {
  statement st(db, "SELECT version FROM schema_migrations");
  const auto versions = all_rows(st, [](const statement& row) { return static_cast<int>(row.int64(0)); });
  return {versions.begin(), versions.end()};
}

void check_order(std::span<const migration> list) {
  int previous = 0;
  for (const migration& m : list) {
    if (m.version <= previous) {
      throw error{errc::internal, "migration versions must be positive and strictly ascending; " +
                                      std::to_string(m.version) + " follows " + std::to_string(previous)};
    }
    previous = m.version;
  }
}

role role_column(const statement& row, int column) {
  const std::string text = row.text(column);
  const std::optional<role> r = parse_role(text);
  if (!r) throw error{errc::internal, "unknown role in the database: " + text};
  return *r;
}

// Each column list below matches the read_* function after it, column for column.
constexpr std::string_view user_columns =
    "id, username, display_name, email, role, password_hash, oidc_subject, disabled, created_at, updated_at";

user read_user_from(const statement& row, int first) {
  return user{
      .id = row.int64(first + 0),
      .username = row.text(first + 1),
      .display_name = row.text(first + 2),
      .email = row.text(first + 3),
      .user_role = role_column(row, first + 4),
      .password_hash = row.text(first + 5),
      .oidc_subject = row.text(first + 6),
      .disabled = row.boolean(first + 7),
      .created_at = row.int64(first + 8),
      .updated_at = row.int64(first + 9),
  };
}

user read_user(const statement& row) { return read_user_from(row, 0); }

constexpr std::string_view session_columns =
    "id, token_hash, user_id, csrf_token, created_at, last_seen_at, expires_at, client_address, user_agent";

session read_session(const statement& row) {
  return session{
      .id = row.int64(0),
      .token_hash = row.text(1),
      .user_id = row.int64(2),
      .csrf_token = row.text(3),
      .created_at = row.int64(4),
      .last_seen_at = row.int64(5),
      .expires_at = row.int64(6),
      .client_address = row.text(7),
      .user_agent = row.text(8),
  };
}

constexpr std::string_view audit_columns =
    "id, at, actor_id, actor_name, action, target, success, client_address, detail";

audit_entry read_audit_entry(const statement& row) {
  return audit_entry{
      .id = row.int64(0),
      .at = row.int64(1),
      .actor_id = row.optional_int64(2),
      .actor_name = row.text(3),
      .action = row.text(4),
      .target = row.text(5),
      .success = row.boolean(6),
      .client_address = row.text(7),
      .detail = row.text(8),
  };
}

template <class Value>
void update_user_column(sqlite::connection& db, std::int64_t id, std::string_view column, const Value& value,
                        std::int64_t now) {
  std::string sql = "UPDATE users SET ";
  sql.append(column).append(" = ?, updated_at = ? WHERE id = ?");
  statement st(db, sql);
  if (st.bind(value, now, id).run() == 0) throw error{errc::not_found, "user not found"};
}

}  // namespace

sqlite_store::sqlite_store(const std::string& path, const clock& clk, int pool_size, int busy_timeout_ms)
    : pool_(std::make_unique<sqlite::connection_pool>(path, pool_size, busy_timeout_ms)), clock_(clk) {}

sqlite_store::~sqlite_store() = default;

int sqlite_store::migrate() { return migrate(builtin_migrations()); }

int sqlite_store::migrate(std::span<const migration> list) {
  check_order(list);
  const auto conn = pool_->borrow();
  auto& db = conn.get();
  // Only a first run takes the write lock here: gateways starting against a migrated database just read.
  if (!has_schema_migrations(db)) {
    write_transaction tx(db);
    exec(db, std::string(schema_migrations_table));
    tx.commit();
  }
  const std::set<int> applied_before = applied_versions(db);
  int applied = 0;
  for (const migration& m : list) {
    if (applied_before.contains(m.version)) continue;
    const std::string sql = render(m, dialect::sqlite);
    try {
      write_transaction tx(db);
      // Another process may have applied it between our look and taking the write lock.
      if (applied_versions(db).contains(m.version)) continue;
      exec(db, sql);
      statement(db, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)")
          .bind(m.version, m.name, clock_.now())
          .run();
      tx.commit();
    } catch (const error& e) {
      throw error{e.code(), "migration " + std::to_string(m.version) + " (" + std::string(m.name) +
                                ") failed and was rolled back: " + e.what()};
    }
    ++applied;
  }
  return applied;
}

int sqlite_store::schema_version() {
  const auto conn = pool_->borrow();
  if (!has_schema_migrations(conn.get())) return 0;
  statement st(conn.get(), "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  return static_cast<int>(*single_row(st, [](const statement& row) { return row.int64(0); }));
}

bool sqlite_store::ping() {
  try {
    const auto conn = pool_->borrow();
    statement st(conn.get(), "SELECT 1");
    return single_row(st, [](const statement& row) { return row.int64(0); }) == 1;
  } catch (const error&) {
    return false;
  }
}

user sqlite_store::create_user(const new_user& u) {
  const std::int64_t now = clock_.now();
  const auto conn = pool_->borrow();
  statement st(conn.get(), returning("INSERT INTO users (username, display_name, email, role, password_hash, "
                                     "oidc_subject, disabled, created_at, updated_at) "
                                     "VALUES (?, ?, ?, ?, ?, ?, FALSE, ?, ?)",
                                     user_columns));
  st.bind(u.username, u.display_name, u.email, to_string(u.user_role), null_if_empty(u.password_hash),
          null_if_empty(u.oidc_subject), now, now);
  return *single_row(st, read_user);
}

std::optional<user> sqlite_store::find_user(std::int64_t id) {
  const auto conn = pool_->borrow();
  statement st(conn.get(), select_from(user_columns, "users WHERE id = ?"));
  return single_row(st.bind(id), read_user);
}

std::optional<user> sqlite_store::find_user_by_username(std::string_view username) {
  const auto conn = pool_->borrow();
  statement st(conn.get(), select_from(user_columns, "users WHERE username = ?"));
  return single_row(st.bind(username), read_user);
}

std::vector<user> sqlite_store::list_users() {
  const auto conn = pool_->borrow();
  statement st(conn.get(), select_from(user_columns, "users ORDER BY id"));
  return all_rows(st, read_user);
}

std::vector<user> sqlite_store::list_group_members(std::int64_t group_id) {
  const auto conn = pool_->borrow();
  statement st(conn.get(), select_from(user_columns,
                                       "users WHERE id IN (SELECT user_id FROM group_members WHERE group_id = ?) "
                                       "ORDER BY display_name, username, id"));
  return all_rows(st.bind(group_id), read_user);
}

void sqlite_store::set_user_password(std::int64_t id, std::string_view password_hash) {
  const auto conn = pool_->borrow();
  update_user_column(conn.get(), id, "password_hash", null_if_empty(password_hash), clock_.now());
}

void sqlite_store::set_user_role(std::int64_t id, role r) {
  const auto conn = pool_->borrow();
  update_user_column(conn.get(), id, "role", to_string(r), clock_.now());
}

void sqlite_store::set_user_disabled(std::int64_t id, bool disabled) {
  const auto conn = pool_->borrow();
  update_user_column(conn.get(), id, "disabled", disabled, clock_.now());
}

std::int64_t sqlite_store::count_admins() {
  const auto conn = pool_->borrow();
  statement st(conn.get(), "SELECT COUNT(*) FROM users WHERE role = 'admin' AND disabled = FALSE");
  return *single_row(st, [](const statement& row) { return row.int64(0); });
}

std::optional<user> sqlite_store::find_user_by_oidc_subject(std::string_view subject) {
  const auto conn = pool_->borrow();
  statement st(conn.get(), select_from(user_columns, "users WHERE oidc_subject = ?"));
  return single_row(st.bind(subject), read_user);
}

void sqlite_store::update_user_profile(std::int64_t id, std::string_view username, std::string_view display_name,
                                       std::string_view email) {
  const auto conn = pool_->borrow();
  statement st(conn.get(), "UPDATE users SET username = ?, display_name = ?, email = ?, updated_at = ? WHERE id = ?");
  if (st.bind(username, display_name, email, clock_.now(), id).run() == 0) {
    throw error{errc::not_found, "user not found"};
  }
}

session sqlite_store::create_session(const session& s) {
  const auto conn = pool_->borrow();
  statement st(conn.get(), returning("INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, "
                                     "last_seen_at, expires_at, client_address, user_agent) "
                                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                                     session_columns));
  st.bind(s.token_hash, s.user_id, s.csrf_token, s.created_at, s.last_seen_at, s.expires_at, s.client_address,
          s.user_agent);
  return *single_row(st, read_session);
}

std::optional<session> sqlite_store::find_session(std::string_view token_hash) {
  const auto conn = pool_->borrow();
  statement st(conn.get(), select_from(session_columns, "sessions WHERE token_hash = ?"));
  return single_row(st.bind(token_hash), read_session);
}

std::optional<session> sqlite_store::find_session_by_id(std::int64_t id) {
  const auto conn = pool_->borrow();
  statement st(conn.get(), select_from(session_columns, "sessions WHERE id = ?"));
  return single_row(st.bind(id), read_session);
}

std::optional<session_with_user> sqlite_store::find_session_with_user(std::string_view token_hash) {
  static const std::string sql = select_from(qualified(session_columns, "s") + ", " + qualified(user_columns, "u"),
                                             "sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?");
  const auto conn = pool_->borrow();
  statement st(conn.get(), sql);
  return single_row(st.bind(token_hash), [](const statement& row) {
    return session_with_user{read_session(row), read_user_from(row, sqlite::column_count(session_columns))};
  });
}

void sqlite_store::touch_session(std::int64_t id, std::int64_t last_seen_at) {
  // MAX: concurrent requests of one session may finish out of order; last seen never moves backwards.
  const auto conn = pool_->borrow();
  statement(conn.get(), "UPDATE sessions SET last_seen_at = MAX(last_seen_at, ?) WHERE id = ?")
      .bind(last_seen_at, id)
      .run();
}

void sqlite_store::delete_session(std::int64_t id) {
  const auto conn = pool_->borrow();
  statement(conn.get(), "DELETE FROM sessions WHERE id = ?").bind(id).run();
}

int sqlite_store::delete_sessions_of_user(std::int64_t user_id) {
  const auto conn = pool_->borrow();
  return statement(conn.get(), "DELETE FROM sessions WHERE user_id = ?").bind(user_id).run();
}

int sqlite_store::purge_expired_sessions(std::int64_t now, std::int64_t idle_seconds) {
  const auto conn = pool_->borrow();
  return statement(conn.get(), "DELETE FROM sessions WHERE expires_at <= ? OR last_seen_at <= ?")
      .bind(now, now - idle_seconds)
      .run();
}

void sqlite_store::append_audit(const audit_entry& e) {
  const std::int64_t at = e.at != 0 ? e.at : clock_.now();
  const auto conn = pool_->borrow();
  statement(conn.get(),
            "INSERT INTO audit_log (at, actor_id, actor_name, action, target, success, client_address, detail) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
      .bind(at, e.actor_id, e.actor_name, e.action, e.target, e.success, e.client_address, e.detail)
      .run();
}

std::vector<audit_entry> sqlite_store::list_audit(int limit, std::int64_t before_id) {
  // "id < ?" with the largest id instead of a special case for 0 keeps one query that walks the primary
  // key backwards, so a deep page costs the same as the first.
  const std::int64_t before = before_id > 0 ? before_id : std::numeric_limits<std::int64_t>::max();
  const auto conn = pool_->borrow();
  statement st(conn.get(), select_from(audit_columns, "audit_log WHERE id < ? ORDER BY id DESC LIMIT ?"));
  return all_rows(st.bind(before, std::clamp(limit, 1, 1000)), read_audit_entry);
}

// ---- OpenID Connect sign-ins in flight ----

void sqlite_store::create_oidc_login(const oidc_login_request& r) {
  const auto conn = pool_->borrow();
  statement(conn.get(),
            "INSERT INTO oidc_logins (state_hash, browser_hash, nonce, code_verifier, next_path, created_at, "
            "expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)")
      .bind(r.state_hash, r.browser_hash, r.nonce, r.code_verifier, r.next_path, r.created_at, r.expires_at)
      .run();
}

std::optional<oidc_login_request> sqlite_store::take_oidc_login(std::string_view state_hash) {
  const auto conn = pool_->borrow();
  statement st(conn.get(),
               "DELETE FROM oidc_logins WHERE state_hash = ? "
               "RETURNING state_hash, browser_hash, nonce, code_verifier, next_path, created_at, expires_at");
  return single_row(st.bind(state_hash), [](const statement& row) {
    return oidc_login_request{
        .state_hash = row.text(0),
        .browser_hash = row.text(1),
        .nonce = row.text(2),
        .code_verifier = row.text(3),
        .next_path = row.text(4),
        .created_at = row.int64(5),
        .expires_at = row.int64(6),
    };
  });
}

int sqlite_store::purge_oidc_logins(std::int64_t now) {
  const auto conn = pool_->borrow();
  return statement(conn.get(), "DELETE FROM oidc_logins WHERE expires_at <= ?").bind(now).run();
}

std::optional<std::string> sqlite_store::get_setting(std::string_view key) {
  const auto conn = pool_->borrow();
  statement st(conn.get(), "SELECT value FROM settings WHERE key = ?");
  return single_row(st.bind(key), [](const statement& row) { return row.text(0); });
}

void sqlite_store::put_setting(std::string_view key, std::string_view value) {
  const auto conn = pool_->borrow();
  statement(conn.get(),
            "INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at")
      .bind(key, value, clock_.now())
      .run();
}

}  // namespace deskgate
