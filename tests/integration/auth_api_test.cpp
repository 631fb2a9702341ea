// Sign-in, sessions, CSRF, throttling and the bad inputs of /api/auth/*, against a real server and a
// real SQLite database.
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <fstream>
#include <sstream>

#include "core/crypto.hpp"
#include "store/store.hpp"
#include "support/test_app.hpp"

namespace deskgate::testing {
namespace {

std::string error_code_of(const http_answer& a) {
  auto j = json_of(a);
  return j.is_object() && j.contains("error") ? j["error"].value("code", "") : "";
}

std::string token_of(const signed_in& who) { return who.cookie.substr(who.cookie.find('=') + 1); }

TEST(AuthApi, HealthAndReadiness) {
  test_app t;
  auto health = t.request("GET", "/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(json_of(health)["status"], "ok");
  auto ready = t.request("GET", "/readyz");
  EXPECT_EQ(ready.status, 200);
  EXPECT_EQ(json_of(ready)["status"], "ready");
}

TEST(AuthApi, BootstrapAdminLogsInWithThePrintedPassword) {
  test_app t;
  ASSERT_EQ(t.admin_username(), "admin");
  ASSERT_GE(t.admin_password().size(), 16u);
  auto a = t.login_answer(t.admin_username(), t.admin_password());
  ASSERT_EQ(a.status, 200) << a.body;
  auto cookie = a.header("Set-Cookie");
  EXPECT_TRUE(cookie.starts_with("deskgate_session="));
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(cookie.find("SameSite=Lax"), std::string::npos);
  EXPECT_NE(cookie.find("Path=/"), std::string::npos);
  EXPECT_EQ(cookie.find("Secure"), std::string::npos) << "http public URL: no Secure flag";
  auto body = json_of(a);
  EXPECT_EQ(body["user"]["role"], "admin");
  EXPECT_EQ(body["csrf_token"].get<std::string>().size(), 43u);
  EXPECT_EQ(a.body.find("password"), std::string::npos) << "no hash or password in the answer";
}

TEST(AuthApi, CookieIsSecureWhenThePublicUrlIsHttps) {
  test_app t("public_url = \"https://desk.school.example\"\n");
  auto a = t.login_answer(t.admin_username(), t.admin_password());
  ASSERT_EQ(a.status, 200);
  EXPECT_NE(a.header("Set-Cookie").find("; Secure"), std::string::npos);
}

TEST(AuthApi, SecondStartDoesNotCreateAnotherAdmin) {
  temp_dir dir;
  std::string toml = "[server]\nlisten = \"127.0.0.1:0\"\ndata_dir = \"" + dir.path().string() + "\"\n";
  {
    application first(load_config_from_string(toml, {}));
    first.start();
    ASSERT_TRUE(first.bootstrap_admin().has_value());
    first.shutdown();
    first.wait();
  }
  application second(load_config_from_string(toml, {}));
  second.start();
  EXPECT_FALSE(second.bootstrap_admin().has_value());
  EXPECT_EQ(second.db().list_users().size(), 1u);
  second.shutdown();
  second.wait();
}

TEST(AuthApi, UnknownUserAndWrongPasswordLookTheSame) {
  test_app t;
  auto wrong = t.login_answer(t.admin_username(), "not the password");
  auto unknown = t.login_answer("nobody", "not the password");
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(unknown.status, 401);
  EXPECT_EQ(wrong.body, unknown.body);
  EXPECT_EQ(json_of(wrong)["error"]["message"], "Wrong username or password.");
  EXPECT_TRUE(wrong.header("Set-Cookie").empty());
}

TEST(AuthApi, SessionEndpointNeedsAValidCookie) {
  test_app t;
  auto admin = t.login_admin();
  auto ok = t.request("GET", "/api/auth/session", &admin);
  ASSERT_EQ(ok.status, 200);
  EXPECT_EQ(json_of(ok)["user"]["username"], "admin");
  EXPECT_EQ(json_of(ok)["csrf_token"], admin.csrf);

  EXPECT_EQ(t.request("GET", "/api/auth/session").status, 401);
  signed_in forged{"deskgate_session=" + crypto::random_token(32), admin.csrf};
  auto refused = t.request("GET", "/api/auth/session", &forged);
  EXPECT_EQ(refused.status, 401);
  EXPECT_EQ(error_code_of(refused), "unauthenticated");
  signed_in garbage{"deskgate_session=';DROP TABLE sessions;--", ""};
  EXPECT_EQ(t.request("GET", "/api/auth/session", &garbage).status, 401);
  EXPECT_EQ(t.request("GET", "/api/auth/session", &admin).status, 200) << "sessions table intact";
}

TEST(AuthApi, TokenIsStoredOnlyAsItsHash) {
  test_app t;
  auto admin = t.login_admin();
  auto token = token_of(admin);
  EXPECT_TRUE(t.app().db().find_session(crypto::sha256_hex(token)).has_value());
  EXPECT_FALSE(t.app().db().find_session(token).has_value());
  for (const char* file : {"deskgate.db", "deskgate.db-wal"}) {
    std::ifstream in(t.data_dir() / file, std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    EXPECT_EQ(bytes.str().find(token), std::string::npos) << file;
  }
}

TEST(AuthApi, SessionsExpireWhenIdleAndAtTheirAbsoluteLimit) {
  auto clk = std::make_shared<manual_clock>();
  test_app t("[auth.session]\nidle_timeout = \"30m\"\nabsolute_timeout = \"2h\"\n", clk);
  auto admin = t.login_admin();
  clk->advance(29 * 60);
  EXPECT_EQ(t.request("GET", "/api/auth/session", &admin).status, 200) << "used within the idle window";
  clk->advance(29 * 60);
  EXPECT_EQ(t.request("GET", "/api/auth/session", &admin).status, 200) << "activity moved the idle window";
  clk->advance(31 * 60);
  EXPECT_EQ(t.request("GET", "/api/auth/session", &admin).status, 401) << "idle for 31 minutes";

  auto again = t.login_admin();
  for (int i = 0; i < 4; ++i) {
    clk->advance(25 * 60);
    ASSERT_EQ(t.request("GET", "/api/auth/session", &again).status, 200);
  }
  clk->advance(25 * 60);  // 2h05 after login, never idle for long
  EXPECT_EQ(t.request("GET", "/api/auth/session", &again).status, 401);
  EXPECT_FALSE(t.app().db().find_session(crypto::sha256_hex(token_of(again))).has_value()) << "row removed";
}

TEST(AuthApi, LogoutNeedsTheCsrfTokenAndEndsTheSession) {
  test_app t;
  auto admin = t.login_admin();
  signed_in no_csrf{admin.cookie, ""};
  auto refused = t.request("POST", "/api/auth/logout", &no_csrf);
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(error_code_of(refused), "csrf_failed");
  signed_in wrong_csrf{admin.cookie, crypto::random_token(32)};
  EXPECT_EQ(t.request("POST", "/api/auth/logout", &wrong_csrf).status, 403);
  EXPECT_EQ(t.request("GET", "/api/auth/session", &admin).status, 200) << "still signed in";

  auto out = t.request("POST", "/api/auth/logout", &admin);
  EXPECT_EQ(out.status, 204);
  EXPECT_NE(out.header("Set-Cookie").find("Max-Age=0"), std::string::npos);
  EXPECT_EQ(t.request("GET", "/api/auth/session", &admin).status, 401);
}

TEST(AuthApi, LoginReplacesASessionTheBrowserBroughtAlong) {
  test_app t;
  auto first = t.login_admin();
  auto a = t.request("POST", "/api/auth/login", &first,
                     nlohmann::json{{"username", t.admin_username()}, {"password", t.admin_password()}}.dump(),
                     {{"Content-Type", "application/json"}});
  ASSERT_EQ(a.status, 200);
  EXPECT_EQ(t.request("GET", "/api/auth/session", &first).status, 401) << "old session ended (no fixation)";
}

TEST(AuthApi, ForeignOriginIsRefusedForUnsafeMethods) {
  test_app t;
  auto a = t.request("POST", "/api/auth/login", nullptr,
                     nlohmann::json{{"username", t.admin_username()}, {"password", t.admin_password()}}.dump(),
                     {{"Content-Type", "application/json"}, {"Origin", "https://evil.example"}});
  EXPECT_EQ(a.status, 403);
  EXPECT_EQ(error_code_of(a), "bad_origin");
  auto same = t.request("POST", "/api/auth/login", nullptr,
                        nlohmann::json{{"username", t.admin_username()}, {"password", t.admin_password()}}.dump(),
                        {{"Content-Type", "application/json"}, {"Origin", "http://127.0.0.1:8080"}});
  EXPECT_EQ(same.status, 200) << "the public URL's origin";
}

TEST(AuthApi, RepeatedFailuresAreThrottledPerUsername) {
  auto clk = std::make_shared<manual_clock>();
  test_app t("[auth.local]\nmax_failures_per_user = 3\nfailure_window = \"10m\"\n", clk);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(t.login_answer("admin", "wrong-password").status, 401);
  auto blocked = t.login_answer(t.admin_username(), t.admin_password());
  EXPECT_EQ(blocked.status, 429) << "even the right password waits";
  EXPECT_EQ(error_code_of(blocked), "too_many_requests");
  auto retry = std::stoi(blocked.header("Retry-After"));
  EXPECT_GT(retry, 0);
  EXPECT_LE(retry, 600);
  clk->advance(retry);
  EXPECT_EQ(t.login_answer(t.admin_username(), t.admin_password()).status, 200);
}

TEST(AuthApi, RepeatedFailuresAreThrottledPerAddress) {
  test_app t("[auth.local]\nmax_failures_per_address = 4\n");
  for (int i = 0; i < 4; ++i) t.login_answer("user" + std::to_string(i), "wrong-password");
  EXPECT_EQ(t.login_answer("someone-else", "wrong-password").status, 429);
}

TEST(AuthApi, BadLoginBodiesGetClearErrorsAndChangeNothing) {
  test_app t;
  struct bad_case {
    std::string content_type;
    std::string body;
    int status;
    std::string code;
  };
  const bad_case cases[] = {
      {"application/json", "{not json", 400, "invalid_json"},
      {"application/json", "[1,2]", 400, "invalid_json"},
      {"application/json", "", 400, "invalid_json"},
      {"text/plain", R"({"username":"admin","password":"x"})", 415, "unsupported_media_type"},
      {"", R"({"username":"admin","password":"x"})", 415, "unsupported_media_type"},
      {"application/json", R"({"username":"admin","password":"x","remember":true})", 400, "bad_request"},
      {"application/json", R"({"username":"admin"})", 400, "bad_request"},
      {"application/json", R"({"username":42,"password":"x"})", 400, "bad_request"},
      {"application/json", R"({"username":"' OR 1=1 --","password":"' OR 1=1 --"})", 401, "unauthenticated"},
  };
  for (const auto& c : cases) {
    std::vector<std::pair<std::string, std::string>> headers;
    if (!c.content_type.empty()) headers.emplace_back("Content-Type", c.content_type);
    auto a = t.request("POST", "/api/auth/login", nullptr, c.body, headers);
    EXPECT_EQ(a.status, c.status) << c.body;
    EXPECT_EQ(error_code_of(a), c.code) << c.body;
    EXPECT_FALSE(json_of(a)["error"]["message"].get<std::string>().empty());
  }
  EXPECT_EQ(t.app().db().list_users().size(), 1u);
  EXPECT_EQ(t.login_answer(t.admin_username(), t.admin_password()).status, 200);
}

TEST(AuthApi, AuthConfigTellsTheLoginPageWhatToShow) {
  test_app t("[auth.oidc]\nissuer = \"http://127.0.0.1:9/\"\nclient_id = \"deskgate\"\ndisplay_name = \"IServ\"\n");
  auto a = t.request("GET", "/api/auth/config");
  ASSERT_EQ(a.status, 200);
  auto j = json_of(a);
  EXPECT_EQ(j["local"]["enabled"], true);
  EXPECT_EQ(j["oidc"]["enabled"], true);
  EXPECT_EQ(j["oidc"]["display_name"], "IServ");
  EXPECT_EQ(a.body.find("client_secret"), std::string::npos);
}

TEST(AuthApi, LocalLoginCanBeSwitchedOff) {
  test_app t("[auth.local]\nenabled = false\n");
  auto a = t.login_answer("admin", "whatever-password");
  EXPECT_EQ(a.status, 403);
  EXPECT_FALSE(t.app().bootstrap_admin().has_value()) << "no local admin is made when local login is off";
}

TEST(AuthApi, LoginsAndFailuresAreAudited) {
  test_app t;
  t.login_answer("admin", "wrong-password");
  auto admin = t.login_admin();
  auto a = t.request("GET", "/api/admin/audit", &admin);
  ASSERT_EQ(a.status, 200);
  auto entries = json_of(a)["entries"];
  ASSERT_GE(entries.size(), 2u);
  EXPECT_EQ(entries[0]["action"], "auth.login");
  EXPECT_EQ(entries[0]["success"], true);
  EXPECT_EQ(entries[0]["actor_name"], "admin");
  EXPECT_EQ(entries[0]["client_address"], "127.0.0.1");
  EXPECT_EQ(entries[1]["action"], "auth.login_failed");
  EXPECT_EQ(entries[1]["success"], false);
  EXPECT_EQ(a.body.find("wrong-password"), std::string::npos);
}

TEST(AuthApi, SecretsNeverReachTheLog) {
  std::ostringstream captured;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(captured);
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", sink));
  spdlog::set_level(spdlog::level::debug);
  std::string token;
  std::string password;
  {
    test_app t;
    password = t.admin_password();
    auto admin = t.login_admin();
    token = token_of(admin);
    t.request("GET", "/api/auth/session?x=" + token, &admin);
    t.request("POST", "/api/auth/logout", &admin);
  }
  spdlog::set_default_logger(previous);
  spdlog::set_level(spdlog::level::warn);
  auto log = captured.str();
  EXPECT_NE(log.find("/api/auth/login"), std::string::npos) << "requests are logged";
  EXPECT_EQ(log.find(password), std::string::npos);
  EXPECT_EQ(log.find(token), std::string::npos) << "neither cookie nor query strings are logged";
}

}  // namespace
}  // namespace deskgate::testing
