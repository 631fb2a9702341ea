// Files and a real desktop (local backend, real Xvnc): what the API uploads the desktop sees in its home,
// what the desktop writes shows in the API's listing, the shared space is at ~/Public/shared (read-only
// for a student), and a link the desktop creates is refused by the API.
#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "support/process.hpp"
#include "support/test_app.hpp"

namespace deskgate::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// The session command works in the desktop's home the way a user would, leaves what it saw in files,
// then keeps the desktop running.
const std::string desktop_toml = R"(
[local]
session_command = """
cd "$HOME"
cat uploaded.txt > seen-by-desktop.txt
echo 'changed in the desktop' >> uploaded.txt
ls Public/shared > shared-listing.txt
if touch Public/shared/student-was-here 2>/dev/null; then echo yes; else echo no; fi > shared-writable.txt
ln -s / root-link
echo 'made in the desktop' > from-desktop.txt
exec sleep 100000
"""

[[desktop_types]]
slug = "files-desk"
name = "Files desktop"
backend = "local"
open_to_all = true
)";

TEST(FilesDesktop, TheDesktopAndTheApiSeeTheSameFiles) {
  test_app t(desktop_toml);
  auto teacher = t.add_user("tina", "teacher");
  auto student = t.add_user("sam", "student");
  auto put = [&](const signed_in& who, const std::string& space, const std::string& path, const std::string& body) {
    return t.request("PUT", "/api/files/" + space + "/content?path=" + path, &who, body).status;
  };
  ASSERT_EQ(put(teacher, "shared", "Aufgaben.txt", "Seite 12"), 201);
  ASSERT_EQ(put(student, "home", "uploaded.txt", "from the web\n"), 201);

  std::string id = t.start_desktop(student, "files-desk");
  t.wait_for_state(student, id, "running");
  // The session command runs once the desktop answers: wait for its last file.
  bool finished = false;
  for (int i = 0; i < 1000 && !finished; ++i) {
    auto listing = json_of(t.request("GET", "/api/files/home", &student));
    for (const auto& e : listing["entries"]) finished |= e["name"] == "from-desktop.txt";
    if (!finished) std::this_thread::sleep_for(20ms);
  }
  ASSERT_TRUE(finished) << "the desktop's file never showed in the listing";

  auto get = [&](const std::string& path) {
    return t.request("GET", "/api/files/home/content?path=" + path, &student);
  };
  EXPECT_EQ(get("from-desktop.txt").body, "made in the desktop\n");
  EXPECT_EQ(get("seen-by-desktop.txt").body, "from the web\n");
  // Uploaded files belong to the desktop's account too: the desktop could change it.
  EXPECT_EQ(get("uploaded.txt").body, "from the web\nchanged in the desktop\n");
  // The shared space is mounted at ~/Public/shared, read-only for a student.
  EXPECT_EQ(get("shared-listing.txt").body, "Aufgaben.txt\n");
  EXPECT_EQ(get("shared-writable.txt").body, "no\n");
  EXPECT_FALSE(fs::exists(t.data_dir() / "shared" / "student-was-here"));
  // A link made inside the desktop is listed, but never followed.
  EXPECT_EQ(t.request("GET", "/api/files/home?path=root-link", &student).status, 403);
  EXPECT_EQ(t.request("GET", "/api/files/home/content?path=root-link/etc/passwd", &student).status, 403);
  // And what the desktop made can be changed and deleted through the API.
  EXPECT_EQ(t.request("PUT", "/api/files/home/content?path=from-desktop.txt&overwrite=1", &student, "web").status, 201);
  EXPECT_EQ(t.request("DELETE", "/api/files/home?path=seen-by-desktop.txt", &student).status, 204);

  t.request("DELETE", "/api/desktops/" + id, &student);
}

}  // namespace
}  // namespace deskgate::testing
