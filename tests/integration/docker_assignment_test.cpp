// Assignment folders in docker desktops (a private dockerd, the test image): a teacher's worksheet folder,
// assigned to a group, shows read-only at ~/Public/<title> inside a student's container, whose home takes
// what the student writes and shows it in the file API. A restarted desktop gets the folders of that start:
// one assigned meanwhile appears, one swapped for a link to the host's root is left out.
#include <gtest/gtest.h>

#include <filesystem>

#include "store/store.hpp"
#include "support/docker_suite.hpp"
#include "support/test_app.hpp"

namespace deskgate::testing {
namespace {

namespace fs = std::filesystem;

class docker_assignments : public docker_suite {};

TEST_F(docker_assignments, TheStudentReadsTheWorksheetInTheContainerAndSavesToTheirHome) {
  test_app t(docker_config("docker-lab", 27300));
  auto tina = t.add_user("tina", "teacher");
  auto sam = t.add_user("sam", "student");
  auto group = t.add_group("5a", {"tina", "sam"});
  auto upload_sheet = [&](const std::string& folder, const std::string& text) {
    ASSERT_EQ(t.post_json("/api/files/home/mkdir", {{"path", folder}}, &tina).status, 201);
    ASSERT_EQ(t.request("PUT", "/api/files/home/content?path=" + folder + "/sheet.txt", &tina, text).status, 201);
  };
  auto assign = [&](const std::string& title, const std::string& folder) {
    auto a =
        t.post_json("/api/assignments",
                    {{"title", title}, {"desktop_type", "docker-lab"}, {"groups", {group}}, {"folder", folder}}, &tina);
    EXPECT_EQ(a.status, 201) << a.body;
  };
  upload_sheet("week3", "Aufgabe 1: Käfer zählen\n");
  assign("Week 3", "week3");

  auto id = t.start_desktop(sam, "docker-lab");
  ASSERT_EQ(t.wait_for_state(sam, id, "running")["state"], "running");
  std::string container = t.app().db().find_desktop_by_public_id(id)->container_id;
  auto in_desktop = [&](const std::string& script) { return engine_->exec(container, {"/bin/sh", "-c", script}); };

  auto seen = in_desktop("busybox cat '/home/desktop/Public/Week 3/sheet.txt'");
  EXPECT_EQ(seen.status, 0) << seen.output;
  EXPECT_EQ(seen.output, "Aufgabe 1: Käfer zählen\n");
  auto scribbled = in_desktop("echo mine > '/home/desktop/Public/Week 3/answer.txt'");
  EXPECT_NE(scribbled.status, 0) << "the worksheet folder is writable in the container";
  EXPECT_NE(scribbled.output.find("Read-only"), std::string::npos) << scribbled.output;
  auto tina_home = t.data_dir() / "homes" / std::to_string(t.app().db().find_user_by_username("tina")->id);
  EXPECT_FALSE(fs::exists(tina_home / "week3" / "answer.txt"));

  auto saved = in_desktop("echo 'my answer' > /home/desktop/answer.txt");
  ASSERT_EQ(saved.status, 0) << saved.output;
  auto listing = json_of(t.request("GET", "/api/files/home?path=", &sam));
  bool listed = false;
  for (const auto& e : listing["entries"]) listed |= e["name"] == "answer.txt";
  EXPECT_TRUE(listed) << "what the student wrote in the desktop is not in their file listing: " << listing.dump();
  EXPECT_EQ(t.request("GET", "/api/files/home/content?path=answer.txt", &sam).body, "my answer\n");

  // While the desktop is stopped, a second worksheet is assigned and the first folder becomes a link to
  // the host's root: the engine would bind that again at a plain restart.
  ASSERT_EQ(t.request("POST", "/api/desktops/" + id + "/stop", &sam).status, 202);
  ASSERT_EQ(t.wait_for_state(sam, id, "stopped")["state"], "stopped");
  upload_sheet("week4", "Aufgabe 2\n");
  assign("Week 4", "week4");
  fs::rename(tina_home / "week3", tina_home / "week3-before");
  fs::create_directory_symlink("/", tina_home / "week3");

  EXPECT_EQ(t.start_desktop(sam, "docker-lab"), id);
  ASSERT_EQ(t.wait_for_state(sam, id, "running")["state"], "running");
  std::string first = container;
  container = t.app().db().find_desktop_by_public_id(id)->container_id;
  EXPECT_NE(container, first) << "the container with the old folders was restarted";
  EXPECT_EQ(in_desktop("busybox cat '/home/desktop/Public/Week 4/sheet.txt'").output, "Aufgabe 2\n");
  EXPECT_NE(in_desktop("busybox test -e '/home/desktop/Public/Week 3/etc/passwd'").status, 0)
      << "the host's root is inside the desktop";
  EXPECT_EQ(in_desktop("busybox cat /home/desktop/answer.txt").output, "my answer\n") << "the home stays";
  t.request("DELETE", "/api/desktops/" + id, &sam);
}

}  // namespace
}  // namespace deskgate::testing
