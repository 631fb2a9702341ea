// The built web UI is found without configuration: with server.web_root unset, deskgate serves web/dist from
// the folder that holds data_dir (the repository layout `make run` uses), with the SPA fallback and the CSP.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <regex>

#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/test_app.hpp"

namespace deskgate::testing {
namespace {

using namespace std::chrono_literals;

TEST(WebUi, ServedFromWebDistBesideTheDataFolderByDefault) {
  temp_dir dir;
  std::filesystem::create_directories(dir.path() / "web" / "dist" / "assets");
  std::ofstream(dir.path() / "web" / "dist" / "index.html") << "<!doctype html><title>ui shell</title>";
  std::ofstream(dir.path() / "web" / "dist" / "assets" / "app-abc123.js") << "export {}";
  auto config = dir.path() / "deskgate.toml";
  std::ofstream(config) << "[server]\nlisten = \"127.0.0.1:0\"\ndata_dir = \"" << (dir.path() / "data").string()
                        << "/\"\n";

  child_process gateway({{DESKGATE_BINARY, "serve", "--config", config.string()}, {}, "", dir.path()});
  ASSERT_TRUE(gateway.wait_for_output("deskgate listening", 30s)) << gateway.err();
  std::smatch m;
  auto log = gateway.err();
  ASSERT_TRUE(std::regex_search(log, m, std::regex("address=127\\.0\\.0\\.1:([0-9]+)")));
  auto port = static_cast<std::uint16_t>(std::stoi(m[1]));

  for (const char* page : {"/", "/login", "/desktops/some-id", "/admin"}) {
    auto a = http_request(port, {"GET", page, {}, ""});
    EXPECT_EQ(a.status, 200) << page;
    EXPECT_NE(a.body.find("ui shell"), std::string::npos) << page;
    EXPECT_EQ(a.header("Cache-Control"), "no-cache") << page;
    EXPECT_NE(a.header("Content-Security-Policy").find("default-src 'self'"), std::string::npos) << page;
  }
  auto asset = http_request(port, {"GET", "/assets/app-abc123.js", {}, ""});
  EXPECT_EQ(asset.status, 200);
  EXPECT_EQ(asset.header("Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(http_request(port, {"GET", "/assets/missing-1.js", {}, ""}).status, 404);
  EXPECT_EQ(http_request(port, {"GET", "/api/nothing", {}, ""}).status, 404) << "the API never falls back to the UI";

  gateway.signal(SIGTERM);
  EXPECT_EQ(gateway.wait(15s), 0);
}

}  // namespace
}  // namespace deskgate::testing
