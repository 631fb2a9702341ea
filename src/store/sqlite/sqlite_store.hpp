// The SQLite implementation of the store: the embedded default. A few connections in a pool (WAL lets
// readers run beside the one writer), every value passed as a bound parameter, writes that belong
// together in BEGIN IMMEDIATE transactions. sqlite3.h stays out of this header on purpose.
#pragma once

#include <memory>
#include <span>
#include <string>

#include "store/migrations.hpp"
#include "store/store.hpp"

namespace deskgate {

class sqlite_store final : public store {
 public:
  // `path` is a database file (created if missing; its folder must exist) or ":memory:", a private
  // database that lives only inside its single connection. Throws error{errc::unavailable} when the
  // database cannot be opened.
  sqlite_store(const std::string& path, const clock& clk, int pool_size, int busy_timeout_ms);
  ~sqlite_store() override;

  int migrate() override;
  // Applies `list` instead of builtin_migrations(): tests inject failing migrations through this.
  // Versions must be positive and strictly ascending (error{errc::internal} otherwise).
  int migrate(std::span<const migration> list);
  int schema_version() override;
  bool ping() override;

  user create_user(const new_user& u) override;
  std::optional<user> find_user(std::int64_t id) override;
  std::optional<user> find_user_by_username(std::string_view username) override;
  std::vector<user> list_users() override;
  // The setters throw error{errc::not_found} when no user has `id`. An empty password hash removes the
  // local password (the account then signs in through OIDC only).
  void set_user_password(std::int64_t id, std::string_view password_hash) override;
  void set_user_role(std::int64_t id, role r) override;
  void set_user_disabled(std::int64_t id, bool disabled) override;
  std::int64_t count_admins() override;

  session create_session(const session& s) override;
  std::optional<session> find_session(std::string_view token_hash) override;
  void touch_session(std::int64_t id, std::int64_t last_seen_at) override;
  void delete_session(std::int64_t id) override;
  int delete_sessions_of_user(std::int64_t user_id) override;
  int purge_expired_sessions(std::int64_t now, std::int64_t idle_seconds) override;

  // An entry with `at == 0` is stamped with the store's clock.
  void append_audit(const audit_entry& e) override;
  std::vector<audit_entry> list_audit(int limit, std::int64_t before_id = 0) override;

  std::optional<std::string> get_setting(std::string_view key) override;
  void put_setting(std::string_view key, std::string_view value) override;

 private:
  class connection_pool;

  std::unique_ptr<connection_pool> pool_;
  const clock& clock_;
};

}  // namespace deskgate
