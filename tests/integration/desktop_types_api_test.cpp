// The admin catalogue of desktop types: create, read, update (slug fixed), disable, delete, and every
// refusal with the field it is about. Secrets are write-only.
#include <gtest/gtest.h>

#include "desktops/desktop_manager.hpp"
#include "support/test_app.hpp"

namespace deskgate::testing {
namespace {

http_answer patch_json(test_app& t, const std::string& target, const nlohmann::json& body, const signed_in* who) {
  return t.request("PATCH", target, who, body.dump(), {{"Content-Type", "application/json"}});
}

const nlohmann::json lab_pc = {{"slug", "lab-pc-1"},
                               {"name", "Lab PC 1"},
                               {"backend", "static"},
                               {"backend_host", "127.0.0.1"},
                               {"port", 5901},
                               {"password", "lab-secret-9"},
                               {"memory", "2g"},
                               {"cpus", 1.5},
                               {"env", {{"LANG", "de_DE.UTF-8"}}}};

TEST(DesktopTypesApi, AdminsManageTheCatalogue) {
  test_app t;
  auto admin = t.login_admin();
  auto created = t.post_json("/api/admin/desktop-types", lab_pc, &admin);
  ASSERT_EQ(created.status, 201) << created.body;
  auto type = json_of(created)["desktop_type"];
  EXPECT_EQ(type["slug"], "lab-pc-1");
  EXPECT_EQ(type["has_password"], true);
  EXPECT_EQ(type["memory_bytes"], 2LL * 1024 * 1024 * 1024);
  EXPECT_EQ(type["cpus"], 1.5);
  EXPECT_EQ(type["env"]["LANG"], "de_DE.UTF-8");
  EXPECT_EQ(created.body.find("lab-secret-9"), std::string::npos) << "write-only";

  EXPECT_EQ(t.post_json("/api/admin/desktop-types", lab_pc, &admin).status, 409) << "slug taken";
  auto got = t.request("GET", "/api/admin/desktop-types/lab-pc-1", &admin);
  EXPECT_EQ(json_of(got)["desktop_type"]["name"], "Lab PC 1");
  EXPECT_EQ(got.body.find("lab-secret-9"), std::string::npos);

  auto renamed =
      patch_json(t, "/api/admin/desktop-types/lab-pc-1", {{"name", "Lab PC one"}, {"enabled", false}}, &admin);
  ASSERT_EQ(renamed.status, 200) << renamed.body;
  EXPECT_EQ(json_of(renamed)["desktop_type"]["name"], "Lab PC one");
  EXPECT_EQ(json_of(renamed)["desktop_type"]["has_password"], true) << "untouched fields stay";
  auto slug_change = patch_json(t, "/api/admin/desktop-types/lab-pc-1", {{"slug", "other"}}, &admin);
  EXPECT_EQ(slug_change.status, 400);

  EXPECT_EQ(t.request("DELETE", "/api/admin/desktop-types/lab-pc-1", &admin).status, 204);
  EXPECT_EQ(t.request("GET", "/api/admin/desktop-types/lab-pc-1", &admin).status, 404);
}

TEST(DesktopTypesApi, OnlyAdminsMayTouchTheCatalogue) {
  test_app t;
  auto teacher = t.add_user("frau.meier", "teacher");
  EXPECT_EQ(t.request("GET", "/api/admin/desktop-types", &teacher).status, 403);
  EXPECT_EQ(t.post_json("/api/admin/desktop-types", lab_pc, &teacher).status, 403);
  EXPECT_EQ(t.request("GET", "/api/admin/desktop-types").status, 401);
}

TEST(DesktopTypesApi, BadTypesAreRefusedNamingTheField) {
  test_app t;
  auto admin = t.login_admin();
  auto with = [&](const nlohmann::json& change) {
    auto body = lab_pc;
    body.update(change);
    return t.post_json("/api/admin/desktop-types", body, &admin);
  };
  struct bad_case {
    nlohmann::json change;
    std::string field;
  };
  const bad_case cases[] = {
      {{{"slug", "Has Spaces"}}, "slug"},
      {{{"slug", "../etc"}}, "slug"},
      {{{"backend", "kubernetes"}}, "backend"},
      {{{"protocol", "rdp"}}, "protocol"},
      {{{"auth", "magic"}}, "auth"},
      {{{"port", 70000}}, "port"},
      {{{"port", 0}}, "host"},
      {{{"memory", "lots"}}, "memory"},
      {{{"cpus", -1}}, "cpus"},
      {{{"env", {{"BAD NAME", "x"}}}}, "env"},
      {{{"path", "no-slash"}}, "path"},
      {{{"name", ""}}, "name"},
      {{{"backend", "docker"}, {"image", ""}}, "image"},
      {{{"unknown_field", 1}}, "unknown_field"},
  };
  for (const auto& c : cases) {
    auto a = with(c.change);
    EXPECT_EQ(a.status, 400) << c.change.dump();
    EXPECT_NE(json_of(a)["error"]["message"].get<std::string>().find(c.field), std::string::npos)
        << c.change.dump() << " → " << a.body;
  }
  EXPECT_TRUE(json_of(t.request("GET", "/api/admin/desktop-types", &admin))["desktop_types"].empty());
}

TEST(DesktopTypesApi, DisablingHidesATypeButKeepsItsDesktopsAndDeletingNeedsThemGone) {
  test_app t(
      "[local]\nsession_command = \"exec sleep 100000\"\n"
      "[[desktop_types]]\nslug = \"light\"\nname = \"Light\"\nbackend = \"local\"\nopen_to_all = true\n");
  auto admin = t.login_admin();
  auto student = t.add_user("max", "student");
  auto id = t.start_desktop(student, "light");
  t.wait_for_state(student, id, "running");
  ASSERT_EQ(patch_json(t, "/api/admin/desktop-types/light", {{"enabled", false}}, &admin).status, 200);
  EXPECT_TRUE(json_of(t.request("GET", "/api/desktop-types", &student))["desktop_types"].empty());
  EXPECT_EQ(t.post_json("/api/desktops", {{"type", "light"}}, &student).status, 403);
  EXPECT_EQ(json_of(t.request("GET", "/api/desktops/" + id, &student))["desktop"]["state"], "running")
      << "running desktops are not touched";
  auto refused = t.request("DELETE", "/api/admin/desktop-types/light", &admin);
  EXPECT_EQ(refused.status, 409);
  t.request("DELETE", "/api/desktops/" + id, &student);
  t.app().desktops().wait_idle();
  EXPECT_EQ(t.request("DELETE", "/api/admin/desktop-types/light", &admin).status, 204);
}

TEST(DesktopTypesApi, ConfiguredTypesAreUpsertedAtStart) {
  temp_dir dir;
  auto toml = [&](const std::string& name) {
    return "[server]\nlisten = \"127.0.0.1:0\"\ndata_dir = \"" + dir.path().string() +
           "\"\n[[desktop_types]]\nslug = \"terminal\"\nname = \"" + name +
           "\"\nbackend = \"local\"\nopen_to_all = true\n";
  };
  {
    application first(load_config_from_string(toml("Terminal"), {}));
    first.start();
    EXPECT_EQ(first.db().find_desktop_type_by_slug("terminal")->name, "Terminal");
    first.shutdown();
    first.wait();
  }
  application second(load_config_from_string(toml("Terminal desktop"), {}));
  second.start();
  auto types = second.db().list_desktop_types();
  ASSERT_EQ(types.size(), 1u) << "updated, not duplicated";
  EXPECT_EQ(types[0].name, "Terminal desktop");
  second.shutdown();
  second.wait();
}

}  // namespace
}  // namespace deskgate::testing
