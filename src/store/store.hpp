// The store: every piece of persistent state behind one interface, one implementation per database engine
// (store/sqlite/ now, store/postgresql/ for several gateways later). Calls block: callers run them on the
// worker pool, never on an I/O thread. Constraint violations surface as deskgate::error{errc::conflict}.
#pragma once

#include <cstdint>
#include <functional>
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

enum class desktop_state { creating, starting, running, stopping, stopped, error };
std::string_view to_string(desktop_state s);
std::optional<desktop_state> parse_desktop_state(std::string_view text);
// creating, starting, running, stopping: the desktop holds (or is about to hold) resources.
bool is_active(desktop_state s);

struct desktop_resources {
  double cpus = 0;  // 0: no limit
  std::int64_t memory_bytes = 0;
  std::int64_t shm_bytes = 0;
  std::int64_t pids = 0;
  bool operator==(const desktop_resources&) const = default;
};

struct desktop_type {
  std::int64_t id = 0;
  std::string slug;  // immutable once created
  std::string name;
  std::string description;
  std::string icon;
  std::string backend = "local";  // local | docker | static
  std::string backend_host;       // docker: which docker host
  std::string image;
  std::string command;
  std::string protocol = "vnc";  // vnc | websocket
  std::uint16_t port = 0;        // static: the server's port; docker: the port inside the container
  std::uint16_t http_port = 0;
  bool tls = false;
  bool tls_verify = true;
  std::string upstream_path;
  std::string auth_scheme = "vnc-password";  // vnc-password | basic | none
  std::string secret;                        // static: the server's password; never shown by the API
  std::string secret_env = "VNC_PW";
  desktop_resources resources;
  std::vector<std::pair<std::string, std::string>> environment;
  std::int64_t start_timeout_seconds = 0;  // 0: the configured default
  bool open_to_all = false;
  bool enabled = true;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
};

struct desktop {
  std::int64_t id = 0;
  std::string public_id;  // unguessable, used in URLs
  std::int64_t user_id = 0;
  std::int64_t desktop_type_id = 0;
  std::string backend_host;
  std::string container_id;
  desktop_state state = desktop_state::creating;
  std::string endpoint;  // "unix:/path" or "tcp:host:port"
  std::string secret;    // VNC / Basic password, server-side only
  std::string error;     // why it is in state error (or why it stopped)
  std::int64_t created_at = 0;
  std::optional<std::int64_t> started_at;
  std::optional<std::int64_t> stopped_at;
  std::optional<std::int64_t> last_active_at;
};

// Fields to change on a desktop row; unset ones stay as they are.
struct desktop_changes {
  std::optional<std::string> backend_host;
  std::optional<std::string> container_id;
  std::optional<std::string> endpoint;
  std::optional<std::string> secret;
  std::optional<std::string> error;
  std::optional<std::int64_t> started_at;
  std::optional<std::int64_t> stopped_at;
  std::optional<std::int64_t> last_active_at;
};

struct group {
  std::int64_t id = 0;
  std::string external_id;  // from the IdP, or "local:<name>" for groups an admin made
  std::string name;
  std::int64_t member_count = 0;  // filled in when read
};

// A sign-in through OpenID Connect between /api/auth/oidc/start and its callback: kept server-side so a
// state is used at most once and any gateway can finish what another started.
struct oidc_login_request {
  std::string state_hash;    // sha256 hex of the state sent to the IdP
  std::string browser_hash;  // sha256 hex of the token in the browser's deskgate_oidc cookie
  std::string nonce;
  std::string code_verifier;  // PKCE; lives only until the callback (or expiry)
  std::string next_path;      // where the browser goes after signing in (a local path)
  std::int64_t created_at = 0;
  std::int64_t expires_at = 0;
};

// What one request needs at once, read in one query: a session with its user (every authenticated
// request) and a desktop with its type (every WebSocket upgrade).
struct session_with_user {
  session sess;
  user owner;
};

struct desktop_with_type {
  desktop desk;
  desktop_type type;
};

// A desktop type given by a teacher to groups and/or users, with an optional folder of the teacher's home
// (a path relative to it) that the targeted users' desktops of the type show read-only.
struct assignment {
  std::int64_t id = 0;
  std::int64_t desktop_type_id = 0;
  std::string title;
  std::vector<std::int64_t> group_ids;  // ascending
  std::vector<std::int64_t> user_ids;   // ascending
  std::string folder;
  std::optional<std::int64_t> created_by;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
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
  virtual std::optional<user> find_user_by_oidc_subject(std::string_view subject) = 0;
  // Username, display name and email at once (an OIDC sign-in refreshes them). errc::conflict when the
  // username belongs to someone else, errc::not_found for an unknown id.
  virtual void update_user_profile(std::int64_t id, std::string_view username, std::string_view display_name,
                                   std::string_view email) = 0;

  // Sessions.
  virtual session create_session(const session& s) = 0;  // id filled in on return
  virtual std::optional<session> find_session(std::string_view token_hash) = 0;
  virtual std::optional<session> find_session_by_id(std::int64_t id) = 0;
  virtual std::optional<session_with_user> find_session_with_user(std::string_view token_hash) = 0;
  virtual void touch_session(std::int64_t id, std::int64_t last_seen_at) = 0;
  virtual void delete_session(std::int64_t id) = 0;
  virtual int delete_sessions_of_user(std::int64_t user_id) = 0;
  // Deletes sessions whose absolute expiry passed or that were idle longer than `idle_seconds`.
  virtual int purge_expired_sessions(std::int64_t now, std::int64_t idle_seconds) = 0;

  // Audit log, newest first; `before_id` pages backwards (0: from the newest).
  virtual void append_audit(const audit_entry& e) = 0;
  virtual std::vector<audit_entry> list_audit(int limit, std::int64_t before_id = 0) = 0;

  // Desktop types. create throws errc::conflict on a taken slug; update changes everything but the slug
  // (by id; errc::not_found); delete throws errc::conflict while desktops of the type exist.
  virtual desktop_type create_desktop_type(const desktop_type& t) = 0;
  virtual void update_desktop_type(const desktop_type& t) = 0;
  virtual std::optional<desktop_type> find_desktop_type(std::int64_t id) = 0;
  virtual std::optional<desktop_type> find_desktop_type_by_slug(std::string_view slug) = 0;
  virtual std::vector<desktop_type> list_desktop_types() = 0;  // by name
  virtual void delete_desktop_type(std::int64_t id) = 0;
  // Enabled types the user may use: open to all, or assigned to the user or to one of their groups.
  virtual std::vector<desktop_type> list_desktop_types_for(std::int64_t user_id) = 0;

  // Groups (synced from the IdP, or made by an admin) and assignments (made by teachers).
  virtual group upsert_group(std::string_view external_id, std::string_view name) = 0;
  // errc::conflict when the external id is taken.
  virtual group create_group(std::string_view external_id, std::string_view name) = 0;
  virtual std::optional<group> find_group(std::int64_t id) = 0;
  virtual std::vector<group> list_groups() = 0;    // all, by name
  virtual void delete_group(std::int64_t id) = 0;  // memberships and assignment targets go with it
  virtual std::vector<user> list_group_members(std::int64_t group_id) = 0;  // by display name
  virtual bool is_group_member(std::int64_t group_id, std::int64_t user_id) = 0;
  // True when some group has both users as members.
  virtual bool shares_group(std::int64_t user_a, std::int64_t user_b) = 0;
  virtual void set_group_members(std::int64_t group_id, const std::vector<std::int64_t>& user_ids) = 0;
  // Makes `group_ids` exactly the groups the user is a member of (the other members stay).
  virtual void set_user_groups(std::int64_t user_id, const std::vector<std::int64_t>& group_ids) = 0;
  virtual std::vector<group> list_groups_of(std::int64_t user_id) = 0;  // by name
  // create/update write the assignment with its targets in one transaction; errc::conflict for an unknown
  // type, group or user (then nothing changes). update changes everything but created_by/created_at
  // (errc::not_found for an unknown id) and stamps updated_at.
  virtual assignment create_assignment(const assignment& a) = 0;
  virtual void update_assignment(const assignment& a) = 0;
  virtual void delete_assignment(std::int64_t id) = 0;
  virtual std::optional<assignment> find_assignment(std::int64_t id) = 0;
  // All (nullopt) or those `created_by` made, by id.
  virtual std::vector<assignment> list_assignments(std::optional<std::int64_t> created_by) = 0;
  // Those that target the user, directly or through a group, by id.
  virtual std::vector<assignment> list_assignments_for(std::int64_t user_id) = 0;
  // True when the assignment names the user, or a group the user is a member of.
  virtual bool assignment_includes(std::int64_t assignment_id, std::int64_t user_id) = 0;

  // Desktops. create throws errc::conflict when the user already has one of that type.
  virtual desktop create_desktop(const desktop& d) = 0;
  virtual std::optional<desktop> find_desktop(std::int64_t id) = 0;
  virtual std::optional<desktop> find_desktop_by_public_id(std::string_view public_id) = 0;
  virtual std::optional<desktop_with_type> find_desktop_with_type(std::string_view public_id) = 0;
  virtual std::optional<desktop> find_desktop_of(std::int64_t user_id, std::int64_t desktop_type_id) = 0;
  virtual std::vector<desktop> list_desktops() = 0;  // all, oldest first
  virtual std::vector<desktop> list_desktops_of(std::int64_t user_id) = 0;
  // Compare-and-set: moves the desktop to `to` (applying `changes`) only if its state is one of `from`.
  // Returns false, changing nothing, otherwise. Concurrent callers: exactly one wins.
  virtual bool transition_desktop(std::int64_t id, std::vector<desktop_state> from, desktop_state to,
                                  const desktop_changes& changes = {}) = 0;
  // The same, and only while the owner has fewer than `max_per_user` and everyone together fewer than
  // `max_total` active desktops (is_active), checked in the same atomic statement.
  virtual bool transition_desktop_within_limits(std::int64_t id, std::vector<desktop_state> from, desktop_state to,
                                                int max_per_user, int max_total) = 0;
  virtual void update_desktop(std::int64_t id, const desktop_changes& changes) = 0;
  virtual void delete_desktop(std::int64_t id) = 0;  // its port allocations go with it
  // Desktops of the members of a group, oldest first.
  virtual std::vector<desktop> list_group_desktops(std::int64_t group_id) = 0;
  // Active desktops of one user (user_id) or of everyone (nullopt).
  virtual std::int64_t count_active_desktops(std::optional<std::int64_t> user_id) = 0;

  // Host ports: the lowest free port in [first, last] on `backend_host` for which `usable(port)` is true
  // is recorded for the desktop. The (host, port) primary key makes concurrent allocations safe: a lost
  // race moves on to the next port. nullopt when the range is exhausted.
  virtual std::optional<std::uint16_t> allocate_port(std::string_view backend_host, std::uint16_t first,
                                                     std::uint16_t last, std::int64_t desktop_id,
                                                     const std::function<bool(std::uint16_t)>& usable) = 0;
  virtual std::optional<std::uint16_t> port_of(std::int64_t desktop_id) = 0;
  virtual void release_ports(std::int64_t desktop_id) = 0;

  // OpenID Connect sign-ins in flight. take_oidc_login removes and returns the request in one atomic
  // step, so of two callbacks with the same state at most one gets it.
  virtual void create_oidc_login(const oidc_login_request& r) = 0;
  virtual std::optional<oidc_login_request> take_oidc_login(std::string_view state_hash) = 0;
  virtual int purge_oidc_logins(std::int64_t now) = 0;  // those whose expires_at passed

  // Settings (branding, theme): small JSON values by key.
  virtual std::optional<std::string> get_setting(std::string_view key) = 0;
  virtual void put_setting(std::string_view key, std::string_view value) = 0;
};

// Opens the store named by `url` ("sqlite:PATH" or "sqlite::memory:"), creating the database file and
// its folder if needed. Does not migrate. Throws deskgate::error{errc::unavailable} when it cannot open.
std::unique_ptr<store> open_store(std::string_view url, const clock& clk, int pool_size = 4,
                                  int busy_timeout_ms = 5000);

}  // namespace deskgate
