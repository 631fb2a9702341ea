// Teachers watching their class through the gateway, on a real local desktop (Xvnc running an xterm) with
// a raw RFB client: only view-only, only members of their own groups; what a view-only connection sends
// (keys, pointer) never reaches the desktop, while the owner's typing does; a teacher taken out of the
// group (by an admin, or by a change the periodic check finds) stops watching with close code 4003.
#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "store/store.hpp"
#include "support/event_stream.hpp"
#include "support/test_app.hpp"
#include "support/viewer.hpp"

namespace deskgate::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// An xterm filling the screen, its shell in the home: keys typed into it run commands there. Without a
// window manager the keyboard goes to the window under the pointer.
const std::string terminal_toml = R"(
[local]
session_command = 'cd "$HOME" && exec xterm -geometry 150x50+0+0'

[[desktop_types]]
slug = "term"
name = "Terminal"
backend = "local"
open_to_all = true
)";

class observation : public ::testing::Test {
 protected:
  explicit observation(const std::string& extra_toml = "") : t(terminal_toml + extra_toml) {}

  void SetUp() override {
    tina = t.add_user("tina", "teacher");
    tom = t.add_user("tom", "teacher");
    sam = t.add_user("sam", "student");
    olga = t.add_user("olga", "student");
    group_5a = t.add_group("5a", {"tina", "sam", "olga"});
    t.add_group("5b", {"tom"});
    id = t.start_desktop(sam, "term");
    ASSERT_EQ(t.wait_for_state(sam, id, "running")["state"], "running");
    path = "/desktop/" + id + "/websockify";
    home = t.data_dir() / "homes" / std::to_string(t.app().db().find_user_by_username("sam")->id);
  }
  void TearDown() override { t.request("DELETE", "/api/desktops/" + id, &sam); }

  // Types `command` into the xterm through `c` until the file it creates shows (the xterm may still be
  // starting when typing begins, and a half-typed first line just fails).
  bool type_until_created(ws_client& c, const std::string& command, const fs::path& created) {
    for (int attempt = 0; attempt < 100; ++attempt) {
      rfb_pointer(c, 200, 200);
      rfb_type(c, command + "\n");
      if (!rfb_round_trip(c)) return false;
      for (int i = 0; i < 10; ++i) {
        if (fs::exists(created)) return true;
        std::this_thread::sleep_for(50ms);
      }
    }
    return false;
  }

  // Tina watches sam's desktop (the handshake done) while sam's event stream says so.
  std::unique_ptr<ws_client> tina_watching(ws_client& sam_events) {
    EXPECT_EQ(next_event(sam_events)["type"], "hello");
    auto watcher = open_viewer(t, path + "?view_only=1", {{"Cookie", tina.cookie}});
    EXPECT_EQ(watcher->status(), 101);
    EXPECT_EQ(rfb_handshake(*watcher).size(), 24u);
    EXPECT_EQ(next_observation(sam_events)["observers"].size(), 1u);
    return watcher;
  }

  // Reads what still comes until the connection closes (false: it stayed open).
  static bool closes(ws_client& c) {
    for (int i = 0; i < 100 && !c.closed(); ++i) {
      if (!c.read(10s) && !c.closed()) return false;
    }
    return c.closed();
  }

  test_app t;
  signed_in tina, tom, sam, olga;
  std::int64_t group_5a = 0;
  std::string id, path;
  fs::path home;
};

// The session check runs every second here (not the default minute).
class observation_rechecked : public observation {
 protected:
  observation_rechecked() : observation("[gateway]\nsession_recheck_interval = \"1s\"\n") {}
};

TEST_F(observation, OnlyTeachersOfTheOwnersGroupsWatchAndOnlyViewOnly) {
  EXPECT_EQ(upgrade_request(t, path, &tina).status, 404) << "without view_only a teacher is a stranger";
  EXPECT_EQ(upgrade_request(t, path + "?view_only=0", &tina).status, 404);
  EXPECT_EQ(upgrade_request(t, path + "?view_only=1", &tom).status, 404) << "a teacher of another group";
  EXPECT_EQ(upgrade_request(t, path + "?view_only=1", &olga).status, 404) << "a classmate";
  EXPECT_EQ(upgrade_request(t, "/websockify?desktop=" + id + "&view_only=1", &olga).status, 404);

  auto watcher = open_viewer(t, path + "?view_only=1", {{"Cookie", tina.cookie}});
  ASSERT_EQ(watcher->status(), 101) << watcher->body();
  auto init = rfb_handshake(*watcher);
  ASSERT_EQ(init.size(), 24u);
  EXPECT_EQ((static_cast<unsigned char>(init[0]) << 8) | static_cast<unsigned char>(init[1]), 1280);
  EXPECT_TRUE(rfb_round_trip(*watcher)) << "framebuffer updates reach the watcher";

  auto admin = t.login_admin();
  auto admin_watch = open_viewer(t, path + "?view_only=1", {{"Cookie", admin.cookie}});
  EXPECT_EQ(admin_watch->status(), 101) << "admins watch anyone";
}

TEST_F(observation, AViewOnlyConnectionsKeysHaveNoEffect) {
  auto owner = open_viewer(t, path, {{"Cookie", sam.cookie}});
  ASSERT_EQ(owner->status(), 101);
  ASSERT_EQ(rfb_handshake(*owner).size(), 24u);
  ASSERT_TRUE(type_until_created(*owner, "touch owner-typed", home / "owner-typed"))
      << "the owner's keys reach the xterm";

  auto watcher = open_viewer(t, path + "?view_only=1", {{"Cookie", tina.cookie}});
  ASSERT_EQ(watcher->status(), 101);
  ASSERT_EQ(rfb_handshake(*watcher).size(), 24u);
  rfb_pointer(*watcher, 300, 300);
  rfb_type(*watcher, "touch watcher-typed\n");
  // Once this answers, the desktop has handled everything the watcher sent before it.
  ASSERT_TRUE(rfb_round_trip(*watcher));

  // The xterm still takes the owner's keys; a line typed by the watcher would have run before this one.
  ASSERT_TRUE(type_until_created(*owner, "touch owner-again", home / "owner-again"));
  EXPECT_FALSE(fs::exists(home / "watcher-typed")) << "the watcher's keys reached the desktop";
}

TEST_F(observation, ATeacherTakenOutOfTheGroupStopsWatchingAtOnce) {
  auto sam_events = open_events(t, &sam);
  ASSERT_EQ(sam_events->status(), 101);
  auto watcher = tina_watching(*sam_events);
  auto admin_watch = open_viewer(t, path + "?view_only=1", {{"Cookie", t.login_admin().cookie}});
  ASSERT_EQ(admin_watch->status(), 101);
  ASSERT_EQ(rfb_handshake(*admin_watch).size(), 24u);
  EXPECT_EQ(next_observation(*sam_events)["observers"].size(), 2u);

  t.set_group_members(group_5a, {"sam", "olga"});
  ASSERT_TRUE(closes(*watcher)) << "the teacher still watches after leaving the group";
  EXPECT_EQ(watcher->close_code(), 4003);
  auto left = next_observation(*sam_events);
  ASSERT_EQ(left["observers"].size(), 1u) << left.dump();
  EXPECT_NE(left["observers"][0]["display_name"], "tina");
  EXPECT_TRUE(rfb_round_trip(*admin_watch)) << "admins watch anyone, groups or not";
  EXPECT_EQ(upgrade_request(t, path + "?view_only=1", &tina).status, 404);
}

TEST_F(observation, DeletingTheGroupEndsItsTeachersWatching) {
  auto sam_events = open_events(t, &sam);
  ASSERT_EQ(sam_events->status(), 101);
  auto watcher = tina_watching(*sam_events);
  auto admin = t.login_admin();
  ASSERT_EQ(t.request("DELETE", "/api/admin/groups/" + std::to_string(group_5a), &admin).status, 204);
  ASSERT_TRUE(closes(*watcher));
  EXPECT_EQ(watcher->close_code(), 4003);
  EXPECT_EQ(next_observation(*sam_events)["observers"], nlohmann::json::array());
}

// Groups from the identity provider change at a sign-in, in the store: the periodic check finds it.
TEST_F(observation_rechecked, AGroupChangedOutsideTheAdminRoutesEndsWatchingAtTheNextCheck) {
  auto sam_events = open_events(t, &sam);
  ASSERT_EQ(sam_events->status(), 101);
  auto watcher = tina_watching(*sam_events);
  std::vector<std::int64_t> members{t.app().db().find_user_by_username("sam")->id,
                                    t.app().db().find_user_by_username("olga")->id};
  t.app().db().set_group_members(group_5a, members);
  ASSERT_TRUE(closes(*watcher));
  EXPECT_EQ(watcher->close_code(), 4003);
  EXPECT_EQ(next_observation(*sam_events)["observers"], nlohmann::json::array());
}

}  // namespace
}  // namespace deskgate::testing
