// The deskgate binary as an admin uses it: check-config, migrate, user add|passwd|list, and serve with
// the first-admin password printed once and a clean stop on SIGTERM.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <regex>

#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/test_app.hpp"

namespace deskgate::testing {
namespace {

class cli : public ::testing::Test {
 protected:
  run_result deskgate(std::vector<std::string> args, const std::string& stdin_text = "",
                      std::map<std::string, std::string> env = {}) {
    args.insert(args.begin(), DESKGATE_BINARY);
    env.emplace("DESKGATE_SERVER_DATA_DIR", dir_.path().string());
    return run_command({args, env, stdin_text, dir_.path()});
  }
  std::filesystem::path write_config(const std::string& text) {
    auto p = dir_.path() / "deskgate.toml";
    std::ofstream(p) << text;
    return p;
  }
  temp_dir dir_;
};

TEST_F(cli, CheckConfigPrintsTheEffectiveConfigWithSecretsMasked) {
  auto r = deskgate({"check-config"}, "", {{"DESKGATE_AUTH_OIDC_CLIENT_SECRET", "s3cr3t-value"},
                                           {"DESKGATE_SERVER_LISTEN", "127.0.0.1:9999"}});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("listen = \"127.0.0.1:9999\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("client_secret = \"********\""), std::string::npos);
  EXPECT_EQ(r.out.find("s3cr3t-value"), std::string::npos);
  EXPECT_NE(r.out.find("slug = \"terminal\""), std::string::npos) << "the embedded default has the Terminal type";
}

TEST_F(cli, BadConfigurationNamesTheKeyAndExitsWith2) {
  auto file = write_config("[server]\nlisten = \"127.0.0.1:8080\"\nlisten_port = 1\n");
  auto r = deskgate({"check-config", "--config", file.string()});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("server.listen_port"), std::string::npos) << r.err;
  auto env = deskgate({"serve"}, "", {{"DESKGATE_SERVER_MAX_BODY_BYTES", "lots"}});
  EXPECT_EQ(env.status, 2);
  EXPECT_NE(env.err.find("DESKGATE_SERVER_MAX_BODY_BYTES"), std::string::npos) << env.err;
}

TEST_F(cli, MigrateAppliesEachMigrationOnce) {
  auto first = deskgate({"migrate"});
  EXPECT_EQ(first.status, 0) << first.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(first.out, m, std::regex("applied ([1-9][0-9]*) migration\\(s\\); schema version ([0-9]+)")))
      << first.out;
  EXPECT_EQ(m[1], m[2]) << "a new database gets every migration";
  auto second = deskgate({"migrate"});
  EXPECT_NE(second.out.find("applied 0 migration(s); schema version " + m[2].str()), std::string::npos) << second.out;
}

TEST_F(cli, UserCommandsManageLocalAccounts) {
  auto add = deskgate({"user", "add", "frau.meier", "--role", "teacher", "--password-stdin"}, "Lehrerin-2026\n");
  ASSERT_EQ(add.status, 0) << add.err;
  EXPECT_NE(add.out.find("created frau.meier (teacher"), std::string::npos);
  EXPECT_EQ(add.out.find("Lehrerin-2026"), std::string::npos) << "a given password is not echoed";

  auto generated = deskgate({"user", "add", "max"});
  ASSERT_EQ(generated.status, 0) << generated.err;
  EXPECT_TRUE(std::regex_search(generated.out, std::regex("password: [A-Za-z0-9]{20}"))) << generated.out;

  auto dup = deskgate({"user", "add", "frau.meier", "--password-stdin"}, "another-password\n");
  EXPECT_EQ(dup.status, 2);
  EXPECT_NE(dup.err.find("already"), std::string::npos) << dup.err;
  auto weak = deskgate({"user", "add", "kurz", "--password-stdin"}, "short\n");
  EXPECT_EQ(weak.status, 2);
  EXPECT_NE(weak.err.find("at least 8"), std::string::npos);
  auto bad_role = deskgate({"user", "add", "x", "--role", "root"});
  EXPECT_EQ(bad_role.status, 2);

  auto list = deskgate({"user", "list"});
  EXPECT_EQ(list.status, 0);
  EXPECT_TRUE(std::regex_search(list.out, std::regex("frau\\.meier +teacher +active")));
  EXPECT_TRUE(std::regex_search(list.out, std::regex("max +student +active")));
  EXPECT_EQ(list.out.find("kurz"), std::string::npos) << "nothing half-created";

  EXPECT_EQ(deskgate({"user", "passwd", "frau.meier", "--password-stdin"}, "Neues-Passwort-1\n").status, 0);
  EXPECT_EQ(deskgate({"user", "passwd", "nobody", "--password-stdin"}, "Neues-Passwort-1\n").status, 2);
}

TEST_F(cli, ServePrintsTheFirstAdminPasswordAndStopsCleanlyOnSigterm) {
  child_process server({{DESKGATE_BINARY, "serve"},
                        {{"DESKGATE_SERVER_DATA_DIR", dir_.path().string()},
                         {"DESKGATE_SERVER_LISTEN", "127.0.0.1:0"}},
                        "",
                        dir_.path()});
  ASSERT_TRUE(server.wait_for_output("deskgate listening", std::chrono::seconds(20))) << server.err();
  std::smatch port_match;
  auto err = server.err();
  ASSERT_TRUE(std::regex_search(err, port_match, std::regex("address=127\\.0\\.0\\.1:([0-9]+)")));
  auto port = static_cast<std::uint16_t>(std::stoi(port_match[1]));
  std::smatch pw;
  auto out = server.out();
  ASSERT_TRUE(std::regex_search(out, pw, std::regex("password: (\\S+)"))) << out;
  EXPECT_EQ(err.find(pw[1].str()), std::string::npos) << "the password is printed, not logged";

  auto login = http_request(port, {"POST", "/api/auth/login", {{"Content-Type", "application/json"}},
                                   nlohmann::json{{"username", "admin"}, {"password", pw[1].str()}}.dump()});
  EXPECT_EQ(login.status, 200) << login.body;

  server.signal(SIGTERM);
  EXPECT_EQ(server.wait(std::chrono::seconds(15)), 0);
  EXPECT_NE(server.err().find("stopped"), std::string::npos);

  child_process again({{DESKGATE_BINARY, "serve"},
                       {{"DESKGATE_SERVER_DATA_DIR", dir_.path().string()}, {"DESKGATE_SERVER_LISTEN", "127.0.0.1:0"}},
                       "",
                       dir_.path()});
  ASSERT_TRUE(again.wait_for_output("deskgate listening", std::chrono::seconds(20)));
  EXPECT_EQ(again.out().find("password:"), std::string::npos) << "shown once only";
  again.signal(SIGINT);
  EXPECT_EQ(again.wait(std::chrono::seconds(15)), 0);
}

}  // namespace
}  // namespace deskgate::testing
