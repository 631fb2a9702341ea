// Tests for the plain request/response types: method parsing, case-insensitive headers, percent
// decoding and query parameters.
#include "http/message.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace deskgate::http {
namespace {

request request_with_query(std::string query) {
  request req;
  req.target = "/api/files/home?" + query;
  req.path = "/api/files/home";
  req.query = std::move(query);
  return req;
}

TEST(http_message, parse_method_knows_the_standard_methods) {
  EXPECT_EQ(parse_method("GET"), method::get);
  EXPECT_EQ(parse_method("HEAD"), method::head);
  EXPECT_EQ(parse_method("POST"), method::post);
  EXPECT_EQ(parse_method("PUT"), method::put);
  EXPECT_EQ(parse_method("PATCH"), method::patch);
  EXPECT_EQ(parse_method("DELETE"), method::del);
  EXPECT_EQ(parse_method("OPTIONS"), method::options);
}

TEST(http_message, parse_method_is_case_sensitive_and_maps_unknown_to_other) {
  // RFC 9110: method names are case-sensitive; "get" is not GET.
  EXPECT_EQ(parse_method("get"), method::other);
  EXPECT_EQ(parse_method("PROPFIND"), method::other);
  EXPECT_EQ(parse_method(""), method::other);
  EXPECT_EQ(parse_method("GET "), method::other);
}

TEST(http_message, to_string_round_trips_through_parse_method) {
  for (auto m : {method::get, method::head, method::post, method::put, method::patch, method::del,
                 method::options}) {
    EXPECT_EQ(parse_method(to_string(m)), m) << to_string(m);
  }
  EXPECT_EQ(to_string(method::del), "DELETE");
}

TEST(http_message, safe_methods_are_not_unsafe) {
  EXPECT_FALSE(is_unsafe(method::get));
  EXPECT_FALSE(is_unsafe(method::head));
  EXPECT_FALSE(is_unsafe(method::options));
}

TEST(http_message, state_changing_and_unknown_methods_are_unsafe) {
  EXPECT_TRUE(is_unsafe(method::post));
  EXPECT_TRUE(is_unsafe(method::put));
  EXPECT_TRUE(is_unsafe(method::patch));
  EXPECT_TRUE(is_unsafe(method::del));
  // An unknown method could change state; CSRF and Origin checks must not be skipped for it.
  EXPECT_TRUE(is_unsafe(method::other));
}

TEST(http_message, header_lookup_ignores_case) {
  header_map h;
  h.add("Content-Type", "application/json");
  EXPECT_EQ(h.get("content-type"), "application/json");
  EXPECT_EQ(h.get("CONTENT-TYPE"), "application/json");
  EXPECT_TRUE(h.has("cOnTeNt-TyPe"));
}

TEST(http_message, absent_header_is_empty_and_not_had) {
  header_map h;
  h.add("Accept", "*/*");
  EXPECT_EQ(h.get("Cookie"), "");
  EXPECT_FALSE(h.has("Cookie"));
  // A name that is a prefix of a present name is still absent.
  EXPECT_FALSE(h.has("Accep"));
}

TEST(http_message, get_returns_the_first_of_repeated_fields) {
  header_map h;
  h.add("X-Forwarded-For", "1.1.1.1");
  h.add("x-forwarded-for", "2.2.2.2");
  EXPECT_EQ(h.get("X-Forwarded-For"), "1.1.1.1");
  EXPECT_EQ(h.fields().size(), 2u);
}

TEST(http_message, set_replaces_every_field_of_that_name_in_any_case) {
  header_map h;
  h.add("Cache-Control", "a");
  h.add("Accept", "*/*");
  h.add("cache-control", "b");
  h.set("CACHE-CONTROL", "no-store");
  EXPECT_EQ(h.get("Cache-Control"), "no-store");
  ASSERT_EQ(h.fields().size(), 2u);
  EXPECT_EQ(h.fields()[0].first, "Accept");
  EXPECT_EQ(h.fields()[1].second, "no-store");
}

TEST(http_message, fields_keep_arrival_order) {
  header_map h;
  h.add("B", "2");
  h.add("A", "1");
  h.add("C", "3");
  ASSERT_EQ(h.fields().size(), 3u);
  EXPECT_EQ(h.fields()[0].first, "B");
  EXPECT_EQ(h.fields()[1].first, "A");
  EXPECT_EQ(h.fields()[2].first, "C");
}

TEST(http_message, percent_decode_decodes_escapes_in_both_cases) {
  EXPECT_EQ(percent_decode("a%20b"), "a b");
  EXPECT_EQ(percent_decode("%2f%2F"), "//");
  EXPECT_EQ(percent_decode("%41%42C"), "ABC");
  EXPECT_EQ(percent_decode(""), "");
}

TEST(http_message, percent_decode_keeps_utf8_bytes) {
  EXPECT_EQ(percent_decode("Gr%C3%BC%C3%9Fe"), "Grüße");
  EXPECT_EQ(percent_decode("Grüße"), "Grüße");
}

TEST(http_message, percent_decode_treats_plus_as_space_only_when_asked) {
  EXPECT_EQ(percent_decode("a+b"), "a+b");
  EXPECT_EQ(percent_decode("a+b", true), "a b");
  // An encoded plus is a real plus, even in form encoding.
  EXPECT_EQ(percent_decode("a%2Bb", true), "a+b");
}

TEST(http_message, percent_decode_rejects_truncated_escapes) {
  EXPECT_EQ(percent_decode("%"), std::nullopt);
  EXPECT_EQ(percent_decode("abc%"), std::nullopt);
  EXPECT_EQ(percent_decode("abc%4"), std::nullopt);
}

TEST(http_message, percent_decode_accepts_an_escape_at_the_very_end) {
  EXPECT_EQ(percent_decode("abc%41"), "abcA");
}

TEST(http_message, percent_decode_rejects_non_hex_escapes) {
  EXPECT_EQ(percent_decode("%zz"), std::nullopt);
  EXPECT_EQ(percent_decode("%4g"), std::nullopt);
  EXPECT_EQ(percent_decode("%g4"), std::nullopt);
  EXPECT_EQ(percent_decode("% 4"), std::nullopt);
}

TEST(http_message, percent_decode_rejects_nul_encoded_or_raw) {
  EXPECT_EQ(percent_decode("file%00.txt"), std::nullopt);
  EXPECT_EQ(percent_decode(std::string_view("a\0b", 3)), std::nullopt);
}

TEST(http_message, query_param_finds_a_value) {
  auto req = request_with_query("path=docs&sort=name");
  EXPECT_EQ(req.query_param("path"), "docs");
  EXPECT_EQ(req.query_param("sort"), "name");
}

TEST(http_message, query_param_absent_is_nullopt) {
  EXPECT_EQ(request_with_query("path=docs").query_param("sort"), std::nullopt);
  EXPECT_EQ(request_with_query("").query_param("path"), std::nullopt);
}

TEST(http_message, query_param_does_not_match_a_prefix_or_extension_of_the_name) {
  auto req = request_with_query("pathname=x&p=y");
  EXPECT_EQ(req.query_param("path"), std::nullopt);
  EXPECT_EQ(req.query_param("pathnames"), std::nullopt);
  EXPECT_EQ(req.query_param("p"), "y");
}

TEST(http_message, query_param_decodes_percent_escapes_and_plus) {
  auto req = request_with_query("path=My+Documents%2FGr%C3%BC%C3%9Fe&q=a%2Bb");
  EXPECT_EQ(req.query_param("path"), "My Documents/Grüße");
  EXPECT_EQ(req.query_param("q"), "a+b");
}

TEST(http_message, query_param_decodes_the_name_too) {
  auto req = request_with_query("view%5Fonly=1");
  EXPECT_EQ(req.query_param("view_only"), "1");
}

TEST(http_message, query_param_without_equals_is_an_empty_value) {
  auto req = request_with_query("overwrite&path=a");
  EXPECT_EQ(req.query_param("overwrite"), "");
  EXPECT_EQ(req.query_param("path"), "a");
}

TEST(http_message, query_param_keeps_equals_signs_inside_the_value) {
  EXPECT_EQ(request_with_query("next=/x?a=b").query_param("next"), "/x?a=b");
}

TEST(http_message, query_param_returns_the_first_of_repeated_names) {
  EXPECT_EQ(request_with_query("a=1&a=2").query_param("a"), "1");
}

TEST(http_message, query_param_skips_empty_pairs) {
  EXPECT_EQ(request_with_query("&&a=1&").query_param("a"), "1");
}

TEST(http_message, query_param_with_malformed_escape_is_not_returned_raw) {
  EXPECT_EQ(request_with_query("path=%zz").query_param("path"), std::nullopt);
  EXPECT_EQ(request_with_query("path=a%00b").query_param("path"), std::nullopt);
}

TEST(http_message, json_response_sets_status_and_content_type) {
  auto res = response::json(409, R"({"a":1})");
  EXPECT_EQ(res.status, 409);
  EXPECT_EQ(res.headers.get("Content-Type"), "application/json");
  EXPECT_EQ(res.body, R"({"a":1})");
}

TEST(http_message, no_content_is_204_with_empty_body) {
  auto res = response::no_content();
  EXPECT_EQ(res.status, 204);
  EXPECT_TRUE(res.body.empty());
}

}  // namespace
}  // namespace deskgate::http
