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

// More distinct texts than the store has queries: only statements built at run time (an UPDATE of the columns
// that changed) vary, and those few combinations beyond the cap are simply prepared each time.
constexpr std::size_t max_cached_statements = 256;

std::unique_ptr<connection> open_connection(const std::string& path, bool in_memory, int busy_timeout_ms) {
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  auto db = std::make_unique<connection>(raw);
  try {
    if (rc != SQLITE_OK) raise(*db, rc);
    sqlite3_extended_result_codes(*db, 1);
    sqlite3_busy_timeout(*db, busy_timeout_ms);
    // WAL is a property of the file (in-memory databases cannot use it); the rest is per connection.
    if (!in_memory) exec(*db, "PRAGMA journal_mode = WAL");
    exec(*db, "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL");
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

// Buckets for every statement that may be kept, so that put_back never rehashes (never allocates).
connection::connection(sqlite3* db) : db_(db) { cache_.reserve(max_cached_statements); }

connection::~connection() {
  cache_.clear();
  sqlite3_close_v2(db_);
}

connection::cache::node_type connection::take(std::string_view sql) {
  if (auto kept = cache_.find(sql); kept != cache_.end()) return cache_.extract(kept);
  sqlite3_stmt* raw = nullptr;
  // PERSISTENT: a hint that the statement is kept, so SQLite does not take its memory from the lookaside pool.
  const int rc =
      sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
  prepared st(raw);
  if (rc != SQLITE_OK) raise(db_, rc);
  // A node handle only comes out of a container: this one enters the cache only when handed back.
  cache scratch;
  return scratch.extract(scratch.emplace(std::string(sql), std::move(st)).first);
}

void connection::put_back(cache::node_type st) noexcept {
  if (cache_.size() < max_cached_statements) cache_.insert(std::move(st));  // a duplicate text stays in `st`
}

statement::statement(connection& db, std::string_view sql)
    : db_(db), node_(db.take(sql)), stmt_(node_.mapped().get()) {}

statement::~statement() {
  // The result of sqlite3_reset repeats the last step's error, which step() has already thrown.
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  db_.put_back(std::move(node_));
}

bool statement::step() {
  const int rc = sqlite3_step(stmt_);
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
  auto db = std::move(idle_.back());
  idle_.pop_back();
  return {*this, std::move(db)};
}

void connection_pool::give_back(std::unique_ptr<connection> db) {
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

std::string qualified(std::string_view columns, std::string_view table) {
  std::string sql;
  for (std::string_view rest = columns; !rest.empty();) {
    const std::size_t comma = rest.find(", ");
    if (!sql.empty()) sql.append(", ");
    sql.append(table).append(".").append(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 2);
  }
  return sql;
}

std::string returning(std::string_view insert, std::string_view columns) {
  std::string sql(insert);
  sql.append(" RETURNING ").append(columns);
  return sql;
}

}  // namespace deskgate::sqlite
