// The SQLite store: RAII wrappers for connections and statements, the connection pool, the mapping of
// SQLite failures onto deskgate::errc, the migrator, and one row -> struct function per record type.
#include "store/sqlite/sqlite_store.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <set>
#include <type_traits>
#include <utility>

#include "core/clock.hpp"
#include "core/error.hpp"

namespace deskgate {
namespace {

struct connection_closer {
  void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};
using connection = std::unique_ptr<sqlite3, connection_closer>;

struct statement_finalizer {
  void operator()(sqlite3_stmt* st) const noexcept { sqlite3_finalize(st); }
};

struct unique_column_message {
  std::string_view columns;  // as SQLite names them after "UNIQUE constraint failed: "
  std::string_view message;
};

// SQLite names the violated columns, never the values, so these messages cannot leak a secret.
constexpr std::array unique_column_messages = {
    unique_column_message{"users.username", "username already exists"},
    unique_column_message{"users.oidc_subject", "this OIDC account is already linked to another user"},
    unique_column_message{"sessions.token_hash", "session token already exists"},
    unique_column_message{"groups.external_id", "group already exists"},
    unique_column_message{"group_members.group_id, group_members.user_id", "user is already in this group"},
    unique_column_message{"desktop_types.slug", "desktop type slug already exists"},
    unique_column_message{"desktops.public_id", "desktop id already exists"},
    unique_column_message{"desktops.user_id, desktops.desktop_type_id", "user already has a desktop of this type"},
    unique_column_message{"port_allocations.backend_host, port_allocations.port", "port is already allocated"},
    unique_column_message{"settings.key", "setting already exists"},
};

std::string conflict_message(int rc, std::string_view detail) {
  switch (rc) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY: {
      const std::size_t colon = detail.find(": ");
      const std::string_view columns = colon == std::string_view::npos ? detail : detail.substr(colon + 2);
      for (const auto& known : unique_column_messages) {
        if (known.columns == columns) return std::string(known.message);
      }
      return "already exists (" + std::string(detail) + ")";
    }
    case SQLITE_CONSTRAINT_FOREIGNKEY:
      return "refers to a record that does not exist, or the record is still referenced";
    default:
      return "not allowed by the database: " + std::string(detail);
  }
}

errc code_for(int rc) {
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
      return errc::conflict;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
    case SQLITE_PROTOCOL:
      return errc::unavailable;
    default:
      return errc::internal;
  }
}

// Turns the failure `rc` just reported on `db` into a deskgate::error. Every value is a bound parameter,
// so sqlite3_errmsg can name tables, columns and SQL tokens but never a value (a hash, a password).
[[noreturn]] void raise(sqlite3* db, int rc) {
  const std::string_view detail = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  const errc code = code_for(rc);
  if (code == errc::conflict) throw error{code, conflict_message(rc, detail)};
  throw error{code, "database error: " + std::string(detail)};
}

void exec(sqlite3* db, const std::string& sql) {
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) raise(db, rc);
}

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};

// A prepared statement; values go in only through bind().
class statement {
 public:
  statement(sqlite3* db, std::string_view sql) : db_(db) {
    sqlite3_stmt* raw = nullptr;
    const int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), 0, &raw, nullptr);
    stmt_.reset(raw);
    if (rc != SQLITE_OK) raise(db, rc);
  }

  // Binds `values` to the parameters in order: integers, bool, text (anything convertible to
  // std::string_view), and std::optional of those, where nullopt binds NULL.
  template <class... Values>
  statement& bind(const Values&... values) {
    int index = 0;
    (bind_one(++index, values), ...);
    return *this;
  }

  // True while a row is available; throws on failure.
  bool step() {
    const int rc = sqlite3_step(stmt_.get());
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    raise(db_, rc);
  }

  // Runs to completion; returns the number of rows the statement changed.
  int run() {
    while (step()) {
    }
    return sqlite3_changes(db_);
  }

  std::int64_t int64(int column) const { return sqlite3_column_int64(stmt_.get(), column); }
  bool boolean(int column) const { return int64(column) != 0; }
  bool is_null(int column) const { return sqlite3_column_type(stmt_.get(), column) == SQLITE_NULL; }
  std::optional<std::int64_t> optional_int64(int column) const {
    if (is_null(column)) return std::nullopt;
    return int64(column);
  }
  // NULL reads as "".
  std::string text(int column) const {
    const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(stmt_.get(), column));
    if (data == nullptr) return {};
    return {data, static_cast<std::size_t>(sqlite3_column_bytes(stmt_.get(), column))};
  }

 private:
  template <class T>
  void bind_one(int index, const T& value) {
    int rc;
    if constexpr (is_optional<T>::value) {
      if (value) return bind_one(index, *value);
      rc = sqlite3_bind_null(stmt_.get(), index);
    } else if constexpr (std::is_same_v<T, bool>) {
      rc = sqlite3_bind_int(stmt_.get(), index, value ? 1 : 0);
    } else if constexpr (std::is_integral_v<T>) {
      rc = sqlite3_bind_int64(stmt_.get(), index, static_cast<sqlite3_int64>(value));
    } else {
      const std::string_view text = value;
      // A default-constructed string_view has no data pointer, which SQLite would bind as NULL.
      rc = sqlite3_bind_text64(stmt_.get(), index, text.data() != nullptr ? text.data() : "", text.size(),
                               SQLITE_TRANSIENT, SQLITE_UTF8);
    }
    if (rc != SQLITE_OK) raise(db_, rc);
  }

  sqlite3* db_;
  std::unique_ptr<sqlite3_stmt, statement_finalizer> stmt_;
};

// The rows of `st`, each mapped by `read`.
template <class Read>
auto all_rows(statement& st, Read read) {
  std::vector<decltype(read(st))> rows;
  while (st.step()) rows.push_back(read(st));
  return rows;
}

// The first row of `st`, if any. Steps to the end, so an autocommit write (INSERT ... RETURNING) commits
// here, where a failure can still be reported, rather than silently when the statement is finalized.
template <class Read>
auto single_row(statement& st, Read read) -> std::optional<decltype(read(st))> {
  std::optional<decltype(read(st))> row;
  if (st.step()) row = read(st);
  st.run();
  return row;
}

// BEGIN IMMEDIATE takes the write lock up front, so a concurrent writer waits on the busy timeout here
// instead of failing with SQLITE_BUSY when a read transaction later tries to become a write.
class write_transaction {
 public:
  explicit write_transaction(sqlite3* db) : db_(db) { exec(db_, "BEGIN IMMEDIATE"); }
  write_transaction(const write_transaction&) = delete;
  write_transaction& operator=(const write_transaction&) = delete;
  ~write_transaction() {
    // SQLite may already have rolled back by itself (e.g. on SQLITE_FULL); a second ROLLBACK would fail.
    if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  void commit() { exec(db_, "COMMIT"); }

 private:
  sqlite3* db_;
};

connection open_connection(const std::string& path, bool in_memory, int busy_timeout_ms) {
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  connection db(raw);
  try {
    if (rc != SQLITE_OK) raise(db.get(), rc);
    sqlite3_extended_result_codes(db.get(), 1);
    sqlite3_busy_timeout(db.get(), busy_timeout_ms);
    // WAL is a property of the file (in-memory databases cannot use it); the rest is per connection.
    if (!in_memory) exec(db.get(), "PRAGMA journal_mode = WAL");
    exec(db.get(), "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL");
  } catch (const error& e) {
    throw error{errc::unavailable, "cannot open database " + path + ": " + e.what()};
  }
  return db;
}

constexpr std::string_view schema_migrations_table = R"sql(
CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER NOT NULL PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at BIGINT NOT NULL
))sql";

bool has_schema_migrations(sqlite3* db) {
  statement st(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'");
  return single_row(st, [](const statement&) { return true; }).has_value();
}

std::set<int> applied_versions(sqlite3* db) {
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

// Optional text the schema keeps as NULL (UNIQUE and CHECK constraints then skip it); "" in the structs.
std::optional<std::string_view> null_if_empty(std::string_view text) {
  if (text.empty()) return std::nullopt;
  return text;
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

user read_user(const statement& row) {
  return user{
      .id = row.int64(0),
      .username = row.text(1),
      .display_name = row.text(2),
      .email = row.text(3),
      .user_role = role_column(row, 4),
      .password_hash = row.text(5),
      .oidc_subject = row.text(6),
      .disabled = row.boolean(7),
      .created_at = row.int64(8),
      .updated_at = row.int64(9),
  };
}

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

// "SELECT <columns> FROM <rest>": the fragments are constants of this file, never values.
std::string select_from(std::string_view columns, std::string_view rest) {
  std::string sql = "SELECT ";
  sql.append(columns).append(" FROM ").append(rest);
  return sql;
}

std::string returning(std::string_view insert, std::string_view columns) {
  std::string sql(insert);
  sql.append(" RETURNING ").append(columns);
  return sql;
}

template <class Value>
void update_user_column(sqlite3* db, std::int64_t id, std::string_view column, const Value& value,
                        std::int64_t now) {
  std::string sql = "UPDATE users SET ";
  sql.append(column).append(" = ?, updated_at = ? WHERE id = ?");
  statement st(db, sql);
  if (st.bind(value, now, id).run() == 0) throw error{errc::not_found, "user not found"};
}

}  // namespace

// Connections are handed out one caller at a time (SQLITE_OPEN_NOMUTEX relies on that); a caller finding
// none idle waits until one is returned.
class sqlite_store::connection_pool {
 public:
  class lease {
   public:
    lease(connection_pool& pool, connection db) : pool_(&pool), db_(std::move(db)) {}
    lease(lease&&) = default;
    lease& operator=(lease&&) = delete;
    ~lease() {
      if (db_) pool_->give_back(std::move(db_));
    }
    sqlite3* get() const { return db_.get(); }

   private:
    connection_pool* pool_;
    connection db_;
  };

  connection_pool(const std::string& path, int pool_size, int busy_timeout_ms) {
    // A private in-memory database exists only inside the connection that opened it, so the pool holds
    // exactly that one and callers take turns.
    const bool in_memory = path == ":memory:";
    const int size = in_memory ? 1 : std::max(1, pool_size);
    for (int i = 0; i < size; ++i) idle_.push_back(open_connection(path, in_memory, busy_timeout_ms));
  }

  lease borrow() {
    std::unique_lock lock(mutex_);
    returned_.wait(lock, [this] { return !idle_.empty(); });
    connection db = std::move(idle_.back());
    idle_.pop_back();
    return {*this, std::move(db)};
  }

 private:
  void give_back(connection db) {
    {
      std::lock_guard lock(mutex_);
      idle_.push_back(std::move(db));
    }
    returned_.notify_one();
  }

  std::mutex mutex_;
  std::condition_variable returned_;
  std::vector<connection> idle_;
};

sqlite_store::sqlite_store(const std::string& path, const clock& clk, int pool_size, int busy_timeout_ms)
    : pool_(std::make_unique<connection_pool>(path, pool_size, busy_timeout_ms)), clock_(clk) {}

sqlite_store::~sqlite_store() = default;

int sqlite_store::migrate() { return migrate(builtin_migrations()); }

int sqlite_store::migrate(std::span<const migration> list) {
  check_order(list);
  const auto conn = pool_->borrow();
  sqlite3* db = conn.get();
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
