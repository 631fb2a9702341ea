// Tests for log::format_line: text lines stay one line and splittable into key=value; JSON lines are
// valid members of the object the log pattern wraps around them, whatever bytes the values hold.
#include "log/log.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

namespace deskgate::log {
namespace {

using nlohmann::json;

// The JSON object a log line becomes once the pattern's braces are around it.
json as_object(const std::string& members) { return json::parse("{" + members + "}"); }

TEST(log_text, message_alone) { EXPECT_EQ(format_line(false, "server started", {}), "server started"); }

TEST(log_text, plain_values_are_not_quoted) {
  EXPECT_EQ(format_line(false, "listening", {{"address", "127.0.0.1:8080"}, {"workers", "2"}}),
            "listening address=127.0.0.1:8080 workers=2");
}

TEST(log_text, value_with_spaces_is_quoted) {
  EXPECT_EQ(format_line(false, "signed in", {{"user", "Ada Lovelace"}}), R"(signed in user="Ada Lovelace")");
}

TEST(log_text, value_with_a_tab_is_quoted) {
  EXPECT_EQ(format_line(false, "m", {{"k", "a\tb"}}), "m k=\"a\tb\"");
}

TEST(log_text, quotes_inside_a_value_are_escaped) {
  EXPECT_EQ(format_line(false, "m", {{"k", R"(say "hi")"}}), R"(m k="say \"hi\"")");
}

TEST(log_text, backslash_in_a_quoted_value_is_escaped) {
  EXPECT_EQ(format_line(false, "m", {{"k", R"(C:\dir name)"}}), R"(m k="C:\\dir name")");
}

TEST(log_text, newline_is_escaped_so_the_line_stays_one_line) {
  auto line = format_line(false, "m", {{"path", "/a\nforged=1 level=error"}});
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_EQ(line, R"(m path="/a\nforged=1 level=error")");
  EXPECT_EQ(format_line(false, "m", {{"k", "a\nb"}}), R"(m k="a\nb")");
}

TEST(log_text, equals_sign_in_a_value_is_quoted) {
  EXPECT_EQ(format_line(false, "m", {{"next", "a=b"}}), R"(m next="a=b")");
}

TEST(log_text, empty_value_is_an_empty_quoted_string) {
  EXPECT_EQ(format_line(false, "m", {{"user", ""}, {"id", "3"}}), R"(m user="" id=3)");
}

TEST(log_text, fields_keep_their_order) {
  EXPECT_EQ(format_line(false, "m", {{"b", "2"}, {"a", "1"}}), "m b=2 a=1");
}

TEST(log_json, members_form_a_valid_object_with_msg_and_fields) {
  auto obj = as_object(format_line(true, "request", {{"method", "GET"}, {"status", "200"}}));
  EXPECT_EQ(obj["msg"], "request");
  EXPECT_EQ(obj["method"], "GET");
  EXPECT_EQ(obj["status"], "200");
  EXPECT_EQ(obj.size(), 3u);
}

TEST(log_json, message_alone_is_a_valid_object) {
  auto obj = as_object(format_line(true, "ready", {}));
  EXPECT_EQ(obj, (json{{"msg", "ready"}}));
}

TEST(log_json, members_are_not_wrapped_in_braces_themselves) {
  auto members = format_line(true, "ready", {});
  ASSERT_FALSE(members.empty());
  EXPECT_NE(members.front(), '{');
  EXPECT_NE(members.back(), '}');
}

TEST(log_json, special_characters_round_trip) {
  std::string tricky = "say \"hi\"\\ \n\t}{,:";
  auto members = format_line(true, "m \"quoted\"", {{"value", tricky}});
  EXPECT_EQ(members.find('\n'), std::string::npos);
  auto obj = as_object(members);
  EXPECT_EQ(obj["value"], tricky);
  EXPECT_EQ(obj["msg"], "m \"quoted\"");
}

TEST(log_json, utf8_is_kept) {
  auto obj = as_object(format_line(true, "upload", {{"name", "Übung_Grüße.odt"}}));
  EXPECT_EQ(obj["name"], "Übung_Grüße.odt");
}

TEST(log_json, invalid_utf8_is_replaced_not_thrown) {
  std::string bad = "ab\xff\xfe" "cd";
  std::string members;
  ASSERT_NO_THROW(members = format_line(true, "bad \xc3", {{"user_agent", bad}}));
  auto obj = as_object(members);
  EXPECT_EQ(obj["user_agent"], "ab\xEF\xBF\xBD\xEF\xBF\xBD" "cd");  // U+FFFD per bad byte
  EXPECT_EQ(obj["msg"].get<std::string>().find("bad "), 0u);
}

TEST(log_json, control_characters_are_escaped) {
  std::string with_controls = std::string("a\x01") + "b\rc";
  auto members = format_line(true, "m", {{"k", with_controls}});
  EXPECT_EQ(members.find('\r'), std::string::npos);
  EXPECT_EQ(members.find('\x01'), std::string::npos);
  EXPECT_EQ(as_object(members)["k"], with_controls);
}

TEST(log_text, carriage_return_is_escaped_so_lines_cannot_be_forged) {
  EXPECT_EQ(format_line(false, "m", {{"k", "a\rb"}}), "m k=\"a\\rb\"");
}

}  // namespace
}  // namespace deskgate::log
