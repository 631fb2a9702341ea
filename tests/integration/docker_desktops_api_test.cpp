// Desktops through the API on a real Docker Engine (a private dockerd): start, readiness, the secret,
// the viewer's WebSocket through the gateway, admin stop, restart of the same container, and adoption
// by a new gateway on the same data folder.
#include <gtest/gtest.h>

#include <fstream>

#include "backends/docker/docker_client.hpp"
#include "desktops/desktop_manager.hpp"
#include "rfb/rfb_probe.hpp"
#include "support/docker_suite.hpp"
#include "support/test_app.hpp"
#include "support/ws_client.hpp"

namespace deskgate::testing {
namespace {

using namespace std::chrono_literals;

class docker_desktops : public docker_suite {
 protected:
  static std::string toml(const temp_dir& dir) {
    return "[server]\nlisten = \"127.0.0.1:0\"\ndata_dir = \"" + dir.path().string() + "\"\n" +
           docker_config("docker-desktop", 27100, "memory = \"512m\"\npids = 256\nopen_to_all = true\n");
  }
};

TEST_F(docker_desktops, StartViewStopRestartAndAdoptThroughTheApi) {
  temp_dir dir;
  std::string id;
  std::string container;
  {
    application app(load_config_from_string(toml(dir), {}));
    app.start();
    // The harness's test_app helpers need their own app; drive this one with the raw client.
    auto admin_password = app.bootstrap_admin()->password;
    auto login = http_request(app.port(), {"POST",
                                           "/api/auth/login",
                                           {{"Content-Type", "application/json"}},
                                           nlohmann::json{{"username", "admin"}, {"password", admin_password}}.dump()});
    ASSERT_EQ(login.status, 200);
    std::string cookie = login.header("Set-Cookie").substr(0, login.header("Set-Cookie").find(';'));
    std::string csrf = nlohmann::json::parse(login.body)["csrf_token"];
    auto call = [&](const std::string& method, const std::string& target, const std::string& body = "") {
      return http_request(
          app.port(),
          {method, target, {{"Cookie", cookie}, {"X-CSRF-Token", csrf}, {"Content-Type", "application/json"}}, body});
    };
    auto state_of = [&](const std::string& desktop) {
      return nlohmann::json::parse(call("GET", "/api/desktops/" + desktop).body)["desktop"]["state"].get<std::string>();
    };
    auto wait_for = [&](const std::string& desktop, const std::string& state) {
      for (int i = 0; i < 300 && state_of(desktop) != state; ++i) std::this_thread::sleep_for(100ms);
      return state_of(desktop);
    };

    auto started = call("POST", "/api/desktops", R"({"type":"docker-desktop"})");
    ASSERT_EQ(started.status, 202) << started.body;
    id = nlohmann::json::parse(started.body)["desktop"]["id"];
    ASSERT_EQ(wait_for(id, "running"), "running");

    auto d = app.db().find_desktop_by_public_id(id);
    container = d->container_id;
    auto where = endpoint::parse(d->endpoint);
    ASSERT_TRUE(where.has_value());
    EXPECT_EQ(where->host, "127.0.0.1") << "published on loopback only";
    EXPECT_TRUE(rfb::probe_auth(*where, d->secret, 5s).ok()) << "the desktop answers with its own secret";

    ws_client viewer;
    ASSERT_TRUE(viewer.connect(app.port(), {"/desktop/" + id + "/websockify", {{"Cookie", cookie}}, "binary"}))
        << viewer.status() << " " << viewer.body();
    EXPECT_EQ(viewer.read_bytes(12).value_or(""), "RFB 003.008\n");

    ASSERT_EQ(call("POST", "/api/admin/desktops/" + id + "/stop").status, 202);
    EXPECT_EQ(wait_for(id, "stopped"), "stopped");
    ASSERT_EQ(call("POST", "/api/desktops", R"({"type":"docker-desktop"})").status, 202);
    EXPECT_EQ(wait_for(id, "running"), "running");
    EXPECT_EQ(app.db().find_desktop_by_public_id(id)->container_id, container) << "restarted, not recreated";
    app.shutdown();
    app.wait();
  }
  // A new gateway on the same folder adopts the running container.
  application again(load_config_from_string(toml(dir), {}));
  again.start();
  auto d = again.db().find_desktop_by_public_id(id);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->state, desktop_state::running);
  EXPECT_EQ(d->container_id, container);
  EXPECT_EQ(again.db().list_desktops().size(), 1u);
  again.desktops().remove(d->id);
  again.desktops().wait_idle();
  EXPECT_TRUE(again.db().list_desktops().empty());
  again.shutdown();
  again.wait();
}

// The http relay mode on a real engine: the web port is published on a loopback port the engine picks and
// reached under /desktop/{id}/http/ (the test image serves the home folder with busybox httpd).
TEST_F(docker_desktops, TheWebPortIsPublishedOnLoopbackAndReachedUnderTheHttpPrefix) {
  test_app t(docker_config("docker-web", 27200, "http_port = 8080\nenv = [\"WEB_PORT=8080\"]\nopen_to_all = true\n"));
  auto anna = t.add_user("anna", "student");
  auto id = t.start_desktop(anna, "docker-web");
  t.wait_for_state(anna, id, "running");
  auto d = t.app().db().find_desktop_by_public_id(id);
  ASSERT_TRUE(d.has_value());
  { std::ofstream(t.data_dir() / "homes" / std::to_string(d->user_id) / "hello.html") << "served from the desktop"; }

  docker::client_options engine;
  engine.url = engine_->url();
  auto info = docker::client(engine).inspect(d->container_id);
  ASSERT_TRUE(info.has_value());
  const auto& bound = (*info)["NetworkSettings"]["Ports"]["8080/tcp"];
  ASSERT_TRUE(bound.is_array() && !bound.empty()) << info->dump();
  EXPECT_EQ(bound[0]["HostIp"], "127.0.0.1") << "the web port is published on loopback only";

  std::string page;
  for (int i = 0; i < 50; ++i) {  // httpd starts beside Xvnc; readiness only waits for Xvnc
    auto a = t.request("GET", "/desktop/" + id + "/http/hello.html", &anna);
    if (a.status == 200) {
      page = a.body;
      break;
    }
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(page, "served from the desktop");
  auto ben = t.add_user("ben", "student");
  EXPECT_EQ(t.request("GET", "/desktop/" + id + "/http/hello.html", &ben).status, 404);
}

}  // namespace
}  // namespace deskgate::testing
