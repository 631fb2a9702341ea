// The SQLite implementation of the store: the embedded default. A few connections in a pool (WAL lets
// readers run beside the one writer), every value passed as a bound parameter, writes that belong
// together in BEGIN IMMEDIATE transactions. sqlite3.h stays out of this header on purpose: the internals
// live in sqlite_db.hpp, the methods in sqlite_store.cpp (migrator, accounts) and sqlite_desktops.cpp.
#pragma once

#include <memory>
#include <span>
#include <string>

#include "store/migrations.hpp"
#include "store/store.hpp"

namespace deskgate {

namespace sqlite {
class connection_pool;
}

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
  std::optional<user> find_user_by_oidc_subject(std::string_view subject) override;
  void update_user_profile(std::int64_t id, std::string_view username, std::string_view display_name,
                           std::string_view email) override;

  session create_session(const session& s) override;
  std::optional<session> find_session(std::string_view token_hash) override;
  std::optional<session> find_session_by_id(std::int64_t id) override;
  std::optional<session_with_user> find_session_with_user(std::string_view token_hash) override;
  void touch_session(std::int64_t id, std::int64_t last_seen_at) override;
  void delete_session(std::int64_t id) override;
  int delete_sessions_of_user(std::int64_t user_id) override;
  int purge_expired_sessions(std::int64_t now, std::int64_t idle_seconds) override;

  // An entry with `at == 0` is stamped with the store's clock.
  void append_audit(const audit_entry& e) override;
  std::vector<audit_entry> list_audit(int limit, std::int64_t before_id = 0) override;

  // Desktop types: created_at/updated_at come from the store's clock. delete_desktop_type of an unknown id
  // does nothing; while desktops of the type exist it throws errc::conflict and deletes nothing.
  desktop_type create_desktop_type(const desktop_type& t) override;
  void update_desktop_type(const desktop_type& t) override;
  std::optional<desktop_type> find_desktop_type(std::int64_t id) override;
  std::optional<desktop_type> find_desktop_type_by_slug(std::string_view slug) override;
  std::vector<desktop_type> list_desktop_types() override;
  void delete_desktop_type(std::int64_t id) override;
  std::vector<desktop_type> list_desktop_types_for(std::int64_t user_id) override;

  // set_group_members throws errc::not_found for an unknown group and errc::conflict for an unknown user
  // (then nothing changes).
  group upsert_group(std::string_view external_id, std::string_view name) override;
  group create_group(std::string_view external_id, std::string_view name) override;
  std::optional<group> find_group(std::int64_t id) override;
  std::vector<group> list_groups() override;
  void delete_group(std::int64_t id) override;
  std::vector<user> list_group_members(std::int64_t group_id) override;
  bool is_group_member(std::int64_t group_id, std::int64_t user_id) override;
  bool shares_group(std::int64_t user_a, std::int64_t user_b) override;
  void set_group_members(std::int64_t group_id, const std::vector<std::int64_t>& user_ids) override;
  // Throws errc::conflict for an unknown user or group (then nothing changes).
  void set_user_groups(std::int64_t user_id, const std::vector<std::int64_t>& group_ids) override;
  std::vector<group> list_groups_of(std::int64_t user_id) override;
  // An assignment with `created_at == 0` is stamped with the store's clock (updated_at likewise).
  assignment create_assignment(const assignment& a) override;
  void update_assignment(const assignment& a) override;
  void delete_assignment(std::int64_t id) override;
  std::optional<assignment> find_assignment(std::int64_t id) override;
  std::vector<assignment> list_assignments(std::optional<std::int64_t> created_by) override;
  std::vector<assignment> list_assignments_for(std::int64_t user_id) override;
  bool assignment_includes(std::int64_t assignment_id, std::int64_t user_id) override;

  // A desktop with `created_at == 0` is stamped with the store's clock. update_desktop throws
  // errc::not_found for an unknown id; delete_desktop of an unknown id does nothing.
  desktop create_desktop(const desktop& d) override;
  std::optional<desktop> find_desktop(std::int64_t id) override;
  std::optional<desktop> find_desktop_by_public_id(std::string_view public_id) override;
  std::optional<desktop_with_type> find_desktop_with_type(std::string_view public_id) override;
  std::optional<desktop> find_desktop_of(std::int64_t user_id, std::int64_t desktop_type_id) override;
  std::vector<desktop> list_desktops() override;
  std::vector<desktop> list_desktops_of(std::int64_t user_id) override;
  bool transition_desktop(std::int64_t id, std::vector<desktop_state> from, desktop_state to,
                          const desktop_changes& changes = {}) override;
  // The counts include the desktop being moved whenever its current state is active, so moving an
  // active desktop to another active state is refused at the limit. Callers use it for stopped/error ->
  // creating, where the desktop is not active and so not counted.
  bool transition_desktop_within_limits(std::int64_t id, std::vector<desktop_state> from, desktop_state to,
                                        int max_per_user, int max_total) override;
  void update_desktop(std::int64_t id, const desktop_changes& changes) override;
  void delete_desktop(std::int64_t id) override;
  std::vector<desktop> list_group_desktops(std::int64_t group_id) override;
  std::int64_t count_active_desktops(std::optional<std::int64_t> user_id) override;

  // `usable` runs with no connection borrowed and no transaction open (it may bind sockets, and may even
  // call this store). A desktop that already holds a port on `backend_host` gets that port back, even if
  // it lies outside [first, last]; port 0 is never allocated.
  std::optional<std::uint16_t> allocate_port(std::string_view backend_host, std::uint16_t first, std::uint16_t last,
                                             std::int64_t desktop_id,
                                             const std::function<bool(std::uint16_t)>& usable) override;
  // The lowest port the desktop holds on any host.
  std::optional<std::uint16_t> port_of(std::int64_t desktop_id) override;
  void release_ports(std::int64_t desktop_id) override;

  void create_oidc_login(const oidc_login_request& r) override;
  std::optional<oidc_login_request> take_oidc_login(std::string_view state_hash) override;
  int purge_oidc_logins(std::int64_t now) override;

  std::optional<std::string> get_setting(std::string_view key) override;
  void put_setting(std::string_view key, std::string_view value) override;

 private:
  std::unique_ptr<sqlite::connection_pool> pool_;
  const clock& clock_;
};

}  // namespace deskgate
