// Tests for the router: literal and {param} segments, trailing {rest*}, 405 allowed lists, HEAD falling
// back to GET, and the access rules of allows().
#include "http/router.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace deskgate::http {
namespace {

// A route whose handler answers with its own pattern, so a test can tell which route ran.
route make_route(method verb, std::string pattern, access rule = access::anyone) {
  route r;
  r.verb = verb;
  r.rule = rule;
  r.fn = [pattern](context&) { return response::json(200, pattern); };
  r.pattern = std::move(pattern);
  return r;
}

std::optional<principal> signed_in_as(role r) {
  principal p;
  p.user_id = 7;
  p.username = "someone";
  p.user_role = r;
  return p;
}

TEST(http_router, literal_path_matches_exactly) {
  router rt;
  rt.add(make_route(method::get, "/api/desktops"));
  EXPECT_NE(rt.match(method::get, "/api/desktops").matched, nullptr);
  EXPECT_EQ(rt.match(method::get, "/api/desktop").matched, nullptr);
  EXPECT_EQ(rt.match(method::get, "/api/desktops/x").matched, nullptr);
  EXPECT_EQ(rt.match(method::get, "/api").matched, nullptr);
  EXPECT_EQ(rt.match(method::get, "/api/desktops/").matched, nullptr);
}

TEST(http_router, param_segment_captures_its_value) {
  router rt;
  rt.add(make_route(method::get, "/api/desktops/{id}"));
  auto m = rt.match(method::get, "/api/desktops/abc123");
  ASSERT_NE(m.matched, nullptr);
  EXPECT_EQ(m.matched->pattern, "/api/desktops/{id}");
  EXPECT_EQ(m.params.get("id"), "abc123");
}

TEST(http_router, several_params_are_captured_by_name) {
  router rt;
  rt.add(make_route(method::post, "/api/groups/{group}/members/{member}"));
  auto m = rt.match(method::post, "/api/groups/g1/members/u9");
  ASSERT_NE(m.matched, nullptr);
  EXPECT_EQ(m.params.get("group"), "g1");
  EXPECT_EQ(m.params.get("member"), "u9");
  EXPECT_EQ(m.params.get("nonexistent"), "");
}

TEST(http_router, param_does_not_match_an_empty_segment) {
  router rt;
  rt.add(make_route(method::get, "/api/desktops/{id}"));
  EXPECT_EQ(rt.match(method::get, "/api/desktops/").matched, nullptr);
  EXPECT_EQ(rt.match(method::get, "/api/desktops").matched, nullptr);
}

TEST(http_router, param_does_not_span_segments) {
  router rt;
  rt.add(make_route(method::get, "/api/desktops/{id}"));
  EXPECT_EQ(rt.match(method::get, "/api/desktops/a/b").matched, nullptr);
}

TEST(http_router, literals_after_a_param_must_match) {
  router rt;
  rt.add(make_route(method::post, "/api/desktops/{id}/stop"));
  EXPECT_NE(rt.match(method::post, "/api/desktops/d1/stop").matched, nullptr);
  EXPECT_EQ(rt.match(method::post, "/api/desktops/d1/start").matched, nullptr);
  EXPECT_EQ(rt.match(method::post, "/api/desktops/d1/stop/now").matched, nullptr);
}

TEST(http_router, trailing_rest_param_captures_the_remaining_segments) {
  router rt;
  rt.add(make_route(method::get, "/desktop/{id}/http/{rest*}"));
  auto m = rt.match(method::get, "/desktop/d1/http/app/static/main.js");
  ASSERT_NE(m.matched, nullptr);
  EXPECT_EQ(m.params.get("id"), "d1");
  EXPECT_EQ(m.params.get("rest"), "app/static/main.js");
}

TEST(http_router, trailing_rest_param_captures_a_single_segment) {
  router rt;
  rt.add(make_route(method::get, "/desktop/{id}/http/{rest*}"));
  auto m = rt.match(method::get, "/desktop/d1/http/index.html");
  ASSERT_NE(m.matched, nullptr);
  EXPECT_EQ(m.params.get("rest"), "index.html");
}

TEST(http_router, rest_param_still_needs_the_literal_prefix) {
  router rt;
  rt.add(make_route(method::get, "/desktop/{id}/http/{rest*}"));
  EXPECT_EQ(rt.match(method::get, "/desktop/d1/files/a/b").matched, nullptr);
  EXPECT_EQ(rt.match(method::get, "/desktop/d1").matched, nullptr);
}

TEST(http_router, the_route_for_the_request_method_is_chosen) {
  router rt;
  rt.add(make_route(method::get, "/api/desktops/{id}"));
  rt.add(make_route(method::del, "/api/desktops/{id}", access::admin));
  auto m = rt.match(method::del, "/api/desktops/d1");
  ASSERT_NE(m.matched, nullptr);
  EXPECT_EQ(m.matched->verb, method::del);
  EXPECT_EQ(m.matched->rule, access::admin);
  EXPECT_EQ(m.params.get("id"), "d1");
}

TEST(http_router, first_registered_route_wins_when_several_match) {
  router rt;
  rt.add(make_route(method::get, "/api/desktops/count"));
  rt.add(make_route(method::get, "/api/desktops/{id}"));
  auto literal = rt.match(method::get, "/api/desktops/count");
  ASSERT_NE(literal.matched, nullptr);
  EXPECT_EQ(literal.matched->pattern, "/api/desktops/count");
  auto param = rt.match(method::get, "/api/desktops/d1");
  ASSERT_NE(param.matched, nullptr);
  EXPECT_EQ(param.matched->pattern, "/api/desktops/{id}");
}

TEST(http_router, wrong_method_lists_the_allowed_ones) {
  router rt;
  rt.add(make_route(method::get, "/api/desktops/{id}"));
  rt.add(make_route(method::del, "/api/desktops/{id}"));
  rt.add(make_route(method::post, "/api/desktops"));
  auto m = rt.match(method::put, "/api/desktops/d1");
  EXPECT_EQ(m.matched, nullptr);
  EXPECT_EQ(m.allowed, (std::vector<method>{method::get, method::del}));
}

TEST(http_router, allowed_list_has_no_duplicates) {
  router rt;
  rt.add(make_route(method::get, "/api/files/{space}"));
  rt.add(make_route(method::get, "/api/files/home"));
  auto m = rt.match(method::post, "/api/files/home");
  EXPECT_EQ(m.matched, nullptr);
  EXPECT_EQ(m.allowed, (std::vector<method>{method::get}));
}

TEST(http_router, unknown_path_has_no_match_and_no_allowed_methods) {
  router rt;
  rt.add(make_route(method::get, "/api/desktops"));
  auto m = rt.match(method::post, "/api/nothing");
  EXPECT_EQ(m.matched, nullptr);
  EXPECT_TRUE(m.allowed.empty());
}

TEST(http_router, head_falls_back_to_the_get_route_with_its_params) {
  router rt;
  rt.add(make_route(method::post, "/api/desktops/{id}/stop"));
  rt.add(make_route(method::get, "/api/desktops/{id}"));
  auto m = rt.match(method::head, "/api/desktops/d7");
  ASSERT_NE(m.matched, nullptr);
  EXPECT_EQ(m.matched->verb, method::get);
  EXPECT_EQ(m.params.get("id"), "d7");
  EXPECT_TRUE(m.allowed.empty());
}

TEST(http_router, explicit_head_route_beats_the_get_fallback) {
  router rt;
  rt.add(make_route(method::get, "/api/files/{space}/content"));
  rt.add(make_route(method::head, "/api/files/{space}/content"));
  auto m = rt.match(method::head, "/api/files/home/content");
  ASSERT_NE(m.matched, nullptr);
  EXPECT_EQ(m.matched->verb, method::head);
}

TEST(http_router, head_without_a_get_route_is_not_allowed) {
  router rt;
  rt.add(make_route(method::post, "/api/auth/login"));
  auto m = rt.match(method::head, "/api/auth/login");
  EXPECT_EQ(m.matched, nullptr);
  EXPECT_EQ(m.allowed, (std::vector<method>{method::post}));
}

TEST(http_router, get_does_not_fall_back_to_head) {
  router rt;
  rt.add(make_route(method::head, "/api/ping"));
  auto m = rt.match(method::get, "/api/ping");
  EXPECT_EQ(m.matched, nullptr);
  EXPECT_EQ(m.allowed, (std::vector<method>{method::head}));
}

TEST(http_router, anyone_allows_everybody) {
  EXPECT_TRUE(allows(access::anyone, std::nullopt));
  EXPECT_TRUE(allows(access::anyone, signed_in_as(role::student)));
  EXPECT_TRUE(allows(access::anyone, signed_in_as(role::teacher)));
  EXPECT_TRUE(allows(access::anyone, signed_in_as(role::admin)));
}

TEST(http_router, signed_in_allows_every_role_but_not_nobody) {
  EXPECT_FALSE(allows(access::signed_in, std::nullopt));
  EXPECT_TRUE(allows(access::signed_in, signed_in_as(role::student)));
  EXPECT_TRUE(allows(access::signed_in, signed_in_as(role::teacher)));
  EXPECT_TRUE(allows(access::signed_in, signed_in_as(role::admin)));
}

TEST(http_router, teacher_allows_teachers_and_admins_only) {
  EXPECT_FALSE(allows(access::teacher, std::nullopt));
  EXPECT_FALSE(allows(access::teacher, signed_in_as(role::student)));
  EXPECT_TRUE(allows(access::teacher, signed_in_as(role::teacher)));
  EXPECT_TRUE(allows(access::teacher, signed_in_as(role::admin)));
}

TEST(http_router, admin_allows_admins_only) {
  EXPECT_FALSE(allows(access::admin, std::nullopt));
  EXPECT_FALSE(allows(access::admin, signed_in_as(role::student)));
  EXPECT_FALSE(allows(access::admin, signed_in_as(role::teacher)));
  EXPECT_TRUE(allows(access::admin, signed_in_as(role::admin)));
}

TEST(http_router, routes_are_kept_in_registration_order) {
  router rt;
  rt.add(make_route(method::get, "/a"));
  rt.add(make_route(method::post, "/b"));
  ASSERT_EQ(rt.routes().size(), 2u);
  EXPECT_EQ(rt.routes()[0].pattern, "/a");
  EXPECT_EQ(rt.routes()[1].pattern, "/b");
}

TEST(http_router, a_direct_match_reports_no_other_methods) {
  router rt;
  rt.add(make_route(method::post, "/api/desktops/{id}"));
  rt.add(make_route(method::get, "/api/desktops/{id}"));
  auto m = rt.match(method::get, "/api/desktops/x");
  ASSERT_NE(m.matched, nullptr);
  EXPECT_TRUE(m.allowed.empty());
}

}  // namespace
}  // namespace deskgate::http
