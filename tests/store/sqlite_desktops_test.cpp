// Tests of the SQLite store's desktop records through the store interface, each on a real database file
// in a fresh folder: desktop types (JSON columns, slug conflicts, visibility through assignments and
// groups), desktops and their compare-and-set transitions (also raced by threads), the active-desktop
// limits, host port allocation under concurrency, and migration 2 on top of a version 1 database.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <latch>
#include <mutex>
#include <set>
#include <thread>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store_test_support.hpp"

namespace deskgate {
namespace {

using testing::ElementsAre;
using testing::IsEmpty;

desktop_type type_named(std::string slug, std::string name) {
  desktop_type t;
  t.slug = std::move(slug);
  t.name = std::move(name);
  return t;
}

std::vector<std::string> slugs_of(const std::vector<desktop_type>& types) {
  std::vector<std::string> slugs;
  for (const desktop_type& t : types) slugs.push_back(t.slug);
  return slugs;
}

// A migrated store on a database file, with helpers that create the rows desktops need.
class sqlite_desktops_test : public testing::Test {
 protected:
  void SetUp() override { store_.migrate(); }

  std::int64_t add_user(const std::string& username) {
    return store_.create_user({.username = username, .display_name = username}).id;
  }

  std::int64_t add_type(const std::string& slug, bool open_to_all = false) {
    desktop_type t = type_named(slug, "Type " + slug);
    t.open_to_all = open_to_all;
    return store_.create_desktop_type(t).id;
  }

  desktop add_desktop(std::int64_t user_id, std::int64_t type_id, desktop_state state = desktop_state::stopped) {
    desktop d;
    d.public_id = "pub-" + std::to_string(user_id) + "-" + std::to_string(type_id);
    d.user_id = user_id;
    d.desktop_type_id = type_id;
    d.state = state;
    return store_.create_desktop(d);
  }

  desktop_state state_of(std::int64_t desktop_id) { return store_.find_desktop(desktop_id)->state; }

  temp_dir dir_;
  const std::string path_ = dir_.file("deskgate.db");
  manual_clock clock_;
  sqlite_store store_{path_, clock_, 4, 10000};
};

// ---- desktop states ----

TEST(desktop_states, names_round_trip_and_active_ones_hold_resources) {
  const std::vector<std::pair<desktop_state, std::string>> names = {
      {desktop_state::creating, "creating"}, {desktop_state::starting, "starting"}, {desktop_state::running, "running"},
      {desktop_state::stopping, "stopping"}, {desktop_state::stopped, "stopped"},   {desktop_state::error, "error"}};
  for (const auto& [state, name] : names) {
    EXPECT_EQ(to_string(state), name);
    EXPECT_EQ(parse_desktop_state(name), state);
  }
  EXPECT_FALSE(parse_desktop_state("Running"));
  EXPECT_FALSE(parse_desktop_state(""));
  EXPECT_TRUE(is_active(desktop_state::creating));
  EXPECT_TRUE(is_active(desktop_state::starting));
  EXPECT_TRUE(is_active(desktop_state::running));
  EXPECT_TRUE(is_active(desktop_state::stopping));
  EXPECT_FALSE(is_active(desktop_state::stopped));
  EXPECT_FALSE(is_active(desktop_state::error));
}

// ---- desktop types ----

TEST_F(sqlite_desktops_test, desktop_type_round_trips_every_field) {
  desktop_type t = type_named("kasm-firefox", "Firefox (Kasm) — Müller");
  t.description = "Browser";
  t.icon = "firefox.svg";
  t.backend = "docker";
  t.backend_host = "docker1";
  t.image = "kasmweb/firefox:1.14.0";
  t.command = "--flag";
  t.protocol = "websocket";
  t.port = 6901;
  t.http_port = 8443;
  t.tls = true;
  t.tls_verify = false;
  t.upstream_path = "/websockify";
  t.auth_scheme = "basic";
  t.secret = "s3cret";
  t.secret_env = "KASM_PW";
  t.resources = {.cpus = 1.5, .memory_bytes = 2LL << 30, .shm_bytes = 512LL << 20, .pids = 256};
  t.environment = {{"LANG", "de_DE.UTF-8"}, {"A", "x=y; \"quoted\""}, {"EMPTY", ""}, {"LANG", "again"}};
  t.start_timeout_seconds = 240;
  t.open_to_all = true;
  t.enabled = false;

  const desktop_type created = store_.create_desktop_type(t);
  EXPECT_GT(created.id, 0);
  EXPECT_EQ(created.created_at, clock_.now());
  EXPECT_EQ(created.updated_at, clock_.now());

  for (const desktop_type& found : {*store_.find_desktop_type(created.id), *store_.find_desktop_type_by_slug(t.slug)}) {
    EXPECT_EQ(found.id, created.id);
    EXPECT_EQ(found.slug, "kasm-firefox");
    EXPECT_EQ(found.name, "Firefox (Kasm) — Müller");
    EXPECT_EQ(found.description, "Browser");
    EXPECT_EQ(found.icon, "firefox.svg");
    EXPECT_EQ(found.backend, "docker");
    EXPECT_EQ(found.backend_host, "docker1");
    EXPECT_EQ(found.image, "kasmweb/firefox:1.14.0");
    EXPECT_EQ(found.command, "--flag");
    EXPECT_EQ(found.protocol, "websocket");
    EXPECT_EQ(found.port, 6901);
    EXPECT_EQ(found.http_port, 8443);
    EXPECT_TRUE(found.tls);
    EXPECT_FALSE(found.tls_verify);
    EXPECT_EQ(found.upstream_path, "/websockify");
    EXPECT_EQ(found.auth_scheme, "basic");
    EXPECT_EQ(found.secret, "s3cret");
    EXPECT_EQ(found.secret_env, "KASM_PW");
    EXPECT_EQ(found.resources, t.resources);
    EXPECT_EQ(found.environment, t.environment);
    EXPECT_EQ(found.start_timeout_seconds, 240);
    EXPECT_TRUE(found.open_to_all);
    EXPECT_FALSE(found.enabled);
  }
  // The documented storage formats, which the PostgreSQL store and admins reading the database share.
  EXPECT_EQ(query_file(path_, "SELECT resources FROM desktop_types"),
            std::vector<std::string>{R"({"cpus":1.5,"memory_bytes":2147483648,"pids":256,"shm_bytes":536870912})"});
  EXPECT_EQ(
      query_file(path_, "SELECT environment FROM desktop_types"),
      std::vector<std::string>{R"([["LANG","de_DE.UTF-8"],["A","x=y; \"quoted\""],["EMPTY",""],["LANG","again"]])"});
  EXPECT_FALSE(store_.find_desktop_type(created.id + 1));
  EXPECT_FALSE(store_.find_desktop_type_by_slug("kasm"));
}

TEST_F(sqlite_desktops_test, desktop_type_defaults_round_trip) {
  const desktop_type created = store_.create_desktop_type(type_named("terminal", "Terminal desktop"));
  const desktop_type found = *store_.find_desktop_type(created.id);
  EXPECT_EQ(found.backend, "local");
  EXPECT_EQ(found.protocol, "vnc");
  EXPECT_EQ(found.auth_scheme, "vnc-password");
  EXPECT_EQ(found.secret_env, "VNC_PW");
  EXPECT_TRUE(found.tls_verify);
  EXPECT_TRUE(found.enabled);
  EXPECT_EQ(found.resources, desktop_resources{});
  EXPECT_THAT(found.environment, IsEmpty());
  EXPECT_EQ(found.start_timeout_seconds, 0);
}

TEST_F(sqlite_desktops_test, update_desktop_type_changes_everything_but_slug_and_created_at) {
  desktop_type t = store_.create_desktop_type(type_named("lab", "Lab"));
  const std::int64_t created_at = t.created_at;
  clock_.advance(30);
  t.slug = "renamed-slug";
  t.name = "Lab PC";
  t.backend = "static";
  t.port = 5901;
  t.secret = "pw";
  t.resources.pids = 100;
  t.environment = {{"X", "1"}};
  t.start_timeout_seconds = 15;
  t.enabled = false;
  store_.update_desktop_type(t);

  const desktop_type found = *store_.find_desktop_type(t.id);
  EXPECT_EQ(found.slug, "lab");
  EXPECT_EQ(found.name, "Lab PC");
  EXPECT_EQ(found.backend, "static");
  EXPECT_EQ(found.port, 5901);
  EXPECT_EQ(found.secret, "pw");
  EXPECT_EQ(found.resources.pids, 100);
  EXPECT_EQ(found.environment, (std::vector<std::pair<std::string, std::string>>{{"X", "1"}}));
  EXPECT_EQ(found.start_timeout_seconds, 15);
  EXPECT_FALSE(found.enabled);
  EXPECT_EQ(found.created_at, created_at);
  EXPECT_EQ(found.updated_at, created_at + 30);
  EXPECT_FALSE(store_.find_desktop_type_by_slug("renamed-slug"));

  t.id = 999;
  EXPECT_EQ(error_from([&] { store_.update_desktop_type(t); }).code(), errc::not_found);
}

TEST_F(sqlite_desktops_test, taken_slug_is_a_conflict_and_changes_nothing) {
  store_.create_desktop_type(type_named("terminal", "Terminal"));
  const error e = error_from([&] { store_.create_desktop_type(type_named("terminal", "Impostor")); });
  EXPECT_EQ(e.code(), errc::conflict);
  EXPECT_STREQ(e.what(), "desktop type slug already exists");
  const auto types = store_.list_desktop_types();
  ASSERT_EQ(types.size(), 1u);
  EXPECT_EQ(types[0].name, "Terminal");
}

TEST_F(sqlite_desktops_test, schema_checks_reject_an_unknown_backend) {
  desktop_type t = type_named("vm", "VM");
  t.backend = "vmware";
  EXPECT_EQ(error_from([&] { store_.create_desktop_type(t); }).code(), errc::conflict);
  EXPECT_THAT(store_.list_desktop_types(), IsEmpty());
}

TEST_F(sqlite_desktops_test, list_desktop_types_is_ordered_by_name) {
  store_.create_desktop_type(type_named("c", "Zeta"));
  store_.create_desktop_type(type_named("a", "Alpha"));
  store_.create_desktop_type(type_named("b", "Mu"));
  EXPECT_THAT(slugs_of(store_.list_desktop_types()), ElementsAre("a", "b", "c"));
}

TEST_F(sqlite_desktops_test, unreadable_json_in_the_database_is_an_internal_error) {
  const std::int64_t id = add_type("broken");
  query_file(path_, "UPDATE desktop_types SET environment = '[[\"only-a-name\"]]'");
  const error e = error_from([&] { store_.find_desktop_type(id); });
  EXPECT_EQ(e.code(), errc::internal);
  EXPECT_THAT(e.what(), testing::HasSubstr("environment"));
  query_file(path_, "UPDATE desktop_types SET environment = '[]', resources = '{\"cpus\": \"lots\"}'");
  EXPECT_THAT(error_from([&] { store_.find_desktop_type(id); }).what(), testing::HasSubstr("resources"));
}

// ---- visibility: assignments and groups ----

TEST_F(sqlite_desktops_test, a_user_sees_open_types_and_those_assigned_to_them_or_their_groups) {
  const std::int64_t ada = add_user("ada");
  const std::int64_t bob = add_user("bob");
  const std::int64_t open = add_type("open", true);
  const std::int64_t direct = add_type("direct");
  const std::int64_t via_group = add_type("via-group");
  add_type("nobody");
  const group klasse = store_.upsert_group("class-5a", "5a");
  store_.set_group_members(klasse.id, {ada});
  store_.create_assignment({.desktop_type_id = direct, .title = "T", .user_ids = {ada}});
  store_.create_assignment({.desktop_type_id = via_group, .title = "T", .group_ids = {klasse.id}});

  EXPECT_THAT(slugs_of(store_.list_desktop_types_for(ada)), ElementsAre("direct", "open", "via-group"));
  EXPECT_THAT(slugs_of(store_.list_desktop_types_for(bob)), ElementsAre("open"));
  EXPECT_THAT(slugs_of(store_.list_desktop_types_for(12345)), ElementsAre("open"));

  // Leaving the group takes the group's types away, nothing else.
  store_.set_group_members(klasse.id, {bob});
  EXPECT_THAT(slugs_of(store_.list_desktop_types_for(ada)), ElementsAre("direct", "open"));
  EXPECT_THAT(slugs_of(store_.list_desktop_types_for(bob)), ElementsAre("open", "via-group"));
  (void)open;
}

TEST_F(sqlite_desktops_test, a_type_assigned_several_ways_is_listed_once) {
  const std::int64_t ada = add_user("ada");
  const std::int64_t type = add_type("everywhere", true);
  const group g1 = store_.upsert_group("g1", "G1");
  const group g2 = store_.upsert_group("g2", "G2");
  store_.set_group_members(g1.id, {ada});
  store_.set_group_members(g2.id, {ada});
  store_.create_assignment({.desktop_type_id = type, .title = "T", .user_ids = {ada}});
  store_.create_assignment({.desktop_type_id = type, .title = "T", .user_ids = {ada}});
  store_.create_assignment({.desktop_type_id = type, .title = "T", .group_ids = {g1.id}});
  store_.create_assignment({.desktop_type_id = type, .title = "T", .group_ids = {g2.id}});
  EXPECT_THAT(slugs_of(store_.list_desktop_types_for(ada)), ElementsAre("everywhere"));
}

TEST_F(sqlite_desktops_test, a_disabled_type_is_hidden_however_it_is_assigned) {
  const std::int64_t ada = add_user("ada");
  desktop_type t = type_named("off", "Off");
  t.open_to_all = true;
  t.enabled = false;
  const std::int64_t off = store_.create_desktop_type(t).id;
  const group g = store_.upsert_group("g", "G");
  store_.set_group_members(g.id, {ada});
  store_.create_assignment({.desktop_type_id = off, .title = "T", .user_ids = {ada}});
  store_.create_assignment({.desktop_type_id = off, .title = "T", .group_ids = {g.id}});
  EXPECT_THAT(store_.list_desktop_types_for(ada), IsEmpty());

  t = *store_.find_desktop_type(off);
  t.enabled = true;
  store_.update_desktop_type(t);
  EXPECT_THAT(slugs_of(store_.list_desktop_types_for(ada)), ElementsAre("off"));
}

TEST_F(sqlite_desktops_test, deleting_an_assignment_takes_the_type_away) {
  const std::int64_t ada = add_user("ada");
  const std::int64_t type = add_type("assigned");
  const assignment a =
      store_.create_assignment({.desktop_type_id = type, .title = "T", .user_ids = {ada}, .folder = "Aufgaben"});
  EXPECT_GT(a.id, 0);
  EXPECT_EQ(a.user_ids, std::vector<std::int64_t>{ada});
  EXPECT_THAT(a.group_ids, IsEmpty());
  EXPECT_EQ(a.folder, "Aufgaben");
  EXPECT_EQ(a.created_at, clock_.now());
  EXPECT_THAT(slugs_of(store_.list_desktop_types_for(ada)), ElementsAre("assigned"));
  store_.delete_assignment(a.id);
  EXPECT_THAT(store_.list_desktop_types_for(ada), IsEmpty());
}

TEST_F(sqlite_desktops_test, an_assignment_targets_groups_and_users_at_once) {
  const std::int64_t ada = add_user("ada");
  const std::int64_t bob = add_user("bob");
  const std::int64_t cem = add_user("cem");
  const std::int64_t teacher = add_user("tina");
  const std::int64_t type = add_type("lab");
  const group g1 = store_.upsert_group("g1", "G1");
  const group g2 = store_.upsert_group("g2", "G2");
  store_.set_group_members(g1.id, {ada});
  store_.set_group_members(g2.id, {bob});
  const assignment a = store_.create_assignment({.desktop_type_id = type,
                                                 .title = "Week 3",
                                                 .group_ids = {g2.id, g1.id, g1.id},
                                                 .user_ids = {cem},
                                                 .folder = "Worksheets/Week 3",
                                                 .created_by = teacher});
  EXPECT_EQ(a.title, "Week 3");
  EXPECT_EQ(a.group_ids, (std::vector<std::int64_t>{g1.id, g2.id}));
  EXPECT_EQ(a.user_ids, std::vector<std::int64_t>{cem});
  EXPECT_EQ(a.updated_at, a.created_at);
  for (std::int64_t u : {ada, bob, cem}) {
    EXPECT_TRUE(store_.assignment_includes(a.id, u)) << u;
    EXPECT_THAT(slugs_of(store_.list_desktop_types_for(u)), ElementsAre("lab"));
    ASSERT_EQ(store_.list_assignments_for(u).size(), 1u);
  }
  EXPECT_FALSE(store_.assignment_includes(a.id, teacher));
  EXPECT_THAT(store_.list_assignments_for(teacher), IsEmpty());
  EXPECT_EQ(store_.list_assignments(teacher).size(), 1u);
  EXPECT_THAT(store_.list_assignments(ada), IsEmpty());
  EXPECT_EQ(store_.list_assignments(std::nullopt).size(), 1u);

  // An update replaces the targets and stamps updated_at; the creator stays.
  clock_.advance(60);
  assignment changed = a;
  changed.title = "Week 4";
  changed.group_ids = {};
  changed.user_ids = {ada};
  store_.update_assignment(changed);
  const assignment found = *store_.find_assignment(a.id);
  EXPECT_EQ(found.title, "Week 4");
  EXPECT_THAT(found.group_ids, IsEmpty());
  EXPECT_EQ(found.user_ids, std::vector<std::int64_t>{ada});
  EXPECT_EQ(found.created_by, teacher);
  EXPECT_EQ(found.created_at, a.created_at);
  EXPECT_EQ(found.updated_at, a.created_at + 60);
  EXPECT_FALSE(store_.assignment_includes(a.id, bob));
  EXPECT_THAT(store_.list_desktop_types_for(bob), IsEmpty());

  changed.id = 999;
  EXPECT_EQ(error_from([&] { store_.update_assignment(changed); }).code(), errc::not_found);
}

TEST_F(sqlite_desktops_test, an_assignment_with_an_unknown_target_is_not_written) {
  const std::int64_t type = add_type("t");
  EXPECT_EQ(
      error_from([&] { store_.create_assignment({.desktop_type_id = type, .title = "T", .group_ids = {42}}); }).code(),
      errc::conflict);
  EXPECT_EQ(
      error_from([&] { store_.create_assignment({.desktop_type_id = type, .title = "T", .user_ids = {42}}); }).code(),
      errc::conflict);
  EXPECT_EQ(error_from([&] { store_.create_assignment({.desktop_type_id = type}); }).code(), errc::conflict)
      << "a title is required";
  EXPECT_EQ(query_file(path_, "SELECT COUNT(*) FROM assignments"), std::vector<std::string>{"0"});
}

TEST_F(sqlite_desktops_test, groups_list_their_members_and_go_with_their_targets) {
  const std::int64_t ada = add_user("ada");
  const std::int64_t bob = add_user("bob");
  const std::int64_t tina = add_user("tina");
  const group g = store_.create_group("local:5a", "5a");
  EXPECT_EQ(error_from([&] { store_.create_group("local:5a", "5a"); }).code(), errc::conflict);
  store_.set_group_members(g.id, {bob, ada, tina});
  EXPECT_EQ(store_.find_group(g.id)->member_count, 3);
  ASSERT_EQ(store_.list_groups().size(), 1u);
  EXPECT_EQ(store_.list_groups_of(ada).front().member_count, 3);
  std::vector<std::string> names;
  for (const user& u : store_.list_group_members(g.id)) names.push_back(u.username);
  EXPECT_THAT(names, ElementsAre("ada", "bob", "tina"));
  EXPECT_TRUE(store_.is_group_member(g.id, ada));
  EXPECT_TRUE(store_.shares_group(tina, ada));
  const std::int64_t other = add_user("olga");
  EXPECT_FALSE(store_.is_group_member(g.id, other));
  EXPECT_FALSE(store_.shares_group(tina, other));

  const std::int64_t type = add_type("t");
  const desktop d = add_desktop(ada, type);
  add_desktop(other, type);
  ASSERT_EQ(store_.list_group_desktops(g.id).size(), 1u);
  EXPECT_EQ(store_.list_group_desktops(g.id).front().id, d.id);

  const assignment a = store_.create_assignment({.desktop_type_id = type, .title = "T", .group_ids = {g.id}});
  store_.delete_group(g.id);
  EXPECT_FALSE(store_.find_group(g.id));
  EXPECT_THAT(store_.find_assignment(a.id)->group_ids, IsEmpty());
  EXPECT_FALSE(store_.shares_group(tina, ada));
}

TEST_F(sqlite_desktops_test, upsert_group_keeps_the_id_and_updates_the_name) {
  const group first = store_.upsert_group("class-5a", "5a");
  EXPECT_GT(first.id, 0);
  EXPECT_EQ(first.external_id, "class-5a");
  EXPECT_EQ(first.name, "5a");
  const group again = store_.upsert_group("class-5a", "Klasse 5a");
  EXPECT_EQ(again.id, first.id);
  EXPECT_EQ(again.name, "Klasse 5a");
  const group other = store_.upsert_group("class-5b", "5b");
  EXPECT_NE(other.id, first.id);
  EXPECT_EQ(query_file(path_, "SELECT external_id || '=' || name FROM groups ORDER BY id"),
            (std::vector<std::string>{"class-5a=Klasse 5a", "class-5b=5b"}));
}

TEST_F(sqlite_desktops_test, set_group_members_replaces_the_list_in_one_transaction) {
  const std::int64_t ada = add_user("ada");
  const std::int64_t bob = add_user("bob");
  const std::int64_t eve = add_user("eve");
  const group g = store_.upsert_group("g", "G");
  const std::string members_sql =
      "SELECT user_id FROM group_members WHERE group_id = " + std::to_string(g.id) + " ORDER BY user_id";
  store_.set_group_members(g.id, {ada, bob, ada});
  EXPECT_EQ(query_file(path_, members_sql), (std::vector<std::string>{std::to_string(ada), std::to_string(bob)}));
  store_.set_group_members(g.id, {eve});
  EXPECT_EQ(query_file(path_, members_sql), std::vector<std::string>{std::to_string(eve)});

  // An unknown user fails the whole replacement: the old list stays.
  EXPECT_EQ(error_from([&] { store_.set_group_members(g.id, {ada, 4242}); }).code(), errc::conflict);
  EXPECT_EQ(query_file(path_, members_sql), std::vector<std::string>{std::to_string(eve)});
  EXPECT_EQ(error_from([&] { store_.set_group_members(g.id + 100, {ada}); }).code(), errc::not_found);

  store_.set_group_members(g.id, {});
  EXPECT_THAT(query_file(path_, members_sql), IsEmpty());
}

// ---- desktops ----

TEST_F(sqlite_desktops_test, desktop_round_trips_and_is_found_three_ways) {
  const std::int64_t ada = add_user("ada");
  const std::int64_t type = add_type("t");
  desktop d;
  d.public_id = "Zq3-unguessable";
  d.user_id = ada;
  d.desktop_type_id = type;
  d.backend_host = "docker1";
  d.container_id = "c0ffee";
  d.state = desktop_state::running;
  d.endpoint = "tcp:127.0.0.1:15901";
  d.secret = "vnc-pw";
  d.error = "";
  d.started_at = 111;
  d.last_active_at = 222;
  const desktop created = store_.create_desktop(d);
  EXPECT_GT(created.id, 0);
  EXPECT_EQ(created.created_at, clock_.now());

  for (const desktop& found : {*store_.find_desktop(created.id), *store_.find_desktop_by_public_id("Zq3-unguessable"),
                               *store_.find_desktop_of(ada, type)}) {
    EXPECT_EQ(found.id, created.id);
    EXPECT_EQ(found.public_id, "Zq3-unguessable");
    EXPECT_EQ(found.user_id, ada);
    EXPECT_EQ(found.desktop_type_id, type);
    EXPECT_EQ(found.backend_host, "docker1");
    EXPECT_EQ(found.container_id, "c0ffee");
    EXPECT_EQ(found.state, desktop_state::running);
    EXPECT_EQ(found.endpoint, "tcp:127.0.0.1:15901");
    EXPECT_EQ(found.secret, "vnc-pw");
    EXPECT_EQ(found.started_at, 111);
    EXPECT_EQ(found.stopped_at, std::nullopt);
    EXPECT_EQ(found.last_active_at, 222);
  }
  EXPECT_FALSE(store_.find_desktop(created.id + 1));
  EXPECT_FALSE(store_.find_desktop_by_public_id("zq3-unguessable"));
  EXPECT_FALSE(store_.find_desktop_of(ada, type + 1));
}

TEST_F(sqlite_desktops_test, a_desktop_is_found_with_its_type_in_one_read) {
  const std::int64_t ada = add_user("ada");
  desktop_type t = type_named("ws", "WebSocket desktop");
  t.protocol = "websocket";
  t.backend = "static";
  t.port = 6901;
  t.tls = true;
  t.tls_verify = false;
  t.upstream_path = "/websockify";
  t.auth_scheme = "basic";
  t.secret = "type-secret";
  t.environment = {{"LANG", "de_DE.UTF-8"}};
  t.resources.pids = 64;
  t.open_to_all = true;
  const desktop_type created_type = store_.create_desktop_type(t);
  const std::int64_t other_type = add_type("other");
  desktop d;
  d.public_id = "pub-ws";
  d.user_id = ada;
  d.desktop_type_id = created_type.id;
  d.state = desktop_state::running;
  d.endpoint = "tcp:127.0.0.1:6901";
  d.secret = "desktop-secret";
  d.last_active_at = 333;
  const desktop created = store_.create_desktop(d);
  add_desktop(ada, other_type);

  const auto found = store_.find_desktop_with_type("pub-ws");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->desk.id, created.id);
  EXPECT_EQ(found->desk.user_id, ada);
  EXPECT_EQ(found->desk.state, desktop_state::running);
  EXPECT_EQ(found->desk.endpoint, "tcp:127.0.0.1:6901");
  EXPECT_EQ(found->desk.secret, "desktop-secret");
  EXPECT_EQ(found->desk.last_active_at, 333);
  const desktop_type& type = found->type;
  EXPECT_EQ(type.id, created_type.id);
  EXPECT_EQ(type.slug, "ws");
  EXPECT_EQ(type.protocol, "websocket");
  EXPECT_EQ(type.port, 6901);
  EXPECT_TRUE(type.tls);
  EXPECT_FALSE(type.tls_verify);
  EXPECT_EQ(type.upstream_path, "/websockify");
  EXPECT_EQ(type.auth_scheme, "basic");
  EXPECT_EQ(type.secret, "type-secret");
  EXPECT_EQ(type.environment, t.environment);
  EXPECT_EQ(type.resources, t.resources);
  EXPECT_TRUE(type.open_to_all);
  EXPECT_EQ(type.updated_at, created_type.updated_at);  // the last column: the offsets line up

  EXPECT_EQ(store_.find_desktop_with_type("pub-" + std::to_string(ada) + "-" + std::to_string(other_type))->type.slug,
            "other");
  EXPECT_FALSE(store_.find_desktop_with_type("PUB-WS"));
  EXPECT_FALSE(store_.find_desktop_with_type(""));
}

TEST_F(sqlite_desktops_test, lists_are_oldest_first_and_per_user) {
  const std::int64_t ada = add_user("ada");
  const std::int64_t bob = add_user("bob");
  const std::int64_t t1 = add_type("t1");
  const std::int64_t t2 = add_type("t2");
  const desktop a1 = add_desktop(ada, t1);
  const desktop b1 = add_desktop(bob, t1);
  const desktop a2 = add_desktop(ada, t2);
  std::vector<std::int64_t> all;
  for (const desktop& d : store_.list_desktops()) all.push_back(d.id);
  EXPECT_THAT(all, ElementsAre(a1.id, b1.id, a2.id));
  std::vector<std::int64_t> of_ada;
  for (const desktop& d : store_.list_desktops_of(ada)) of_ada.push_back(d.id);
  EXPECT_THAT(of_ada, ElementsAre(a1.id, a2.id));
  EXPECT_THAT(store_.list_desktops_of(ada + bob + 10), IsEmpty());
}

TEST_F(sqlite_desktops_test, one_desktop_per_user_and_type_and_unique_public_ids) {
  const std::int64_t ada = add_user("ada");
  const std::int64_t bob = add_user("bob");
  const std::int64_t type = add_type("t");
  add_desktop(ada, type);

  desktop same_pair;
  same_pair.public_id = "another-id";
  same_pair.user_id = ada;
  same_pair.desktop_type_id = type;
  const error pair = error_from([&] { store_.create_desktop(same_pair); });
  EXPECT_EQ(pair.code(), errc::conflict);
  EXPECT_STREQ(pair.what(), "user already has a desktop of this type");

  desktop same_public_id;
  same_public_id.public_id = "pub-" + std::to_string(ada) + "-" + std::to_string(type);
  same_public_id.user_id = bob;
  same_public_id.desktop_type_id = type;
  const error id = error_from([&] { store_.create_desktop(same_public_id); });
  EXPECT_EQ(id.code(), errc::conflict);
  EXPECT_STREQ(id.what(), "desktop id already exists");
  EXPECT_EQ(store_.list_desktops().size(), 1u);
}

TEST_F(sqlite_desktops_test, update_desktop_changes_only_the_fields_set) {
  const desktop d = add_desktop(add_user("ada"), add_type("t"));
  store_.update_desktop(d.id, {.container_id = "abc", .endpoint = "unix:/run/x.sock", .started_at = 50});
  store_.update_desktop(d.id, {.last_active_at = 60});
  desktop found = *store_.find_desktop(d.id);
  EXPECT_EQ(found.container_id, "abc");
  EXPECT_EQ(found.endpoint, "unix:/run/x.sock");
  EXPECT_EQ(found.started_at, 50);
  EXPECT_EQ(found.last_active_at, 60);
  EXPECT_EQ(found.stopped_at, std::nullopt);
  EXPECT_EQ(found.public_id, d.public_id);
  EXPECT_EQ(found.state, desktop_state::stopped);

  store_.update_desktop(d.id, {.container_id = ""});
  found = *store_.find_desktop(d.id);
  EXPECT_EQ(found.container_id, "");
  EXPECT_EQ(found.endpoint, "unix:/run/x.sock");

  store_.update_desktop(d.id, {});
  EXPECT_EQ(error_from([&] { store_.update_desktop(d.id + 1, {.error = "x"}); }).code(), errc::not_found);
  EXPECT_EQ(error_from([&] { store_.update_desktop(d.id + 1, {}); }).code(), errc::not_found);
}

TEST_F(sqlite_desktops_test, delete_desktop_removes_it_and_frees_its_ports) {
  const std::int64_t ada = add_user("ada");
  const desktop d = add_desktop(ada, add_type("t1"));
  const desktop other = add_desktop(ada, add_type("t2"));
  ASSERT_EQ(store_.allocate_port("docker1", 15900, 15900, d.id, [](std::uint16_t) { return true; }), 15900);
  store_.delete_desktop(d.id);
  EXPECT_FALSE(store_.find_desktop(d.id));
  EXPECT_FALSE(store_.port_of(d.id));
  EXPECT_EQ(store_.allocate_port("docker1", 15900, 15900, other.id, [](std::uint16_t) { return true; }), 15900);
  store_.delete_desktop(d.id);  // already gone: nothing to do
}

// ---- transitions ----

TEST_F(sqlite_desktops_test, transition_is_a_compare_and_set) {
  const desktop d = add_desktop(add_user("ada"), add_type("t"), desktop_state::stopped);

  EXPECT_FALSE(store_.transition_desktop(d.id, {desktop_state::running, desktop_state::starting},
                                         desktop_state::stopping, {.error = "must not be written"}));
  EXPECT_EQ(state_of(d.id), desktop_state::stopped);
  EXPECT_EQ(store_.find_desktop(d.id)->error, "");

  EXPECT_TRUE(store_.transition_desktop(d.id, {desktop_state::error, desktop_state::stopped}, desktop_state::creating,
                                        {.backend_host = "docker2", .started_at = 77}));
  desktop found = *store_.find_desktop(d.id);
  EXPECT_EQ(found.state, desktop_state::creating);
  EXPECT_EQ(found.backend_host, "docker2");
  EXPECT_EQ(found.started_at, 77);
  EXPECT_EQ(found.container_id, "");

  // The same move again finds the desktop no longer stopped.
  EXPECT_FALSE(store_.transition_desktop(d.id, {desktop_state::stopped}, desktop_state::creating));
  EXPECT_FALSE(store_.transition_desktop(d.id, {}, desktop_state::running));
  EXPECT_FALSE(store_.transition_desktop(d.id + 1, {desktop_state::creating}, desktop_state::running));
  EXPECT_EQ(state_of(d.id), desktop_state::creating);
  EXPECT_TRUE(
      store_.transition_desktop(d.id, {desktop_state::creating}, desktop_state::error, {.error = "image not found"}));
  found = *store_.find_desktop(d.id);
  EXPECT_EQ(found.state, desktop_state::error);
  EXPECT_EQ(found.error, "image not found");
  EXPECT_EQ(found.backend_host, "docker2");
}

TEST_F(sqlite_desktops_test, twenty_threads_racing_the_same_transition_have_one_winner) {
  const desktop d = add_desktop(add_user("ada"), add_type("t"), desktop_state::stopped);
  constexpr int threads = 20;
  std::latch start(threads);
  std::atomic<int> winners = 0;
  std::mutex mutex;
  std::vector<std::string> failures;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      start.arrive_and_wait();
      try {
        if (store_.transition_desktop(d.id, {desktop_state::stopped}, desktop_state::creating,
                                      {.container_id = "winner-" + std::to_string(t)})) {
          ++winners;
        }
      } catch (const std::exception& e) {
        std::lock_guard lock(mutex);
        failures.push_back(e.what());
      }
    });
  }
  for (auto& w : workers) w.join();
  EXPECT_THAT(failures, IsEmpty());
  EXPECT_EQ(winners.load(), 1);
  EXPECT_EQ(state_of(d.id), desktop_state::creating);
  EXPECT_THAT(store_.find_desktop(d.id)->container_id, testing::StartsWith("winner-"));
}

TEST_F(sqlite_desktops_test, within_limits_refuses_at_max_per_user) {
  const std::int64_t ada = add_user("ada");
  const desktop running = add_desktop(ada, add_type("t1"), desktop_state::running);
  add_desktop(ada, add_type("t2"), desktop_state::starting);
  add_desktop(ada, add_type("t3"), desktop_state::error);  // not active: not counted
  const desktop stopped = add_desktop(ada, add_type("t4"), desktop_state::stopped);
  const std::vector<desktop_state> from = {desktop_state::stopped, desktop_state::error};

  EXPECT_EQ(store_.count_active_desktops(ada), 2);
  EXPECT_FALSE(store_.transition_desktop_within_limits(stopped.id, from, desktop_state::creating, 2, 100));
  EXPECT_EQ(state_of(stopped.id), desktop_state::stopped);
  EXPECT_TRUE(store_.transition_desktop_within_limits(stopped.id, from, desktop_state::creating, 3, 100));
  EXPECT_EQ(state_of(stopped.id), desktop_state::creating);
  EXPECT_EQ(store_.count_active_desktops(ada), 3);

  // Stopping one makes room again.
  ASSERT_TRUE(store_.transition_desktop(running.id, {desktop_state::running}, desktop_state::stopped));
  EXPECT_TRUE(store_.transition_desktop_within_limits(running.id, from, desktop_state::creating, 3, 100));
  // Within limits but in the wrong state.
  EXPECT_FALSE(store_.transition_desktop_within_limits(running.id, from, desktop_state::creating, 10, 100));
}

TEST_F(sqlite_desktops_test, within_limits_refuses_at_max_total_counting_everyone) {
  const std::int64_t type = add_type("t");
  add_desktop(add_user("ada"), type, desktop_state::running);
  add_desktop(add_user("bob"), type, desktop_state::stopping);
  add_desktop(add_user("cem"), type, desktop_state::stopped);
  const std::int64_t dora = add_user("dora");
  const desktop mine = add_desktop(dora, type, desktop_state::stopped);
  const std::vector<desktop_state> from = {desktop_state::stopped};

  EXPECT_EQ(store_.count_active_desktops(std::nullopt), 2);
  EXPECT_EQ(store_.count_active_desktops(dora), 0);
  EXPECT_FALSE(store_.transition_desktop_within_limits(mine.id, from, desktop_state::creating, 5, 2));
  EXPECT_EQ(state_of(mine.id), desktop_state::stopped);
  EXPECT_TRUE(store_.transition_desktop_within_limits(mine.id, from, desktop_state::creating, 5, 3));
  EXPECT_EQ(store_.count_active_desktops(std::nullopt), 3);
}

TEST_F(sqlite_desktops_test, racing_starts_never_exceed_max_total) {
  constexpr int threads = 20;
  constexpr int max_total = 5;
  const std::int64_t type = add_type("t");
  std::vector<std::int64_t> ids;
  for (int i = 0; i < threads; ++i) ids.push_back(add_desktop(add_user("u" + std::to_string(i)), type).id);

  std::latch start(threads);
  std::atomic<int> started = 0;
  std::mutex mutex;
  std::vector<std::string> failures;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      start.arrive_and_wait();
      try {
        if (store_.transition_desktop_within_limits(ids[t], {desktop_state::stopped}, desktop_state::creating, 1,
                                                    max_total)) {
          ++started;
        }
      } catch (const std::exception& e) {
        std::lock_guard lock(mutex);
        failures.push_back(e.what());
      }
    });
  }
  for (auto& w : workers) w.join();
  EXPECT_THAT(failures, IsEmpty());
  EXPECT_EQ(started.load(), max_total);
  EXPECT_EQ(store_.count_active_desktops(std::nullopt), max_total);
}

// ---- deleting a desktop type ----

TEST_F(sqlite_desktops_test, a_type_with_desktops_cannot_be_deleted) {
  const std::int64_t ada = add_user("ada");
  const std::int64_t type = add_type("t");
  store_.create_assignment({.desktop_type_id = type, .title = "T", .user_ids = {ada}});
  const desktop d = add_desktop(ada, type);

  const error e = error_from([&] { store_.delete_desktop_type(type); });
  EXPECT_EQ(e.code(), errc::conflict);
  EXPECT_STREQ(e.what(), "desktops of this type still exist; remove them first");
  EXPECT_TRUE(store_.find_desktop_type(type));
  EXPECT_EQ(query_file(path_, "SELECT COUNT(*) FROM assignments"), std::vector<std::string>{"1"});

  store_.delete_desktop(d.id);
  store_.delete_desktop_type(type);
  EXPECT_FALSE(store_.find_desktop_type(type));
  EXPECT_EQ(query_file(path_, "SELECT COUNT(*) FROM assignments"), std::vector<std::string>{"0"});
  store_.delete_desktop_type(type);  // already gone: nothing to do
}

// ---- ports ----

TEST_F(sqlite_desktops_test, ports_are_the_lowest_free_in_range_per_host) {
  const std::int64_t ada = add_user("ada");
  const desktop a = add_desktop(ada, add_type("t1"));
  const desktop b = add_desktop(ada, add_type("t2"));
  const desktop c = add_desktop(ada, add_type("t3"));
  const auto any = [](std::uint16_t) { return true; };
  EXPECT_EQ(store_.allocate_port("docker1", 20000, 20010, a.id, any), 20000);
  EXPECT_EQ(store_.allocate_port("docker1", 20000, 20010, b.id, any), 20001);
  EXPECT_EQ(store_.allocate_port("docker2", 20000, 20010, c.id, any), 20000);  // another host
  EXPECT_EQ(store_.port_of(a.id), 20000);
  EXPECT_EQ(store_.port_of(b.id), 20001);

  store_.release_ports(a.id);
  EXPECT_FALSE(store_.port_of(a.id));
  EXPECT_EQ(store_.allocate_port("docker1", 20000, 20010, c.id, any), 20000);
  EXPECT_EQ(store_.port_of(b.id), 20001);
}

TEST_F(sqlite_desktops_test, allocating_again_returns_the_port_already_held) {
  const desktop d = add_desktop(add_user("ada"), add_type("t"));
  int calls = 0;
  const auto counting = [&calls](std::uint16_t) {
    ++calls;
    return true;
  };
  EXPECT_EQ(store_.allocate_port("docker1", 21000, 21010, d.id, counting), 21000);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(store_.allocate_port("docker1", 21000, 21010, d.id, counting), 21000);
  EXPECT_EQ(store_.allocate_port("docker1", 21005, 21010, d.id, counting), 21000);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(query_file(path_, "SELECT COUNT(*) FROM port_allocations"), std::vector<std::string>{"1"});
}

TEST_F(sqlite_desktops_test, unusable_ports_are_skipped_and_probed_outside_any_transaction) {
  const std::int64_t ada = add_user("ada");
  const desktop a = add_desktop(ada, add_type("t1"));
  const desktop b = add_desktop(ada, add_type("t2"));
  std::vector<std::uint16_t> probed;
  std::vector<int> lock_results;
  const auto usable = [&](std::uint16_t port) {
    probed.push_back(port);
    // Another connection can take the write lock at once only if allocate_port holds none.
    sqlite3* db = nullptr;
    sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr);
    sqlite3_busy_timeout(db, 0);
    lock_results.push_back(sqlite3_exec(db, "BEGIN IMMEDIATE; ROLLBACK", nullptr, nullptr, nullptr));
    sqlite3_close(db);
    return port != 22001;  // something else listens there
  };
  EXPECT_EQ(store_.allocate_port("docker1", 22000, 22005, a.id, usable), 22000);
  EXPECT_EQ(store_.allocate_port("docker1", 22000, 22005, b.id, usable), 22002);
  // 22000 is allocated by then, so it is not probed again.
  EXPECT_THAT(probed, ElementsAre(22000, 22001, 22002));
  EXPECT_THAT(lock_results, testing::Each(SQLITE_OK));
}

TEST_F(sqlite_desktops_test, a_port_another_gateway_takes_meanwhile_is_given_up_for_the_next) {
  const std::int64_t ada = add_user("ada");
  const desktop mine = add_desktop(ada, add_type("t1"));
  const desktop theirs = add_desktop(ada, add_type("t2"));
  // While this gateway probes 26000, another one records 26000 and 26001 for its own desktop.
  const auto usable = [&](std::uint16_t port) {
    if (port == 26000) {
      for (int taken : {26000, 26001}) {
        query_file(path_, "INSERT INTO port_allocations (backend_host, port, desktop_id) VALUES ('docker1', " +
                              std::to_string(taken) + ", " + std::to_string(theirs.id) + ")");
      }
    }
    return true;
  };
  EXPECT_EQ(store_.allocate_port("docker1", 26000, 26005, mine.id, usable), 26002);
  EXPECT_EQ(store_.port_of(mine.id), 26002);
  EXPECT_EQ(store_.port_of(theirs.id), 26000);
}

TEST_F(sqlite_desktops_test, an_exhausted_range_gives_nullopt) {
  const std::int64_t ada = add_user("ada");
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 4; ++i) ids.push_back(add_desktop(ada, add_type("t" + std::to_string(i))).id);
  const auto any = [](std::uint16_t) { return true; };
  EXPECT_EQ(store_.allocate_port("docker1", 23000, 23002, ids[0], any), 23000);
  EXPECT_EQ(store_.allocate_port("docker1", 23000, 23002, ids[1], any), 23001);
  EXPECT_EQ(store_.allocate_port("docker1", 23000, 23002, ids[2], any), 23002);
  EXPECT_EQ(store_.allocate_port("docker1", 23000, 23002, ids[3], any), std::nullopt);
  EXPECT_EQ(store_.allocate_port("docker1", 24000, 24005, ids[3], [](std::uint16_t) { return false; }), std::nullopt);
  EXPECT_EQ(store_.allocate_port("docker1", 24005, 24000, ids[3], any), std::nullopt);
  EXPECT_FALSE(store_.port_of(ids[3]));
  // The top of the range is reachable without the counter wrapping around.
  EXPECT_EQ(store_.allocate_port("docker1", 65535, 65535, ids[3], any), 65535);
}

TEST_F(sqlite_desktops_test, a_port_for_an_unknown_desktop_is_refused) {
  EXPECT_EQ(error_from([&] {
              store_.allocate_port("docker1", 25000, 25010, 999, [](std::uint16_t) { return true; });
            }).code(),
            errc::conflict);
}

TEST(sqlite_desktops_file, twenty_threads_allocate_twenty_distinct_ports) {
  temp_dir dir;
  manual_clock clock;
  sqlite_store store(dir.file("ports.db"), clock, 4, 10000);
  store.migrate();
  constexpr int threads = 20;
  const std::int64_t type = store.create_desktop_type(type_named("t", "T")).id;
  std::vector<std::int64_t> ids;
  for (int i = 0; i < threads; ++i) {
    desktop d;
    d.public_id = "d" + std::to_string(i);
    d.user_id = store.create_user({.username = "u" + std::to_string(i)}).id;
    d.desktop_type_id = type;
    ids.push_back(store.create_desktop(d).id);
  }

  std::latch start(threads);
  std::atomic<int> probes = 0;
  std::mutex mutex;
  std::vector<std::string> failures;
  std::vector<std::optional<std::uint16_t>> ports(threads);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      start.arrive_and_wait();
      try {
        ports[t] = store.allocate_port("docker1", 30000, 30100, ids[t], [&probes](std::uint16_t) {
          ++probes;
          return true;
        });
      } catch (const std::exception& e) {
        std::lock_guard lock(mutex);
        failures.push_back(e.what());
      }
    });
  }
  for (auto& w : workers) w.join();

  EXPECT_THAT(failures, IsEmpty());
  std::set<std::uint16_t> distinct;
  for (int t = 0; t < threads; ++t) {
    ASSERT_TRUE(ports[t]) << "thread " << t << " got no port";
    EXPECT_GE(*ports[t], 30000);
    EXPECT_LT(*ports[t], 30000 + threads);  // lowest free first: no gaps
    EXPECT_EQ(store.port_of(ids[t]), ports[t]);
    distinct.insert(*ports[t]);
  }
  EXPECT_EQ(distinct.size(), static_cast<std::size_t>(threads));
  EXPECT_GE(probes.load(), threads);
  EXPECT_EQ(query_file(dir.file("ports.db"), "SELECT COUNT(*) FROM port_allocations"),
            std::vector<std::string>{std::to_string(threads)});
}

// ---- migration 2 ----

TEST(sqlite_desktops_migration, version_2_applies_on_top_of_a_version_1_database) {
  temp_dir dir;
  manual_clock clock;
  const std::string path = dir.file("v1.db");
  ASSERT_GE(builtin_migrations().size(), 2u);
  {
    sqlite_store v1(path, clock, 2, 5000);
    ASSERT_EQ(v1.migrate(builtin_migrations().first(1)), 1);
    ASSERT_EQ(v1.schema_version(), 1);
  }
  // A row as version 1 wrote it, with the column defaults of that schema.
  query_file(path,
             "INSERT INTO desktop_types (slug, name, backend, port, http_port, upstream_path, auth_scheme, secret, "
             "created_at, updated_at) VALUES ('old', 'Old type', 'static', 5901, 6080, '/ws', 'none', 'pw', 1, 1)");

  sqlite_store store(path, clock, 2, 5000);
  EXPECT_EQ(store.migrate(builtin_migrations().first(2)), 1);
  EXPECT_EQ(store.schema_version(), 2);
  EXPECT_EQ(query_file(path, "SELECT version || ':' || name FROM schema_migrations ORDER BY version"),
            (std::vector<std::string>{"1:initial_schema", "2:desktop_type_secret_env_and_start_timeout"}));

  const auto old = store.find_desktop_type_by_slug("old");
  ASSERT_TRUE(old);
  EXPECT_EQ(old->secret_env, "VNC_PW");
  EXPECT_EQ(old->start_timeout_seconds, 0);
  EXPECT_EQ(old->port, 5901);
  EXPECT_EQ(old->http_port, 6080);
  EXPECT_EQ(old->upstream_path, "/ws");
  EXPECT_EQ(old->auth_scheme, "none");
  EXPECT_EQ(old->secret, "pw");
  EXPECT_EQ(old->resources, desktop_resources{});
  EXPECT_THAT(old->environment, IsEmpty());  // version 1's default '{}'

  desktop_type fresh = type_named("new", "New type");
  fresh.secret_env = "PASSWORD";
  fresh.start_timeout_seconds = 90;
  store.create_desktop_type(fresh);
  EXPECT_EQ(store.find_desktop_type_by_slug("new")->secret_env, "PASSWORD");
  EXPECT_EQ(store.find_desktop_type_by_slug("new")->start_timeout_seconds, 90);
  EXPECT_EQ(store.migrate(builtin_migrations().first(2)), 0);
}

// ---- migration 4 ----

TEST(sqlite_desktops_migration, version_4_moves_old_assignments_into_targets) {
  temp_dir dir;
  manual_clock clock;
  const std::string path = dir.file("v3.db");
  {
    sqlite_store v3(path, clock, 2, 5000);
    ASSERT_EQ(v3.migrate(builtin_migrations().first(3)), 3);
  }
  // Rows as version 3 wrote them: one assignment per group or user.
  query_file(path,
             "INSERT INTO users (id, username, created_at, updated_at) VALUES (1, 'ada', 1, 1), (2, 'tina', 1, 1)");
  query_file(path, "INSERT INTO groups (id, external_id, name) VALUES (1, 'class-5a', '5a')");
  query_file(path, "INSERT INTO group_members (group_id, user_id) VALUES (1, 1)");
  query_file(path,
             "INSERT INTO desktop_types (id, slug, name, backend, created_at, updated_at) "
             "VALUES (1, 'lab', 'Lab', 'static', 1, 1)");
  query_file(path,
             "INSERT INTO assignments (id, desktop_type_id, group_id, user_id, folder, created_by, created_at) "
             "VALUES (5, 1, 1, NULL, 'Aufgaben', 2, 7), (6, 1, NULL, 1, '', NULL, 8)");

  sqlite_store store(path, clock, 2, 5000);
  EXPECT_EQ(store.migrate(), static_cast<int>(builtin_migrations().size()) - 3);
  const auto by_group = store.find_assignment(5);
  ASSERT_TRUE(by_group);
  EXPECT_EQ(by_group->title, "Assignment 5");
  EXPECT_EQ(by_group->group_ids, std::vector<std::int64_t>{1});
  EXPECT_THAT(by_group->user_ids, IsEmpty());
  EXPECT_EQ(by_group->folder, "Aufgaben");
  EXPECT_EQ(by_group->created_by, 2);
  EXPECT_EQ(by_group->created_at, 7);
  EXPECT_EQ(by_group->updated_at, 7);
  const auto by_user = store.find_assignment(6);
  ASSERT_TRUE(by_user);
  EXPECT_EQ(by_user->user_ids, std::vector<std::int64_t>{1});
  EXPECT_EQ(by_user->created_by, std::nullopt);
  EXPECT_TRUE(store.assignment_includes(5, 1));
  EXPECT_THAT(slugs_of(store.list_desktop_types_for(1)), ElementsAre("lab"));
  // The targets still follow the renamed table: deleting an assignment takes its targets along.
  store.delete_assignment(5);
  EXPECT_EQ(query_file(path, "SELECT COUNT(*) FROM assignment_targets"), std::vector<std::string>{"1"});
  EXPECT_EQ(query_file(path, "PRAGMA foreign_key_check"), std::vector<std::string>{});
  // New ids continue after the old ones.
  EXPECT_EQ(store.create_assignment({.desktop_type_id = 1, .title = "New", .user_ids = {1}}).id, 7);
}

}  // namespace
}  // namespace deskgate
