// The SQLite internals every part of sqlite_store shares: RAII connections and statements, the connection
// pool, BEGIN IMMEDIATE transactions and the mapping of SQLite failures onto deskgate::errc. Internal to
// src/store/sqlite/: only the sqlite_*.cpp files include it, so sqlite3.h stays out of everything else.
#pragma once

#include <sqlite3.h>

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <variant>
#include <vector>

#include "core/error.hpp"

namespace deskgate::sqlite {

struct statement_finalizer {
  void operator()(sqlite3_stmt* st) const noexcept { sqlite3_finalize(st); }
};
using prepared = std::unique_ptr<sqlite3_stmt, statement_finalizer>;

// Hashes std::string and std::string_view alike, so a cache keyed by std::string is searched without a copy.
struct text_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const noexcept { return std::hash<std::string_view>{}(text); }
};

// One open database and the statements prepared on it. Preparing (parsing and planning) costs more than
// running most of the store's queries, so each SQL text is prepared once per connection and kept; the
// statement class takes it out while in use and puts it back reset. A connection is used by one thread at a
// time (the pool's lease), so the cache needs no lock of its own.
class connection {
 public:
  explicit connection(sqlite3* db);
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;
  // Finalizes the kept statements first: sqlite3_close_v2 would otherwise leave the database open.
  ~connection();

  sqlite3* get() const noexcept { return db_; }
  // For exec(), raise() and write_transaction, which need only the handle.
  operator sqlite3*() const noexcept { return db_; }  // NOLINT(google-explicit-constructor)

 private:
  friend class statement;
  using cache = std::unordered_map<std::string, prepared, text_hash, std::equal_to<>>;

  // The statement for `sql`: the kept one, or (first use, or the kept one is in use right now) a new one.
  cache::node_type take(std::string_view sql);
  // Keeps `st` (already reset) unless one for its text is kept already or the cache is full.
  void put_back(cache::node_type st) noexcept;

  sqlite3* db_;
  cache cache_;
};

// A failure SQLite reported, already mapped onto deskgate::errc (constraint violations: errc::conflict).
// Callers that must tell one constraint from another (a lost race for a primary key, a row still
// referenced) look at the extended result code; everyone else catches deskgate::error.
class database_error : public error {
 public:
  database_error(errc code, std::string message, int sqlite_code, bool foreign_key)
      : error(code, std::move(message)), sqlite_code_(sqlite_code), foreign_key_(foreign_key) {}
  int sqlite_code() const noexcept { return sqlite_code_; }
  bool primary_key_violation() const noexcept { return sqlite_code_ == SQLITE_CONSTRAINT_PRIMARYKEY; }
  // A row that may not be deleted because another still refers to it (ON DELETE RESTRICT), or a row
  // that refers to one that does not exist.
  bool foreign_key_violation() const noexcept { return foreign_key_; }

 private:
  int sqlite_code_;
  bool foreign_key_;
};

// Turns the failure `rc` just reported on `db` into a database_error. Every value is a bound parameter,
// so sqlite3_errmsg can name tables, columns and SQL tokens but never a value (a hash, a password).
[[noreturn]] void raise(sqlite3* db, int rc);

// Runs `sql` (one or more statements without parameters: DDL, BEGIN, PRAGMA).
void exec(sqlite3* db, const std::string& sql);

// A value for a statement built at run time, where the number and kinds of parameters vary.
using sql_value = std::variant<std::int64_t, std::string>;

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};

// A prepared statement, taken from `db`'s cache for as long as this object lives; values go in only through
// bind() / bind_values(). It must not outlive the lease of `db`.
class statement {
 public:
  statement(connection& db, std::string_view sql);
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;
  // Resets the statement (ending any read it still holds open) and clears its bindings, then hands it back.
  ~statement();

  // Binds `values` to the parameters in order, from the first: integers, bool, text (anything
  // convertible to std::string_view), and std::optional of those, where nullopt binds NULL.
  template <class... Values>
  statement& bind(const Values&... values) {
    int index = 0;
    (bind_one(++index, values), ...);
    return *this;
  }

  // Binds `values` to the parameters in order, from the first.
  statement& bind_values(std::span<const sql_value> values) {
    int index = 0;
    for (const sql_value& value : values) {
      ++index;
      std::visit([&](const auto& v) { bind_one(index, v); }, value);
    }
    return *this;
  }

  // True while a row is available; throws on failure.
  bool step();

  // Runs to completion; returns the number of rows the statement changed.
  int run() {
    while (step()) {
    }
    return sqlite3_changes(db_);
  }

  std::int64_t int64(int column) const { return sqlite3_column_int64(stmt_, column); }
  double real(int column) const { return sqlite3_column_double(stmt_, column); }
  bool boolean(int column) const { return int64(column) != 0; }
  bool is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }
  std::optional<std::int64_t> optional_int64(int column) const {
    if (is_null(column)) return std::nullopt;
    return int64(column);
  }
  // NULL reads as "".
  std::string text(int column) const {
    const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
    if (data == nullptr) return {};
    return {data, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column))};
  }

 private:
  template <class T>
  void bind_one(int index, const T& value) {
    int rc;
    if constexpr (is_optional<T>::value) {
      if (value) return bind_one(index, *value);
      rc = sqlite3_bind_null(stmt_, index);
    } else if constexpr (std::is_same_v<T, bool>) {
      rc = sqlite3_bind_int(stmt_, index, value ? 1 : 0);
    } else if constexpr (std::is_integral_v<T>) {
      rc = sqlite3_bind_int64(stmt_, index, static_cast<sqlite3_int64>(value));
    } else if constexpr (std::is_floating_point_v<T>) {
      rc = sqlite3_bind_double(stmt_, index, static_cast<double>(value));
    } else {
      const std::string_view text = value;
      // A default-constructed string_view has no data pointer, which SQLite would bind as NULL.
      rc = sqlite3_bind_text64(stmt_, index, text.data() != nullptr ? text.data() : "", text.size(), SQLITE_TRANSIENT,
                               SQLITE_UTF8);
    }
    if (rc != SQLITE_OK) raise(db_, rc);
  }

  connection& db_;
  connection::cache::node_type node_;  // the SQL text and the prepared statement, while taken out
  sqlite3_stmt* stmt_;
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
// instead of failing with SQLITE_BUSY when a read transaction later tries to become a write. Everything
// read inside is therefore current until commit: no other writer can run in between.
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

// Connections are handed out one caller at a time (SQLITE_OPEN_NOMUTEX relies on that); a caller finding
// none idle waits until one is returned. A caller must not borrow a second connection while holding one:
// with every connection lent out that waits forever (and ":memory:" has exactly one).
class connection_pool {
 public:
  class lease {
   public:
    lease(connection_pool& pool, std::unique_ptr<connection> db) : pool_(&pool), db_(std::move(db)) {}
    lease(lease&&) = default;
    lease& operator=(lease&&) = delete;
    ~lease() {
      if (db_) pool_->give_back(std::move(db_));
    }
    connection& get() const { return *db_; }

   private:
    connection_pool* pool_;
    std::unique_ptr<connection> db_;  // on the heap: statements hold on to it while it moves in and out of the pool
  };

  // `path` is a database file or ":memory:" (a private database that lives only inside its single
  // connection, so the pool then holds exactly that one and callers take turns).
  connection_pool(const std::string& path, int pool_size, int busy_timeout_ms);

  lease borrow();

 private:
  void give_back(std::unique_ptr<connection> db);

  std::mutex mutex_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<connection>> idle_;
};

// Optional text the schema keeps as NULL (UNIQUE and CHECK constraints then skip it); "" in the structs.
std::optional<std::string_view> null_if_empty(std::string_view text);

// "SELECT <columns> FROM <rest>": the fragments are constants of the sqlite_*.cpp files, never values.
std::string select_from(std::string_view columns, std::string_view rest);

// How many columns a list "a, b, c" names.
constexpr int column_count(std::string_view columns) {
  return 1 + static_cast<int>(std::count(columns.begin(), columns.end(), ','));
}

// "a, b" of `table` → "t.a, t.b": the column lists of two tables in one join.
std::string qualified(std::string_view columns, std::string_view table);

// "<insert> RETURNING <columns>".
std::string returning(std::string_view insert, std::string_view columns);

}  // namespace deskgate::sqlite
