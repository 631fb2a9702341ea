// WS /api/events on a real server: refusals before the upgrade like every WebSocket route, a hello first,
// each user sees their own desktops' changes and admins everyone's, and signing out closes the stream.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "store/store.hpp"
#include "support/event_stream.hpp"
#include "support/test_app.hpp"
#include "support/viewer.hpp"
#include "support/ws_client.hpp"

namespace deskgate::testing {
namespace {

using namespace std::chrono_literals;

// Reads until a desktop message for `id` in `state` arrives; false on close or timeout first.
bool saw_state(ws_client& c, const std::string& id, const std::string& state) {
  for (;;) {
    auto e = next_event(c, 30s);
    if (e.is_null()) return false;
    if (e["type"] == "desktop" && e["desktop"]["id"] == id && e["desktop"]["state"] == state) return true;
  }
}

TEST(EventsApi, RefusesWithoutSessionOrFromAForeignOrigin) {
  test_app t;
  auto anonymous = open_events(t, nullptr);
  EXPECT_EQ(anonymous->status(), 401);

  auto admin = t.login_admin();
  auto foreign = open_events(t, &admin, {{"Origin", "https://evil.example"}});
  EXPECT_EQ(foreign->status(), 403);
  EXPECT_NE(foreign->body().find("not accepted"), std::string::npos);

  auto plain = t.request("GET", "/api/events", &admin);
  EXPECT_EQ(plain.status, 400);
}

TEST(EventsApi, UsersSeeTheirOwnDesktopsAndAdminsSeeAll) {
  test_app t(light_desktop_toml);
  auto admin = t.login_admin();
  auto anna = t.add_user("anna", "student");
  auto ben = t.add_user("ben", "student");

  auto anna_events = open_events(t, &anna, {{"Origin", "http://127.0.0.1:" + std::to_string(t.port())}});
  auto ben_events = open_events(t, &ben);
  auto admin_events = open_events(t, &admin);
  for (auto* c : {anna_events.get(), ben_events.get(), admin_events.get()}) {
    ASSERT_EQ(c->status(), 101) << c->body();
    EXPECT_EQ(next_event(*c)["type"], "hello");
  }

  auto id = t.start_desktop(anna, "light");
  EXPECT_TRUE(saw_state(*anna_events, id, "running"));
  EXPECT_TRUE(saw_state(*admin_events, id, "running"));

  auto stopped = t.request("POST", "/api/desktops/" + id + "/stop", &anna, "", {{"X-CSRF-Token", anna.csrf}});
  EXPECT_EQ(stopped.status, 202);
  EXPECT_TRUE(saw_state(*anna_events, id, "stopped"));

  // Ben's stream stayed silent about Anna's desktop.
  auto nothing = ben_events->read(500ms);
  EXPECT_FALSE(nothing.has_value());
  EXPECT_TRUE(ben_events->timed_out());
}

TEST(EventsApi, SigningOutClosesTheStream) {
  test_app t;
  auto anna = t.add_user("anna", "student");
  auto events = open_events(t, &anna);
  ASSERT_EQ(events->status(), 101);
  EXPECT_EQ(next_event(*events)["type"], "hello");

  auto out = t.request("POST", "/api/auth/logout", &anna, "", {{"X-CSRF-Token", anna.csrf}});
  EXPECT_EQ(out.status, 204);
  EXPECT_TRUE(next_event(*events).is_null());
  EXPECT_TRUE(events->closed());
  EXPECT_EQ(events->close_code(), 4002);
}

TEST(EventsApi, TeachersSeeTheDesktopsOfTheirGroupsMembers) {
  test_app t(light_desktop_toml);
  auto tina = t.add_user("tina", "teacher");
  auto sam = t.add_user("sam", "student");
  auto bert = t.add_user("bert", "student");
  t.add_group("5a", {"tina", "sam"});
  t.add_group("5b", {"bert"});
  auto tina_events = open_events(t, &tina);
  ASSERT_EQ(tina_events->status(), 101);
  EXPECT_EQ(next_event(*tina_events)["type"], "hello");

  // Bert's desktop comes and runs first: anything about it would reach tina before sam's.
  auto bert_desktop = t.start_desktop(bert, "light");
  t.wait_for_state(bert, bert_desktop, "running");
  auto sam_desktop = t.start_desktop(sam, "light");
  bool saw_sam_running = false;
  while (!saw_sam_running) {
    auto e = next_event(*tina_events, 30s);
    ASSERT_FALSE(e.is_null()) << "sam's desktop never showed";
    ASSERT_EQ(e["type"], "desktop");
    EXPECT_NE(e["desktop"]["id"], bert_desktop) << "bert is not in tina's groups";
    saw_sam_running = e["desktop"]["id"] == sam_desktop && e["desktop"]["state"] == "running";
  }
  t.request("DELETE", "/api/desktops/" + sam_desktop, &sam);
  t.request("DELETE", "/api/desktops/" + bert_desktop, &bert);
}

TEST(EventsApi, TheOwnerHearsWhoWatchesTheirDesktop) {
  test_app t(light_desktop_toml);
  auto tina = t.add_user("tina", "teacher");
  auto sam = t.add_user("sam", "student");
  t.add_group("5a", {"tina", "sam"});
  auto tina_id = t.app().db().find_user_by_username("tina")->id;
  auto id = t.start_desktop(sam, "light");
  t.wait_for_state(sam, id, "running");
  auto sam_events = open_events(t, &sam);
  ASSERT_EQ(sam_events->status(), 101);
  EXPECT_EQ(next_event(*sam_events)["type"], "hello");

  // The owner's own viewer is no observer; tina's view-only one is, once however many she opens.
  auto own = open_viewer(t, "/desktop/" + id + "/websockify?view_only=1", {{"Cookie", sam.cookie}});
  ASSERT_EQ(own->status(), 101);
  auto watching = open_viewer(t, "/desktop/" + id + "/websockify?view_only=1", {{"Cookie", tina.cookie}});
  ASSERT_EQ(watching->status(), 101);
  auto observed = nlohmann::json{
      {"type", "observation"}, {"desktop", id}, {"observers", {{{"id", tina_id}, {"display_name", "tina"}}}}};
  EXPECT_EQ(next_observation(*sam_events), observed);
  auto enlarged = open_viewer(t, "/desktop/" + id + "/websockify?view_only=1", {{"Cookie", tina.cookie}});
  ASSERT_EQ(enlarged->status(), 101);

  // A stream opened now hears the current state right after its hello.
  auto later = open_events(t, &sam);
  ASSERT_EQ(later->status(), 101);
  EXPECT_EQ(next_event(*later)["type"], "hello");
  EXPECT_EQ(next_event(*later), observed);

  // Closing one of her two viewers changes nothing for sam; closing both ends the observation.
  enlarged->close(1000);
  watching->close(1000);
  auto ended = nlohmann::json{{"type", "observation"}, {"desktop", id}, {"observers", nlohmann::json::array()}};
  EXPECT_EQ(next_observation(*sam_events), ended);
  EXPECT_EQ(next_observation(*later), ended);
  t.request("DELETE", "/api/desktops/" + id, &sam);
}

}  // namespace
}  // namespace deskgate::testing
