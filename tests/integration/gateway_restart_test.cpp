// A gateway killed with SIGKILL and started again on the same data folder adopts its running desktops:
// none lost, none duplicated, sessions still valid (nothing lived only in the dead process's memory).
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <regex>
#include <thread>

#include "rfb/rfb_probe.hpp"
#include "store/store.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/test_app.hpp"

namespace deskgate::testing {
namespace {

using namespace std::chrono_literals;

class running_gateway {
 public:
  running_gateway(const temp_dir& dir, const std::filesystem::path& config)
      : process_({{DESKGATE_BINARY, "serve", "--config", config.string()}, {}, "", dir.path()}) {
    EXPECT_TRUE(process_.wait_for_output("deskgate listening", 30s)) << process_.err();
    std::smatch m;
    auto err = process_.err();
    if (std::regex_search(err, m, std::regex("address=127\\.0\\.0\\.1:([0-9]+)"))) {
      port_ = static_cast<std::uint16_t>(std::stoi(m[1]));
    }
    auto out = process_.out();
    if (std::regex_search(out, m, std::regex("password: (\\S+)"))) password_ = m[1];
  }
  std::uint16_t port() const { return port_; }
  const std::string& password() const { return password_; }
  child_process& process() { return process_; }

  http_answer call(const std::string& method, const std::string& target, const signed_in& who,
                   const std::string& body = "") {
    return http_request(port_,
                        {method,
                         target,
                         {{"Cookie", who.cookie}, {"X-CSRF-Token", who.csrf}, {"Content-Type", "application/json"}},
                         body});
  }

 private:
  child_process process_;
  std::uint16_t port_ = 0;
  std::string password_;
};

std::string desktop_state_of(running_gateway& g, const signed_in& who, const std::string& id) {
  auto a = g.call("GET", "/api/desktops/" + id, who);
  auto j = nlohmann::json::parse(a.body, nullptr, false);
  return a.status == 200 ? j["desktop"]["state"].get<std::string>() : "status " + std::to_string(a.status);
}

bool wait_for(running_gateway& g, const signed_in& who, const std::string& id, const std::string& state) {
  for (int i = 0; i < 300; ++i) {
    if (desktop_state_of(g, who, id) == state) return true;
    std::this_thread::sleep_for(100ms);
  }
  return false;
}

TEST(GatewayRestart, DesktopsSurviveSigkillAndAreAdopted) {
  temp_dir dir;
  auto config = dir.path() / "deskgate.toml";
  std::ofstream(config)
      << "[server]\nlisten = \"127.0.0.1:0\"\ndata_dir = \"" << dir.path().string()
      << "\"\n[local]\nsession_command = \"exec sleep 100000\"\n"
         "[[desktop_types]]\nslug = \"light\"\nname = \"Light\"\nbackend = \"local\"\nopen_to_all = true\n";

  signed_in admin;
  std::string id;
  {
    running_gateway first(dir, config);
    ASSERT_NE(first.port(), 0);
    auto login =
        http_request(first.port(), {"POST",
                                    "/api/auth/login",
                                    {{"Content-Type", "application/json"}},
                                    nlohmann::json{{"username", "admin"}, {"password", first.password()}}.dump()});
    ASSERT_EQ(login.status, 200) << login.body;
    admin.cookie = login.header("Set-Cookie").substr(0, login.header("Set-Cookie").find(';'));
    admin.csrf = nlohmann::json::parse(login.body)["csrf_token"];
    auto started = first.call("POST", "/api/desktops", admin, R"({"type":"light"})");
    ASSERT_EQ(started.status, 202) << started.body;
    id = nlohmann::json::parse(started.body)["desktop"]["id"];
    ASSERT_TRUE(wait_for(first, admin, id, "running"));
    first.process().signal(SIGKILL);
    EXPECT_EQ(first.process().wait(10s), 128 + SIGKILL);
  }

  running_gateway second(dir, config);
  ASSERT_NE(second.port(), 0);
  EXPECT_TRUE(second.password().empty()) << "no second admin";
  EXPECT_EQ(desktop_state_of(second, admin, id), "running") << "adopted, and the session cookie still works";
  auto list = nlohmann::json::parse(second.call("GET", "/api/admin/desktops", admin).body);
  EXPECT_EQ(list["desktops"].size(), 1u) << "none duplicated";

  system_clock clk;
  auto db = open_store("sqlite:" + (dir.path() / "deskgate.db").string(), clk);
  auto d = db->find_desktop_by_public_id(id);
  ASSERT_TRUE(d.has_value());
  auto where = endpoint::parse(d->endpoint);
  ASSERT_TRUE(where.has_value());
  EXPECT_TRUE(rfb::probe_auth(*where, d->secret, 5s).ok()) << "the same desktop still answers";

  ASSERT_EQ(second.call("POST", "/api/desktops/" + id + "/stop", admin).status, 202);
  EXPECT_TRUE(wait_for(second, admin, id, "stopped"));
  EXPECT_FALSE(rfb::probe_banner(*where, 1s).ok());
  second.process().signal(SIGTERM);
  EXPECT_EQ(second.process().wait(15s), 0);
}

}  // namespace
}  // namespace deskgate::testing
