// Desktops through the API on the real local backend (Xvnc): start, readiness, the secret, stop,
// remove, visibility, limits, concurrency, idle culling, reconciliation and the faults of each.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <set>
#include <thread>

#include "desktops/desktop_manager.hpp"
#include "desktops/event_bus.hpp"
#include "rfb/rfb_probe.hpp"
#include "support/process.hpp"
#include "support/test_app.hpp"

namespace deskgate::testing {
namespace {

using namespace std::chrono_literals;

// The Terminal type as shipped, and a light one whose session is only a sleeping process (for tests
// that start many desktops at once).
const std::string terminal_type = R"(
[[desktop_types]]
slug = "terminal"
name = "Terminal desktop"
backend = "local"
open_to_all = true
)";
const std::string light_types = std::string(light_desktop_toml) + R"(
[[desktop_types]]
slug = "second"
name = "Second desktop"
backend = "local"
open_to_all = true

[[desktop_types]]
slug = "assigned-only"
name = "Assigned only"
backend = "local"
)";

endpoint endpoint_of(test_app& t, const std::string& public_id) {
  auto d = t.app().db().find_desktop_by_public_id(public_id);
  if (!d) return {};
  return endpoint::parse(d->endpoint).value_or(endpoint{});
}

std::string secret_of(test_app& t, const std::string& public_id) {
  auto d = t.app().db().find_desktop_by_public_id(public_id);
  return d ? d->secret : "";
}

TEST(DesktopsApi, TerminalDesktopStartsAnswersWithItsSecretAndStops) {
  test_app t(terminal_type);
  auto admin = t.login_admin();
  auto student = t.add_user("max", "student");

  auto types = json_of(t.request("GET", "/api/desktop-types", &student));
  ASSERT_EQ(types["desktop_types"].size(), 1u);
  EXPECT_EQ(types["desktop_types"][0]["slug"], "terminal");
  EXPECT_TRUE(types["desktop_types"][0]["desktop"].is_null());

  auto started = t.post_json("/api/desktops", {{"type", "terminal"}}, &student);
  ASSERT_EQ(started.status, 202) << started.body;
  auto id = json_of(started)["desktop"]["id"].get<std::string>();
  EXPECT_EQ(json_of(started)["desktop"]["state"], "creating");
  auto running = t.wait_for_state(student, id, "running");
  ASSERT_EQ(running["state"], "running");
  EXPECT_FALSE(running["started_at"].is_null());

  auto where = endpoint_of(t, id);
  ASSERT_TRUE(where.is_unix());
  auto auth = rfb::probe_auth(where, secret_of(t, id), 5s);
  EXPECT_TRUE(auth.ok()) << auth.error;
  EXPECT_EQ(auth.width, 1280);
  EXPECT_FALSE(rfb::probe_auth(where, "wrong-secret", 5s).ok()) << "the desktop needs its own secret";

  auto as_seen = t.request("GET", "/api/desktops/" + id, &student);
  EXPECT_EQ(as_seen.body.find(secret_of(t, id)), std::string::npos) << "no API answer carries the secret";
  EXPECT_EQ(as_seen.body.find(where.unix_path), std::string::npos);

  auto all = json_of(t.request("GET", "/api/admin/desktops", &admin));
  ASSERT_EQ(all["desktops"].size(), 1u);
  EXPECT_EQ(all["desktops"][0]["owner"]["username"], "max");
  EXPECT_EQ(all["desktops"][0]["state"], "running");

  auto stop = t.request("POST", "/api/admin/desktops/" + id + "/stop", &admin);
  EXPECT_EQ(stop.status, 202);
  EXPECT_EQ(t.wait_for_state(student, id, "stopped")["state"], "stopped");
  EXPECT_FALSE(rfb::probe_banner(where, 1s).ok()) << "nothing answers any more";
}

TEST(DesktopsApi, StartingARunningDesktopReturnsItAndAStoppedOneRestarts) {
  test_app t(light_types);
  auto student = t.add_user("max", "student");
  auto id = t.start_desktop(student, "light");
  t.wait_for_state(student, id, "running");
  auto again = t.post_json("/api/desktops", {{"type", "light"}}, &student);
  EXPECT_EQ(again.status, 202);
  EXPECT_EQ(json_of(again)["desktop"]["id"], id);
  EXPECT_EQ(json_of(again)["desktop"]["state"], "running") << "a second tab does not restart it";

  ASSERT_EQ(t.request("POST", "/api/desktops/" + id + "/stop", &student).status, 202);
  t.wait_for_state(student, id, "stopped");
  EXPECT_EQ(t.request("POST", "/api/desktops/" + id + "/stop", &student).status, 202) << "double stop is harmless";
  EXPECT_EQ(t.start_desktop(student, "light"), id) << "the same desktop, started again";
  t.wait_for_state(student, id, "running");
  EXPECT_TRUE(rfb::probe_auth(endpoint_of(t, id), secret_of(t, id), 5s).ok());
}

TEST(DesktopsApi, ParallelStartsOfOneDesktopYieldOneDesktop) {
  test_app t(light_types);
  auto student = t.add_user("max", "student");
  std::vector<std::future<http_answer>> answers;
  for (int i = 0; i < 20; ++i) {
    answers.push_back(std::async(std::launch::async, [&] {
      return t.post_json("/api/desktops", {{"type", "light"}}, &student);
    }));
  }
  std::set<std::string> ids;
  for (auto& f : answers) {
    auto a = f.get();
    ASSERT_EQ(a.status, 202) << a.body;
    ids.insert(json_of(a)["desktop"]["id"].get<std::string>());
  }
  ASSERT_EQ(ids.size(), 1u);
  t.wait_for_state(student, *ids.begin(), "running");
  EXPECT_EQ(t.app().db().list_desktops().size(), 1u);
}

TEST(DesktopsApi, TwentyUsersGetTwentyDesktops) {
  test_app t(light_types + "\n[desktops]\nmax_total = 50\n");
  std::vector<signed_in> users;
  for (int i = 0; i < 20; ++i) users.push_back(t.add_user("pupil" + std::to_string(i), "student"));
  std::vector<std::future<std::string>> started;
  for (auto& u : users) {
    started.push_back(std::async(std::launch::async, [&t, &u] { return t.start_desktop(u, "light"); }));
  }
  std::set<std::string> ids;
  std::set<std::string> endpoints;
  for (std::size_t i = 0; i < users.size(); ++i) {
    auto id = started[i].get();
    ids.insert(id);
    EXPECT_EQ(t.wait_for_state(users[i], id, "running", 60s)["state"], "running");
    endpoints.insert(endpoint_of(t, id).to_string());
  }
  EXPECT_EQ(ids.size(), 20u);
  EXPECT_EQ(endpoints.size(), 20u) << "every desktop has its own endpoint";
  EXPECT_EQ(t.request("POST", "/api/admin/desktops/stop-all", nullptr).status, 401);
  auto admin = t.login_admin();
  auto stop_all = t.request("POST", "/api/admin/desktops/stop-all", &admin);
  EXPECT_EQ(json_of(stop_all)["stopping"], 20);
  t.app().desktops().wait_idle();
  for (const auto& d : t.app().db().list_desktops()) EXPECT_EQ(d.state, desktop_state::stopped);
}

TEST(DesktopsApi, VisibilityAndBadRequests) {
  test_app t(light_types);
  auto student = t.add_user("max", "student");
  auto other = t.add_user("lena", "student");

  auto listed = json_of(t.request("GET", "/api/desktop-types", &student))["desktop_types"];
  for (const auto& type : listed) EXPECT_NE(type["slug"], "assigned-only");
  auto refused = t.post_json("/api/desktops", {{"type", "assigned-only"}}, &student);
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(t.post_json("/api/desktops", {{"type", "no-such-type"}}, &student).status, 404);
  EXPECT_EQ(t.post_json("/api/desktops", {{"kind", "light"}}, &student).status, 400);
  EXPECT_EQ(t.request("POST", "/api/desktops", &student, "type=light",
                      {{"Content-Type", "application/x-www-form-urlencoded"}})
                .status,
            415);
  EXPECT_EQ(t.post_json("/api/desktops", {{"type", "light"}}).status, 401);

  // Assigned to max directly: max sees and starts it, lena does not.
  auto type = t.app().db().find_desktop_type_by_slug("assigned-only");
  auto max_id = json_of(t.request("GET", "/api/auth/session", &student))["user"]["id"].get<std::int64_t>();
  assignment a;
  a.desktop_type_id = type->id;
  a.title = "Assigned";
  a.user_ids = {max_id};
  t.app().db().create_assignment(a);
  auto now_listed = json_of(t.request("GET", "/api/desktop-types", &student))["desktop_types"];
  EXPECT_TRUE(
      std::any_of(now_listed.begin(), now_listed.end(), [](const auto& x) { return x["slug"] == "assigned-only"; }));
  auto id = t.start_desktop(student, "assigned-only");
  EXPECT_EQ(t.post_json("/api/desktops", {{"type", "assigned-only"}}, &other).status, 403);

  // Another user's desktop does not exist for them.
  EXPECT_EQ(t.request("GET", "/api/desktops/" + id, &other).status, 404);
  EXPECT_EQ(t.request("POST", "/api/desktops/" + id + "/stop", &other).status, 404);
  EXPECT_EQ(t.request("DELETE", "/api/desktops/" + id, &other).status, 404);
  EXPECT_EQ(t.request("GET", "/api/desktops/not-a-desktop", &student).status, 404);
  EXPECT_EQ(json_of(t.request("GET", "/api/desktops", &other))["desktops"].size(), 0u);
  EXPECT_EQ(t.request("GET", "/api/admin/desktops", &student).status, 403);
  t.wait_for_state(student, id, "running");
}

TEST(DesktopsApi, PerUserAndGlobalLimits) {
  test_app t(light_types + "\n[desktops]\nmax_per_user = 1\nmax_total = 2\n");
  auto max = t.add_user("max", "student");
  auto lena = t.add_user("lena", "student");
  auto tom = t.add_user("tom", "student");
  t.start_desktop(max, "light");
  auto second = t.post_json("/api/desktops", {{"type", "second"}}, &max);
  EXPECT_EQ(second.status, 429);
  EXPECT_NE(json_of(second)["error"]["message"].get<std::string>().find("Stop one first"), std::string::npos);
  t.start_desktop(lena, "light");
  auto full = t.post_json("/api/desktops", {{"type", "light"}}, &tom);
  EXPECT_EQ(full.status, 409);
  EXPECT_NE(json_of(full)["error"]["message"].get<std::string>().find("2"), std::string::npos);
  t.app().desktops().wait_idle();
}

TEST(DesktopsApi, RemoveWhileStartingLeavesNothingBehind) {
  test_app t(terminal_type);
  auto student = t.add_user("max", "student");
  auto id = t.start_desktop(student, "terminal");
  auto removed = t.request("DELETE", "/api/desktops/" + id, &student);
  EXPECT_EQ(removed.status, 202);
  t.app().desktops().wait_idle();
  EXPECT_EQ(t.request("GET", "/api/desktops/" + id, &student).status, 404);
  EXPECT_TRUE(t.app().db().list_desktops().empty());
  EXPECT_FALSE(std::filesystem::exists(t.data_dir() / "desktops" / id)) << "runtime folder removed";
  EXPECT_TRUE(processes_with("cmdline", (t.data_dir() / "desktops" / id).string()).empty()) << "no process left";
}

TEST(DesktopsApi, EveryStateChangeIsPublished) {
  test_app t(light_types);
  std::mutex m;
  std::vector<std::string> seen;
  auto sub = t.app().events().subscribe([&](const desktop_event& e) {
    std::lock_guard lock(m);
    seen.push_back(std::string(to_string(e.state)) + (e.removed ? "+removed" : ""));
  });
  auto student = t.add_user("max", "student");
  auto id = t.start_desktop(student, "light");
  t.wait_for_state(student, id, "running");
  t.request("DELETE", "/api/desktops/" + id, &student);
  t.app().desktops().wait_idle();
  std::lock_guard lock(m);
  EXPECT_EQ(seen,
            (std::vector<std::string>{"creating", "starting", "running", "stopping", "stopped", "stopped+removed"}));
}

TEST(DesktopsApi, FaultsEndInAnErrorStateWithAReason) {
  test_app t(R"(
[local]
xvnc = "/nonexistent/Xvnc"

[[docker_hosts]]
name = "gone"
url = "unix:///nonexistent/docker.sock"

[[desktop_types]]
slug = "broken-local"
name = "Broken local"
backend = "local"
open_to_all = true

[[desktop_types]]
slug = "no-engine"
name = "No engine"
backend = "docker"
image = "deskgate-test-desktop:latest"
open_to_all = true
)");
  auto student = t.add_user("max", "student");
  auto local = t.start_desktop(student, "broken-local");
  auto docker = t.start_desktop(student, "no-engine");
  auto local_error = t.wait_for_state(student, local, "error");
  EXPECT_NE(local_error["error"].get<std::string>().find("Xvnc"), std::string::npos) << local_error.dump();
  auto docker_error = t.wait_for_state(student, docker, "error");
  EXPECT_NE(docker_error["error"].get<std::string>().find("does not answer"), std::string::npos) << docker_error.dump();
  EXPECT_EQ(t.request("GET", "/healthz").status, 200) << "everyone else is still served";
  EXPECT_EQ(t.request("DELETE", "/api/desktops/" + local, &student).status, 202) << "a failed desktop can be removed";
  t.app().desktops().wait_idle();
  EXPECT_EQ(t.request("GET", "/api/desktops/" + local, &student).status, 404);
}

TEST(DesktopsApi, IdleDesktopsAreStoppedAndLongStoppedOnesRemoved) {
  auto clk = std::make_shared<manual_clock>();
  test_app t(light_types +
                 "\n[desktops]\nidle_timeout = \"10m\"\nremove_stopped_after = \"1h\"\n"
                 "scheduler_interval = \"1s\"\n",
             clk);
  auto student = t.add_user("max", "student");
  auto busy = t.start_desktop(student, "light");
  auto idle = t.start_desktop(student, "second");
  t.wait_for_state(student, busy, "running");
  t.wait_for_state(student, idle, "running");
  clk->advance(9 * 60);
  t.app().desktops().record_activity(t.app().db().find_desktop_by_public_id(busy)->id);  // the relay's hook
  clk->advance(2 * 60);
  auto culled = t.wait_for_state(student, idle, "stopped", 10s);
  EXPECT_NE(culled["error"].get<std::string>().find("without use"), std::string::npos) << culled.dump();
  EXPECT_EQ(json_of(t.request("GET", "/api/desktops/" + busy, &student))["desktop"]["state"], "running");

  clk->advance(61 * 60);
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (t.request("GET", "/api/desktops/" + idle, &student).status != 404 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(t.request("GET", "/api/desktops/" + idle, &student).status, 404) << "removed after an hour stopped";
}

TEST(DesktopsApi, ReconciliationNoticesDesktopsThatDiedBehindItsBack) {
  test_app t(light_types);
  auto student = t.add_user("max", "student");
  auto id = t.start_desktop(student, "light");
  t.wait_for_state(student, id, "running");
  // Kill the desktop's processes the way a crash or an admin would.
  auto runtime = (t.data_dir() / "desktops" / id).string();
  auto pids = processes_with("cmdline", runtime);
  ASSERT_FALSE(pids.empty());
  for (int pid : pids) ::kill(pid, SIGKILL);
  // SIGKILL is delivered asynchronously; the scheduler would simply notice on its next round.
  nlohmann::json seen;
  for (int i = 0; i < 50; ++i) {
    t.app().desktops().reconcile();
    seen = json_of(t.request("GET", "/api/desktops/" + id, &student))["desktop"];
    if (seen["state"] != "running") break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(seen["state"], "stopped");
  EXPECT_FALSE(seen["error"].get<std::string>().empty());
}

TEST(DesktopsApi, StatsCountDesktopsAndUsers) {
  test_app t(light_types);
  auto admin = t.login_admin();
  auto student = t.add_user("max", "student");
  auto id = t.start_desktop(student, "light");
  t.wait_for_state(student, id, "running");
  auto stats = json_of(t.request("GET", "/api/admin/stats", &admin));
  EXPECT_EQ(stats["desktops"]["total"], 1);
  EXPECT_EQ(stats["desktops"]["by_state"]["running"], 1);
  EXPECT_EQ(stats["users"]["total"], 2);
  EXPECT_EQ(stats["users"]["with_active_desktops"], 1);
  EXPECT_EQ(t.request("GET", "/api/admin/stats", &student).status, 403);
}

}  // namespace
}  // namespace deskgate::testing
