// The migrations themselves and their rendering per dialect. The SQL avoids everything the two engines
// spell differently: timestamps are BIGINT Unix seconds, JSON is TEXT, booleans are compared with
// TRUE/FALSE, and optional text that a UNIQUE or CHECK constraint must skip is NULL rather than ''.
#include "store/migrations.hpp"

#include <array>

#include "core/error.hpp"

namespace deskgate {
namespace {

// Desktops restrict the deletion of their user and type: a desktop row is the only record of a container
// that must be removed through its backend first, so cascading it away would orphan the container.
constexpr std::string_view initial_schema = R"sql(
CREATE TABLE users (
  id {{id}},
  username TEXT NOT NULL UNIQUE CHECK (username <> ''),
  display_name TEXT NOT NULL DEFAULT '',
  email TEXT NOT NULL DEFAULT '',
  role TEXT NOT NULL DEFAULT 'student' CHECK (role IN ('student', 'teacher', 'admin')),
  password_hash TEXT CHECK (password_hash <> ''),
  oidc_subject TEXT UNIQUE CHECK (oidc_subject <> ''),
  disabled {{bool}} NOT NULL DEFAULT FALSE CHECK (disabled IN (FALSE, TRUE)),
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);

CREATE TABLE groups (
  id {{id}},
  external_id TEXT NOT NULL UNIQUE CHECK (external_id <> ''),
  name TEXT NOT NULL
);

CREATE TABLE group_members (
  group_id BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
  user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members (user_id);

CREATE TABLE sessions (
  id {{id}},
  token_hash TEXT NOT NULL UNIQUE CHECK (token_hash <> ''),
  user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  csrf_token TEXT NOT NULL CHECK (csrf_token <> ''),
  created_at BIGINT NOT NULL,
  last_seen_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  client_address TEXT NOT NULL DEFAULT '',
  user_agent TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);
CREATE INDEX sessions_last_seen_at ON sessions (last_seen_at);

CREATE TABLE desktop_types (
  id {{id}},
  slug TEXT NOT NULL UNIQUE CHECK (slug <> ''),
  name TEXT NOT NULL CHECK (name <> ''),
  description TEXT NOT NULL DEFAULT '',
  icon TEXT NOT NULL DEFAULT '',
  backend TEXT NOT NULL CHECK (backend IN ('local', 'docker', 'static', 'kubernetes')),
  backend_host TEXT NOT NULL DEFAULT '',
  image TEXT NOT NULL DEFAULT '',
  command TEXT NOT NULL DEFAULT '',
  protocol TEXT NOT NULL DEFAULT 'vnc' CHECK (protocol IN ('vnc', 'websocket')),
  port INTEGER NOT NULL DEFAULT 0 CHECK (port BETWEEN 0 AND 65535),
  http_port INTEGER NOT NULL DEFAULT 0 CHECK (http_port BETWEEN 0 AND 65535),
  tls {{bool}} NOT NULL DEFAULT FALSE CHECK (tls IN (FALSE, TRUE)),
  tls_verify {{bool}} NOT NULL DEFAULT TRUE CHECK (tls_verify IN (FALSE, TRUE)),
  upstream_path TEXT NOT NULL DEFAULT '',
  auth_scheme TEXT NOT NULL DEFAULT 'vnc-password' CHECK (auth_scheme IN ('vnc-password', 'basic', 'none')),
  secret TEXT NOT NULL DEFAULT '',
  resources TEXT NOT NULL DEFAULT '{}',
  environment TEXT NOT NULL DEFAULT '{}',
  mounts TEXT NOT NULL DEFAULT '[]',
  open_to_all {{bool}} NOT NULL DEFAULT FALSE CHECK (open_to_all IN (FALSE, TRUE)),
  enabled {{bool}} NOT NULL DEFAULT TRUE CHECK (enabled IN (FALSE, TRUE)),
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);

CREATE TABLE assignments (
  id {{id}},
  desktop_type_id BIGINT NOT NULL REFERENCES desktop_types (id) ON DELETE CASCADE,
  group_id BIGINT REFERENCES groups (id) ON DELETE CASCADE,
  user_id BIGINT REFERENCES users (id) ON DELETE CASCADE,
  folder TEXT NOT NULL DEFAULT '',
  created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
  created_at BIGINT NOT NULL,
  CHECK ((group_id IS NULL AND user_id IS NOT NULL) OR (group_id IS NOT NULL AND user_id IS NULL))
);
CREATE INDEX assignments_desktop_type ON assignments (desktop_type_id);
CREATE INDEX assignments_group ON assignments (group_id);
CREATE INDEX assignments_user ON assignments (user_id);
CREATE INDEX assignments_created_by ON assignments (created_by);

CREATE TABLE desktops (
  id {{id}},
  public_id TEXT NOT NULL UNIQUE CHECK (public_id <> ''),
  user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
  desktop_type_id BIGINT NOT NULL REFERENCES desktop_types (id) ON DELETE RESTRICT,
  backend_host TEXT NOT NULL DEFAULT '',
  container_id TEXT NOT NULL DEFAULT '',
  state TEXT NOT NULL DEFAULT 'creating'
    CHECK (state IN ('creating', 'starting', 'running', 'stopping', 'stopped', 'error')),
  endpoint TEXT NOT NULL DEFAULT '',
  secret TEXT NOT NULL DEFAULT '',
  error TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  started_at BIGINT,
  stopped_at BIGINT,
  last_active_at BIGINT,
  UNIQUE (user_id, desktop_type_id)
);
CREATE INDEX desktops_desktop_type ON desktops (desktop_type_id);
CREATE INDEX desktops_state ON desktops (state);

CREATE TABLE port_allocations (
  backend_host TEXT NOT NULL,
  port INTEGER NOT NULL CHECK (port BETWEEN 1 AND 65535),
  desktop_id BIGINT NOT NULL REFERENCES desktops (id) ON DELETE CASCADE,
  PRIMARY KEY (backend_host, port)
);
CREATE INDEX port_allocations_desktop ON port_allocations (desktop_id);

CREATE TABLE audit_log (
  id {{id}},
  at BIGINT NOT NULL,
  actor_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
  actor_name TEXT NOT NULL DEFAULT '',
  action TEXT NOT NULL CHECK (action <> ''),
  target TEXT NOT NULL DEFAULT '',
  success {{bool}} NOT NULL CHECK (success IN (FALSE, TRUE)),
  client_address TEXT NOT NULL DEFAULT '',
  detail TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_actor ON audit_log (actor_id);

CREATE TABLE settings (
  key TEXT NOT NULL PRIMARY KEY,
  value TEXT NOT NULL,
  updated_at BIGINT NOT NULL
);
)sql";

// The secret's environment variable and a per-type start timeout (0: the configured default). ADD COLUMN
// with a constant default is the one ALTER both engines spell alike; existing rows get the defaults.
constexpr std::string_view desktop_type_secret_env_and_start_timeout = R"sql(
ALTER TABLE desktop_types ADD COLUMN secret_env TEXT NOT NULL DEFAULT 'VNC_PW';
ALTER TABLE desktop_types ADD COLUMN start_timeout BIGINT NOT NULL DEFAULT 0;
)sql";

// OpenID Connect sign-ins between start and callback (state, nonce, PKCE verifier), looked up by the
// state's hash and deleted when used or expired.
constexpr std::string_view oidc_logins = R"sql(
CREATE TABLE oidc_logins (
  state_hash TEXT NOT NULL PRIMARY KEY,
  browser_hash TEXT NOT NULL CHECK (browser_hash <> ''),
  nonce TEXT NOT NULL CHECK (nonce <> ''),
  code_verifier TEXT NOT NULL CHECK (code_verifier <> ''),
  next_path TEXT NOT NULL DEFAULT '/',
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE INDEX oidc_logins_expires_at ON oidc_logins (expires_at);
)sql";

// An assignment gains a title and updated_at and may target several groups and users at once: the targets
// move to their own table. The old CHECK (exactly one of group_id, user_id per row) can only go with a
// table rebuild; existing rows keep their ids, get "Assignment <id>" as title, and become one target each.
// The rename happens last so that assignment_targets' reference follows it (both engines track it).
constexpr std::string_view assignment_targets = R"sql(
CREATE TABLE assignments_v4 (
  id {{id}},
  desktop_type_id BIGINT NOT NULL REFERENCES desktop_types (id) ON DELETE CASCADE,
  title TEXT NOT NULL CHECK (title <> ''),
  folder TEXT NOT NULL DEFAULT '',
  created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
INSERT INTO assignments_v4 (id, desktop_type_id, title, folder, created_by, created_at, updated_at)
  SELECT id, desktop_type_id, 'Assignment ' || id, folder, created_by, created_at, created_at FROM assignments;

CREATE TABLE assignment_targets (
  assignment_id BIGINT NOT NULL REFERENCES assignments_v4 (id) ON DELETE CASCADE,
  group_id BIGINT REFERENCES groups (id) ON DELETE CASCADE,
  user_id BIGINT REFERENCES users (id) ON DELETE CASCADE,
  CHECK ((group_id IS NULL AND user_id IS NOT NULL) OR (group_id IS NOT NULL AND user_id IS NULL)),
  UNIQUE (assignment_id, group_id),
  UNIQUE (assignment_id, user_id)
);
INSERT INTO assignment_targets (assignment_id, group_id, user_id) SELECT id, group_id, user_id FROM assignments;

DROP TABLE assignments;
ALTER TABLE assignments_v4 RENAME TO assignments;
CREATE INDEX assignments_desktop_type ON assignments (desktop_type_id);
CREATE INDEX assignments_created_by ON assignments (created_by);
CREATE INDEX assignment_targets_group ON assignment_targets (group_id);
CREATE INDEX assignment_targets_user ON assignment_targets (user_id);
)sql";

constexpr std::array builtin = {
    migration{1, "initial_schema", initial_schema},
    migration{2, "desktop_type_secret_env_and_start_timeout", desktop_type_secret_env_and_start_timeout},
    migration{3, "oidc_logins", oidc_logins},
    migration{4, "assignment_targets", assignment_targets},
};

struct placeholder {
  std::string_view name;
  std::string_view sqlite;
  std::string_view postgresql;
};

// AUTOINCREMENT keeps SQLite from reusing the id of a deleted row, which audit paging and any id a
// client still holds rely on; BIGSERIAL never reuses ids either.
constexpr std::array placeholders = {
    placeholder{"id", "INTEGER PRIMARY KEY AUTOINCREMENT", "BIGSERIAL PRIMARY KEY"},
    placeholder{"bool", "INTEGER", "BOOLEAN"},
};

[[noreturn]] void fail(const migration& m, std::string_view problem) {
  throw error{errc::internal,
              "migration " + std::to_string(m.version) + " (" + std::string(m.name) + "): " + std::string(problem)};
}

std::string_view substitute(std::string_view name, dialect d, const migration& m) {
  for (const placeholder& p : placeholders) {
    if (p.name == name) return d == dialect::sqlite ? p.sqlite : p.postgresql;
  }
  fail(m, "unknown placeholder {{" + std::string(name) + "}}");
}

}  // namespace

std::span<const migration> builtin_migrations() { return builtin; }

std::string render(const migration& m, dialect d) {
  constexpr std::string_view open = "{{";
  constexpr std::string_view close = "}}";
  std::string out;
  out.reserve(m.sql.size());
  std::size_t pos = 0;
  while (true) {
    const std::size_t start = m.sql.find(open, pos);
    if (start == std::string_view::npos) break;
    const std::size_t end = m.sql.find(close, start + open.size());
    if (end == std::string_view::npos) fail(m, "unterminated placeholder");
    out.append(m.sql.substr(pos, start - pos));
    out.append(substitute(m.sql.substr(start + open.size(), end - start - open.size()), d, m));
    pos = end + close.size();
  }
  out.append(m.sql.substr(pos));
  return out;
}

}  // namespace deskgate
