// Tests of the SQLite store through its interface: the migrator (once only, atomic, safe when two
// processes race), users, sessions, audit and settings, hostile and non-ASCII input, concurrency on a
// real database file, and open_store()'s URL handling. Files live in a fresh folder under /tmp.
#include "store/sqlite/sqlite_store.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <latch>
#include <mutex>
#include <thread>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "store_test_support.hpp"

namespace deskgate {
namespace {

using testing::HasSubstr;
using testing::Not;

std::vector<std::string> tables_of(const std::string& path) {
  return query_file(path, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
}

new_user user_named(std::string username, role r = role::student) {
  return {.username = std::move(username), .display_name = "Display", .email = "x@school.example", .user_role = r};
}

session session_for(std::int64_t user_id, std::string token_hash, std::int64_t now, std::int64_t expires_at) {
  return {.token_hash = std::move(token_hash),
          .user_id = user_id,
          .csrf_token = "csrf",
          .created_at = now,
          .last_seen_at = now,
          .expires_at = expires_at,
          .client_address = "192.0.2.7",
          .user_agent = "test"};
}

audit_entry audit_of(std::string action) { return {.actor_name = "ada", .action = std::move(action)}; }

// A migrated store on a private in-memory database.
class sqlite_store_test : public testing::Test {
 protected:
  void SetUp() override { store_.migrate(); }

  manual_clock clock_;
  sqlite_store store_{":memory:", clock_, 4, 5000};
};

// ---- migrations ----

// `count` migrations that each create a table and fill it with 5000 rows: slow enough that two migrators
// started together overlap.
struct generated_migrations {
  explicit generated_migrations(int count) {
    for (int v = 1; v <= count; ++v) {
      const std::string table = "t" + std::to_string(v);
      names.push_back("fill_" + table);
      sqls.push_back("CREATE TABLE " + table + " (x INTEGER NOT NULL); " +
                     "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000) "
                     "INSERT INTO " + table + " (x) SELECT i FROM n;");
    }
    for (int v = 1; v <= count; ++v) list.push_back(migration{v, names[v - 1], sqls[v - 1]});
  }
  std::vector<std::string> names;
  std::vector<std::string> sqls;
  std::vector<migration> list;
};

TEST(sqlite_store_migrate, applies_each_migration_once_and_records_it) {
  temp_dir dir;
  manual_clock clock;
  sqlite_store db(dir.file("d.db"), clock, 2, 5000);
  const auto latest = builtin_migrations().back();
  const std::int64_t migrated_at = clock.now();

  EXPECT_EQ(db.schema_version(), 0);
  EXPECT_EQ(db.migrate(), static_cast<int>(builtin_migrations().size()));
  EXPECT_EQ(db.schema_version(), latest.version);
  clock.advance(60);
  EXPECT_EQ(db.migrate(), 0);
  EXPECT_EQ(db.schema_version(), latest.version);

  std::vector<std::string> expected;
  for (const migration& m : builtin_migrations()) {
    expected.push_back(std::to_string(m.version) + ":" + std::string(m.name) + ":" + std::to_string(migrated_at));
  }
  EXPECT_EQ(query_file(dir.file("d.db"),
                       "SELECT version || ':' || name || ':' || applied_at FROM schema_migrations ORDER BY version"),
            expected);
}

TEST(sqlite_store_migrate, a_failing_migration_leaves_nothing_behind) {
  temp_dir dir;
  manual_clock clock;
  sqlite_store db(dir.file("d.db"), clock, 1, 5000);
  const migration broken[] = {
      {1, "one", "CREATE TABLE first_table (x INTEGER)"},
      {2, "two", "CREATE TABLE half_done (x INTEGER); INSERT INTO first_table VALUES (1); CREATE TABLE oops ("},
      {3, "three", "CREATE TABLE third (x INTEGER)"},
  };

  const error e = error_from([&] { db.migrate(broken); });
  EXPECT_THAT(e.what(), HasSubstr("migration 2 (two)"));
  EXPECT_EQ(db.schema_version(), 1);
  EXPECT_EQ(tables_of(dir.file("d.db")), (std::vector<std::string>{"first_table", "schema_migrations"}));
  EXPECT_TRUE(query_file(dir.file("d.db"), "SELECT x FROM first_table").empty());

  // Recreating half_done would fail had any of the broken attempt survived.
  const migration fixed[] = {broken[0], {2, "two", "CREATE TABLE half_done (x INTEGER)"}, broken[2]};
  EXPECT_EQ(db.migrate(fixed), 2);
  EXPECT_EQ(db.schema_version(), 3);
}

TEST(sqlite_store_migrate, rejects_versions_out_of_order_before_applying_any) {
  manual_clock clock;
  sqlite_store db(":memory:", clock, 1, 5000);
  const migration unordered[] = {{2, "two", "CREATE TABLE b (x INTEGER)"}, {1, "one", "CREATE TABLE a (x INTEGER)"}};
  EXPECT_EQ(error_from([&] { db.migrate(unordered); }).code(), errc::internal);
  EXPECT_EQ(db.schema_version(), 0);
}

TEST(sqlite_store_migrate, two_processes_migrating_at_once_apply_each_migration_once) {
  temp_dir dir;
  manual_clock clock;
  const generated_migrations generated(40);
  sqlite_store first(dir.file("d.db"), clock, 2, 10000);
  sqlite_store second(dir.file("d.db"), clock, 2, 10000);
  // With schema_migrations already there, both read "nothing applied" without waiting for a lock, so the
  // loser of the race for each migration's write lock must notice that the winner applied it meanwhile.
  ASSERT_EQ(first.migrate(std::span<const migration>{}), 0);

  std::latch start(2);
  std::mutex mutex;
  std::vector<std::string> failures;
  int applied_total = 0;
  auto run = [&](sqlite_store& s) {
    start.arrive_and_wait();
    try {
      const int applied = s.migrate(generated.list);
      std::lock_guard lock(mutex);
      applied_total += applied;
    } catch (const std::exception& e) {
      std::lock_guard lock(mutex);
      failures.push_back(e.what());
    }
  };
  std::thread a(run, std::ref(first));
  std::thread b(run, std::ref(second));
  a.join();
  b.join();

  EXPECT_THAT(failures, testing::IsEmpty());
  EXPECT_EQ(applied_total, 40);
  EXPECT_EQ(first.schema_version(), 40);
  EXPECT_EQ(query_file(dir.file("d.db"), "SELECT COUNT(*) FROM schema_migrations"), std::vector<std::string>{"40"});
  EXPECT_EQ(query_file(dir.file("d.db"), "SELECT COUNT(*) FROM t40"), std::vector<std::string>{"5000"});
}

// ---- users ----

TEST_F(sqlite_store_test, create_user_fills_in_id_and_timestamps_and_reads_back) {
  new_user input = user_named("ada", role::teacher);
  input.password_hash = "$argon2id$v=19$hash";
  const user created = store_.create_user(input);

  EXPECT_GT(created.id, 0);
  EXPECT_EQ(created.username, "ada");
  EXPECT_EQ(created.user_role, role::teacher);
  EXPECT_EQ(created.password_hash, "$argon2id$v=19$hash");
  EXPECT_EQ(created.oidc_subject, "");
  EXPECT_FALSE(created.disabled);
  EXPECT_EQ(created.created_at, clock_.now());
  EXPECT_EQ(created.updated_at, clock_.now());

  const auto by_id = store_.find_user(created.id);
  ASSERT_TRUE(by_id);
  EXPECT_EQ(by_id->username, "ada");
  EXPECT_EQ(by_id->display_name, "Display");
  EXPECT_EQ(by_id->email, "x@school.example");
  const auto by_name = store_.find_user_by_username("ada");
  ASSERT_TRUE(by_name);
  EXPECT_EQ(by_name->id, created.id);
  EXPECT_FALSE(store_.find_user(created.id + 1));
  EXPECT_FALSE(store_.find_user_by_username("Ada"));
}

TEST_F(sqlite_store_test, duplicate_username_is_a_conflict_and_changes_nothing) {
  store_.create_user(user_named("ada"));
  new_user again = user_named("ada", role::admin);
  again.display_name = "Impostor";

  const error e = error_from([&] { store_.create_user(again); });
  EXPECT_EQ(e.code(), errc::conflict);
  EXPECT_STREQ(e.what(), "username already exists");

  const auto users = store_.list_users();
  ASSERT_EQ(users.size(), 1u);
  EXPECT_EQ(users[0].display_name, "Display");
  EXPECT_EQ(users[0].user_role, role::student);
}

TEST_F(sqlite_store_test, oidc_subject_links_one_account_only) {
  new_user first = user_named("ada");
  first.oidc_subject = "sub-123";
  new_user second = user_named("bob");
  second.oidc_subject = "sub-123";
  store_.create_user(first);
  EXPECT_EQ(error_from([&] { store_.create_user(second); }).code(), errc::conflict);
  // Local accounts have no subject; many of them must not collide on it.
  store_.create_user(user_named("carl"));
  store_.create_user(user_named("dora"));
  EXPECT_EQ(store_.list_users().size(), 3u);
  EXPECT_EQ(store_.find_user_by_username("ada")->oidc_subject, "sub-123");
}

TEST_F(sqlite_store_test, oidc_accounts_are_found_by_subject_and_their_profile_updated) {
  new_user ada = user_named("ada");
  ada.oidc_subject = "sub-1";
  const user created = store_.create_user(ada);
  store_.create_user(user_named("bob"));
  EXPECT_EQ(store_.find_user_by_oidc_subject("sub-1")->id, created.id);
  EXPECT_FALSE(store_.find_user_by_oidc_subject("sub-2"));
  store_.update_user_profile(created.id, "ada.l", "Ada L.", "ada@school.example");
  const auto after = store_.find_user(created.id);
  EXPECT_EQ(after->username, "ada.l");
  EXPECT_EQ(after->display_name, "Ada L.");
  EXPECT_EQ(after->email, "ada@school.example");
  EXPECT_EQ(error_from([&] { store_.update_user_profile(created.id, "bob", "", ""); }).code(), errc::conflict);
  EXPECT_EQ(error_from([&] { store_.update_user_profile(9999, "x", "", ""); }).code(), errc::not_found);
}

TEST_F(sqlite_store_test, user_groups_are_replaced_and_other_members_stay) {
  const user ada = store_.create_user(user_named("ada"));
  const user bob = store_.create_user(user_named("bob"));
  const group a = store_.upsert_group("a", "Group A");
  const group b = store_.upsert_group("b", "Group B");
  store_.set_group_members(a.id, {ada.id, bob.id});
  store_.set_user_groups(ada.id, {b.id, b.id});
  ASSERT_EQ(store_.list_groups_of(ada.id).size(), 1u);
  EXPECT_EQ(store_.list_groups_of(ada.id)[0].external_id, "b");
  EXPECT_EQ(store_.list_groups_of(bob.id)[0].external_id, "a");
  EXPECT_EQ(error_from([&] { store_.set_user_groups(ada.id, {a.id, 9999}); }).code(), errc::conflict);
  EXPECT_EQ(store_.list_groups_of(ada.id)[0].external_id, "b");  // unchanged by the failed call
  store_.set_user_groups(ada.id, {});
  EXPECT_TRUE(store_.list_groups_of(ada.id).empty());
}

TEST_F(sqlite_store_test, an_oidc_login_request_is_taken_once_and_expired_ones_purged) {
  oidc_login_request r{.state_hash = "s1", .browser_hash = "b", .nonce = "n", .code_verifier = "v",
                       .next_path = "/x", .created_at = 100, .expires_at = 700};
  store_.create_oidc_login(r);
  store_.create_oidc_login({.state_hash = "s2", .browser_hash = "b", .nonce = "n", .code_verifier = "v",
                            .next_path = "/", .created_at = 100, .expires_at = 200});
  EXPECT_EQ(error_from([&] { store_.create_oidc_login(r); }).code(), errc::conflict);
  const auto taken = store_.take_oidc_login("s1");
  ASSERT_TRUE(taken);
  EXPECT_EQ(taken->next_path, "/x");
  EXPECT_EQ(taken->code_verifier, "v");
  EXPECT_EQ(taken->expires_at, 700);
  EXPECT_FALSE(store_.take_oidc_login("s1"));
  EXPECT_EQ(store_.purge_oidc_logins(200), 1);
  EXPECT_FALSE(store_.take_oidc_login("s2"));
}

TEST_F(sqlite_store_test, check_constraint_rejects_an_empty_username) {
  const error e = error_from([&] { store_.create_user(user_named("")); });
  EXPECT_EQ(e.code(), errc::conflict);
  EXPECT_TRUE(store_.list_users().empty());
}

TEST_F(sqlite_store_test, sql_looking_input_is_stored_verbatim) {
  const std::string sneaky_name = "' OR 1=1 --";
  const std::string bobby = "Robert'); DROP TABLE users;--";
  new_user input = user_named(sneaky_name);
  input.display_name = bobby;
  input.email = "\"; DELETE FROM sessions; --";
  store_.create_user(input);
  store_.create_user(user_named("innocent"));

  const auto found = store_.find_user_by_username(sneaky_name);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->username, sneaky_name);
  EXPECT_EQ(found->display_name, bobby);
  EXPECT_EQ(found->email, "\"; DELETE FROM sessions; --");
  EXPECT_FALSE(store_.find_user_by_username("nobody' OR '1'='1"));
  EXPECT_EQ(store_.list_users().size(), 2u);

  store_.put_setting(bobby, sneaky_name);
  EXPECT_EQ(store_.get_setting(bobby), sneaky_name);
  EXPECT_EQ(store_.list_users().size(), 2u);
}

TEST_F(sqlite_store_test, utf8_names_round_trip) {
  new_user input = user_named("jürgen.müller");
  input.display_name = "Jürgen Müller 🖥️ Straße Ærøskøbing 日本";
  const user created = store_.create_user(input);
  const auto found = store_.find_user_by_username("jürgen.müller");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->id, created.id);
  EXPECT_EQ(found->display_name, "Jürgen Müller 🖥️ Straße Ærøskøbing 日本");
  EXPECT_FALSE(store_.find_user_by_username("jurgen.muller"));
}

TEST_F(sqlite_store_test, setters_update_the_user_and_its_updated_at) {
  const user u = store_.create_user(user_named("ada"));
  clock_.advance(100);
  store_.set_user_password(u.id, "$argon2id$new");
  store_.set_user_role(u.id, role::admin);
  store_.set_user_disabled(u.id, true);

  const user changed = *store_.find_user(u.id);
  EXPECT_EQ(changed.password_hash, "$argon2id$new");
  EXPECT_EQ(changed.user_role, role::admin);
  EXPECT_TRUE(changed.disabled);
  EXPECT_EQ(changed.created_at, u.created_at);
  EXPECT_EQ(changed.updated_at, u.created_at + 100);

  store_.set_user_password(u.id, "");
  store_.set_user_disabled(u.id, false);
  EXPECT_EQ(store_.find_user(u.id)->password_hash, "");
  EXPECT_FALSE(store_.find_user(u.id)->disabled);
}

TEST_F(sqlite_store_test, setters_on_an_unknown_user_are_not_found) {
  EXPECT_EQ(error_from([&] { store_.set_user_password(99, "h"); }).code(), errc::not_found);
  EXPECT_EQ(error_from([&] { store_.set_user_role(99, role::admin); }).code(), errc::not_found);
  EXPECT_EQ(error_from([&] { store_.set_user_disabled(99, true); }).code(), errc::not_found);
}

TEST_F(sqlite_store_test, count_admins_counts_enabled_admins_only) {
  EXPECT_EQ(store_.count_admins(), 0);
  store_.create_user(user_named("root", role::admin));
  const user second = store_.create_user(user_named("root2", role::admin));
  store_.create_user(user_named("teacher", role::teacher));
  EXPECT_EQ(store_.count_admins(), 2);
  store_.set_user_disabled(second.id, true);
  EXPECT_EQ(store_.count_admins(), 1);
}

TEST_F(sqlite_store_test, list_users_in_creation_order) {
  for (const char* name : {"zoe", "adam", "mia"}) store_.create_user(user_named(name));
  std::vector<std::string> names;
  for (const user& u : store_.list_users()) names.push_back(u.username);
  EXPECT_EQ(names, (std::vector<std::string>{"zoe", "adam", "mia"}));
}

// ---- sessions ----

TEST_F(sqlite_store_test, session_create_find_touch_delete) {
  const user u = store_.create_user(user_named("ada"));
  const std::int64_t now = clock_.now();
  const session created = store_.create_session(session_for(u.id, "hash-1", now, now + 3600));
  EXPECT_GT(created.id, 0);

  auto found = store_.find_session("hash-1");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->id, created.id);
  EXPECT_EQ(found->user_id, u.id);
  EXPECT_EQ(found->csrf_token, "csrf");
  EXPECT_EQ(found->expires_at, now + 3600);
  EXPECT_EQ(found->client_address, "192.0.2.7");
  EXPECT_EQ(found->user_agent, "test");
  EXPECT_FALSE(store_.find_session("hash-2"));

  store_.touch_session(created.id, now + 50);
  EXPECT_EQ(store_.find_session("hash-1")->last_seen_at, now + 50);
  store_.touch_session(created.id, now + 10);  // a request that finished late
  EXPECT_EQ(store_.find_session("hash-1")->last_seen_at, now + 50);

  store_.delete_session(created.id);
  EXPECT_FALSE(store_.find_session("hash-1"));
}

TEST_F(sqlite_store_test, a_session_is_found_with_its_user_in_one_read) {
  clock_.advance(5);
  new_user input = user_named("ada", role::teacher);
  input.oidc_subject = "sub-ada";
  const user ada = store_.create_user(input);
  const user bob = store_.create_user(user_named("bob"));
  clock_.advance(7);
  store_.set_user_disabled(ada.id, true);  // updated_at moves: the user's last column differs from created_at
  const std::int64_t now = clock_.now();
  const session s = store_.create_session(session_for(ada.id, "hash-ada", now, now + 3600));
  store_.create_session(session_for(bob.id, "hash-bob", now, now + 60));

  const auto found = store_.find_session_with_user("hash-ada");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->sess.id, s.id);
  EXPECT_EQ(found->sess.user_id, ada.id);
  EXPECT_EQ(found->sess.csrf_token, "csrf");
  EXPECT_EQ(found->sess.expires_at, now + 3600);
  EXPECT_EQ(found->sess.user_agent, "test");
  EXPECT_EQ(found->owner.id, ada.id);
  EXPECT_EQ(found->owner.username, "ada");
  EXPECT_EQ(found->owner.user_role, role::teacher);
  EXPECT_EQ(found->owner.oidc_subject, "sub-ada");
  EXPECT_TRUE(found->owner.disabled);
  EXPECT_EQ(found->owner.created_at, ada.created_at);
  EXPECT_EQ(found->owner.updated_at, now);

  EXPECT_EQ(store_.find_session_with_user("hash-bob")->owner.username, "bob");
  EXPECT_FALSE(store_.find_session_with_user("hash-none"));
}

TEST_F(sqlite_store_test, session_for_a_missing_user_is_refused) {
  const std::int64_t now = clock_.now();
  EXPECT_EQ(error_from([&] { store_.create_session(session_for(12345, "h", now, now + 1)); }).code(),
            errc::conflict);
  EXPECT_FALSE(store_.find_session("h"));
}

TEST_F(sqlite_store_test, duplicate_session_token_is_a_conflict) {
  const user u = store_.create_user(user_named("ada"));
  const std::int64_t now = clock_.now();
  store_.create_session(session_for(u.id, "same", now, now + 60));
  EXPECT_EQ(error_from([&] { store_.create_session(session_for(u.id, "same", now, now + 60)); }).code(),
            errc::conflict);
}

TEST_F(sqlite_store_test, delete_sessions_of_user_leaves_other_users_alone) {
  const user ada = store_.create_user(user_named("ada"));
  const user bob = store_.create_user(user_named("bob"));
  const std::int64_t now = clock_.now();
  store_.create_session(session_for(ada.id, "a1", now, now + 60));
  store_.create_session(session_for(ada.id, "a2", now, now + 60));
  store_.create_session(session_for(bob.id, "b1", now, now + 60));

  EXPECT_EQ(store_.delete_sessions_of_user(ada.id), 2);
  EXPECT_FALSE(store_.find_session("a1"));
  EXPECT_FALSE(store_.find_session("a2"));
  EXPECT_TRUE(store_.find_session("b1"));
  EXPECT_EQ(store_.delete_sessions_of_user(ada.id), 0);
}

TEST_F(sqlite_store_test, purge_removes_absolutely_expired_and_idle_sessions) {
  const user u = store_.create_user(user_named("ada"));
  const std::int64_t now = clock_.now();
  const std::int64_t idle = 1800;
  store_.create_session(session_for(u.id, "expired", now - 7200, now));       // expiry reached exactly now
  store_.create_session(session_for(u.id, "idle", now - idle, now + 3600));   // idle exactly the limit
  store_.create_session(session_for(u.id, "fresh", now - idle + 1, now + 1));  // one second inside both

  EXPECT_EQ(store_.purge_expired_sessions(now, idle), 2);
  EXPECT_FALSE(store_.find_session("expired"));
  EXPECT_FALSE(store_.find_session("idle"));
  EXPECT_TRUE(store_.find_session("fresh"));
  EXPECT_EQ(store_.purge_expired_sessions(now, idle), 0);
}

TEST(sqlite_store_file, deleting_a_user_cascades_to_sessions) {
  temp_dir dir;
  manual_clock clock;
  sqlite_store db(dir.file("d.db"), clock, 2, 5000);
  db.migrate();
  const user u = db.create_user(user_named("ada"));
  const std::int64_t now = clock.now();
  db.create_session(session_for(u.id, "h", now, now + 60));

  query_file(dir.file("d.db"), "DELETE FROM users WHERE id = " + std::to_string(u.id));

  EXPECT_FALSE(db.find_user(u.id));
  EXPECT_FALSE(db.find_session("h"));
}

// ---- audit ----

TEST_F(sqlite_store_test, audit_entries_round_trip) {
  const user u = store_.create_user(user_named("ada"));
  audit_entry failed = audit_of("auth.login_failed");
  failed.actor_name = "mallory";
  failed.success = false;
  failed.client_address = "198.51.100.9";
  failed.detail = R"({"reason":"bad password"})";
  store_.append_audit(failed);
  audit_entry created = audit_of("user.create");
  created.actor_id = u.id;
  created.target = "user:7";
  created.at = 42;
  store_.append_audit(created);

  const auto entries = store_.list_audit(10);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].action, "user.create");
  EXPECT_EQ(entries[0].actor_id, u.id);
  EXPECT_EQ(entries[0].target, "user:7");
  EXPECT_EQ(entries[0].at, 42);
  EXPECT_TRUE(entries[0].success);
  EXPECT_EQ(entries[1].action, "auth.login_failed");
  EXPECT_EQ(entries[1].actor_id, std::nullopt);
  EXPECT_EQ(entries[1].actor_name, "mallory");
  EXPECT_FALSE(entries[1].success);
  EXPECT_EQ(entries[1].client_address, "198.51.100.9");
  EXPECT_EQ(entries[1].detail, R"({"reason":"bad password"})");
  EXPECT_EQ(entries[1].at, clock_.now());
}

TEST_F(sqlite_store_test, audit_pages_backwards_from_the_newest) {
  for (int i = 1; i <= 25; ++i) store_.append_audit(audit_of("action." + std::to_string(i)));

  std::vector<std::string> seen;
  std::int64_t before = 0;
  std::vector<std::size_t> page_sizes;
  while (true) {
    const auto page = store_.list_audit(10, before);
    if (page.empty()) break;
    page_sizes.push_back(page.size());
    for (const audit_entry& e : page) seen.push_back(e.action);
    before = page.back().id;
  }
  EXPECT_EQ(page_sizes, (std::vector<std::size_t>{10, 10, 5}));
  ASSERT_EQ(seen.size(), 25u);
  for (int i = 0; i < 25; ++i) EXPECT_EQ(seen[i], "action." + std::to_string(25 - i));
}

TEST_F(sqlite_store_test, audit_limit_is_clamped_to_1_through_1000) {
  for (int i = 0; i < 1005; ++i) store_.append_audit(audit_of("bulk"));
  EXPECT_EQ(store_.list_audit(0).size(), 1u);
  EXPECT_EQ(store_.list_audit(-5).size(), 1u);
  EXPECT_EQ(store_.list_audit(5000).size(), 1000u);
  EXPECT_EQ(store_.list_audit(1000, 6).size(), 5u);
}

TEST_F(sqlite_store_test, audit_actor_must_exist) {
  audit_entry e = audit_of("user.create");
  e.actor_id = 999;
  EXPECT_EQ(error_from([&] { store_.append_audit(e); }).code(), errc::conflict);
  EXPECT_TRUE(store_.list_audit(10).empty());
}

// ---- settings, health ----

TEST_F(sqlite_store_test, settings_upsert) {
  EXPECT_FALSE(store_.get_setting("branding"));
  store_.put_setting("branding", R"({"name":"Gymnasium Süd"})");
  EXPECT_EQ(store_.get_setting("branding"), R"({"name":"Gymnasium Süd"})");
  store_.put_setting("branding", R"({"name":"Realschule"})");
  EXPECT_EQ(store_.get_setting("branding"), R"({"name":"Realschule"})");
  store_.put_setting("theme", "");
  EXPECT_EQ(store_.get_setting("theme"), "");
  EXPECT_EQ(store_.get_setting("branding"), R"({"name":"Realschule"})");
}

TEST_F(sqlite_store_test, ping_answers) { EXPECT_TRUE(store_.ping()); }

TEST(sqlite_store_unmigrated, has_no_tables_to_write_to) {
  manual_clock clock;
  sqlite_store fresh(":memory:", clock, 1, 5000);
  EXPECT_TRUE(fresh.ping());
  EXPECT_EQ(fresh.schema_version(), 0);
  const error e = error_from([&] { fresh.create_user(user_named("ada")); });
  EXPECT_EQ(e.code(), errc::internal);
  EXPECT_THAT(e.what(), HasSubstr("no such table"));
}

// ---- concurrency on a real file ----

TEST(sqlite_store_file, eight_concurrent_writers_never_see_busy) {
  temp_dir dir;
  manual_clock clock;
  const auto db = open_store("sqlite:" + dir.file("data/deskgate.db"), clock, 4, 10000);
  db->migrate();

  constexpr int threads = 8;
  constexpr int rounds = 30;
  std::latch start(threads);
  std::mutex mutex;
  std::vector<std::string> failures;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      start.arrive_and_wait();
      try {
        for (int r = 0; r < rounds; ++r) {
          const std::string name = "user-" + std::to_string(t) + "-" + std::to_string(r);
          const user u = db->create_user(user_named(name));
          const session s = db->create_session(session_for(u.id, "token-" + name, clock.now(), clock.now() + 60));
          db->touch_session(s.id, clock.now() + r);
          db->append_audit(audit_of("user.create"));
          db->put_setting("shared", name);
          if (!db->find_user_by_username(name)) throw std::runtime_error("lost " + name);
        }
      } catch (const std::exception& e) {
        std::lock_guard lock(mutex);
        failures.push_back(e.what());
      }
    });
  }
  for (auto& w : workers) w.join();

  EXPECT_THAT(failures, testing::IsEmpty());
  EXPECT_EQ(db->list_users().size(), static_cast<std::size_t>(threads * rounds));
  EXPECT_EQ(db->list_audit(1000).size(), static_cast<std::size_t>(threads * rounds));
  EXPECT_EQ(query_file(dir.file("data/deskgate.db"), "PRAGMA journal_mode"), std::vector<std::string>{"wal"});
}

// ---- open_store and roles ----

TEST(open_store, opens_memory_and_file_databases_creating_folders) {
  temp_dir dir;
  manual_clock clock;
  const auto memory = open_store("sqlite::memory:", clock);
  EXPECT_TRUE(memory->ping());
  const auto file = open_store("sqlite:" + dir.file("a/b/c.db"), clock);
  EXPECT_EQ(file->migrate(), static_cast<int>(builtin_migrations().size()));
  EXPECT_TRUE(std::filesystem::is_regular_file(dir.file("a/b/c.db")));
}

TEST(open_store, postgresql_is_not_built_yet_and_the_password_is_not_echoed) {
  manual_clock clock;
  const error e = error_from([&] { open_store("postgresql://deskgate:s3cret@db.example/deskgate", clock); });
  EXPECT_EQ(e.code(), errc::unavailable);
  EXPECT_THAT(e.what(), HasSubstr("PostgreSQL support is not built yet"));
  EXPECT_THAT(e.what(), Not(HasSubstr("s3cret")));
}

TEST(open_store, unsupported_or_incomplete_urls_are_unavailable) {
  manual_clock clock;
  const error mysql = error_from([&] { open_store("mysql://root:pw@localhost/x", clock); });
  EXPECT_EQ(mysql.code(), errc::unavailable);
  EXPECT_THAT(mysql.what(), HasSubstr("\"mysql\""));
  EXPECT_THAT(mysql.what(), Not(HasSubstr("pw@")));
  EXPECT_EQ(error_from([&] { open_store("deskgate.db", clock); }).code(), errc::unavailable);
  EXPECT_EQ(error_from([&] { open_store("sqlite:", clock); }).code(), errc::unavailable);
}

TEST(open_store, unopenable_paths_are_unavailable) {
  temp_dir dir;
  manual_clock clock;
  std::ofstream(dir.file("plain-file")) << "not a folder";
  std::ofstream(dir.file("garbage.db")) << std::string(4096, 'x');

  const error under_file = error_from([&] { open_store("sqlite:" + dir.file("plain-file/x.db"), clock); });
  EXPECT_EQ(under_file.code(), errc::unavailable);
  EXPECT_THAT(under_file.what(), HasSubstr("plain-file"));
  const error folder = error_from([&] { open_store("sqlite:" + dir.file(""), clock); });
  EXPECT_EQ(folder.code(), errc::unavailable);
  EXPECT_THAT(folder.what(), HasSubstr("cannot open database"));
  EXPECT_EQ(error_from([&] { open_store("sqlite:" + dir.file("garbage.db"), clock); }).code(), errc::unavailable);
}

TEST(roles, names_round_trip_and_unknown_names_are_refused) {
  for (role r : {role::student, role::teacher, role::admin}) EXPECT_EQ(parse_role(to_string(r)), r);
  EXPECT_EQ(to_string(role::admin), "admin");
  EXPECT_EQ(parse_role("teacher"), role::teacher);
  EXPECT_FALSE(parse_role("Admin"));
  EXPECT_FALSE(parse_role("root"));
  EXPECT_FALSE(parse_role(""));
}

}  // namespace
}  // namespace deskgate
