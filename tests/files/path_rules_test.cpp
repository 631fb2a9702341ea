// The path rules of the file spaces: what a client may name, checked before anything touches the disk.
#include "files/path_rules.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"

namespace deskgate::files {
namespace {

errc refusal_of(std::string_view path) {
  try {
    split_path(path);
  } catch (const error& e) {
    return e.code();
  }
  return errc::internal;  // not refused
}

TEST(PathRules, SplitsRelativePathsIntoNames) {
  EXPECT_TRUE(split_path("").empty());
  EXPECT_EQ(split_path("a"), (std::vector<std::string>{"a"}));
  EXPECT_EQ(split_path("Docs/Übung 1/notes.txt"), (std::vector<std::string>{"Docs", "Übung 1", "notes.txt"}));
  EXPECT_EQ(split_path("Docs/"), (std::vector<std::string>{"Docs"}));
  EXPECT_EQ(join_path({"a", "b c"}), "a/b c");
}

TEST(PathRules, KeepsUtf8NamesWithUmlautsSpacesAndEmoji) {
  for (std::string name : {"Größe.txt", "ÄÖÜäöüß", "Arbeitsblatt 3 – Lösung.pdf", "party 🎉.png", "日本語", ".hidden",
                           "a\\b", "%2e%2e", "..."}) {
    EXPECT_NO_THROW(check_name(name)) << name;
    EXPECT_EQ(split_path(name), (std::vector<std::string>{name}));
  }
}

TEST(PathRules, RefusesTraversalAbsolutePathsAndEmptyParts) {
  for (std::string_view path :
       {"..", "../etc/passwd", "a/../../b", "a/..", ".", "./a", "a/./b", "/etc/passwd", "/", "a//b", "//a"}) {
    EXPECT_EQ(refusal_of(path), errc::bad_request) << path;
  }
}

TEST(PathRules, RefusesNulControlCharactersAndBrokenUtf8) {
  using namespace std::string_literals;
  for (std::string path :
       {"a\0b"s, "line\nbreak"s, "tab\there"s, "bell\x07"s, "del\x7f"s, "c1\xc2\x85"s, "latin1 \xe4"s, "cut \xe2\x82"s,
        "overlong \xc0\xaf"s, "surrogate \xed\xa0\x80"s, "too big \xf4\x90\x80\x80"s}) {
    EXPECT_EQ(refusal_of(path), errc::bad_request) << path;
  }
}

TEST(PathRules, RefusesOverlongNamesAndPaths) {
  EXPECT_NO_THROW(check_name(std::string(max_name_bytes, 'a')));
  EXPECT_EQ(refusal_of(std::string(max_name_bytes + 1, 'a')), errc::bad_request);
  // 64 umlauts are 128 bytes (fine); 128 of them are 256 bytes (too long): limits count bytes.
  std::string umlauts;
  for (int i = 0; i < 128; ++i) umlauts += "ü";
  EXPECT_EQ(refusal_of(umlauts), errc::bad_request);
  std::string deep;
  for (int i = 0; i < 1000; ++i) deep += "abcd/";
  EXPECT_EQ(refusal_of(deep), errc::bad_request);
}

TEST(PathRules, Utf8Validation) {
  EXPECT_TRUE(valid_utf8("plain"));
  EXPECT_TRUE(valid_utf8("\xf0\x9f\x8e\x89"));  // 🎉
  EXPECT_FALSE(valid_utf8("\x80"));
  EXPECT_FALSE(valid_utf8("\xe0\x80\x80"));  // overlong
  EXPECT_FALSE(valid_utf8("\xf0\x9f\x8e"));  // cut short
}

}  // namespace
}  // namespace deskgate::files
