// Tests of the migrations as data: rendering per dialect, and the rendered SQLite schema itself (its
// CHECKs, UNIQUEs and foreign keys), exercised with plain SQL on a private in-memory database.
#include "store/migrations.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <set>
#include <string>

#include "core/error.hpp"

namespace deskgate {
namespace {

using testing::HasSubstr;
using testing::Not;

TEST(migrations, builtin_versions_are_positive_ascending_and_named) {
  int previous = 0;
  ASSERT_FALSE(builtin_migrations().empty());
  for (const migration& m : builtin_migrations()) {
    EXPECT_GT(m.version, previous);
    EXPECT_FALSE(m.name.empty());
    EXPECT_FALSE(m.sql.empty());
    previous = m.version;
  }
  EXPECT_EQ(builtin_migrations().front().version, 1);
}

TEST(migrations, sqlite_rendering_uses_sqlite_types_only) {
  for (const migration& m : builtin_migrations()) {
    const std::string sql = render(m, dialect::sqlite);
    EXPECT_THAT(sql, Not(HasSubstr("{{")));
    EXPECT_THAT(sql, Not(HasSubstr("}}")));
    EXPECT_THAT(sql, Not(HasSubstr("BIGSERIAL")));
    EXPECT_THAT(sql, Not(HasSubstr("BOOLEAN")));
  }
  EXPECT_THAT(render(builtin_migrations().front(), dialect::sqlite), HasSubstr("id INTEGER PRIMARY KEY AUTOINCREMENT"));
}

TEST(migrations, postgresql_rendering_uses_postgresql_types_only) {
  for (const migration& m : builtin_migrations()) {
    const std::string sql = render(m, dialect::postgresql);
    EXPECT_THAT(sql, Not(HasSubstr("{{")));
    EXPECT_THAT(sql, Not(HasSubstr("AUTOINCREMENT")));
  }
  const std::string first = render(builtin_migrations().front(), dialect::postgresql);
  EXPECT_THAT(first, HasSubstr("id BIGSERIAL PRIMARY KEY"));
  EXPECT_THAT(first, HasSubstr("disabled BOOLEAN NOT NULL"));
}

TEST(migrations, render_replaces_every_occurrence_and_keeps_the_rest) {
  const migration m{5, "two_tables", "CREATE TABLE a (id {{id}}, f {{bool}}); CREATE TABLE b (id {{id}});"};
  EXPECT_EQ(render(m, dialect::sqlite),
            "CREATE TABLE a (id INTEGER PRIMARY KEY AUTOINCREMENT, f INTEGER); "
            "CREATE TABLE b (id INTEGER PRIMARY KEY AUTOINCREMENT);");
  EXPECT_EQ(render(m, dialect::postgresql),
            "CREATE TABLE a (id BIGSERIAL PRIMARY KEY, f BOOLEAN); CREATE TABLE b (id BIGSERIAL PRIMARY KEY);");
}

TEST(migrations, render_rejects_an_unknown_placeholder_naming_the_migration) {
  const migration m{7, "typo", "CREATE TABLE t (id {{idd}})"};
  try {
    render(m, dialect::sqlite);
    FAIL() << "rendered an unknown placeholder";
  } catch (const error& e) {
    EXPECT_EQ(e.code(), errc::internal);
    EXPECT_THAT(e.what(), HasSubstr("migration 7 (typo)"));
    EXPECT_THAT(e.what(), HasSubstr("{{idd}}"));
  }
}

TEST(migrations, render_rejects_an_unterminated_placeholder) {
  const migration m{8, "open", "CREATE TABLE t (id {{id)"};
  EXPECT_THROW(render(m, dialect::postgresql), error);
}

// The rendered built-in schema in a fresh in-memory database, with foreign keys on as the store sets them.
class sqlite_schema : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(sqlite3_open(":memory:", &db_), SQLITE_OK);
    sqlite3_extended_result_codes(db_, 1);
    ASSERT_EQ(exec("PRAGMA foreign_keys = ON"), SQLITE_OK);
    for (const migration& m : builtin_migrations()) {
      ASSERT_EQ(exec(render(m, dialect::sqlite)), SQLITE_OK) << m.name << ": " << sqlite3_errmsg(db_);
    }
  }
  void TearDown() override { sqlite3_close(db_); }

  int exec(const std::string& sql) { return sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr); }

  // The first column of every row of `sql`, as text.
  std::set<std::string> column(const std::string& sql) {
    std::set<std::string> values;
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr), SQLITE_OK) << sqlite3_errmsg(db_);
    while (sqlite3_step(st) == SQLITE_ROW) values.insert(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
    sqlite3_finalize(st);
    return values;
  }

  void add_user(int id, const std::string& username) {
    ASSERT_EQ(exec("INSERT INTO users (id, username, created_at, updated_at) VALUES (" + std::to_string(id) + ", '" +
                   username + "', 1, 1)"),
              SQLITE_OK)
        << sqlite3_errmsg(db_);
  }

  void add_desktop_type(int id) {
    ASSERT_EQ(exec("INSERT INTO desktop_types (id, slug, name, backend, created_at, updated_at) VALUES (" +
                   std::to_string(id) + ", 'type" + std::to_string(id) + "', 'Type', 'local', 1, 1)"),
              SQLITE_OK)
        << sqlite3_errmsg(db_);
  }

  sqlite3* db_ = nullptr;
};

TEST_F(sqlite_schema, creates_every_table_of_the_design) {
  EXPECT_EQ(
      column("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"),
      (std::set<std::string>{"users", "groups", "group_members", "sessions", "desktop_types", "assignments", "desktops",
                             "port_allocations", "audit_log", "settings", "oidc_logins", "assignment_targets"}));
}

TEST_F(sqlite_schema, user_defaults_are_an_enabled_student) {
  add_user(1, "ada");
  EXPECT_EQ(column("SELECT role || '/' || disabled FROM users"), std::set<std::string>{"student/0"});
}

TEST_F(sqlite_schema, check_rejects_an_unknown_role) {
  EXPECT_EQ(exec("INSERT INTO users (username, role, created_at, updated_at) VALUES ('eve', 'superuser', 1, 1)"),
            SQLITE_CONSTRAINT_CHECK);
  EXPECT_EQ(exec("INSERT INTO users (username, role, created_at, updated_at) VALUES ('eve', 'admin', 1, 1)"),
            SQLITE_OK);
}

TEST_F(sqlite_schema, check_rejects_an_empty_username_and_a_non_boolean_flag) {
  EXPECT_EQ(exec("INSERT INTO users (username, created_at, updated_at) VALUES ('', 1, 1)"), SQLITE_CONSTRAINT_CHECK);
  EXPECT_EQ(exec("INSERT INTO users (username, disabled, created_at, updated_at) VALUES ('x', 2, 1, 1)"),
            SQLITE_CONSTRAINT_CHECK);
}

TEST_F(sqlite_schema, check_rejects_an_unknown_desktop_state) {
  add_user(1, "ada");
  add_desktop_type(1);
  EXPECT_EQ(exec("INSERT INTO desktops (public_id, user_id, desktop_type_id, state, created_at) "
                 "VALUES ('d1', 1, 1, 'sleeping', 1)"),
            SQLITE_CONSTRAINT_CHECK);
  EXPECT_EQ(exec("INSERT INTO desktops (public_id, user_id, desktop_type_id, state, created_at) "
                 "VALUES ('d1', 1, 1, 'running', 1)"),
            SQLITE_OK);
}

TEST_F(sqlite_schema, one_desktop_per_user_and_type) {
  add_user(1, "ada");
  add_desktop_type(1);
  add_desktop_type(2);
  const std::string insert = "INSERT INTO desktops (public_id, user_id, desktop_type_id, created_at) VALUES ";
  EXPECT_EQ(exec(insert + "('d1', 1, 1, 1)"), SQLITE_OK);
  EXPECT_EQ(exec(insert + "('d2', 1, 1, 1)"), SQLITE_CONSTRAINT_UNIQUE);
  EXPECT_EQ(exec(insert + "('d1', 1, 2, 1)"), SQLITE_CONSTRAINT_UNIQUE);
  EXPECT_EQ(exec(insert + "('d3', 1, 2, 1)"), SQLITE_OK);
}

TEST_F(sqlite_schema, an_assignment_target_names_exactly_one_of_group_and_user) {
  add_user(1, "ada");
  add_desktop_type(1);
  ASSERT_EQ(exec("INSERT INTO groups (id, external_id, name) VALUES (1, 'class-5a', '5a')"), SQLITE_OK);
  ASSERT_EQ(
      exec("INSERT INTO assignments (id, desktop_type_id, title, created_at, updated_at) VALUES (1, 1, 'T', 1, 1)"),
      SQLITE_OK);
  const std::string insert = "INSERT INTO assignment_targets (assignment_id, group_id, user_id) VALUES ";
  EXPECT_EQ(exec(insert + "(1, NULL, NULL)"), SQLITE_CONSTRAINT_CHECK);
  EXPECT_EQ(exec(insert + "(1, 1, 1)"), SQLITE_CONSTRAINT_CHECK);
  EXPECT_EQ(exec(insert + "(1, 1, NULL)"), SQLITE_OK);
  EXPECT_EQ(exec(insert + "(1, NULL, 1)"), SQLITE_OK);
  EXPECT_EQ(exec(insert + "(1, NULL, 1)"), SQLITE_CONSTRAINT_UNIQUE);
}

TEST_F(sqlite_schema, foreign_keys_reject_a_missing_user) {
  EXPECT_EQ(exec("INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at, expires_at) "
                 "VALUES ('h', 42, 'c', 1, 1, 2)"),
            SQLITE_CONSTRAINT_FOREIGNKEY);
}

TEST_F(sqlite_schema, deleting_a_user_cascades_and_keeps_their_audit_trail) {
  add_user(1, "ada");
  add_user(2, "bob");
  ASSERT_EQ(exec("INSERT INTO groups (id, external_id, name) VALUES (1, 'class-5a', '5a')"), SQLITE_OK);
  ASSERT_EQ(exec("INSERT INTO group_members (group_id, user_id) VALUES (1, 1), (1, 2)"), SQLITE_OK);
  ASSERT_EQ(exec("INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at, expires_at) "
                 "VALUES ('h1', 1, 'c', 1, 1, 2), ('h2', 2, 'c', 1, 1, 2)"),
            SQLITE_OK);
  ASSERT_EQ(exec("INSERT INTO audit_log (at, actor_id, actor_name, action, success) "
                 "VALUES (1, 1, 'ada', 'auth.login', TRUE)"),
            SQLITE_OK);

  ASSERT_EQ(exec("DELETE FROM users WHERE id = 1"), SQLITE_OK);

  EXPECT_EQ(column("SELECT token_hash FROM sessions"), std::set<std::string>{"h2"});
  EXPECT_EQ(column("SELECT user_id FROM group_members"), std::set<std::string>{"2"});
  EXPECT_EQ(column("SELECT actor_name || '/' || COALESCE(actor_id, 'null') FROM audit_log"),
            std::set<std::string>{"ada/null"});
}

TEST_F(sqlite_schema, a_desktop_keeps_its_user_and_frees_its_ports_when_removed) {
  add_user(1, "ada");
  add_desktop_type(1);
  ASSERT_EQ(exec("INSERT INTO desktops (id, public_id, user_id, desktop_type_id, created_at) "
                 "VALUES (1, 'd1', 1, 1, 1)"),
            SQLITE_OK);
  ASSERT_EQ(exec("INSERT INTO port_allocations (backend_host, port, desktop_id) VALUES ('docker1', 5901, 1)"),
            SQLITE_OK);

  // SQLite reports a RESTRICT action with its own extended code; the message is the same as for any key.
  EXPECT_EQ(exec("DELETE FROM users WHERE id = 1") & 0xff, SQLITE_CONSTRAINT);
  EXPECT_STREQ(sqlite3_errmsg(db_), "FOREIGN KEY constraint failed");
  EXPECT_EQ(exec("DELETE FROM desktop_types WHERE id = 1") & 0xff, SQLITE_CONSTRAINT);
  EXPECT_EQ(column("SELECT COUNT(*) FROM users"), std::set<std::string>{"1"});
  ASSERT_EQ(exec("DELETE FROM desktops WHERE id = 1"), SQLITE_OK);
  EXPECT_TRUE(column("SELECT port FROM port_allocations").empty());
}

TEST_F(sqlite_schema, a_port_is_allocated_once_per_host) {
  add_user(1, "ada");
  add_desktop_type(1);
  ASSERT_EQ(exec("INSERT INTO desktops (id, public_id, user_id, desktop_type_id, created_at) "
                 "VALUES (1, 'd1', 1, 1, 1)"),
            SQLITE_OK);
  const std::string insert = "INSERT INTO port_allocations (backend_host, port, desktop_id) VALUES ";
  EXPECT_EQ(exec(insert + "('docker1', 5901, 1)"), SQLITE_OK);
  EXPECT_EQ(exec(insert + "('docker1', 5901, 1)"), SQLITE_CONSTRAINT_PRIMARYKEY);
  EXPECT_EQ(exec(insert + "('docker2', 5901, 1)"), SQLITE_OK);
  EXPECT_EQ(exec(insert + "('docker1', 70000, 1)"), SQLITE_CONSTRAINT_CHECK);
}

TEST_F(sqlite_schema, oidc_subject_is_unique_but_local_accounts_have_none) {
  const std::string insert = "INSERT INTO users (username, oidc_subject, created_at, updated_at) VALUES ";
  EXPECT_EQ(exec(insert + "('a', NULL, 1, 1)"), SQLITE_OK);
  EXPECT_EQ(exec(insert + "('b', NULL, 1, 1)"), SQLITE_OK);
  EXPECT_EQ(exec(insert + "('c', 'sub-1', 1, 1)"), SQLITE_OK);
  EXPECT_EQ(exec(insert + "('d', 'sub-1', 1, 1)"), SQLITE_CONSTRAINT_UNIQUE);
}

}  // namespace
}  // namespace deskgate
