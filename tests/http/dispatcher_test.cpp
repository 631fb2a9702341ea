// Tests for the dispatcher: 404/405, the authorization rule of each route, Origin and CSRF checks on
// unsafe methods, the error mapping of handler failures, HEAD, security headers and the static fallback.
#include "http/dispatcher.hpp"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "core/error.hpp"

namespace deskgate::http {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* public_origin = "https://desk.example.org";
constexpr const char* csrf_token = "csrf-0123456789abcdef";

// Our own interface, answered with whoever the test says is signed in.
class fake_authenticator : public authenticator {
 public:
  std::optional<principal> who;
  std::optional<principal> authenticate(const request&) override { return who; }
};

principal signed_in_as(role r) {
  principal p;
  p.user_id = 5;
  p.username = "ada";
  p.user_role = r;
  p.session_id = 11;
  p.csrf_token = csrf_token;
  return p;
}

// The one way these tests build a request: as the server fills it for a browser at http://127.0.0.1:8080.
request make_request(method verb, std::string target,
                     std::initializer_list<std::pair<std::string, std::string>> headers = {}) {
  request req;
  req.verb = verb;
  req.method_text = std::string(to_string(verb));
  auto qmark = target.find('?');
  req.path = target.substr(0, qmark);
  if (qmark != std::string::npos) req.query = target.substr(qmark + 1);
  req.target = std::move(target);
  req.peer_address = req.client_address = "127.0.0.1";
  req.scheme = "http";
  req.host = "127.0.0.1:8080";
  req.request_id = "req-42";
  for (const auto& [name, value] : headers) req.headers.add(name, value);
  return req;
}

json body_of(const response& res) { return json::parse(res.body); }
std::string error_code(const response& res) { return body_of(res)["error"]["code"].get<std::string>(); }
std::string error_message(const response& res) { return body_of(res)["error"]["message"].get<std::string>(); }

// Keeps the expected "handler failed" error line out of the test output.
class quiet_logs {
 public:
  quiet_logs() : saved_(spdlog::get_level()) { spdlog::set_level(spdlog::level::off); }
  ~quiet_logs() { spdlog::set_level(saved_); }

 private:
  spdlog::level::level_enum saved_;
};

class http_dispatcher : public ::testing::Test {
 protected:
  router make_routes() {
    router rt;
    auto add = [&](method verb, std::string pattern, access rule, handler fn, bool csrf = true) {
      rt.add(route{verb, std::move(pattern), rule, std::move(fn), csrf});
    };
    add(method::get, "/api/items/{id}", access::anyone, [this](context& ctx) {
      ++handler_calls;
      return response::json(200, json{{"id", ctx.params.get("id")}}.dump());
    });
    add(method::del, "/api/items/{id}", access::signed_in, [this](context&) {
      ++handler_calls;
      return response::no_content();
    });
    add(method::post, "/api/items", access::signed_in, [this](context& ctx) {
      ++handler_calls;
      return response::json(201, json{{"created_by", ctx.user->username}}.dump());
    });
    add(method::post, "/api/feedback", access::anyone, [this](context&) {
      ++handler_calls;
      return response::json(200, "{}");
    });
    add(method::get, "/api/class", access::teacher, [this](context&) {
      ++handler_calls;
      return response::json(200, "{}");
    });
    add(method::get, "/api/admin/stats", access::admin, [this](context&) {
      ++handler_calls;
      return response::json(200, "{}");
    });
    add(
        method::post, "/api/auth/login", access::anyone,
        [this](context& ctx) {
          ++handler_calls;
          ctx.acting_user_id = 99;
          return response::json(200, "{}");
        },
        /*csrf=*/false);
    add(method::get, "/api/fail/known", access::anyone, [](context&) -> response {
      throw deskgate::error(errc::conflict, "That desktop is already running.");
    });
    add(method::get, "/api/fail/unknown", access::anyone, [](context&) -> response {
      throw std::runtime_error("sqlite3: disk I/O error in /var/lib/deskgate/deskgate.db");
    });
    return rt;
  }

  outcome handle(const request& req) const { return dispatch.handle(req); }

  int handler_calls = 0;
  fake_authenticator auth;
  dispatcher dispatch{make_routes(), auth, static_files{fs::path{}}, public_origin};
};

// --- routing -------------------------------------------------------------------------------------

TEST_F(http_dispatcher, matched_route_runs_its_handler) {
  auto out = handle(make_request(method::get, "/api/items/7"));
  EXPECT_EQ(out.res.status, 200);
  EXPECT_EQ(body_of(out.res)["id"], "7");
  EXPECT_EQ(out.route, "/api/items/{id}");
  EXPECT_EQ(handler_calls, 1);
}

TEST_F(http_dispatcher, unknown_api_path_is_404_json) {
  auto out = handle(make_request(method::get, "/api/nothing/here"));
  EXPECT_EQ(out.res.status, 404);
  EXPECT_EQ(out.res.headers.get("Content-Type"), "application/json");
  EXPECT_EQ(error_code(out.res), "not_found");
  EXPECT_FALSE(error_message(out.res).empty());
  EXPECT_EQ(out.route, "unmatched");
}

TEST_F(http_dispatcher, wrong_method_is_405_with_allow_header) {
  auto out = handle(make_request(method::put, "/api/items/7"));
  EXPECT_EQ(out.res.status, 405);
  EXPECT_EQ(out.res.headers.get("Allow"), "GET, DELETE");
  EXPECT_EQ(error_code(out.res), "method_not_allowed");
  EXPECT_EQ(handler_calls, 0);
}

// --- authorization -------------------------------------------------------------------------------

TEST_F(http_dispatcher, signed_in_route_without_user_is_401) {
  auto out = handle(make_request(method::post, "/api/items", {{"X-CSRF-Token", csrf_token}}));
  EXPECT_EQ(out.res.status, 401);
  EXPECT_EQ(error_code(out.res), "unauthenticated");
  EXPECT_EQ(handler_calls, 0);
}

TEST_F(http_dispatcher, admin_route_refuses_student_and_teacher) {
  for (auto r : {role::student, role::teacher}) {
    auth.who = signed_in_as(r);
    auto out = handle(make_request(method::get, "/api/admin/stats"));
    EXPECT_EQ(out.res.status, 403);
    EXPECT_EQ(error_code(out.res), "forbidden");
  }
  EXPECT_EQ(handler_calls, 0);
}

TEST_F(http_dispatcher, admin_route_allows_admin) {
  auth.who = signed_in_as(role::admin);
  EXPECT_EQ(handle(make_request(method::get, "/api/admin/stats")).res.status, 200);
  EXPECT_EQ(handler_calls, 1);
}

TEST_F(http_dispatcher, admin_route_without_user_is_401_not_403) {
  EXPECT_EQ(handle(make_request(method::get, "/api/admin/stats")).res.status, 401);
}

TEST_F(http_dispatcher, teacher_route_allows_teacher_and_admin) {
  auth.who = signed_in_as(role::teacher);
  EXPECT_EQ(handle(make_request(method::get, "/api/class")).res.status, 200);
  auth.who = signed_in_as(role::admin);
  EXPECT_EQ(handle(make_request(method::get, "/api/class")).res.status, 200);
}

TEST_F(http_dispatcher, teacher_route_refuses_student) {
  auth.who = signed_in_as(role::student);
  auto out = handle(make_request(method::get, "/api/class"));
  EXPECT_EQ(out.res.status, 403);
  EXPECT_EQ(error_code(out.res), "forbidden");
  EXPECT_EQ(handler_calls, 0);
}

TEST_F(http_dispatcher, outcome_carries_the_user_and_route_even_when_refused) {
  auth.who = signed_in_as(role::student);
  auto out = handle(make_request(method::get, "/api/class"));
  EXPECT_EQ(out.user_id, 5);
  EXPECT_EQ(out.route, "/api/class");
}

TEST_F(http_dispatcher, handler_can_name_the_acting_user) {
  auto out = handle(make_request(method::post, "/api/auth/login"));
  EXPECT_EQ(out.res.status, 200);
  EXPECT_EQ(out.user_id, 99);
}

// --- CSRF ----------------------------------------------------------------------------------------

TEST_F(http_dispatcher, unsafe_request_without_csrf_token_is_refused) {
  auth.who = signed_in_as(role::student);
  auto out = handle(make_request(method::post, "/api/items"));
  EXPECT_EQ(out.res.status, 403);
  EXPECT_EQ(error_code(out.res), "csrf_failed");
  EXPECT_EQ(handler_calls, 0);
}

TEST_F(http_dispatcher, unsafe_request_with_wrong_csrf_token_is_refused) {
  auth.who = signed_in_as(role::student);
  std::string same_length(std::string(csrf_token).size(), 'x');
  for (const std::string& wrong : {std::string("nope"), same_length, std::string(csrf_token) + "x", std::string()}) {
    auto out = handle(make_request(method::post, "/api/items", {{"X-CSRF-Token", wrong}}));
    EXPECT_EQ(out.res.status, 403) << wrong;
    EXPECT_EQ(error_code(out.res), "csrf_failed") << wrong;
  }
  EXPECT_EQ(handler_calls, 0);
}

TEST_F(http_dispatcher, unsafe_request_with_right_csrf_token_runs) {
  auth.who = signed_in_as(role::student);
  auto out = handle(make_request(method::post, "/api/items", {{"x-csrf-token", csrf_token}}));
  EXPECT_EQ(out.res.status, 201);
  EXPECT_EQ(body_of(out.res)["created_by"], "ada");
}

TEST_F(http_dispatcher, delete_needs_the_csrf_token_too) {
  auth.who = signed_in_as(role::admin);
  EXPECT_EQ(handle(make_request(method::del, "/api/items/7")).res.status, 403);
  EXPECT_EQ(handle(make_request(method::del, "/api/items/7", {{"X-CSRF-Token", csrf_token}})).res.status, 204);
}

TEST_F(http_dispatcher, safe_request_needs_no_csrf_token) {
  auth.who = signed_in_as(role::teacher);
  EXPECT_EQ(handle(make_request(method::get, "/api/class")).res.status, 200);
}

TEST_F(http_dispatcher, csrf_exempt_route_runs_without_token_for_a_signed_in_user) {
  auth.who = signed_in_as(role::student);
  EXPECT_EQ(handle(make_request(method::post, "/api/auth/login")).res.status, 200);
  EXPECT_EQ(handler_calls, 1);
}

TEST_F(http_dispatcher, public_unsafe_route_needs_the_token_once_a_session_exists) {
  EXPECT_EQ(handle(make_request(method::post, "/api/feedback")).res.status, 200);
  auth.who = signed_in_as(role::student);
  auto out = handle(make_request(method::post, "/api/feedback"));
  EXPECT_EQ(out.res.status, 403);
  EXPECT_EQ(error_code(out.res), "csrf_failed");
}

// --- Origin --------------------------------------------------------------------------------------

TEST_F(http_dispatcher, foreign_origin_is_refused_even_with_the_right_token) {
  auth.who = signed_in_as(role::student);
  auto out = handle(make_request(method::post, "/api/items",
                                 {{"X-CSRF-Token", csrf_token}, {"Origin", "https://evil.example"}}));
  EXPECT_EQ(out.res.status, 403);
  EXPECT_EQ(error_code(out.res), "bad_origin");
  EXPECT_EQ(handler_calls, 0);
}

TEST_F(http_dispatcher, foreign_origin_is_refused_on_csrf_exempt_login) {
  auto out = handle(make_request(method::post, "/api/auth/login", {{"Origin", "https://evil.example"}}));
  EXPECT_EQ(out.res.status, 403);
  EXPECT_EQ(error_code(out.res), "bad_origin");
  EXPECT_EQ(handler_calls, 0);
}

TEST_F(http_dispatcher, null_origin_is_refused) {
  auto out = handle(make_request(method::post, "/api/auth/login", {{"Origin", "null"}}));
  EXPECT_EQ(out.res.status, 403);
  EXPECT_EQ(error_code(out.res), "bad_origin");
}

TEST_F(http_dispatcher, lookalike_origins_are_refused) {
  for (const char* origin : {"https://desk.example.org.evil.example", "http://desk.example.org",
                             "https://desk.example.org:8443", "https://127.0.0.1:8080"}) {
    auto out = handle(make_request(method::post, "/api/auth/login", {{"Origin", origin}}));
    EXPECT_EQ(out.res.status, 403) << origin;
  }
}

TEST_F(http_dispatcher, public_origin_is_accepted_in_any_case) {
  for (const char* origin : {"https://desk.example.org", "HTTPS://Desk.Example.ORG"}) {
    auto out = handle(make_request(method::post, "/api/auth/login", {{"Origin", origin}}));
    EXPECT_EQ(out.res.status, 200) << origin;
  }
}

TEST_F(http_dispatcher, the_requests_own_origin_is_accepted) {
  auto out = handle(make_request(method::post, "/api/auth/login", {{"Origin", "http://127.0.0.1:8080"}}));
  EXPECT_EQ(out.res.status, 200);
}

TEST_F(http_dispatcher, own_origin_follows_the_forwarded_scheme_and_host) {
  auto req = make_request(method::post, "/api/auth/login", {{"Origin", "https://proxy.example.net"}});
  req.scheme = "https";
  req.host = "proxy.example.net";
  EXPECT_EQ(handle(req).res.status, 200);
  EXPECT_TRUE(dispatch.origin_allowed(req, "https://proxy.example.net"));
  EXPECT_FALSE(dispatch.origin_allowed(req, "http://proxy.example.net"));
}

TEST_F(http_dispatcher, empty_host_does_not_make_scheme_only_origin_acceptable) {
  auto req = make_request(method::post, "/api/auth/login");
  req.host.clear();
  EXPECT_FALSE(dispatch.origin_allowed(req, "http://"));
}

TEST_F(http_dispatcher, absent_origin_is_accepted) {
  auth.who = signed_in_as(role::student);
  EXPECT_EQ(handle(make_request(method::post, "/api/items", {{"X-CSRF-Token", csrf_token}})).res.status, 201);
}

TEST_F(http_dispatcher, origin_is_not_checked_on_safe_methods) {
  EXPECT_EQ(handle(make_request(method::get, "/api/items/1", {{"Origin", "https://evil.example"}})).res.status, 200);
}

// --- handler failures ----------------------------------------------------------------------------

TEST_F(http_dispatcher, deskgate_error_becomes_its_status_and_json_body) {
  auto out = handle(make_request(method::get, "/api/fail/known"));
  EXPECT_EQ(out.res.status, 409);
  EXPECT_EQ(out.res.headers.get("Content-Type"), "application/json");
  EXPECT_EQ(body_of(out.res),
            (json{{"error", {{"code", "conflict"}, {"message", "That desktop is already running."}}}}));
  EXPECT_EQ(out.route, "/api/fail/known");
}

TEST_F(http_dispatcher, unexpected_exception_is_500_with_request_id_and_no_internals) {
  quiet_logs quiet;
  auto out = handle(make_request(method::get, "/api/fail/unknown"));
  EXPECT_EQ(out.res.status, 500);
  EXPECT_EQ(error_code(out.res), "internal");
  std::string message = error_message(out.res);
  EXPECT_NE(message.find("req-42"), std::string::npos) << message;
  EXPECT_EQ(out.res.body.find("sqlite3"), std::string::npos) << out.res.body;
  EXPECT_EQ(out.res.body.find("/var/lib"), std::string::npos) << out.res.body;
  EXPECT_EQ(out.route, "/api/fail/unknown");
}

TEST_F(http_dispatcher, error_answers_are_not_cached) {
  EXPECT_EQ(handle(make_request(method::get, "/api/fail/known")).res.headers.get("Cache-Control"), "no-store");
  EXPECT_EQ(handle(make_request(method::get, "/api/nothing")).res.headers.get("Cache-Control"), "no-store");
}

// --- HEAD and headers ----------------------------------------------------------------------------

TEST_F(http_dispatcher, head_has_no_body_and_the_get_content_length) {
  auto get = handle(make_request(method::get, "/api/items/12345"));
  ASSERT_FALSE(get.res.body.empty());
  auto head = handle(make_request(method::head, "/api/items/12345"));
  EXPECT_EQ(head.res.status, 200);
  EXPECT_TRUE(head.res.body.empty());
  EXPECT_EQ(head.res.headers.get("Content-Length"), std::to_string(get.res.body.size()));
  EXPECT_EQ(head.res.headers.get("Content-Type"), "application/json");
}

TEST_F(http_dispatcher, head_of_an_error_has_no_body_either) {
  auto head = handle(make_request(method::head, "/api/nothing"));
  EXPECT_EQ(head.res.status, 404);
  EXPECT_TRUE(head.res.body.empty());
  EXPECT_NE(head.res.headers.get("Content-Length"), "0");
}

TEST_F(http_dispatcher, security_headers_are_on_every_answer) {
  quiet_logs quiet;
  auth.who = signed_in_as(role::student);
  for (const char* path : {"/api/items/1", "/api/nothing", "/api/fail/known", "/api/fail/unknown", "/api/admin/stats"}) {
    auto out = handle(make_request(method::get, path));
    EXPECT_EQ(out.res.headers.get("X-Content-Type-Options"), "nosniff") << path;
    EXPECT_EQ(out.res.headers.get("Referrer-Policy"), "same-origin") << path;
  }
}

// --- static fallback -----------------------------------------------------------------------------

class http_dispatcher_static : public http_dispatcher {
 protected:
  void SetUp() override {
    std::string tmpl = "/tmp/deskgate-dispatch-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    root_ = tmpl;
    std::ofstream(root_ / "index.html") << "<title>app</title>";
    fs::create_directories(root_ / "api");
    std::ofstream(root_ / "api" / "secret.json") << "{\"leaked\":true}";
    with_files_.emplace(make_routes(), auth, static_files{root_}, public_origin);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  fs::path root_;
  std::optional<dispatcher> with_files_;
};

TEST_F(http_dispatcher_static, ui_route_gets_the_app_shell) {
  auto out = with_files_->handle(make_request(method::get, "/desktops/abc"));
  EXPECT_EQ(out.res.status, 200);
  EXPECT_EQ(out.res.body, "<title>app</title>");
  EXPECT_EQ(out.route, "static");
  EXPECT_EQ(out.res.headers.get("X-Content-Type-Options"), "nosniff");
}

TEST_F(http_dispatcher_static, api_paths_never_fall_back_to_files) {
  for (const char* path : {"/api/desktops/abc", "/api/secret.json", "/api"}) {
    auto out = with_files_->handle(make_request(method::get, path));
    EXPECT_EQ(out.res.status, 404) << path;
    EXPECT_EQ(error_code(out.res), "not_found") << path;
    EXPECT_EQ(out.route, "unmatched") << path;
  }
}

TEST_F(http_dispatcher_static, path_that_only_starts_like_api_is_static) {
  auto out = with_files_->handle(make_request(method::get, "/apis"));
  EXPECT_EQ(out.res.status, 200);
  EXPECT_EQ(out.route, "static");
}

TEST_F(http_dispatcher_static, unsafe_method_outside_api_is_404_not_the_app) {
  auto out = with_files_->handle(make_request(method::post, "/desktops/abc"));
  EXPECT_EQ(out.res.status, 404);
  EXPECT_EQ(error_code(out.res), "not_found");
}

TEST_F(http_dispatcher_static, head_of_a_static_file_keeps_its_length) {
  auto out = with_files_->handle(make_request(method::head, "/"));
  EXPECT_EQ(out.res.status, 200);
  EXPECT_TRUE(out.res.body.empty());
  EXPECT_EQ(out.res.headers.get("Content-Length"), std::to_string(std::string("<title>app</title>").size()));
}

TEST_F(http_dispatcher, a_session_without_csrf_token_cannot_make_unsafe_requests) {
  auth.who = signed_in_as(role::admin);
  auth.who->csrf_token.clear();
  auto out = handle(make_request(method::post, "/api/items"));
  EXPECT_EQ(out.res.status, 403);
  EXPECT_EQ(handler_calls, 0);
}

}  // namespace
}  // namespace deskgate::http
