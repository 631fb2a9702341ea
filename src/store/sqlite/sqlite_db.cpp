// The SQLite internals shared by sqlite_store's files: opening connections, the pool, statements, and
// the one place where SQLite result codes become deskgate::errc with a message fit to show a user.
#include "store/sqlite/sqlite_db.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace deskgate::sqlite {
namespace {

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

constexpr std::string_view foreign_key_failed = "FOREIGN KEY constraint failed";

// SQLite enforces ON DELETE RESTRICT through an internal trigger, so that violation arrives as
// SQLITE_CONSTRAINT_TRIGGER with the foreign key message rather than as SQLITE_CONSTRAINT_FOREIGNKEY.
bool is_foreign_key_failure(int rc, std::string_view detail) {
  return rc == SQLITE_CONSTRAINT_FOREIGNKEY || (rc == SQLITE_CONSTRAINT_TRIGGER && detail == foreign_key_failed);
}

std::string conflict_message(int rc, std::string_view detail) {
  if (is_foreign_key_failure(rc, detail)) {
    return "refers to a record that does not exist, or the record is still referenced";
  }
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

}  // namespace

void raise(sqlite3* db, int rc) {
  const std::string_view detail = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  const errc code = code_for(rc);
  const bool foreign_key = is_foreign_key_failure(rc, detail);
  if (code == errc::conflict) throw database_error{code, conflict_message(rc, detail), rc, foreign_key};
  throw database_error{code, "database error: " + std::string(detail), rc, foreign_key};
}

void exec(sqlite3* db, const std::string& sql) {
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) raise(db, rc);
}

statement::statement(sqlite3* db, std::string_view sql) : db_(db) {
  sqlite3_stmt* raw = nullptr;
  const int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), 0, &raw, nullptr);
  stmt_.reset(raw);
  if (rc != SQLITE_OK) raise(db, rc);
}

bool statement::step() {
  const int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  raise(db_, rc);
}

connection_pool::connection_pool(const std::string& path, int pool_size, int busy_timeout_ms) {
  const bool in_memory = path == ":memory:";
  const int size = in_memory ? 1 : std::max(1, pool_size);
  for (int i = 0; i < size; ++i) idle_.push_back(open_connection(path, in_memory, busy_timeout_ms));
}

connection_pool::lease connection_pool::borrow() {
  std::unique_lock lock(mutex_);
  returned_.wait(lock, [this] { return !idle_.empty(); });
  connection db = std::move(idle_.back());
  idle_.pop_back();
  return {*this, std::move(db)};
}

void connection_pool::give_back(connection db) {
  {
    std::lock_guard lock(mutex_);
    idle_.push_back(std::move(db));
  }
  returned_.notify_one();
}

std::optional<std::string_view> null_if_empty(std::string_view text) {
  if (text.empty()) return std::nullopt;
  return text;
}

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

}  // namespace deskgate::sqlite
