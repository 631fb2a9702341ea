// OpenID Connect sign-in against a real provider (npm oidc-provider, tests/idp/server.js): the whole
// flow from a C++ client for a student, a teacher, an admin and an IServ-style account, role changes at
// the next sign-in, logout at the provider, and every bad input of issue 6, each ending in
// /login?error=<code>, no session and an audit row.
#include <gtest/gtest.h>

#include <memory>

#include "support/test_app.hpp"
#include "support/test_idp.hpp"

namespace deskgate::testing {
namespace {

using json = nlohmann::json;

class OidcLogin : public ::testing::Test {
 protected:
  // One provider for the suite, started by the first test (a failure to start fails each test, never
  // skips it).
  static void TearDownTestSuite() { idp_.reset(); }

  void SetUp() override {
    if (!idp_) idp_ = std::make_unique<test_idp>();
    idp_->reset();
  }

  // A deskgate whose public URL is its real address, so the provider's redirect reaches it.
  std::unique_ptr<test_app> start_app(const std::string& oidc_extra = "", const std::string& more_toml = "",
                                      std::optional<std::string> issuer = std::nullopt,
                                      const std::string& client_id = "deskgate") {
    auto port = free_port();
    std::string base = "http://127.0.0.1:" + std::to_string(port);
    idp_->register_client(base + "/api/auth/oidc/callback", base + "/login");
    std::string toml = more_toml + "\n[auth.oidc]\nissuer = \"" + issuer.value_or(idp_->issuer()) +
                       "\"\nclient_id = \"" + client_id + "\"\nclient_secret = \"deskgate-test-secret\"\n" + oidc_extra;
    app_port_ = port;
    return std::make_unique<test_app>(toml, nullptr,
                                      environment{{"DESKGATE_SERVER_LISTEN", "127.0.0.1:" + std::to_string(port)},
                                                  {"DESKGATE_SERVER_PUBLIC_URL", base}});
  }

  std::string app_url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(app_port_) + path; }

  // The session a successful callback set, or fails the test.
  signed_in session_of(const test_browser& b, test_app& t) {
    signed_in who{"deskgate_session=" + b.cookie(t.port(), "deskgate_session"), ""};
    auto a = t.request("GET", "/api/auth/session", &who);
    EXPECT_EQ(a.status, 200) << a.body;
    auto body = json::parse(a.body, nullptr, false);
    if (body.is_object()) who.csrf = body.value("csrf_token", "");
    return who;
  }

  std::string role_of(const test_browser& b, test_app& t) {
    signed_in who{"deskgate_session=" + b.cookie(t.port(), "deskgate_session"), ""};
    auto a = t.request("GET", "/api/auth/session", &who);
    if (a.status != 200) return "status " + std::to_string(a.status);
    return json::parse(a.body)["user"]["role"];
  }

  // A refused sign-in: sent to the login page with the reason, no session cookie, and an audit row.
  void expect_refused(test_app& t, const http_answer& a, const std::string& code) {
    EXPECT_EQ(a.status, 302) << a.body;
    EXPECT_EQ(a.header("Location"), "/login?error=" + code);
    for (const auto& c : a.all("Set-Cookie")) EXPECT_FALSE(c.starts_with("deskgate_session=")) << c;
    auto audit = t.app().db().list_audit(1);
    ASSERT_EQ(audit.size(), 1u);
    EXPECT_EQ(audit[0].action, "auth.oidc.login");
    EXPECT_FALSE(audit[0].success);
    EXPECT_EQ(json::parse(audit[0].detail)["reason"], code) << audit[0].detail;
    // Nothing in the detail that could be a token or a code.
    EXPECT_EQ(audit[0].detail.find("eyJ"), std::string::npos);
  }

  static std::unique_ptr<test_idp> idp_;
  std::uint16_t app_port_ = 0;
};

std::unique_ptr<test_idp> OidcLogin::idp_;

TEST_F(OidcLogin, StudentTeacherAndAdminLandWithTheirRoles) {
  auto t = start_app();
  for (auto [username, role] : {std::pair{"anna", "student"}, {"tom", "teacher"}, {"alice", "admin"}}) {
    test_browser b;
    auto r = b.sign_in(t->port(), username, "/desktops");
    EXPECT_EQ(r.callback.status, 302) << username;
    EXPECT_EQ(r.callback.header("Location"), "/desktops") << username;
    EXPECT_EQ(role_of(b, *t), role) << username;
    auto u = t->app().db().find_user_by_username(username);
    ASSERT_TRUE(u) << username;
    EXPECT_TRUE(u->password_hash.empty());
    EXPECT_EQ(u->oidc_subject, std::string("sub-") + username);
  }
  auto tom = t->app().db().find_user_by_username("tom");
  auto groups = t->app().db().list_groups_of(tom->id);
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].external_id, "class-7a");
  EXPECT_EQ(groups[1].external_id, "teachers");
  auto alice = t->app().db().find_user_by_username("alice");
  auto alice_groups = t->app().db().list_groups_of(alice->id);
  ASSERT_EQ(alice_groups.size(), 1u);
  EXPECT_EQ(alice_groups[0].name, "Administrators");
  EXPECT_EQ(alice->email, "alice@school.example");
  EXPECT_EQ(alice->display_name, "Alice Admin");
  auto audit = t->app().db().list_audit(1);
  EXPECT_EQ(audit[0].action, "auth.oidc.login");
  EXPECT_TRUE(audit[0].success);
}

TEST_F(OidcLogin, SessionCookieIsLikeLocalLoginAndStateCookieIsLax) {
  auto t = start_app();
  test_browser b;
  auto start = b.get(app_url("/api/auth/oidc/start?next=/"));
  ASSERT_EQ(start.status, 302);
  auto state_cookie = start.header("Set-Cookie");
  EXPECT_TRUE(state_cookie.starts_with("deskgate_oidc=")) << state_cookie;
  EXPECT_NE(state_cookie.find("SameSite=Lax"), std::string::npos) << state_cookie;
  EXPECT_NE(state_cookie.find("HttpOnly"), std::string::npos) << state_cookie;
  auto to = start.header("Location");
  EXPECT_TRUE(to.starts_with(idp_->issuer() + "/auth?")) << to;
  EXPECT_NE(to.find("code_challenge_method=S256"), std::string::npos);
  EXPECT_NE(to.find("&nonce="), std::string::npos);
  EXPECT_NE(to.find("scope=openid%20profile%20email%20groups"), std::string::npos) << to;

  auto r = b.sign_in(t->port(), "anna");
  std::string session_cookie;
  for (const auto& c : r.callback.all("Set-Cookie")) {
    if (c.starts_with("deskgate_session=")) session_cookie = c;
  }
  EXPECT_NE(session_cookie.find("HttpOnly"), std::string::npos) << session_cookie;
  EXPECT_NE(session_cookie.find("SameSite=Lax"), std::string::npos) << session_cookie;
}

TEST_F(OidcLogin, IservAccountWithUuidAndGroupDictOverEs256AndClientSecretPost) {
  // The provider's second client signs id_tokens with ES256 and authenticates with the secret in the body.
  auto t = start_app(
      "user_id_claim = \"uuid\"\nscopes = [\"openid\", \"profile\", \"email\", \"groups\", \"uuid\"]\n"
      "teacher_groups = [\"lehrer\"]\ntoken_auth_method = \"client_secret_post\"\n",
      "", std::nullopt, "deskgate-es");
  test_browser b;
  auto r = b.sign_in(t->port(), "max.muster");
  EXPECT_EQ(r.callback.header("Location"), "/");
  EXPECT_EQ(role_of(b, *t), "teacher");
  auto u = t->app().db().find_user_by_username("max.muster");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->oidc_subject, "5b0e5f7c-7a1c-4b8e-9d49-0d6c7f3a2e11");
  auto groups = t->app().db().list_groups_of(u->id);
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].external_id, "klasse-8b");
  EXPECT_EQ(groups[0].name, "Klasse 8b");
  EXPECT_EQ(groups[1].external_id, "lehrer");
  EXPECT_EQ(groups[1].name, "Lehrer");
}

TEST_F(OidcLogin, RolesAreRecomputedAtEverySignIn) {
  auto t = start_app();
  test_browser first;
  first.sign_in(t->port(), "alice");
  EXPECT_EQ(role_of(first, *t), "admin");
  auto accounts = t->app().db().list_users().size();
  idp_->set_groups("alice", json::array({"teachers"}));
  test_browser second;
  second.sign_in(t->port(), "alice");
  EXPECT_EQ(role_of(second, *t), "teacher");
  auto audit = t->app().db().list_audit(1);
  EXPECT_EQ(json::parse(audit[0].detail)["previous_role"], "admin") << audit[0].detail;
  idp_->set_groups("alice", json::array());
  test_browser third;
  third.sign_in(t->port(), "alice");
  EXPECT_EQ(role_of(third, *t), "student");
  auto alice = t->app().db().find_user_by_username("alice");
  EXPECT_TRUE(t->app().db().list_groups_of(alice->id).empty());
  // Still one account: the provider's subject links the sign-ins.
  EXPECT_EQ(t->app().db().list_users().size(), accounts);
}

TEST_F(OidcLogin, AuthConfigShowsTheSchoolButton) {
  auto t = start_app("display_name = \"IServ\"\n");
  auto a = t->request("GET", "/api/auth/config");
  ASSERT_EQ(a.status, 200);
  auto body = json::parse(a.body);
  EXPECT_EQ(body["oidc"]["enabled"], true);
  EXPECT_EQ(body["oidc"]["display_name"], "IServ");
  EXPECT_EQ(body["oidc"]["start_url"], "/api/auth/oidc/start");
  EXPECT_TRUE(body["oidc"]["errors"]["oidc_state_invalid"].is_string());
}

TEST_F(OidcLogin, LocalLoginDisabledMeansNoBootstrapAdminAndAdminsFromGroups) {
  auto t = start_app("", "[auth.local]\nenabled = false\n");
  EXPECT_FALSE(t->app().bootstrap_admin().has_value());
  EXPECT_TRUE(t->app().db().list_users().empty());
  auto local = t->post_json("/api/auth/login", {{"username", "admin"}, {"password", "whatever-password"}});
  EXPECT_EQ(local.status, 403) << local.body;
  EXPECT_EQ(json::parse(local.body)["error"]["code"], "forbidden");
  test_browser b;
  b.sign_in(t->port(), "alice");
  EXPECT_EQ(role_of(b, *t), "admin");
}

TEST_F(OidcLogin, LogoutSendsTheBrowserToTheProviderWhenConfigured) {
  auto t = start_app("end_session = true\n");
  test_browser b;
  b.sign_in(t->port(), "anna");
  auto who = session_of(b, *t);
  auto a = t->request("POST", "/api/auth/logout", &who, "", {{"X-CSRF-Token", who.csrf}});
  ASSERT_EQ(a.status, 200) << a.body;
  std::string redirect = json::parse(a.body)["redirect"];
  EXPECT_TRUE(redirect.starts_with(idp_->issuer() + "/session/end?client_id=deskgate&post_logout_redirect_uri="))
      << redirect;
  EXPECT_EQ(t->request("GET", "/api/auth/session", &who).status, 401);
  // The provider accepts it: it shows its logout confirmation rather than an error.
  test_browser idp_browser;
  EXPECT_EQ(idp_browser.get(redirect).status, 200);
}

TEST_F(OidcLogin, LogoutWithoutEndSessionIsLocalOnly) {
  auto t = start_app();
  test_browser b;
  b.sign_in(t->port(), "anna");
  auto who = session_of(b, *t);
  auto a = t->request("POST", "/api/auth/logout", &who, "", {{"X-CSRF-Token", who.csrf}});
  EXPECT_EQ(a.status, 204) << a.body;
}

TEST_F(OidcLogin, NextMustBeALocalPath) {
  auto t = start_app();
  for (auto [next, expected] : {std::pair{"/desktops/abc?x=1", "/desktops/abc?x=1"},
                                {"//evil.example/", "/"},
                                {"%2F%2Fevil.example", "/"},
                                {"/%5Cevil.example", "/"},
                                {"https://evil.example/", "/"},
                                {"javascript:alert(1)", "/"},
                                {"evil", "/"}}) {
    test_browser b;
    auto r = b.sign_in(t->port(), "anna", next);
    EXPECT_EQ(r.callback.header("Location"), expected) << next;
  }
}

TEST_F(OidcLogin, MissingStateIsRefused) {
  auto t = start_app();
  test_browser b;
  expect_refused(*t, b.get(app_url("/api/auth/oidc/callback?code=abc")), "oidc_state_invalid");
}

TEST_F(OidcLogin, WrongStateIsRefused) {
  auto t = start_app();
  test_browser b;
  auto r = b.sign_in(t->port(), "anna", "/", true);
  auto state_at = r.callback_url.find("state=");
  std::string forged = r.callback_url.substr(0, state_at) + "state=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA&" +
                       r.callback_url.substr(r.callback_url.find('&', state_at) + 1);
  expect_refused(*t, b.get(forged), "oidc_state_invalid");
}

TEST_F(OidcLogin, ReplayedStateIsRefused) {
  auto t = start_app();
  test_browser b;
  auto r = b.sign_in(t->port(), "anna");
  ASSERT_EQ(r.callback.header("Location"), "/");
  expect_refused(*t, b.get(r.callback_url), "oidc_state_invalid");
}

TEST_F(OidcLogin, StateFromAnotherBrowserIsRefused) {
  auto t = start_app();
  test_browser victim;
  auto r = victim.sign_in(t->port(), "anna", "/", true);
  test_browser attacker;
  expect_refused(*t, attacker.get(r.callback_url), "oidc_state_invalid");
  EXPECT_FALSE(t->app().db().find_user_by_username("anna").has_value());
}

TEST_F(OidcLogin, ReplayedCodeIsRefusedByTheProvider) {
  auto t = start_app();
  test_browser b;
  auto first = b.sign_in(t->port(), "anna");
  ASSERT_EQ(first.callback.header("Location"), "/");
  // A new sign-in (fresh state) carrying the code that was already exchanged.
  auto second = b.sign_in(t->port(), "anna", "/", true);
  auto code_of = [](const std::string& url) {
    auto at = url.find("code=") + 5;
    return url.substr(at, url.find('&', at) - at);
  };
  std::string replayed = second.callback_url;
  replayed.replace(replayed.find(code_of(second.callback_url)), code_of(second.callback_url).size(),
                   code_of(first.callback_url));
  expect_refused(*t, b.get(replayed), "oidc_code_rejected");
}

TEST_F(OidcLogin, AccessDeniedAtTheProviderIsShown) {
  auto t = start_app();
  test_browser b;
  auto r = b.sign_in(t->port(), "anna", "/", true);
  auto state_at = r.callback_url.find("state=");
  std::string state = r.callback_url.substr(state_at + 6, r.callback_url.find('&', state_at) - state_at - 6);
  expect_refused(*t, b.get(app_url("/api/auth/oidc/callback?error=access_denied&state=" + state)), "oidc_denied");
  // The state is used up by the refusal.
  expect_refused(*t, b.get(r.callback_url), "oidc_state_invalid");
}

// Each forgery the provider can be told to make is refused at deskgate's id_token verification, and
// nothing changes for the accounts that exist.
TEST_F(OidcLogin, ForgedExpiredMisaddressedOrUnsignedIdTokensAreRefused) {
  auto t = start_app();
  test_browser setup;
  setup.sign_in(t->port(), "tom");
  for (const char* forge :
       {"stranger", "expired", "wrong_aud", "wrong_nonce", "wrong_iss", "alg_none", "unknown_kid"}) {
    SCOPED_TRACE(forge);
    idp_->set_mode({{"forge", forge}});
    test_browser b;
    auto r = b.sign_in(t->port(), "alice");
    expect_refused(*t, r.callback, "oidc_token_invalid");
    EXPECT_FALSE(t->app().db().find_user_by_username("alice").has_value());
  }
  EXPECT_EQ(t->app().db().find_user_by_username("tom")->user_role, role::teacher);
}

TEST_F(OidcLogin, RotatedKeysAreFetchedAgainOnce) {
  auto t = start_app();
  test_browser before;
  before.sign_in(t->port(), "anna");  // caches the provider's keys
  idp_->set_mode({{"rotate", true}});
  test_browser after;
  auto r = after.sign_in(t->port(), "anna");
  EXPECT_EQ(r.callback.header("Location"), "/");
  EXPECT_EQ(role_of(after, *t), "student");
}

TEST_F(OidcLogin, ProviderDownIsAClearError) {
  auto t = start_app("", "", "http://127.0.0.1:" + std::to_string(free_port()));
  test_browser b;
  expect_refused(*t, b.get(app_url("/api/auth/oidc/start?next=/")), "oidc_idp_unavailable");
}

TEST_F(OidcLogin, SlowProviderTimesOut) {
  auto t = start_app("timeout = \"1s\"\n");
  idp_->set_mode({{"delay_ms", 3000}, {"delay_path", "/token"}});
  test_browser b;
  auto r = b.sign_in(t->port(), "anna");
  expect_refused(*t, r.callback, "oidc_idp_unavailable");
  EXPECT_NE(t->app().db().list_audit(1)[0].detail.find("did not answer within 1000 ms"), std::string::npos);
}

TEST_F(OidcLogin, InvalidDiscoveryDocumentsAreRefused) {
  for (const char* broken : {"wrong_issuer", "not_json", "no_jwks_uri"}) {
    SCOPED_TRACE(broken);
    idp_->set_mode({{"discovery", broken}});
    auto t = start_app();
    test_browser b;
    expect_refused(*t, b.get(app_url("/api/auth/oidc/start")), "oidc_idp_invalid");
  }
}

TEST_F(OidcLogin, UsernameOfALocalAccountIsNotTakenOver) {
  auto t = start_app();
  t->add_user("anna", "admin");
  test_browser b;
  auto r = b.sign_in(t->port(), "anna");
  expect_refused(*t, r.callback, "oidc_account_conflict");
  auto anna = t->app().db().find_user_by_username("anna");
  EXPECT_TRUE(anna->oidc_subject.empty());
  EXPECT_EQ(anna->user_role, role::admin);
}

TEST_F(OidcLogin, DisabledAccountsStayOut) {
  auto t = start_app();
  test_browser first;
  first.sign_in(t->port(), "tom");
  auto tom = t->app().db().find_user_by_username("tom");
  t->app().db().set_user_disabled(tom->id, true);
  test_browser again;
  expect_refused(*t, again.sign_in(t->port(), "tom").callback, "oidc_account_disabled");
}

TEST_F(OidcLogin, WithoutOidcTheRoutesSayNotConfigured) {
  test_app t;
  auto a = http_request(t.port(), {.method = "GET", .target = "/api/auth/oidc/start", .headers = {}, .body = ""});
  EXPECT_EQ(a.status, 302);
  EXPECT_EQ(a.header("Location"), "/login?error=oidc_not_configured");
}

}  // namespace
}  // namespace deskgate::testing
