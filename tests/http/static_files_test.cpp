// Tests for static_files: content types, caching headers and 304s, the single-page-app fallback, and that
// nothing outside the web root is ever served.
#include "http/static_files.hpp"

#include <gtest/gtest.h>

#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <optional>
#include <string>
#include <utility>

namespace deskgate::http {
namespace {

namespace fs = std::filesystem;

constexpr const char* index_html = "<!doctype html><title>deskgate</title>";
constexpr const char* secret = "TOP SECRET: outside the web root";

// A temporary folder with a web root ("www") and, next to it, files that must never be served.
class http_static_files : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = "/tmp/deskgate-static-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    root_ = dir_ / "www";
    write(root_ / "index.html", index_html);
    write(root_ / "assets" / "app-1a2b3c.js", "console.log('app');");
    write(root_ / "assets" / "app-1a2b3c.css", "body{}");
    write(root_ / "logo.svg", "<svg/>");
    write(root_ / ".hidden", "hidden");
    write(dir_ / "secret.txt", secret);
    write(dir_ / "outside" / "data.txt", secret);
  }

  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  static void write(const fs::path& file, const std::string& content) {
    fs::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << content;
  }

  // The one way these tests build a request.
  static request make_request(std::string path, method verb = method::get,
                              std::initializer_list<std::pair<std::string, std::string>> headers = {}) {
    request req;
    req.verb = verb;
    req.method_text = std::string(to_string(verb));
    req.target = path;
    req.path = std::move(path);
    for (const auto& [name, value] : headers) req.headers.add(name, value);
    return req;
  }

  std::optional<response> get(std::string path,
                              std::initializer_list<std::pair<std::string, std::string>> headers = {}) const {
    return static_files(root_).serve(make_request(std::move(path), method::get, headers));
  }

  fs::path dir_;
  fs::path root_;
};

TEST(http_static_content_type, known_extensions) {
  EXPECT_EQ(static_files::content_type_for("index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(static_files::content_type_for("assets/app.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(static_files::content_type_for("worker.mjs"), "text/javascript; charset=utf-8");
  EXPECT_EQ(static_files::content_type_for("app.css"), "text/css; charset=utf-8");
  EXPECT_EQ(static_files::content_type_for("logo.svg"), "image/svg+xml");
  EXPECT_EQ(static_files::content_type_for("manifest.json"), "application/json");
  EXPECT_EQ(static_files::content_type_for("font.woff2"), "font/woff2");
  EXPECT_EQ(static_files::content_type_for("photo.jpeg"), "image/jpeg");
  EXPECT_EQ(static_files::content_type_for("site.webmanifest"), "application/manifest+json");
  EXPECT_EQ(static_files::content_type_for("novnc.wasm"), "application/wasm");
}

TEST(http_static_content_type, extension_case_does_not_matter) {
  EXPECT_EQ(static_files::content_type_for("LOGO.PNG"), "image/png");
  EXPECT_EQ(static_files::content_type_for("Index.Html"), "text/html; charset=utf-8");
}

TEST(http_static_content_type, unknown_or_missing_extension_is_octet_stream) {
  EXPECT_EQ(static_files::content_type_for("archive.tar.xz"), "application/octet-stream");
  EXPECT_EQ(static_files::content_type_for("README"), "application/octet-stream");
  EXPECT_EQ(static_files::content_type_for("page.html.bak"), "application/octet-stream");
}

TEST_F(http_static_files, serves_a_file_with_its_content_type) {
  auto res = get("/logo.svg");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "<svg/>");
  EXPECT_EQ(res->headers.get("Content-Type"), "image/svg+xml");
}

TEST_F(http_static_files, ui_pages_carry_the_content_security_policy) {
  for (const char* path : {"/", "/index.html", "/desktops/abc", "/admin"}) {
    auto res = get(path);
    ASSERT_TRUE(res) << path;
    auto csp = res->headers.get("Content-Security-Policy");
    EXPECT_EQ(csp, ui_content_security_policy) << path;
    EXPECT_NE(csp.find("script-src 'self'"), std::string_view::npos);
    EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string_view::npos);
    EXPECT_EQ(csp.find("unsafe"), std::string_view::npos) << "no inline scripts or styles";
  }
  auto asset = get("/assets/app-1a2b3c.js");
  ASSERT_TRUE(asset);
  EXPECT_FALSE(asset->headers.has("Content-Security-Policy")) << "only documents need it";
}

TEST_F(http_static_files, root_path_serves_index_html) {
  auto res = get("/");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body, index_html);
  EXPECT_EQ(res->headers.get("Content-Type"), "text/html; charset=utf-8");
}

TEST_F(http_static_files, hashed_assets_are_cached_for_a_year_as_immutable) {
  auto res = get("/assets/app-1a2b3c.js");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body, "console.log('app');");
  EXPECT_EQ(res->headers.get("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(res->headers.get("Cache-Control"), "public, max-age=31536000, immutable");
}

TEST_F(http_static_files, other_files_must_revalidate) {
  for (const char* path : {"/", "/index.html", "/logo.svg"}) {
    auto res = get(path);
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->headers.get("Cache-Control"), "no-cache") << path;
  }
}

TEST_F(http_static_files, matching_etag_gives_304_without_body) {
  auto first = get("/logo.svg");
  ASSERT_TRUE(first);
  std::string etag(first->headers.get("ETag"));
  ASSERT_FALSE(etag.empty());
  auto again = get("/logo.svg", {{"If-None-Match", etag}});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 304);
  EXPECT_TRUE(again->body.empty());
  EXPECT_EQ(again->headers.get("ETag"), etag);
}

TEST_F(http_static_files, star_if_none_match_gives_304) {
  auto res = get("/logo.svg", {{"If-None-Match", "*"}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 304);
}

TEST_F(http_static_files, other_etag_gives_the_full_file) {
  auto res = get("/logo.svg", {{"If-None-Match", "\"0-0\""}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "<svg/>");
}

TEST_F(http_static_files, etag_changes_when_the_file_changes) {
  auto before = get("/logo.svg");
  ASSERT_TRUE(before);
  std::string old_etag(before->headers.get("ETag"));
  write(root_ / "logo.svg", "<svg><circle/></svg>");
  auto after = get("/logo.svg", {{"If-None-Match", old_etag}});
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 200);
  EXPECT_EQ(after->body, "<svg><circle/></svg>");
  EXPECT_NE(after->headers.get("ETag"), old_etag);
}

TEST_F(http_static_files, different_files_have_different_etags) {
  auto js = get("/assets/app-1a2b3c.js");
  auto css = get("/assets/app-1a2b3c.css");
  ASSERT_TRUE(js && css);
  EXPECT_NE(js->headers.get("ETag"), css->headers.get("ETag"));
}

TEST_F(http_static_files, matching_if_modified_since_gives_304) {
  auto first = get("/logo.svg");
  ASSERT_TRUE(first);
  std::string last_modified(first->headers.get("Last-Modified"));
  ASSERT_NE(last_modified.find("GMT"), std::string::npos);
  auto again = get("/logo.svg", {{"If-Modified-Since", last_modified}});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 304);
  EXPECT_TRUE(again->body.empty());
}

TEST_F(http_static_files, last_modified_reflects_the_file_time) {
  fs::last_write_time(root_ / "logo.svg", fs::file_time_type::clock::now() - std::chrono::hours(24 * 400));
  auto old = get("/logo.svg");
  ASSERT_TRUE(old);
  auto fresh = get("/index.html");
  ASSERT_TRUE(fresh);
  EXPECT_NE(old->headers.get("Last-Modified"), fresh->headers.get("Last-Modified"));
}

TEST_F(http_static_files, other_if_modified_since_gives_the_full_file) {
  auto res = get("/logo.svg", {{"If-Modified-Since", "Thu, 01 Jan 1970 00:00:00 GMT"}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "<svg/>");
}

TEST_F(http_static_files, if_none_match_takes_precedence_over_if_modified_since) {
  auto first = get("/logo.svg");
  ASSERT_TRUE(first);
  std::string last_modified(first->headers.get("Last-Modified"));
  auto res = get("/logo.svg", {{"If-None-Match", "\"stale\""}, {"If-Modified-Since", last_modified}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
}

TEST_F(http_static_files, ui_routes_without_extension_get_index_html) {
  for (const char* path : {"/login", "/desktops/abc123", "/admin/users/", "/v1.2/files"}) {
    auto res = get(path);
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->status, 200) << path;
    EXPECT_EQ(res->body, index_html) << path;
    EXPECT_EQ(res->headers.get("Content-Type"), "text/html; charset=utf-8") << path;
  }
}

TEST_F(http_static_files, missing_asset_with_extension_is_not_served) {
  EXPECT_FALSE(get("/assets/missing-000.js"));
  EXPECT_FALSE(get("/favicon.ico"));
  EXPECT_FALSE(get("/desktops/abc.png"));
}

TEST_F(http_static_files, dot_dot_segments_are_refused) {
  EXPECT_FALSE(get("/../secret.txt"));
  EXPECT_FALSE(get("/assets/../../secret.txt"));
  EXPECT_FALSE(get("/assets/../index.html"));
  EXPECT_FALSE(get("/.."));
}

TEST_F(http_static_files, hidden_files_are_refused) {
  EXPECT_FALSE(get("/.hidden"));
  EXPECT_FALSE(get("/assets/.env"));
  EXPECT_FALSE(get("/./index.html"));
}

TEST_F(http_static_files, backslashes_are_refused) {
  EXPECT_FALSE(get("/..\\secret.txt"));
  EXPECT_FALSE(get("/assets\\app-1a2b3c.js"));
  EXPECT_FALSE(get("/desktops\\abc"));
}

TEST_F(http_static_files, nul_in_the_path_is_refused) { EXPECT_FALSE(get(std::string("/index.html\0.png", 16))); }

TEST_F(http_static_files, symlinked_file_pointing_outside_is_not_served) {
  fs::create_symlink(dir_ / "secret.txt", root_ / "leak.txt");
  EXPECT_FALSE(get("/leak.txt"));
}

TEST_F(http_static_files, symlink_without_extension_pointing_outside_does_not_leak) {
  fs::create_symlink(dir_ / "secret.txt", root_ / "leak");
  // Either nothing or the app shell, never the target of the link.
  auto res = get("/leak");
  if (res) {
    EXPECT_EQ(res->body, index_html);
  }
}

TEST_F(http_static_files, symlinked_directory_pointing_outside_is_not_served) {
  fs::create_directory_symlink(dir_ / "outside", root_ / "linked");
  EXPECT_FALSE(get("/linked/data.txt"));
}

TEST_F(http_static_files, index_html_symlinked_outside_is_not_served) {
  fs::remove(root_ / "index.html");
  fs::create_symlink(dir_ / "secret.txt", root_ / "index.html");
  EXPECT_FALSE(get("/"));
  EXPECT_FALSE(get("/desktops/abc"));
}

TEST_F(http_static_files, missing_index_html_means_no_fallback) {
  fs::remove(root_ / "index.html");
  EXPECT_FALSE(get("/"));
  EXPECT_FALSE(get("/login"));
  EXPECT_TRUE(get("/logo.svg"));
}

TEST_F(http_static_files, missing_root_serves_nothing) {
  static_files files(dir_ / "no-such-folder");
  EXPECT_FALSE(files.serve(make_request("/")));
  EXPECT_FALSE(files.serve(make_request("/login")));
}

TEST_F(http_static_files, empty_root_serves_nothing) {
  static_files files{fs::path{}};
  EXPECT_FALSE(files.serve(make_request("/")));
  EXPECT_FALSE(files.serve(make_request("/index.html")));
}

TEST_F(http_static_files, root_that_is_a_file_serves_nothing) {
  static_files files(root_ / "index.html");
  EXPECT_FALSE(files.serve(make_request("/")));
}

TEST_F(http_static_files, head_is_served_like_get) {
  auto res = static_files(root_).serve(make_request("/logo.svg", method::head));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->headers.get("Content-Type"), "image/svg+xml");
}

TEST_F(http_static_files, only_get_and_head_are_served) {
  static_files files(root_);
  for (auto verb : {method::post, method::put, method::del, method::patch, method::options, method::other}) {
    EXPECT_FALSE(files.serve(make_request("/index.html", verb))) << to_string(verb);
    EXPECT_FALSE(files.serve(make_request("/login", verb))) << to_string(verb);
  }
}

TEST_F(http_static_files, app_shell_under_assets_is_not_cached_as_immutable) {
  auto res = get("/assets/not-a-file");
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->body, index_html);
  EXPECT_EQ(res->headers.get("Cache-Control"), "no-cache");
}

}  // namespace
}  // namespace deskgate::http
