// The teaching API on a real deskgate: groups as teachers see them (own groups, members' names only),
// admins' local groups, assignments (every rule of the contract, audit), what students are given, and
// the class view's list of running desktops (real local desktops).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "store/store.hpp"
#include "support/test_app.hpp"

namespace deskgate::testing {
namespace {

namespace fs = std::filesystem;

// Three local desktop types: "light" open to all, "lab" only when assigned, "off" disabled.
const std::string teaching_toml = std::string(light_desktop_toml) + R"(
[[desktop_types]]
slug = "lab"
name = "Lab desktop"
backend = "local"

[[desktop_types]]
slug = "off"
name = "Switched off"
backend = "local"
enabled = false
)";

class teaching_api : public ::testing::Test {
 protected:
  teaching_api() : t(teaching_toml) {
    admin = t.login_admin();
    tina = t.add_user("tina", "teacher");
    tom = t.add_user("tom", "teacher");
    sam = t.add_user("sam", "student");
    olga = t.add_user("olga", "student");
    bert = t.add_user("bert", "student");
    class_5a = t.add_group("5a", {"tina", "sam", "olga"});
    class_5b = t.add_group("5b", {"tom", "bert"});
    fs::create_directories(home_of("tina") / "Worksheets" / "Week 3");
    std::ofstream(home_of("tina") / "Worksheets" / "Week 3" / "sheet.txt") << "Aufgabe 1";
  }

  std::int64_t id_of(const std::string& username) { return t.app().db().find_user_by_username(username)->id; }
  fs::path home_of(const std::string& username) { return t.data_dir() / "homes" / std::to_string(id_of(username)); }

  http_answer put_json(const std::string& target, const nlohmann::json& body, const signed_in& who) {
    return t.request("PUT", target, &who, body.dump(), {{"Content-Type", "application/json"}});
  }

  nlohmann::json body_for(const std::string& title, nlohmann::json groups,
                          nlohmann::json users = nlohmann::json::array(), const std::string& folder = "",
                          const std::string& type = "lab") {
    return {{"title", title}, {"desktop_type", type}, {"groups", groups}, {"users", users}, {"folder", folder}};
  }

  // Creates an assignment as `who`; its id (the test fails when refused).
  std::int64_t assign(const signed_in& who, const nlohmann::json& body) {
    auto a = t.post_json("/api/assignments", body, &who);
    EXPECT_EQ(a.status, 201) << a.body;
    return json_of(a)["id"].get<std::int64_t>();
  }

  // The status of creating `body` as `who`, and the message when refused.
  std::pair<int, std::string> try_create(const signed_in& who, const nlohmann::json& body) {
    auto a = t.post_json("/api/assignments", body, &who);
    auto j = json_of(a);
    return {a.status, j.is_object() && j.contains("error") ? j["error"]["message"].get<std::string>() : ""};
  }

  test_app t;
  signed_in admin, tina, tom, sam, olga, bert;
  std::int64_t class_5a = 0;
  std::int64_t class_5b = 0;
};

// ---- groups ----

TEST_F(teaching_api, TeachersSeeTheirOwnGroupsAndTheMembersNamesOnly) {
  auto mine = json_of(t.request("GET", "/api/groups", &tina));
  ASSERT_EQ(mine.size(), 1u) << mine;
  EXPECT_EQ(mine[0]["id"], class_5a);
  EXPECT_EQ(mine[0]["name"], "5a");
  EXPECT_EQ(mine[0]["external_id"], "local:5a");
  EXPECT_EQ(mine[0]["member_count"], 3);
  EXPECT_EQ(json_of(t.request("GET", "/api/groups", &admin)).size(), 2u) << "admins see every group";
  auto student_view = json_of(t.request("GET", "/api/groups", &sam));
  ASSERT_EQ(student_view.size(), 1u);
  EXPECT_EQ(student_view[0]["id"], class_5a);

  auto members = t.request("GET", "/api/groups/" + std::to_string(class_5a) + "/members", &tina);
  ASSERT_EQ(members.status, 200);
  std::vector<std::string> names;
  for (const auto& m : json_of(members)) {
    names.push_back(m["display_name"]);
    EXPECT_FALSE(m.contains("email"));
    EXPECT_FALSE(m.contains("username")) << "usernames only for admins";
    EXPECT_TRUE(m.contains("role"));
  }
  EXPECT_EQ(names, (std::vector<std::string>{"olga", "sam", "tina"})) << "sorted by display name";
  auto as_admin = json_of(t.request("GET", "/api/groups/" + std::to_string(class_5a) + "/members", &admin));
  EXPECT_EQ(as_admin[0]["username"], "olga");

  EXPECT_EQ(t.request("GET", "/api/groups/" + std::to_string(class_5b) + "/members", &tina).status, 404)
      << "a group the teacher is not in";
  EXPECT_EQ(t.request("GET", "/api/groups/999/members", &admin).status, 404);
  EXPECT_EQ(t.request("GET", "/api/groups/abc/members", &tina).status, 400);
  EXPECT_EQ(t.request("GET", "/api/groups/" + std::to_string(class_5a) + "/members", &sam).status, 403);
}

TEST_F(teaching_api, AdminsManageLocalGroupsButNotThoseOfTheIdentityProvider) {
  auto created = t.post_json("/api/admin/groups", {{"name", "Informatik Ü"}}, &admin);
  ASSERT_EQ(created.status, 201) << created.body;
  auto g = json_of(created);
  EXPECT_EQ(g["external_id"], "local:Informatik Ü");
  EXPECT_EQ(g["member_count"], 0);
  auto path = "/api/admin/groups/" + std::to_string(g["id"].get<std::int64_t>());
  EXPECT_EQ(t.post_json("/api/admin/groups", {{"name", "Informatik Ü"}}, &admin).status, 409) << "taken";
  for (const auto& bad : {"", "a/b", "tab\there", ".."}) {
    EXPECT_EQ(t.post_json("/api/admin/groups", {{"name", bad}}, &admin).status, 400) << bad;
  }
  EXPECT_EQ(t.post_json("/api/admin/groups", {{"name", "x"}}, &tina).status, 403);

  auto set = put_json(path + "/members", {{"user_ids", {id_of("sam"), id_of("bert")}}}, admin);
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_EQ(json_of(set)["member_count"], 2);
  EXPECT_EQ(put_json(path + "/members", {{"user_ids", {9999}}}, admin).status, 400) << "unknown user";
  EXPECT_EQ(put_json(path + "/members", {{"user_ids", "sam"}}, admin).status, 400);
  EXPECT_EQ(put_json(path + "/members", nlohmann::json::object(), admin).status, 400);
  EXPECT_EQ(put_json("/api/admin/groups/999/members", {{"user_ids", nlohmann::json::array()}}, admin).status, 404);

  auto synced = t.app().db().upsert_group("cn=7c,ou=groups", "7c");
  auto synced_path = "/api/admin/groups/" + std::to_string(synced.id);
  EXPECT_EQ(put_json(synced_path + "/members", {{"user_ids", nlohmann::json::array()}}, admin).status, 409);
  EXPECT_EQ(t.request("DELETE", synced_path, &admin).status, 409);

  EXPECT_EQ(t.request("DELETE", path, &tina).status, 403);
  EXPECT_EQ(t.request("DELETE", path, &admin).status, 204);
  EXPECT_EQ(t.request("DELETE", path, &admin).status, 404);
}

// ---- assignments ----

TEST_F(teaching_api, ATeacherCreatesListsChangesAndDeletesAnAssignment) {
  // Before: sam cannot see the lab type.
  auto types = json_of(t.request("GET", "/api/desktop-types", &sam))["desktop_types"];
  for (const auto& ty : types) EXPECT_NE(ty["slug"], "lab");

  auto created = t.post_json("/api/assignments", body_for("Week 3", {class_5a}, {}, "Worksheets/Week 3/"), &tina);
  ASSERT_EQ(created.status, 201) << created.body;
  auto a = json_of(created);
  auto id = a["id"].get<std::int64_t>();
  EXPECT_EQ(a["title"], "Week 3");
  EXPECT_EQ(a["desktop_type"]["slug"], "lab");
  EXPECT_EQ(a["desktop_type"]["name"], "Lab desktop");
  ASSERT_EQ(a["groups"].size(), 1u);
  EXPECT_EQ(a["groups"][0]["name"], "5a");
  EXPECT_EQ(a["users"], nlohmann::json::array());
  EXPECT_EQ(a["folder"], "Worksheets/Week 3") << "stored without the trailing slash";
  EXPECT_EQ(a["created_by"]["display_name"], "tina");
  EXPECT_EQ(a["running_desktops"], 0);
  EXPECT_EQ(a["created_at"], a["updated_at"]);

  // The students of the group are given the type and see the assignment; others are not.
  types = json_of(t.request("GET", "/api/desktop-types", &sam))["desktop_types"];
  EXPECT_TRUE(std::any_of(types.begin(), types.end(), [](const auto& ty) { return ty["slug"] == "lab"; }));
  auto given = json_of(t.request("GET", "/api/me/assignments", &sam));
  ASSERT_EQ(given.size(), 1u);
  EXPECT_EQ(given[0], (nlohmann::json{{"id", id},
                                      {"title", "Week 3"},
                                      {"desktop_type", {{"slug", "lab"}, {"name", "Lab desktop"}}},
                                      {"has_folder", true}}));
  EXPECT_EQ(json_of(t.request("GET", "/api/me/assignments", &bert)), nlohmann::json::array());
  EXPECT_EQ(t.request("GET", "/api/files/assignment-" + std::to_string(id) + "?path=", &sam).status, 200);

  auto listed = json_of(t.request("GET", "/api/assignments", &tina));
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0]["id"], id);
  EXPECT_EQ(json_of(t.request("GET", "/api/assignments", &tom)), nlohmann::json::array()) << "only their own";
  EXPECT_EQ(json_of(t.request("GET", "/api/assignments", &admin)).size(), 1u) << "admins see all";

  // Changed to one student and no folder.
  auto path = "/api/assignments/" + std::to_string(id);
  auto changed = put_json(path, body_for("Woche 4", nlohmann::json::array(), {id_of("olga")}), tina);
  ASSERT_EQ(changed.status, 200) << changed.body;
  EXPECT_EQ(json_of(changed)["title"], "Woche 4");
  EXPECT_EQ(json_of(changed)["users"][0]["display_name"], "olga");
  EXPECT_EQ(json_of(changed)["folder"], "");
  EXPECT_EQ(json_of(t.request("GET", "/api/me/assignments", &sam)), nlohmann::json::array());
  EXPECT_EQ(json_of(t.request("GET", "/api/me/assignments", &olga))[0]["has_folder"], false);
  EXPECT_EQ(json_of(t.request("GET", path, &tina))["title"], "Woche 4");

  EXPECT_EQ(t.request("DELETE", path, &tina).status, 204);
  EXPECT_EQ(t.request("GET", path, &tina).status, 404);
  EXPECT_EQ(json_of(t.request("GET", "/api/me/assignments", &olga)), nlohmann::json::array());

  // Each change is in the audit log.
  std::vector<std::string> actions;
  auto audit = json_of(t.request("GET", "/api/admin/audit", &admin));
  for (const auto& e : audit["entries"]) {
    if (e["target"] == "assignment:" + std::to_string(id)) actions.push_back(e["action"]);
  }
  EXPECT_EQ(actions, (std::vector<std::string>{"assignment.delete", "assignment.update", "assignment.create"}));
}

TEST_F(teaching_api, StudentsAndOtherTeachersCannotTouchAnAssignment) {
  auto id = assign(tina, body_for("Week 3", {class_5a}));
  auto path = "/api/assignments/" + std::to_string(id);
  for (const auto* who : {&sam, &olga}) {
    EXPECT_EQ(t.request("GET", "/api/assignments", who).status, 403);
    EXPECT_EQ(t.request("GET", path, who).status, 403);
    EXPECT_EQ(t.post_json("/api/assignments", body_for("Mine", {class_5a}), who).status, 403);
    EXPECT_EQ(put_json(path, body_for("Mine", {class_5a}), *who).status, 403);
    EXPECT_EQ(t.request("DELETE", path, who).status, 403);
    EXPECT_EQ(t.request("GET", "/api/class/" + std::to_string(class_5a) + "/desktops", who).status, 403);
  }
  EXPECT_EQ(t.request("GET", path, &tom).status, 404) << "another teacher's assignment does not exist for tom";
  EXPECT_EQ(put_json(path, body_for("Taken", {class_5b}), tom).status, 404);
  EXPECT_EQ(t.request("DELETE", path, &tom).status, 404);
  EXPECT_EQ(t.request("GET", "/api/assignments/999", &tina).status, 404);
  EXPECT_EQ(t.request("GET", "/api/assignments/x", &tina).status, 400);
  // Admins manage any assignment, and may target any group.
  EXPECT_EQ(put_json(path, body_for("Week 3", {class_5a, class_5b}), admin).status, 200);
  EXPECT_EQ(json_of(t.request("GET", path, &tina))["groups"].size(), 2u);
  EXPECT_EQ(t.request("DELETE", path, &admin).status, 204);
}

TEST_F(teaching_api, ATeacherTargetsOnlyTheirGroupsAndTheirMembers) {
  auto [status, message] = try_create(tina, body_for("X", {class_5b}));
  EXPECT_EQ(status, 403);
  EXPECT_NE(message.find("your own groups"), std::string::npos) << message;
  std::tie(status, message) = try_create(tina, body_for("X", nlohmann::json::array(), {id_of("bert")}));
  EXPECT_EQ(status, 403) << "bert is in no group of tina's";
  EXPECT_EQ(try_create(tina, body_for("X", nlohmann::json::array(), {id_of("sam")})).first, 201) << "sam is in 5a";
  EXPECT_EQ(try_create(tina, body_for("X", {999})).first, 400) << "unknown group";
  EXPECT_EQ(try_create(tina, body_for("X", nlohmann::json::array(), {999})).first, 400) << "unknown user";
  std::tie(status, message) = try_create(tina, body_for("X", nlohmann::json::array()));
  EXPECT_EQ(status, 400);
  EXPECT_NE(message.find("at least one"), std::string::npos) << message;
  EXPECT_EQ(try_create(tina, body_for("X", {"5a"})).first, 400) << "ids, not names";
  EXPECT_EQ(try_create(tina, body_for("X", {-1})).first, 400);
  EXPECT_EQ(try_create(admin, body_for("X", {class_5b})).first, 201) << "admins target any group";
}

TEST_F(teaching_api, TitlesAreFolderNames) {
  const std::vector<std::string> bad_titles = {"",       "a/b",       ".",           "..",
                                               "shared", "tab\there", "line\nbreak", std::string(65, 'x')};
  for (const auto& bad : bad_titles) {
    auto [status, message] = try_create(tina, body_for(bad, {class_5a}));
    EXPECT_EQ(status, 400) << bad;
    EXPECT_FALSE(message.empty()) << bad;
  }
  // 64 characters, many of them two bytes long, are fine.
  std::string umlauts;
  for (int i = 0; i < 32; ++i) umlauts += "äx";
  EXPECT_EQ(try_create(tina, body_for(umlauts, {class_5a})).first, 201);
  EXPECT_EQ(try_create(tina, body_for("Übung 1: Käfer 🐞", {class_5a})).first, 201);
  auto no_title = nlohmann::json{{"desktop_type", "lab"}, {"groups", {class_5a}}};
  EXPECT_EQ(t.post_json("/api/assignments", no_title, &tina).status, 400);
  auto unknown_field = body_for("X", {class_5a});
  unknown_field["group_id"] = class_5a;
  EXPECT_EQ(t.post_json("/api/assignments", unknown_field, &tina).status, 400);
}

TEST_F(teaching_api, TheTypeMustExistAndBeEnabled) {
  auto [status, message] = try_create(tina, body_for("X", {class_5a}, {}, "", "nope"));
  EXPECT_EQ(status, 400);
  EXPECT_NE(message.find("nope"), std::string::npos);
  std::tie(status, message) = try_create(tina, body_for("X", {class_5a}, {}, "", "off"));
  EXPECT_EQ(status, 400);
  EXPECT_NE(message.find("disabled"), std::string::npos) << message;
}

// A teacher chooses among every enabled type, also those open only by assignment; students may not list them.
TEST_F(teaching_api, TeachersChooseAmongEveryEnabledType) {
  auto a = t.request("GET", "/api/assignable-desktop-types", &tina);
  ASSERT_EQ(a.status, 200) << a.body;
  auto answer = json_of(a);
  std::vector<std::string> slugs;
  for (const auto& type : answer["desktop_types"]) slugs.push_back(type["slug"].get<std::string>());
  EXPECT_NE(std::find(slugs.begin(), slugs.end(), "lab"), slugs.end());
  EXPECT_NE(std::find(slugs.begin(), slugs.end(), "light"), slugs.end());
  EXPECT_EQ(std::find(slugs.begin(), slugs.end(), "off"), slugs.end());
  EXPECT_EQ(t.request("GET", "/api/assignable-desktop-types", &sam).status, 403);
}

TEST_F(teaching_api, TheFolderMustBeAPlainFolderOfTheTeachersHome) {
  auto home = home_of("tina");
  std::ofstream(home / "notes.txt") << "not a folder";
  fs::create_directories(home / "Real");
  fs::create_directory_symlink("/", home / "root-link");
  fs::create_directory_symlink(home / "Real", home / "Linked");
  fs::create_directories(t.data_dir() / "elsewhere" / "inside");
  fs::create_directory_symlink(t.data_dir() / "elsewhere", home / "Real" / "hop");

  for (const std::string bad : {"Missing", "notes.txt", "root-link", "root-link/etc", "Linked", "Real/hop",
                                "Real/hop/inside", "../", "/etc", "Real/../..", "Real\x01"}) {  // NOLINT
    auto [status, message] = try_create(tina, body_for("X", {class_5a}, {}, bad));
    EXPECT_EQ(status, 400) << bad << ": " << message;
    EXPECT_FALSE(message.empty());
  }
  EXPECT_EQ(try_create(tina, body_for("X", {class_5a}, {}, "Real")).first, 201);
  // The folder is always the creator's: tom has no "Real".
  EXPECT_EQ(try_create(tom, body_for("X", {class_5b}, {}, "Real")).first, 400);
}

// ---- class view ----

TEST_F(teaching_api, TheClassViewListsTheRunningDesktopsOfTheGroupsMembers) {
  auto sam_desktop = t.start_desktop(sam, "light");
  auto bert_desktop = t.start_desktop(bert, "light");
  t.wait_for_state(sam, sam_desktop, "running");
  t.wait_for_state(bert, bert_desktop, "running");

  auto listed = t.request("GET", "/api/class/" + std::to_string(class_5a) + "/desktops", &tina);
  ASSERT_EQ(listed.status, 200) << listed.body;
  auto desktops = json_of(listed);
  ASSERT_EQ(desktops.size(), 1u) << desktops;
  EXPECT_EQ(desktops[0]["id"], sam_desktop);
  EXPECT_EQ(desktops[0]["user"], (nlohmann::json{{"id", id_of("sam")}, {"display_name", "sam"}}));
  EXPECT_EQ(desktops[0]["type"], (nlohmann::json{{"slug", "light"}, {"name", "Light desktop"}}));
  EXPECT_EQ(desktops[0]["state"], "running");
  EXPECT_TRUE(desktops[0]["started_at"].is_number());

  EXPECT_EQ(t.request("GET", "/api/class/" + std::to_string(class_5b) + "/desktops", &tina).status, 404);
  EXPECT_EQ(t.request("GET", "/api/class/999/desktops", &admin).status, 404);
  EXPECT_EQ(json_of(t.request("GET", "/api/class/" + std::to_string(class_5b) + "/desktops", &admin)).size(), 1u);

  // running_desktops counts the targeted users' desktops of the type.
  auto id = assign(tina, body_for("Light work", {class_5a}, {}, "", "light"));
  EXPECT_EQ(json_of(t.request("GET", "/api/assignments/" + std::to_string(id), &tina))["running_desktops"], 1);

  ASSERT_EQ(t.request("POST", "/api/desktops/" + sam_desktop + "/stop", &sam).status, 202);
  t.wait_for_state(sam, sam_desktop, "stopped");
  EXPECT_EQ(json_of(t.request("GET", "/api/class/" + std::to_string(class_5a) + "/desktops", &tina)),
            nlohmann::json::array());
  t.request("DELETE", "/api/desktops/" + sam_desktop, &sam);
  t.request("DELETE", "/api/desktops/" + bert_desktop, &bert);
}

}  // namespace
}  // namespace deskgate::testing
