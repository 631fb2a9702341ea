// Assignment folders inside a real desktop (local backend, real Xvnc, mount namespace as root): a
// teacher's worksheet folder shows read-only at ~/Public/<title> for the assigned student, a second
// assignment with the same title gets a suffix, and a folder turned into a symbolic link after it was
// saved is left out (the desktop starts without it; the refusal is audited).
#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "store/store.hpp"
#include "support/test_app.hpp"

namespace deskgate::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// The session command looks around ~/Public the way a student would and leaves what it saw in files.
const std::string desktop_toml = R"(
[local]
session_command = """
cd "$HOME"
ls Public > public-listing.txt
cat "Public/Week 3/sheet.txt" > seen-sheet.txt
if touch "Public/Week 3/student-was-here" 2>/dev/null; then echo yes; else echo no; fi > sheet-writable.txt
cat "Public/Week 3 (2)/other.txt" > seen-second.txt
echo done > finished.txt
exec sleep 100000
"""

[[desktop_types]]
slug = "lab"
name = "Lab desktop"
backend = "local"
)";

TEST(AssignmentDesktop, TheStudentFindsTheWorksheetReadOnlyInsideTheDesktop) {
  test_app t(desktop_toml);
  auto admin = t.login_admin();
  auto tina = t.add_user("tina", "teacher");
  auto sam = t.add_user("sam", "student");
  auto group = t.add_group("5a", {"tina", "sam"});
  auto put = [&](const signed_in& who, const std::string& space, const std::string& path, const std::string& body) {
    return t.request("PUT", "/api/files/" + space + "/content?path=" + path, &who, body).status;
  };
  auto mkdir = [&](const std::string& path) {
    return t.post_json("/api/files/home/mkdir", {{"path", path}}, &tina).status;
  };
  ASSERT_EQ(mkdir("Worksheets"), 201);
  ASSERT_EQ(mkdir("Worksheets/Week 3"), 201);
  ASSERT_EQ(mkdir("Other"), 201);
  ASSERT_EQ(mkdir("Later"), 201);
  ASSERT_EQ(put(tina, "home", "Worksheets/Week%203/sheet.txt", "Aufgabe 1: Käfer zählen\n"), 201);
  ASSERT_EQ(put(tina, "home", "Other/other.txt", "second folder\n"), 201);

  auto assign = [&](const std::string& title, const std::string& folder) {
    auto a = t.post_json("/api/assignments",
                         {{"title", title}, {"desktop_type", "lab"}, {"groups", {group}}, {"folder", folder}}, &tina);
    EXPECT_EQ(a.status, 201) << a.body;
    return json_of(a)["id"].get<std::int64_t>();
  };
  auto week3 = assign("Week 3", "Worksheets/Week 3");
  assign("Week 3", "Other");
  auto swapped = assign("Swapped", "Later");

  // The assignment's file space: read-only for the student, writable for its teacher and admins.
  auto space = "assignment-" + std::to_string(week3);
  auto listing = json_of(t.request("GET", "/api/files/" + space + "?path=", &sam));
  EXPECT_EQ(listing["writable"], false);
  ASSERT_EQ(listing["entries"].size(), 1u);
  EXPECT_EQ(listing["entries"][0]["name"], "sheet.txt");
  EXPECT_EQ(put(sam, space, "answer.txt", "mine"), 403);
  EXPECT_EQ(put(tina, space, "hint.txt", "Tipp"), 201);
  EXPECT_EQ(put(admin, space, "note.txt", "admin"), 201);

  // After saving, the folder becomes a link to the host's root.
  auto tina_home = t.data_dir() / "homes" / std::to_string(t.app().db().find_user_by_username("tina")->id);
  fs::remove(tina_home / "Later");
  fs::create_directory_symlink("/", tina_home / "Later");

  auto id = t.start_desktop(sam, "lab");
  ASSERT_EQ(t.wait_for_state(sam, id, "running")["state"], "running") << "starts without the refused folder";
  auto get = [&](const std::string& path) { return t.request("GET", "/api/files/home/content?path=" + path, &sam); };
  bool finished = false;
  for (int i = 0; i < 1000 && !finished; ++i) {
    finished = get("finished.txt").status == 200;
    if (!finished) std::this_thread::sleep_for(20ms);
  }
  ASSERT_TRUE(finished) << "the session command never finished";

  EXPECT_EQ(get("public-listing.txt").body, "Week 3\nWeek 3 (2)\nshared\n") << "no folder for the swapped link";
  EXPECT_EQ(get("seen-sheet.txt").body, "Aufgabe 1: Käfer zählen\n");
  EXPECT_EQ(get("sheet-writable.txt").body, "no\n");
  EXPECT_FALSE(fs::exists(tina_home / "Worksheets" / "Week 3" / "student-was-here"));
  EXPECT_EQ(get("seen-second.txt").body, "second folder\n");

  bool audited = false;
  auto audit = json_of(t.request("GET", "/api/admin/audit", &admin));
  for (const auto& e : audit["entries"]) {
    audited |= e["action"] == "assignment.mount_refused" && e["target"] == "assignment:" + std::to_string(swapped) &&
               e["success"] == false;
  }
  EXPECT_TRUE(audited);
  t.request("DELETE", "/api/desktops/" + id, &sam);
}

}  // namespace
}  // namespace deskgate::testing
