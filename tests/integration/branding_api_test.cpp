// Branding (GET /api/branding, PUT /api/admin/branding, logo and favicon uploads) and desktop type icons:
// validation of every field, image type/size/signature checks, how images are served back, and who may
// change what.
#include <gtest/gtest.h>

#include <filesystem>

#include "support/test_app.hpp"

namespace deskgate::testing {
namespace {

const std::string png_bytes = std::string("\x89PNG\r\n\x1A\n", 8) + std::string(64, '\x01');
const std::string svg_bytes =
    R"(<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>)";

http_answer put_branding(test_app& t, const nlohmann::json& body, const signed_in* who) {
  return t.request("PUT", "/api/admin/branding", who, body.dump(), {{"Content-Type", "application/json"}});
}

http_answer upload(test_app& t, const std::string& target, const std::string& type, const std::string& bytes,
                   const signed_in* who) {
  return t.request("PUT", target, who, bytes, {{"Content-Type", type}});
}

TEST(BrandingApi, DefaultsArePublic) {
  test_app t;
  auto got = t.request("GET", "/api/branding");
  ASSERT_EQ(got.status, 200) << got.body;
  auto b = json_of(got)["branding"];
  EXPECT_EQ(b["app_name"], "deskgate");
  EXPECT_TRUE(b["logo_url"].is_null());
  EXPECT_TRUE(b["favicon_url"].is_null());
  EXPECT_EQ(b["colors"]["primary"], "#1d4ed8");
  EXPECT_EQ(b["colors"].size(), 4u);
}

TEST(BrandingApi, AdminChangesNameAndColoursAndResets) {
  test_app t;
  auto admin = t.login_admin();
  auto changed = put_branding(t, {{"app_name", "  Schulportal Nord  "}, {"colors", {{"primary", "#8A1C7C"}}}}, &admin);
  ASSERT_EQ(changed.status, 200) << changed.body;
  auto b = json_of(t.request("GET", "/api/branding"))["branding"];
  EXPECT_EQ(b["app_name"], "Schulportal Nord") << "trimmed";
  EXPECT_EQ(b["colors"]["primary"], "#8a1c7c") << "lower-cased";
  EXPECT_EQ(b["colors"]["header"], "#1e293b") << "colours not sent keep their value";

  ASSERT_EQ(put_branding(t, {{"app_name", "Grünschule 🌱"}}, &admin).status, 200) << "UTF-8 names";
  EXPECT_EQ(json_of(t.request("GET", "/api/branding"))["branding"]["app_name"], "Grünschule 🌱");

  ASSERT_EQ(upload(t, "/api/admin/branding/logo", "image/png", png_bytes, &admin).status, 200);
  auto reset = put_branding(t, {{"reset", true}}, &admin);
  ASSERT_EQ(reset.status, 200) << reset.body;
  b = json_of(t.request("GET", "/api/branding"))["branding"];
  EXPECT_EQ(b["app_name"], "deskgate");
  EXPECT_EQ(b["colors"]["primary"], "#1d4ed8");
  EXPECT_TRUE(b["logo_url"].is_null()) << "reset removes the logo";
  EXPECT_EQ(t.request("GET", "/api/branding/logo").status, 404);
  EXPECT_FALSE(std::filesystem::exists(t.data_dir() / "uploads" / "branding-logo"));
}

TEST(BrandingApi, RefusesBadValues) {
  test_app t;
  auto admin = t.login_admin();
  struct bad_case {
    nlohmann::json body;
    std::string says;
  };
  const bad_case cases[] = {
      {{{"app_name", ""}}, "app_name"},
      {{{"app_name", "   "}}, "app_name"},
      {{{"app_name", std::string(61, 'x')}}, "60"},
      {{{"app_name", "tab\there"}}, "control"},
      {{{"app_name", 7}}, "string"},
      {{{"colors", {{"primary", "blue"}}}}, "#rrggbb"},
      {{{"colors", {{"primary", "#12345"}}}}, "#rrggbb"},
      {{{"colors", {{"primary", "#12345g"}}}}, "#rrggbb"},
      {{{"colors", {{"sparkle", "#123456"}}}}, "unknown colour"},
      {{{"colors", "#123456"}}, "object"},
      {{{"reset", true}, {"app_name", "x"}}, "alone"},
      {{{"theme", "dark"}}, "Unknown field"},
  };
  for (const auto& c : cases) {
    auto a = put_branding(t, c.body, &admin);
    EXPECT_EQ(a.status, 400) << c.body.dump();
    EXPECT_NE(a.body.find(c.says), std::string::npos) << c.body.dump() << " → " << a.body;
  }
  EXPECT_EQ(json_of(t.request("GET", "/api/branding"))["branding"]["app_name"], "deskgate") << "nothing changed";
  auto not_json = t.request("PUT", "/api/admin/branding", &admin, "app_name=x",
                            {{"Content-Type", "application/x-www-form-urlencoded"}});
  EXPECT_EQ(not_json.status, 415);
}

TEST(BrandingApi, OnlyAdminsChangeItAndCsrfIsChecked) {
  test_app t;
  auto teacher = t.add_user("frau.meier", "teacher");
  EXPECT_EQ(put_branding(t, {{"app_name", "Mine"}}, &teacher).status, 403);
  EXPECT_EQ(upload(t, "/api/admin/branding/logo", "image/png", png_bytes, &teacher).status, 403);
  EXPECT_EQ(put_branding(t, {{"app_name", "Mine"}}, nullptr).status, 401);
  auto admin = t.login_admin();
  signed_in no_csrf{admin.cookie, ""};
  EXPECT_EQ(put_branding(t, {{"app_name", "Mine"}}, &no_csrf).status, 403);
  EXPECT_EQ(json_of(t.request("GET", "/api/branding"))["branding"]["app_name"], "deskgate");
}

TEST(BrandingApi, LogoAndFaviconUploadsAreCheckedAndServedSafely) {
  test_app t;
  auto admin = t.login_admin();
  auto up = upload(t, "/api/admin/branding/logo", "image/png", png_bytes, &admin);
  ASSERT_EQ(up.status, 200) << up.body;
  std::string logo_url = json_of(up)["branding"]["logo_url"];
  EXPECT_EQ(logo_url, "/api/branding/logo?v=1");
  auto served = t.request("GET", logo_url);
  ASSERT_EQ(served.status, 200);
  EXPECT_EQ(served.body, png_bytes);
  EXPECT_EQ(served.header("Content-Type"), "image/png");
  EXPECT_EQ(served.header("X-Content-Type-Options"), "nosniff");

  auto again = upload(t, "/api/admin/branding/logo", "image/png", png_bytes, &admin);
  EXPECT_EQ(json_of(again)["branding"]["logo_url"], "/api/branding/logo?v=2") << "a new URL for a new image";

  auto svg = upload(t, "/api/admin/branding/favicon", "image/svg+xml", svg_bytes, &admin);
  ASSERT_EQ(svg.status, 200) << svg.body;
  auto svg_served = t.request("GET", "/api/branding/favicon");
  EXPECT_EQ(svg_served.header("Content-Type"), "image/svg+xml");
  auto csp = svg_served.header("Content-Security-Policy");
  EXPECT_NE(csp.find("default-src 'none'"), std::string::npos) << csp;
  EXPECT_NE(csp.find("sandbox"), std::string::npos) << "no script runs when the SVG is opened directly";

  EXPECT_EQ(upload(t, "/api/admin/branding/logo", "image/gif", "GIF89a....", &admin).status, 415);
  EXPECT_EQ(upload(t, "/api/admin/branding/logo", "text/html", "<html>", &admin).status, 415);
  EXPECT_EQ(upload(t, "/api/admin/branding/logo", "image/png", "", &admin).status, 400);
  auto disguised = upload(t, "/api/admin/branding/logo", "image/png", "<svg onload=alert(1)>", &admin);
  EXPECT_EQ(disguised.status, 400) << "the content must match the declared type";
  EXPECT_EQ(upload(t, "/api/admin/branding/logo", "image/jpeg", png_bytes, &admin).status, 400);
  EXPECT_EQ(upload(t, "/api/admin/branding/logo", "image/webp", png_bytes, &admin).status, 400);
  EXPECT_EQ(upload(t, "/api/admin/branding/logo", "image/svg+xml", "just text", &admin).status, 400);
  auto too_big = png_bytes + std::string(256 * 1024, '\0');
  EXPECT_EQ(upload(t, "/api/admin/branding/logo", "image/png", too_big, &admin).status, 413);
  EXPECT_EQ(upload(t, "/api/admin/branding/banner", "image/png", png_bytes, &admin).status, 404);
  EXPECT_EQ(t.request("GET", "/api/branding/banner").status, 404);

  const std::string jpeg = std::string("\xFF\xD8\xFF\xE0", 4) + std::string(32, 'j');
  EXPECT_EQ(upload(t, "/api/admin/branding/logo", "image/jpeg", jpeg, &admin).status, 200);
  const std::string webp = std::string("RIFF\x10\0\0\0WEBPVP8 ", 16) + std::string(16, 'w');
  EXPECT_EQ(upload(t, "/api/admin/branding/logo", "image/webp", webp, &admin).status, 200);
  EXPECT_EQ(t.request("GET", "/api/branding/logo").header("Content-Type"), "image/webp");

  auto removed = t.request("DELETE", "/api/admin/branding/logo", &admin);
  ASSERT_EQ(removed.status, 200);
  EXPECT_TRUE(json_of(removed)["branding"]["logo_url"].is_null());
  EXPECT_EQ(t.request("GET", "/api/branding/logo").status, 404);
  EXPECT_FALSE(json_of(t.request("GET", "/api/branding"))["branding"]["favicon_url"].is_null()) << "favicon stays";
}

TEST(DesktopTypeIcons, UploadServeAndRemove) {
  test_app t(light_desktop_toml);
  auto admin = t.login_admin();
  auto student = t.add_user("max", "student");
  auto up = upload(t, "/api/admin/desktop-types/light/icon", "image/png", png_bytes, &admin);
  ASSERT_EQ(up.status, 200) << up.body;
  std::string icon = json_of(up)["desktop_type"]["icon"];
  EXPECT_EQ(icon, "upload:1:image/png");
  auto listed = json_of(t.request("GET", "/api/desktop-types", &student));
  EXPECT_EQ(listed["desktop_types"][0]["icon"], icon) << "the dashboard learns of the icon";

  auto served = t.request("GET", "/api/desktop-types/light/icon", &student);
  ASSERT_EQ(served.status, 200);
  EXPECT_EQ(served.body, png_bytes);
  EXPECT_EQ(served.header("Content-Type"), "image/png");
  EXPECT_EQ(t.request("GET", "/api/desktop-types/light/icon").status, 401);

  EXPECT_EQ(upload(t, "/api/admin/desktop-types/light/icon", "image/png", png_bytes, &student).status, 403);
  EXPECT_EQ(upload(t, "/api/admin/desktop-types/nope/icon", "image/png", png_bytes, &admin).status, 404);
  EXPECT_EQ(upload(t, "/api/admin/desktop-types/light/icon", "application/pdf", "%PDF", &admin).status, 415);
  EXPECT_EQ(upload(t, "/api/admin/desktop-types/light/icon", "image/png", png_bytes + std::string(300000, 'x'), &admin)
                .status,
            413);
  auto second = upload(t, "/api/admin/desktop-types/light/icon", "image/svg+xml", svg_bytes, &admin);
  EXPECT_EQ(json_of(second)["desktop_type"]["icon"], "upload:2:image/svg+xml");
  auto svg = t.request("GET", "/api/desktop-types/light/icon", &student);
  EXPECT_NE(svg.header("Content-Security-Policy").find("sandbox"), std::string::npos);

  auto removed = t.request("DELETE", "/api/admin/desktop-types/light/icon", &admin);
  ASSERT_EQ(removed.status, 200);
  EXPECT_EQ(json_of(removed)["desktop_type"]["icon"], "");
  EXPECT_EQ(t.request("GET", "/api/desktop-types/light/icon", &student).status, 404);
}

}  // namespace
}  // namespace deskgate::testing
