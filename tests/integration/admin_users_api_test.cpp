// /api/admin/users and /api/admin/audit: who may call them, what they change, and what they refuse.
#include <gtest/gtest.h>

#include "support/test_app.hpp"

namespace deskgate::testing {
namespace {

http_answer patch_json(test_app& t, const std::string& target, const nlohmann::json& body, const signed_in* who) {
  return t.request("PATCH", target, who, body.dump(), {{"Content-Type", "application/json"}});
}

TEST(AdminUsersApi, OnlyAdminsMayManageUsers) {
  test_app t;
  auto teacher = t.add_user("frau.meier", "teacher");
  auto student = t.add_user("max", "student");
  EXPECT_EQ(t.request("GET", "/api/admin/users").status, 401);
  EXPECT_EQ(t.request("GET", "/api/admin/users", &student).status, 403);
  EXPECT_EQ(t.request("GET", "/api/admin/users", &teacher).status, 403);
  EXPECT_EQ(t.post_json("/api/admin/users", {{"username", "x1"}, {"password", "long enough"}}, &student).status, 403);
  EXPECT_EQ(t.request("GET", "/api/admin/audit", &teacher).status, 403);
  auto admin = t.login_admin();
  auto list = t.request("GET", "/api/admin/users", &admin);
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(json_of(list)["users"].size(), 3u);
  EXPECT_EQ(list.body.find("argon2"), std::string::npos) << "no password hashes in answers";
}

TEST(AdminUsersApi, CreateValidatesAndRefusesDuplicates) {
  test_app t;
  auto admin = t.login_admin();
  auto created = t.post_json("/api/admin/users",
                             {{"username", "jürgen"}, {"password", "long enough"}, {"role", "teacher"}}, &admin);
  EXPECT_EQ(created.status, 400) << "usernames are plain ASCII words";
  auto ok = t.post_json("/api/admin/users",
                        {{"username", "juergen"}, {"password", "long enough"}, {"role", "teacher"},
                         {"display_name", "Jürgen Müller"}},
                        &admin);
  ASSERT_EQ(ok.status, 201) << ok.body;
  EXPECT_EQ(json_of(ok)["user"]["display_name"], "Jürgen Müller");
  EXPECT_EQ(json_of(ok)["user"]["role"], "teacher");
  auto dup = t.post_json("/api/admin/users", {{"username", "juergen"}, {"password", "long enough"}}, &admin);
  EXPECT_EQ(dup.status, 409);
  auto short_pw = t.post_json("/api/admin/users", {{"username", "anna"}, {"password", "short"}}, &admin);
  EXPECT_EQ(short_pw.status, 400);
  auto bad_role = t.post_json("/api/admin/users", {{"username", "anna"}, {"password", "long enough"}, {"role", "root"}},
                              &admin);
  EXPECT_EQ(bad_role.status, 400);
  auto sql = t.post_json("/api/admin/users", {{"username", "a'); DROP TABLE users;--"}, {"password", "long enough"}},
                         &admin);
  EXPECT_EQ(sql.status, 400);
  EXPECT_EQ(json_of(t.request("GET", "/api/admin/users", &admin))["users"].size(), 2u);
}

TEST(AdminUsersApi, DisablingAUserEndsTheirSessionsAndBlocksLogin) {
  test_app t;
  auto student = t.add_user("max", "student");
  auto admin = t.login_admin();
  auto id = json_of(t.request("GET", "/api/auth/session", &student))["user"]["id"].get<int>();
  auto a = patch_json(t, "/api/admin/users/" + std::to_string(id), {{"disabled", true}}, &admin);
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(json_of(a)["user"]["disabled"], true);
  EXPECT_EQ(t.request("GET", "/api/auth/session", &student).status, 401);
  auto login = t.login_answer("max", "correct horse 1");
  EXPECT_EQ(login.status, 403);
  EXPECT_NE(json_of(login)["error"]["message"].get<std::string>().find("disabled"), std::string::npos);
  ASSERT_EQ(patch_json(t, "/api/admin/users/" + std::to_string(id), {{"disabled", false}}, &admin).status, 200);
  EXPECT_EQ(t.login_answer("max", "correct horse 1").status, 200);
}

TEST(AdminUsersApi, RoleChangesApplyToTheNextRequest) {
  test_app t;
  auto teacher = t.add_user("frau.meier", "teacher");
  auto admin = t.login_admin();
  auto id = json_of(t.request("GET", "/api/auth/session", &teacher))["user"]["id"].get<int>();
  EXPECT_EQ(t.request("GET", "/api/admin/users", &teacher).status, 403);
  ASSERT_EQ(patch_json(t, "/api/admin/users/" + std::to_string(id), {{"role", "admin"}}, &admin).status, 200);
  EXPECT_EQ(t.request("GET", "/api/admin/users", &teacher).status, 200);
}

TEST(AdminUsersApi, TheLastAdminStays) {
  test_app t;
  auto admin = t.login_admin();
  auto me = json_of(t.request("GET", "/api/auth/session", &admin))["user"]["id"].get<int>();
  auto target = "/api/admin/users/" + std::to_string(me);
  EXPECT_EQ(patch_json(t, target, {{"role", "student"}}, &admin).status, 409);
  EXPECT_EQ(patch_json(t, target, {{"disabled", true}}, &admin).status, 409);
  EXPECT_EQ(t.request("GET", "/api/admin/users", &admin).status, 200) << "still an admin";
}

TEST(AdminUsersApi, PasswordResetEndsSessions) {
  test_app t;
  auto student = t.add_user("max", "student");
  auto admin = t.login_admin();
  auto id = json_of(t.request("GET", "/api/auth/session", &student))["user"]["id"].get<int>();
  auto target = "/api/admin/users/" + std::to_string(id);
  EXPECT_EQ(patch_json(t, target, {{"password", "short"}}, &admin).status, 400);
  ASSERT_EQ(patch_json(t, target, {{"password", "a brand new one"}}, &admin).status, 200);
  EXPECT_EQ(t.request("GET", "/api/auth/session", &student).status, 401);
  EXPECT_EQ(t.login_answer("max", "correct horse 1").status, 401);
  EXPECT_EQ(t.login_answer("max", "a brand new one").status, 200);
}

TEST(AdminUsersApi, BadIdsAndBodies) {
  test_app t;
  auto admin = t.login_admin();
  EXPECT_EQ(patch_json(t, "/api/admin/users/abc", {{"role", "admin"}}, &admin).status, 400);
  EXPECT_EQ(patch_json(t, "/api/admin/users/-1", {{"role", "admin"}}, &admin).status, 400);
  EXPECT_EQ(patch_json(t, "/api/admin/users/99999", {{"role", "admin"}}, &admin).status, 404);
  EXPECT_EQ(patch_json(t, "/api/admin/users/1", {{"username", "renamed"}}, &admin).status, 400);
  EXPECT_EQ(patch_json(t, "/api/admin/users/1", {{"disabled", "yes"}}, &admin).status, 400);
  EXPECT_EQ(t.request("GET", "/api/admin/audit?limit=abc", &admin).status, 400);
  EXPECT_EQ(t.request("DELETE", "/api/admin/users", &admin).status, 405);
}

TEST(AdminUsersApi, ChangesAreAuditedWithoutSecrets) {
  test_app t;
  auto admin = t.login_admin();
  auto created = t.post_json("/api/admin/users", {{"username", "anna"}, {"password", "secret-pass-123"}}, &admin);
  ASSERT_EQ(created.status, 201);
  auto id = json_of(created)["user"]["id"].get<int>();
  patch_json(t, "/api/admin/users/" + std::to_string(id), {{"password", "other-pass-456"}}, &admin);
  auto audit = t.request("GET", "/api/admin/audit?limit=2", &admin);
  ASSERT_EQ(audit.status, 200);
  auto entries = json_of(audit)["entries"];
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0]["action"], "user.update");
  EXPECT_EQ(entries[0]["target"], "user:" + std::to_string(id));
  EXPECT_EQ(entries[1]["action"], "user.create");
  EXPECT_EQ(audit.body.find("secret-pass-123"), std::string::npos);
  EXPECT_EQ(audit.body.find("other-pass-456"), std::string::npos);
  auto older = t.request("GET", "/api/admin/audit?limit=2&before=" + std::to_string(entries[1]["id"].get<int>()),
                         &admin);
  EXPECT_EQ(json_of(older)["entries"][0]["action"], "auth.login");
}

}  // namespace
}  // namespace deskgate::testing
