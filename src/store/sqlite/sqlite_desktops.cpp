// The SQLite store's desktop records: desktop types (resources and environment kept as JSON text), groups
// and assignments, desktops with their compare-and-set state transitions, and host port allocations.
// Races are settled by the database, never by a lock in this process, since several gateways may share
// the file: one UPDATE per transition, the (backend_host, port) primary key per allocation.
#include <nlohmann/json.hpp>

#include <array>
#include <set>
#include <string>
#include <utility>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "store/sqlite/sqlite_db.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace deskgate {

using sqlite::all_rows;
using sqlite::qualified;
using sqlite::returning;
using sqlite::select_from;
using sqlite::single_row;
using sqlite::sql_value;
using sqlite::statement;
using sqlite::write_transaction;

namespace {

using json = nlohmann::json;

// ---- SQL text built at run time (from constants of this file; values always go in as parameters) ----

// "(?, ?, ?)" with `count` parameters.
std::string parameter_list(std::size_t count) {
  std::string sql = "(";
  for (std::size_t i = 0; i < count; ++i) sql.append(i == 0 ? "?" : ", ?");
  return sql + ")";
}

template <class Columns>
std::string joined(const Columns& columns, std::string_view suffix) {
  std::string sql;
  for (const auto& column : columns) {
    if (!sql.empty()) sql.append(", ");
    sql.append(column).append(suffix);
  }
  return sql;
}

std::vector<sql_value> state_values(const std::vector<desktop_state>& states) {
  std::vector<sql_value> values;
  for (desktop_state s : states) values.emplace_back(std::string(to_string(s)));
  return values;
}

constexpr std::array all_desktop_states = {desktop_state::creating, desktop_state::starting, desktop_state::running,
                                           desktop_state::stopping, desktop_state::stopped,  desktop_state::error};

std::vector<desktop_state> active_states() {
  std::vector<desktop_state> active;
  for (desktop_state s : all_desktop_states) {
    if (is_active(s)) active.push_back(s);
  }
  return active;
}

void append(std::vector<sql_value>& values, std::vector<sql_value> more) {
  values.insert(values.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
}

// ---- desktop types ----

std::string resources_json(const desktop_resources& r) {
  return json{{"cpus", r.cpus}, {"memory_bytes", r.memory_bytes}, {"shm_bytes", r.shm_bytes}, {"pids", r.pids}}.dump();
}

std::string environment_json(const std::vector<std::pair<std::string, std::string>>& environment) {
  json pairs = json::array();
  for (const auto& [name, value] : environment) pairs.push_back(json::array({name, value}));
  return pairs.dump();
}

[[noreturn]] void corrupt_type(std::int64_t id, std::string_view column) {
  throw error{errc::internal, "desktop type " + std::to_string(id) + " has an unreadable " + std::string(column) +
                                  " column in the database"};
}

// Keys missing from the object keep their defaults (no limit).
desktop_resources parse_resources(const std::string& text, std::int64_t type_id) {
  const json j = json::parse(text, nullptr, false);
  if (!j.is_object()) corrupt_type(type_id, "resources");
  try {
    return desktop_resources{
        .cpus = j.value("cpus", 0.0),
        .memory_bytes = j.value("memory_bytes", std::int64_t{0}),
        .shm_bytes = j.value("shm_bytes", std::int64_t{0}),
        .pids = j.value("pids", std::int64_t{0}),
    };
  } catch (const json::exception&) {
    corrupt_type(type_id, "resources");
  }
}

// A JSON array of [name, value] pairs, which keeps their order. Migration 1's column default is the empty
// object "{}", so an object of name: value is read too.
std::vector<std::pair<std::string, std::string>> parse_environment(const std::string& text, std::int64_t type_id) {
  const json j = json::parse(text, nullptr, false);
  std::vector<std::pair<std::string, std::string>> environment;
  try {
    if (j.is_object()) {
      for (const auto& [name, value] : j.items()) environment.emplace_back(name, value.get<std::string>());
    } else if (j.is_array()) {
      for (const json& pair : j) {
        if (!pair.is_array() || pair.size() != 2) corrupt_type(type_id, "environment");
        environment.emplace_back(pair[0].get<std::string>(), pair[1].get<std::string>());
      }
    } else {
      corrupt_type(type_id, "environment");
    }
  } catch (const json::exception&) {
    corrupt_type(type_id, "environment");
  }
  return environment;
}

std::uint16_t port_column(const statement& row, int column) {
  return static_cast<std::uint16_t>(row.int64(column));  // CHECK (... BETWEEN 0 AND 65535) in the schema
}

// Each column list below matches the read_* function after it, column for column.
constexpr std::string_view desktop_type_columns =
    "id, slug, name, description, icon, backend, backend_host, image, command, protocol, port, http_port, tls, "
    "tls_verify, upstream_path, auth_scheme, secret, secret_env, resources, environment, start_timeout, "
    "open_to_all, enabled, created_at, updated_at";

desktop_type read_desktop_type_from(const statement& row, int first) {
  const std::int64_t id = row.int64(first + 0);
  return desktop_type{
      .id = id,
      .slug = row.text(first + 1),
      .name = row.text(first + 2),
      .description = row.text(first + 3),
      .icon = row.text(first + 4),
      .backend = row.text(first + 5),
      .backend_host = row.text(first + 6),
      .image = row.text(first + 7),
      .command = row.text(first + 8),
      .protocol = row.text(first + 9),
      .port = port_column(row, first + 10),
      .http_port = port_column(row, first + 11),
      .tls = row.boolean(first + 12),
      .tls_verify = row.boolean(first + 13),
      .upstream_path = row.text(first + 14),
      .auth_scheme = row.text(first + 15),
      .secret = row.text(first + 16),
      .secret_env = row.text(first + 17),
      .resources = parse_resources(row.text(first + 18), id),
      .environment = parse_environment(row.text(first + 19), id),
      .start_timeout_seconds = row.int64(first + 20),
      .open_to_all = row.boolean(first + 21),
      .enabled = row.boolean(first + 22),
      .created_at = row.int64(first + 23),
      .updated_at = row.int64(first + 24),
  };
}

desktop_type read_desktop_type(const statement& row) { return read_desktop_type_from(row, 0); }

// What create and update write: every column but id, slug (set once, by create) and the timestamps.
struct desktop_type_field {
  std::string_view column;
  sql_value (*value)(const desktop_type&);
};

constexpr std::array<desktop_type_field, 21> desktop_type_fields = {{
    {"name", [](const desktop_type& t) -> sql_value { return t.name; }},
    {"description", [](const desktop_type& t) -> sql_value { return t.description; }},
    {"icon", [](const desktop_type& t) -> sql_value { return t.icon; }},
    {"backend", [](const desktop_type& t) -> sql_value { return t.backend; }},
    {"backend_host", [](const desktop_type& t) -> sql_value { return t.backend_host; }},
    {"image", [](const desktop_type& t) -> sql_value { return t.image; }},
    {"command", [](const desktop_type& t) -> sql_value { return t.command; }},
    {"protocol", [](const desktop_type& t) -> sql_value { return t.protocol; }},
    {"port", [](const desktop_type& t) -> sql_value { return std::int64_t{t.port}; }},
    {"http_port", [](const desktop_type& t) -> sql_value { return std::int64_t{t.http_port}; }},
    {"tls", [](const desktop_type& t) -> sql_value { return std::int64_t{t.tls}; }},
    {"tls_verify", [](const desktop_type& t) -> sql_value { return std::int64_t{t.tls_verify}; }},
    {"upstream_path", [](const desktop_type& t) -> sql_value { return t.upstream_path; }},
    {"auth_scheme", [](const desktop_type& t) -> sql_value { return t.auth_scheme; }},
    {"secret", [](const desktop_type& t) -> sql_value { return t.secret; }},
    {"secret_env", [](const desktop_type& t) -> sql_value { return t.secret_env; }},
    {"resources", [](const desktop_type& t) -> sql_value { return resources_json(t.resources); }},
    {"environment", [](const desktop_type& t) -> sql_value { return environment_json(t.environment); }},
    {"start_timeout", [](const desktop_type& t) -> sql_value { return t.start_timeout_seconds; }},
    {"open_to_all", [](const desktop_type& t) -> sql_value { return std::int64_t{t.open_to_all}; }},
    {"enabled", [](const desktop_type& t) -> sql_value { return std::int64_t{t.enabled}; }},
}};

std::vector<std::string_view> desktop_type_field_columns() {
  std::vector<std::string_view> columns;
  for (const auto& field : desktop_type_fields) columns.push_back(field.column);
  return columns;
}

std::vector<sql_value> desktop_type_field_values(const desktop_type& t) {
  std::vector<sql_value> values;
  for (const auto& field : desktop_type_fields) values.push_back(field.value(t));
  return values;
}

// ---- groups and assignments ----

constexpr std::string_view group_columns = "id, external_id, name";
// The same with the member count, for SELECTs (RETURNING takes no subquery).
constexpr std::string_view counted_group_columns =
    "id, external_id, name, (SELECT COUNT(*) FROM group_members m WHERE m.group_id = groups.id)";

group read_group(const statement& row) {
  return group{.id = row.int64(0), .external_id = row.text(1), .name = row.text(2)};
}

group read_counted_group(const statement& row) {
  group g = read_group(row);
  g.member_count = row.int64(3);
  return g;
}

constexpr std::string_view assignment_columns =
    "id, desktop_type_id, title, folder, created_by, created_at, updated_at";

assignment read_assignment(const statement& row) {
  return assignment{
      .id = row.int64(0),
      .desktop_type_id = row.int64(1),
      .title = row.text(2),
      .folder = row.text(3),
      .created_by = row.optional_int64(4),
      .created_at = row.int64(5),
      .updated_at = row.int64(6),
  };
}

// The assignments `st` selects, each with its targets (read on the same connection).
std::vector<assignment> assignments_with_targets(sqlite::connection& db, statement& st) {
  std::vector<assignment> out = all_rows(st, read_assignment);
  for (assignment& a : out) {
    statement each(db,
                   "SELECT group_id, user_id FROM assignment_targets WHERE assignment_id = ? "
                   "ORDER BY group_id, user_id");
    each.bind(a.id);
    while (each.step()) {
      if (auto g = each.optional_int64(0)) a.group_ids.push_back(*g);
      if (auto u = each.optional_int64(1)) a.user_ids.push_back(*u);
    }
  }
  return out;
}

// Replaces the targets of assignment `id` (inside the caller's transaction).
void write_targets(sqlite::connection& db, std::int64_t id, const assignment& a) {
  statement(db, "DELETE FROM assignment_targets WHERE assignment_id = ?").bind(id).run();
  for (std::int64_t g : std::set<std::int64_t>(a.group_ids.begin(), a.group_ids.end())) {
    statement(db, "INSERT INTO assignment_targets (assignment_id, group_id) VALUES (?, ?)").bind(id, g).run();
  }
  for (std::int64_t u : std::set<std::int64_t>(a.user_ids.begin(), a.user_ids.end())) {
    statement(db, "INSERT INTO assignment_targets (assignment_id, user_id) VALUES (?, ?)").bind(id, u).run();
  }
}

// Whether a target row names the user directly or through one of their groups (SQL condition on t.).
constexpr std::string_view target_names_user =
    "(t.user_id = ? OR t.group_id IN (SELECT m.group_id FROM group_members m WHERE m.user_id = ?))";

// ---- desktops ----

desktop_state state_column(const statement& row, int column) {
  const std::string text = row.text(column);
  const std::optional<desktop_state> s = parse_desktop_state(text);
  if (!s) throw error{errc::internal, "unknown desktop state in the database: " + text};
  return *s;
}

constexpr std::string_view desktop_columns =
    "id, public_id, user_id, desktop_type_id, backend_host, container_id, state, endpoint, secret, error, "
    "created_at, started_at, stopped_at, last_active_at";

desktop read_desktop(const statement& row) {
  return desktop{
      .id = row.int64(0),
      .public_id = row.text(1),
      .user_id = row.int64(2),
      .desktop_type_id = row.int64(3),
      .backend_host = row.text(4),
      .container_id = row.text(5),
      .state = state_column(row, 6),
      .endpoint = row.text(7),
      .secret = row.text(8),
      .error = row.text(9),
      .created_at = row.int64(10),
      .started_at = row.optional_int64(11),
      .stopped_at = row.optional_int64(12),
      .last_active_at = row.optional_int64(13),
  };
}

// The columns `changes` sets, and their values in the same order.
struct changed_columns {
  std::vector<std::string_view> columns;
  std::vector<sql_value> values;
};

changed_columns columns_of(const desktop_changes& changes) {
  changed_columns out;
  const auto add = [&out](std::string_view column, const auto& field) {
    if (!field) return;
    out.columns.push_back(column);
    out.values.emplace_back(*field);
  };
  add("backend_host", changes.backend_host);
  add("container_id", changes.container_id);
  add("endpoint", changes.endpoint);
  add("secret", changes.secret);
  add("error", changes.error);
  add("started_at", changes.started_at);
  add("stopped_at", changes.stopped_at);
  add("last_active_at", changes.last_active_at);
  return out;
}

struct desktop_limits {
  int max_per_user;
  int max_total;
};

// One UPDATE that moves desktop `id` from one of `from` to `to`, applies `changes` and, with `limits`,
// also requires the owner's and everyone's active desktops to be below the limits. The counts are
// subqueries of the same statement, run under BEGIN IMMEDIATE: SQLite has one writer, so no other
// transition can slip in between counting and writing. They count the desktop itself when its current
// state is active (see sqlite_store.hpp).
bool transition(sqlite::connection& db, std::int64_t id, const std::vector<desktop_state>& from, desktop_state to,
                const desktop_changes& changes, std::optional<desktop_limits> limits) {
  if (from.empty()) return false;  // "IN ()" is no valid SQL, and nothing could match
  changed_columns changed = columns_of(changes);
  std::vector<sql_value> values{std::string(to_string(to))};
  std::string sql = "UPDATE desktops SET state = ?";
  for (std::string_view column : changed.columns) sql.append(", ").append(column).append(" = ?");
  append(values, std::move(changed.values));

  sql.append(" WHERE id = ? AND state IN ").append(parameter_list(from.size()));
  values.emplace_back(id);
  append(values, state_values(from));

  if (limits) {
    const std::vector<desktop_state> active = active_states();
    const std::string active_list = parameter_list(active.size());
    sql.append(" AND (SELECT COUNT(*) FROM desktops WHERE user_id = (SELECT user_id FROM desktops WHERE id = ?)")
        .append(" AND state IN ")
        .append(active_list)
        .append(") < ?");
    values.emplace_back(id);
    append(values, state_values(active));
    values.emplace_back(std::int64_t{limits->max_per_user});
    sql.append(" AND (SELECT COUNT(*) FROM desktops WHERE state IN ").append(active_list).append(") < ?");
    append(values, state_values(active));
    values.emplace_back(std::int64_t{limits->max_total});
  }

  write_transaction tx(db);
  const int updated = statement(db, sql).bind_values(values).run();
  tx.commit();
  return updated == 1;
}

// ---- ports ----

std::optional<std::uint16_t> port_held(sqlite::connection& db, std::string_view backend_host, std::int64_t desktop_id) {
  statement st(db, "SELECT port FROM port_allocations WHERE backend_host = ? AND desktop_id = ? ORDER BY port LIMIT 1");
  return single_row(st.bind(backend_host, desktop_id), [](const statement& row) { return port_column(row, 0); });
}

}  // namespace

// ---- desktop types ----

desktop_type sqlite_store::create_desktop_type(const desktop_type& t) {
  const std::int64_t now = clock_.now();
  const auto columns = desktop_type_field_columns();
  std::string insert = "INSERT INTO desktop_types (slug, ";
  insert.append(joined(columns, ""))
      .append(", created_at, updated_at) VALUES ")
      .append(parameter_list(columns.size() + 3));
  std::vector<sql_value> values{t.slug};
  append(values, desktop_type_field_values(t));
  values.emplace_back(now);
  values.emplace_back(now);

  const auto conn = pool_->borrow();
  statement st(conn.get(), returning(insert, desktop_type_columns));
  return *single_row(st.bind_values(values), read_desktop_type);
}

void sqlite_store::update_desktop_type(const desktop_type& t) {
  std::string update = "UPDATE desktop_types SET ";
  update.append(joined(desktop_type_field_columns(), " = ?")).append(", updated_at = ? WHERE id = ?");
  std::vector<sql_value> values = desktop_type_field_values(t);
  values.emplace_back(clock_.now());
  values.emplace_back(t.id);

  const auto conn = pool_->borrow();
  if (statement(conn.get(), update).bind_values(values).run() == 0) {
    throw error{errc::not_found, "desktop type not found"};
  }
}

std::optional<desktop_type> sqlite_store::find_desktop_type(std::int64_t id) {
  const auto conn = pool_->borrow();
  statement st(conn.get(), select_from(desktop_type_columns, "desktop_types WHERE id = ?"));
  return single_row(st.bind(id), read_desktop_type);
}

std::optional<desktop_type> sqlite_store::find_desktop_type_by_slug(std::string_view slug) {
  const auto conn = pool_->borrow();
  statement st(conn.get(), select_from(desktop_type_columns, "desktop_types WHERE slug = ?"));
  return single_row(st.bind(slug), read_desktop_type);
}

std::vector<desktop_type> sqlite_store::list_desktop_types() {
  const auto conn = pool_->borrow();
  statement st(conn.get(), select_from(desktop_type_columns, "desktop_types ORDER BY name, id"));
  return all_rows(st, read_desktop_type);
}

void sqlite_store::delete_desktop_type(std::int64_t id) {
  const auto conn = pool_->borrow();
  try {
    // Its assignments cascade; its desktops RESTRICT (each is the only record of a container).
    statement(conn.get(), "DELETE FROM desktop_types WHERE id = ?").bind(id).run();
  } catch (const sqlite::database_error& e) {
    if (e.foreign_key_violation()) {
      throw error{errc::conflict, "desktops of this type still exist; remove them first"};
    }
    throw;
  }
}

std::vector<desktop_type> sqlite_store::list_desktop_types_for(std::int64_t user_id) {
  // EXISTS rather than a join: a type assigned to the user and to several of their groups appears once.
  const auto conn = pool_->borrow();
  statement st(conn.get(),
               select_from(desktop_type_columns,
                           "desktop_types d WHERE d.enabled = TRUE AND (d.open_to_all = TRUE OR EXISTS ("
                           "SELECT 1 FROM assignments a JOIN assignment_targets t ON t.assignment_id = a.id "
                           "WHERE a.desktop_type_id = d.id AND " +
                               std::string(target_names_user) + ")) ORDER BY d.name, d.id"));
  return all_rows(st.bind(user_id, user_id), read_desktop_type);
}

// ---- groups and assignments ----

group sqlite_store::upsert_group(std::string_view external_id, std::string_view name) {
  const auto conn = pool_->borrow();
  statement st(conn.get(), returning("INSERT INTO groups (external_id, name) VALUES (?, ?) "
                                     "ON CONFLICT (external_id) DO UPDATE SET name = excluded.name",
                                     group_columns));
  return *single_row(st.bind(external_id, name), read_group);
}

group sqlite_store::create_group(std::string_view external_id, std::string_view name) {
  const auto conn = pool_->borrow();
  statement st(conn.get(), returning("INSERT INTO groups (external_id, name) VALUES (?, ?)", group_columns));
  return *single_row(st.bind(external_id, name), read_group);
}

std::optional<group> sqlite_store::find_group(std::int64_t id) {
  const auto conn = pool_->borrow();
  statement st(conn.get(), select_from(counted_group_columns, "groups WHERE id = ?"));
  return single_row(st.bind(id), read_counted_group);
}

std::vector<group> sqlite_store::list_groups() {
  const auto conn = pool_->borrow();
  statement st(conn.get(), select_from(counted_group_columns, "groups ORDER BY name, id"));
  return all_rows(st, read_counted_group);
}

void sqlite_store::delete_group(std::int64_t id) {
  const auto conn = pool_->borrow();
  statement(conn.get(), "DELETE FROM groups WHERE id = ?").bind(id).run();
}

bool sqlite_store::is_group_member(std::int64_t group_id, std::int64_t user_id) {
  const auto conn = pool_->borrow();
  statement st(conn.get(), "SELECT 1 FROM group_members WHERE group_id = ? AND user_id = ?");
  return single_row(st.bind(group_id, user_id), [](const statement&) { return true; }).has_value();
}

bool sqlite_store::shares_group(std::int64_t user_a, std::int64_t user_b) {
  const auto conn = pool_->borrow();
  statement st(conn.get(),
               "SELECT 1 FROM group_members a JOIN group_members b ON a.group_id = b.group_id "
               "WHERE a.user_id = ? AND b.user_id = ? LIMIT 1");
  return single_row(st.bind(user_a, user_b), [](const statement&) { return true; }).has_value();
}

void sqlite_store::set_group_members(std::int64_t group_id, const std::vector<std::int64_t>& user_ids) {
  const std::set<std::int64_t> members(user_ids.begin(), user_ids.end());
  const auto conn = pool_->borrow();
  auto& db = conn.get();
  write_transaction tx(db);
  statement exists(db, "SELECT 1 FROM groups WHERE id = ?");
  if (!single_row(exists.bind(group_id), [](const statement&) { return true; })) {
    throw error{errc::not_found, "group not found"};
  }
  statement(db, "DELETE FROM group_members WHERE group_id = ?").bind(group_id).run();
  for (std::int64_t user_id : members) {
    statement(db, "INSERT INTO group_members (group_id, user_id) VALUES (?, ?)").bind(group_id, user_id).run();
  }
  tx.commit();
}

void sqlite_store::set_user_groups(std::int64_t user_id, const std::vector<std::int64_t>& group_ids) {
  const std::set<std::int64_t> groups(group_ids.begin(), group_ids.end());
  const auto conn = pool_->borrow();
  auto& db = conn.get();
  write_transaction tx(db);
  statement(db, "DELETE FROM group_members WHERE user_id = ?").bind(user_id).run();
  for (std::int64_t group_id : groups) {
    statement(db, "INSERT INTO group_members (group_id, user_id) VALUES (?, ?)").bind(group_id, user_id).run();
  }
  tx.commit();
}

std::vector<group> sqlite_store::list_groups_of(std::int64_t user_id) {
  const auto conn = pool_->borrow();
  statement st(conn.get(), select_from(counted_group_columns,
                                       "groups WHERE id IN (SELECT group_id FROM group_members "
                                       "WHERE user_id = ?) ORDER BY name, id"));
  return all_rows(st.bind(user_id), read_counted_group);
}

assignment sqlite_store::create_assignment(const assignment& a) {
  const std::int64_t created_at = a.created_at != 0 ? a.created_at : clock_.now();
  const std::int64_t updated_at = a.updated_at != 0 ? a.updated_at : created_at;
  const auto conn = pool_->borrow();
  auto& db = conn.get();
  write_transaction tx(db);
  statement st(db, returning("INSERT INTO assignments (desktop_type_id, title, folder, created_by, created_at, "
                             "updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                             "id"));
  st.bind(a.desktop_type_id, a.title, a.folder, a.created_by, created_at, updated_at);
  const std::int64_t id = *single_row(st, [](const statement& row) { return row.int64(0); });
  write_targets(db, id, a);
  statement read(db, select_from(assignment_columns, "assignments WHERE id = ?"));
  assignment created = assignments_with_targets(db, read.bind(id)).front();
  tx.commit();
  return created;
}

void sqlite_store::update_assignment(const assignment& a) {
  const auto conn = pool_->borrow();
  auto& db = conn.get();
  write_transaction tx(db);
  statement st(db, "UPDATE assignments SET desktop_type_id = ?, title = ?, folder = ?, updated_at = ? WHERE id = ?");
  if (st.bind(a.desktop_type_id, a.title, a.folder, clock_.now(), a.id).run() == 0) {
    throw error{errc::not_found, "assignment not found"};
  }
  write_targets(db, a.id, a);
  tx.commit();
}

void sqlite_store::delete_assignment(std::int64_t id) {
  const auto conn = pool_->borrow();
  statement(conn.get(), "DELETE FROM assignments WHERE id = ?").bind(id).run();
}

std::optional<assignment> sqlite_store::find_assignment(std::int64_t id) {
  const auto conn = pool_->borrow();
  statement st(conn.get(), select_from(assignment_columns, "assignments WHERE id = ?"));
  auto found = assignments_with_targets(conn.get(), st.bind(id));
  if (found.empty()) return std::nullopt;
  return std::move(found.front());
}

std::vector<assignment> sqlite_store::list_assignments(std::optional<std::int64_t> created_by) {
  const auto conn = pool_->borrow();
  if (!created_by) {
    statement st(conn.get(), select_from(assignment_columns, "assignments ORDER BY id"));
    return assignments_with_targets(conn.get(), st);
  }
  statement st(conn.get(), select_from(assignment_columns, "assignments WHERE created_by = ? ORDER BY id"));
  return assignments_with_targets(conn.get(), st.bind(*created_by));
}

std::vector<assignment> sqlite_store::list_assignments_for(std::int64_t user_id) {
  const auto conn = pool_->borrow();
  statement st(conn.get(), select_from(assignment_columns,
                                       "assignments WHERE id IN (SELECT t.assignment_id FROM assignment_targets t "
                                       "WHERE " +
                                           std::string(target_names_user) + ") ORDER BY id"));
  return assignments_with_targets(conn.get(), st.bind(user_id, user_id));
}

bool sqlite_store::assignment_includes(std::int64_t assignment_id, std::int64_t user_id) {
  const auto conn = pool_->borrow();
  statement st(conn.get(),
               "SELECT 1 FROM assignment_targets t WHERE t.assignment_id = ? AND " + std::string(target_names_user));
  return single_row(st.bind(assignment_id, user_id, user_id), [](const statement&) { return true; }).has_value();
}

// ---- desktops ----

desktop sqlite_store::create_desktop(const desktop& d) {
  const std::int64_t created_at = d.created_at != 0 ? d.created_at : clock_.now();
  const auto conn = pool_->borrow();
  statement st(conn.get(), returning("INSERT INTO desktops (public_id, user_id, desktop_type_id, backend_host, "
                                     "container_id, state, endpoint, secret, error, created_at, started_at, "
                                     "stopped_at, last_active_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                     desktop_columns));
  st.bind(d.public_id, d.user_id, d.desktop_type_id, d.backend_host, d.container_id, to_string(d.state), d.endpoint,
          d.secret, d.error, created_at, d.started_at, d.stopped_at, d.last_active_at);
  return *single_row(st, read_desktop);
}

std::optional<desktop> sqlite_store::find_desktop(std::int64_t id) {
  const auto conn = pool_->borrow();
  statement st(conn.get(), select_from(desktop_columns, "desktops WHERE id = ?"));
  return single_row(st.bind(id), read_desktop);
}

std::optional<desktop> sqlite_store::find_desktop_by_public_id(std::string_view public_id) {
  const auto conn = pool_->borrow();
  statement st(conn.get(), select_from(desktop_columns, "desktops WHERE public_id = ?"));
  return single_row(st.bind(public_id), read_desktop);
}

std::optional<desktop_with_type> sqlite_store::find_desktop_with_type(std::string_view public_id) {
  static const std::string sql =
      select_from(qualified(desktop_columns, "d") + ", " + qualified(desktop_type_columns, "t"),
                  "desktops d JOIN desktop_types t ON t.id = d.desktop_type_id WHERE d.public_id = ?");
  const auto conn = pool_->borrow();
  statement st(conn.get(), sql);
  return single_row(st.bind(public_id), [](const statement& row) {
    return desktop_with_type{read_desktop(row), read_desktop_type_from(row, sqlite::column_count(desktop_columns))};
  });
}

std::optional<desktop> sqlite_store::find_desktop_of(std::int64_t user_id, std::int64_t desktop_type_id) {
  const auto conn = pool_->borrow();
  statement st(conn.get(), select_from(desktop_columns, "desktops WHERE user_id = ? AND desktop_type_id = ?"));
  return single_row(st.bind(user_id, desktop_type_id), read_desktop);
}

std::vector<desktop> sqlite_store::list_desktops() {
  const auto conn = pool_->borrow();
  statement st(conn.get(), select_from(desktop_columns, "desktops ORDER BY id"));
  return all_rows(st, read_desktop);
}

std::vector<desktop> sqlite_store::list_desktops_of(std::int64_t user_id) {
  const auto conn = pool_->borrow();
  statement st(conn.get(), select_from(desktop_columns, "desktops WHERE user_id = ? ORDER BY id"));
  return all_rows(st.bind(user_id), read_desktop);
}

std::vector<desktop> sqlite_store::list_group_desktops(std::int64_t group_id) {
  const auto conn = pool_->borrow();
  statement st(conn.get(), select_from(desktop_columns,
                                       "desktops WHERE user_id IN (SELECT user_id FROM group_members WHERE "
                                       "group_id = ?) ORDER BY id"));
  return all_rows(st.bind(group_id), read_desktop);
}

bool sqlite_store::transition_desktop(std::int64_t id, std::vector<desktop_state> from, desktop_state to,
                                      const desktop_changes& changes) {
  const auto conn = pool_->borrow();
  return transition(conn.get(), id, from, to, changes, std::nullopt);
}

bool sqlite_store::transition_desktop_within_limits(std::int64_t id, std::vector<desktop_state> from, desktop_state to,
                                                    int max_per_user, int max_total) {
  const auto conn = pool_->borrow();
  return transition(conn.get(), id, from, to, {}, desktop_limits{max_per_user, max_total});
}

void sqlite_store::update_desktop(std::int64_t id, const desktop_changes& changes) {
  changed_columns changed = columns_of(changes);
  const auto conn = pool_->borrow();
  if (changed.columns.empty()) {
    statement exists(conn.get(), "SELECT 1 FROM desktops WHERE id = ?");
    if (!single_row(exists.bind(id), [](const statement&) { return true; })) {
      throw error{errc::not_found, "desktop not found"};
    }
    return;
  }
  std::string update = "UPDATE desktops SET ";
  update.append(joined(changed.columns, " = ?")).append(" WHERE id = ?");
  changed.values.emplace_back(id);
  if (statement(conn.get(), update).bind_values(changed.values).run() == 0) {
    throw error{errc::not_found, "desktop not found"};
  }
}

void sqlite_store::delete_desktop(std::int64_t id) {
  // port_allocations.desktop_id is ON DELETE CASCADE: the desktop's ports are freed with it.
  const auto conn = pool_->borrow();
  statement(conn.get(), "DELETE FROM desktops WHERE id = ?").bind(id).run();
}

std::int64_t sqlite_store::count_active_desktops(std::optional<std::int64_t> user_id) {
  const std::vector<desktop_state> active = active_states();
  std::string sql = "SELECT COUNT(*) FROM desktops WHERE state IN " + parameter_list(active.size());
  std::vector<sql_value> values = state_values(active);
  if (user_id) {
    sql.append(" AND user_id = ?");
    values.emplace_back(*user_id);
  }
  const auto conn = pool_->borrow();
  statement st(conn.get(), sql);
  return *single_row(st.bind_values(values), [](const statement& row) { return row.int64(0); });
}

// ---- ports ----

std::optional<std::uint16_t> sqlite_store::allocate_port(std::string_view backend_host, std::uint16_t first,
                                                         std::uint16_t last, std::int64_t desktop_id,
                                                         const std::function<bool(std::uint16_t)>& usable) {
  std::set<int> taken;
  {
    const auto conn = pool_->borrow();
    if (const auto held = port_held(conn.get(), backend_host, desktop_id)) return held;
    statement st(conn.get(), "SELECT port FROM port_allocations WHERE backend_host = ? AND port BETWEEN ? AND ?");
    for (int port : all_rows(st.bind(backend_host, first, last),
                             [](const statement& row) { return static_cast<int>(row.int64(0)); })) {
      taken.insert(port);
    }
  }
  // `taken` may be stale by now; the primary key has the last word.
  for (int port = std::max(int{first}, 1); port <= int{last}; ++port) {
    if (taken.contains(port)) continue;
    const auto candidate = static_cast<std::uint16_t>(port);
    if (!usable(candidate)) continue;
    const auto conn = pool_->borrow();
    try {
      // Inserts nothing when a concurrent call for the same desktop got it a port on this host meanwhile.
      const int inserted = statement(conn.get(),
                                     "INSERT INTO port_allocations (backend_host, port, desktop_id) SELECT ?, ?, ? "
                                     "WHERE NOT EXISTS (SELECT 1 FROM port_allocations WHERE backend_host = ? "
                                     "AND desktop_id = ?)")
                               .bind(backend_host, port, desktop_id, backend_host, desktop_id)
                               .run();
      if (inserted == 1) return candidate;
      if (const auto held = port_held(conn.get(), backend_host, desktop_id)) return held;
    } catch (const sqlite::database_error& e) {
      // Another thread or gateway took this port since we looked: move on to the next.
      if (!e.primary_key_violation()) throw;
    }
  }
  return std::nullopt;
}

std::optional<std::uint16_t> sqlite_store::port_of(std::int64_t desktop_id) {
  const auto conn = pool_->borrow();
  statement st(conn.get(), "SELECT port FROM port_allocations WHERE desktop_id = ? ORDER BY port LIMIT 1");
  return single_row(st.bind(desktop_id), [](const statement& row) { return port_column(row, 0); });
}

void sqlite_store::release_ports(std::int64_t desktop_id) {
  const auto conn = pool_->borrow();
  statement(conn.get(), "DELETE FROM port_allocations WHERE desktop_id = ?").bind(desktop_id).run();
}

}  // namespace deskgate
