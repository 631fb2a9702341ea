// Tests for Cookie header parsing and Set-Cookie building.
#include "http/cookies.hpp"

#include <gtest/gtest.h>

#include <string>

namespace deskgate::http {
namespace {

TEST(http_cookies, finds_the_only_cookie) {
  EXPECT_EQ(find_cookie("deskgate_session=abc", "deskgate_session"), "abc");
}

TEST(http_cookies, finds_a_cookie_among_several) {
  std::string header = "theme=dark; deskgate_session=tok123; lang=de";
  EXPECT_EQ(find_cookie(header, "theme"), "dark");
  EXPECT_EQ(find_cookie(header, "deskgate_session"), "tok123");
  EXPECT_EQ(find_cookie(header, "lang"), "de");
}

TEST(http_cookies, tolerates_missing_and_extra_spaces) {
  EXPECT_EQ(find_cookie("a=1;deskgate_session=tok;b=2", "deskgate_session"), "tok");
  EXPECT_EQ(find_cookie("a=1;   deskgate_session = tok  ; b=2", "deskgate_session"), "tok");
  EXPECT_EQ(find_cookie("a=1;\tdeskgate_session=tok", "deskgate_session"), "tok");
}

TEST(http_cookies, strips_surrounding_double_quotes) {
  EXPECT_EQ(find_cookie(R"(a=1; deskgate_session="tok 1"; b=2)", "deskgate_session"), "tok 1");
  EXPECT_EQ(find_cookie(R"(e="")", "e"), "");
}

TEST(http_cookies, a_lone_quote_is_kept) {
  EXPECT_EQ(find_cookie(R"(q=")", "q"), "\"");
  EXPECT_EQ(find_cookie(R"(q="abc)", "q"), "\"abc");
}

TEST(http_cookies, name_that_is_a_prefix_of_another_does_not_match_it) {
  EXPECT_EQ(find_cookie("deskgate_session_old=stale; deskgate_session=fresh", "deskgate_session"), "fresh");
  EXPECT_EQ(find_cookie("deskgate_session_old=stale", "deskgate_session"), std::nullopt);
  EXPECT_EQ(find_cookie("xdeskgate_session=evil", "deskgate_session"), std::nullopt);
}

TEST(http_cookies, a_longer_name_is_not_found_through_a_shorter_cookie) {
  EXPECT_EQ(find_cookie("deskgate=short", "deskgate_session"), std::nullopt);
}

TEST(http_cookies, missing_cookie_is_nullopt) {
  EXPECT_EQ(find_cookie("a=1; b=2", "deskgate_session"), std::nullopt);
}

TEST(http_cookies, empty_header_is_nullopt) {
  EXPECT_EQ(find_cookie("", "deskgate_session"), std::nullopt);
  EXPECT_EQ(find_cookie(" ; ;", "deskgate_session"), std::nullopt);
}

TEST(http_cookies, names_are_case_sensitive) {
  EXPECT_EQ(find_cookie("DESKGATE_SESSION=tok", "deskgate_session"), std::nullopt);
}

TEST(http_cookies, equals_signs_inside_the_value_are_kept) {
  EXPECT_EQ(find_cookie("data=a=b==; x=1", "data"), "a=b==");
}

TEST(http_cookies, the_name_is_not_matched_inside_a_value) {
  EXPECT_EQ(find_cookie("other=deskgate_session=evil; deskgate_session=real", "deskgate_session"), "real");
  EXPECT_EQ(find_cookie("other=deskgate_session=evil", "deskgate_session"), std::nullopt);
}

TEST(http_cookies, pair_without_equals_is_skipped) {
  EXPECT_EQ(find_cookie("deskgate_session; deskgate_session=tok", "deskgate_session"), "tok");
}

TEST(http_cookies, empty_value_is_found_as_empty) {
  EXPECT_EQ(find_cookie("deskgate_session=; b=2", "deskgate_session"), "");
}

TEST(http_cookies, the_first_of_repeated_cookies_wins) {
  EXPECT_EQ(find_cookie("a=first; a=second", "a"), "first");
}

TEST(http_cookies, set_cookie_defaults_are_http_only_lax_path_root_session_cookie) {
  auto header = make_set_cookie("deskgate_session", "tok", cookie_options{});
  EXPECT_EQ(header, "deskgate_session=tok; Path=/; HttpOnly; SameSite=Lax");
}

TEST(http_cookies, set_cookie_secure_when_asked) {
  cookie_options opts;
  opts.secure = true;
  auto header = make_set_cookie("deskgate_session", "tok", opts);
  EXPECT_NE(header.find("; Secure"), std::string::npos);
  EXPECT_EQ(make_set_cookie("deskgate_session", "tok", cookie_options{}).find("Secure"), std::string::npos);
}

TEST(http_cookies, set_cookie_max_age_and_deletion) {
  cookie_options opts;
  opts.max_age_seconds = 3600;
  EXPECT_NE(make_set_cookie("s", "v", opts).find("; Max-Age=3600"), std::string::npos);
  opts.max_age_seconds = 0;
  EXPECT_EQ(make_set_cookie("s", "", opts), "s=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax");
}

TEST(http_cookies, set_cookie_without_http_only_or_same_site) {
  cookie_options opts;
  opts.http_only = false;
  opts.same_site = "";
  opts.path = "/api";
  EXPECT_EQ(make_set_cookie("s", "v", opts), "s=v; Path=/api");
}

TEST(http_cookies, set_cookie_strict_same_site) {
  cookie_options opts;
  opts.same_site = "Strict";
  EXPECT_NE(make_set_cookie("s", "v", opts).find("; SameSite=Strict"), std::string::npos);
}

TEST(http_cookies, a_built_cookie_is_found_again) {
  auto header = make_set_cookie("deskgate_session", "AbC-_123", cookie_options{});
  auto name_value = header.substr(0, header.find(';'));
  EXPECT_EQ(find_cookie(name_value, "deskgate_session"), "AbC-_123");
}

}  // namespace
}  // namespace deskgate::http
