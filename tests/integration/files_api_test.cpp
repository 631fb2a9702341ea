// The file API against real files in a real deskgate: spaces and who may write them, every path rule
// (traversal, encoded traversal, NUL, links created on disk the way a desktop would), streamed uploads
// (limits, quota, cut connections, races), downloads with ranges and UTF-8 names, zips, and the rest.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <set>
#include <sstream>
#include <thread>

#include "store/store.hpp"
#include "support/process.hpp"
#include "support/test_app.hpp"

namespace deskgate::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string url_encode(std::string_view text) {
  std::string out;
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || ch == '-' || ch == '_' || ch == '.' || ch == '~' || ch == '/') {
      out += ch;
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

// Names in a folder that are upload leftovers (hidden temporary files).
int temp_files_in(const fs::path& dir) {
  int n = 0;
  std::error_code ec;
  for (const auto& e : fs::recursive_directory_iterator(dir, ec)) {
    if (e.path().filename().string().starts_with(".deskgate-upload-")) ++n;
  }
  return n;
}

// Polls until `done` holds (the server finishes cleaning up on its own threads); false after 10 s.
bool eventually(const std::function<bool()>& done) {
  for (int i = 0; i < 1000; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return done();
}

class files_api : public ::testing::Test {
 protected:
  explicit files_api(const std::string& toml = "") : t(toml) {
    admin = t.login_admin();
    teacher = t.add_user("tina", "teacher");
    student = t.add_user("sam", "student");
    other = t.add_user("olga", "student");
  }

  std::int64_t id_of(const std::string& username) { return t.app().db().find_user_by_username(username)->id; }
  fs::path home_of(const std::string& username) { return t.data_dir() / "homes" / std::to_string(id_of(username)); }
  fs::path shared() { return t.data_dir() / "shared"; }

  http_answer put(const signed_in& who, const std::string& space, const std::string& path, const std::string& body,
                  bool overwrite = false) {
    return t.request("PUT",
                     "/api/files/" + space + "/content?path=" + url_encode(path) + (overwrite ? "&overwrite=1" : ""),
                     &who, body, {{"Content-Type", "application/octet-stream"}});
  }
  http_answer list(const signed_in& who, const std::string& space, const std::string& path = "") {
    return t.request("GET", "/api/files/" + space + "?path=" + url_encode(path), &who);
  }
  http_answer get(const signed_in& who, const std::string& space, const std::string& path,
                  std::vector<std::pair<std::string, std::string>> headers = {}) {
    return t.request("GET", "/api/files/" + space + "/content?path=" + url_encode(path), &who, "", std::move(headers));
  }
  http_answer remove(const signed_in& who, const std::string& space, const std::string& path) {
    return t.request("DELETE", "/api/files/" + space + "?path=" + url_encode(path), &who);
  }
  http_answer mkdir(const signed_in& who, const std::string& space, const std::string& path) {
    return t.post_json("/api/files/" + space + "/mkdir", {{"path", path}}, &who);
  }
  // POST /move; `to_space` empty: within `space`.
  http_answer move(const signed_in& who, const std::string& space, const std::string& from, const std::string& to,
                   const std::string& to_space = "") {
    nlohmann::json body = {{"from", from}, {"to", to}};
    if (!to_space.empty()) body["to_space"] = to_space;
    return t.post_json("/api/files/" + space + "/move", body, &who);
  }
  std::vector<std::string> names_in(const http_answer& listing) {
    std::vector<std::string> names;
    auto body = json_of(listing);
    for (const auto& e : body["entries"]) names.push_back(e["name"]);
    return names;
  }
  // An assignment of a desktop type to `student`, with `folder` in the teacher's home.
  std::int64_t assign_folder(const std::string& folder) {
    desktop_type type;
    type.slug = "lab";
    type.name = "Lab";
    type.backend = "static";
    assignment a;
    a.desktop_type_id = t.app().db().create_desktop_type(type).id;
    a.title = "Lab work";
    a.user_ids = {id_of("sam")};
    a.folder = folder;
    a.created_by = id_of("tina");
    return t.app().db().create_assignment(a).id;
  }

  test_app t;
  signed_in admin, teacher, student, other;
};

TEST_F(files_api, UploadListDownloadRoundTripKeepsUmlautAndEmojiNames) {
  const std::string name = "Übung 🎉 – Lösung.txt";
  const std::string content = "Grüße aus der Schule\n";
  auto up = put(student, "home", name, content);
  ASSERT_EQ(up.status, 201) << up.body;
  EXPECT_EQ(json_of(up)["entry"]["name"], name);
  EXPECT_EQ(read_whole_file(home_of("sam") / name), content);

  auto listing = list(student, "home");
  ASSERT_EQ(listing.status, 200) << listing.body;
  auto entries = json_of(listing)["entries"];
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0]["name"], name);
  EXPECT_EQ(entries[0]["type"], "file");
  EXPECT_EQ(entries[0]["size"], content.size());
  EXPECT_EQ(entries[0]["mime"], "text/plain; charset=utf-8");
  EXPECT_GT(entries[0]["modified"].get<std::int64_t>(), 0);

  auto down = get(student, "home", name);
  ASSERT_EQ(down.status, 200);
  EXPECT_EQ(down.body, content);
  EXPECT_EQ(down.header("Content-Disposition"),
            "attachment; filename=\"_bung _ _ L_sung.txt\"; "
            "filename*=UTF-8''%C3%9Cbung%20%F0%9F%8E%89%20%E2%80%93%20L%C3%B6sung.txt");
  EXPECT_FALSE(down.header("ETag").empty());
  EXPECT_FALSE(down.header("Last-Modified").empty());
  EXPECT_EQ(down.header("Accept-Ranges"), "bytes");
}

TEST_F(files_api, EveryonesHomeIsTheirOwn) {
  ASSERT_EQ(put(student, "home", "mine.txt", "sam's").status, 201);
  EXPECT_TRUE(names_in(list(other, "home")).empty());
  EXPECT_EQ(get(other, "home", "mine.txt").status, 404);
  EXPECT_EQ(t.request("GET", "/api/files/home").status, 401);
  EXPECT_EQ(list(student, "nowhere").status, 404);
  EXPECT_EQ(list(student, "assignment-999").status, 404);
  EXPECT_EQ(list(student, "assignment-x").status, 404);
}

TEST_F(files_api, TraversalAbsolutePathsAndNulAreRefused) {
  ASSERT_EQ(put(student, "home", "ok.txt", "x").status, 201);
  for (std::string query : {"..", "../", "..%2F..%2Fdeskgate.db", "%2e%2e", "%2E%2E%2Fshared", "a/../..", "/etc",
                            "%2Fetc%2Fpasswd", "ok.txt%00.png", "a%00", "%zz", "./ok.txt", "a//b"}) {
    SCOPED_TRACE(query);
    EXPECT_EQ(t.request("GET", "/api/files/home?path=" + query, &student).status, 400);
    EXPECT_EQ(t.request("GET", "/api/files/home/content?path=" + query, &student).status, 400);
    EXPECT_EQ(t.request("DELETE", "/api/files/home?path=" + query, &student).status, 400);
    auto up = t.request("PUT", "/api/files/home/content?path=" + query + "/evil.txt", &student, "evil");
    EXPECT_EQ(up.status, 400) << up.body;
  }
  // Nothing was written anywhere outside the home, and the home only holds what was put there.
  EXPECT_FALSE(fs::exists(t.data_dir() / "evil.txt"));
  EXPECT_FALSE(fs::exists(t.data_dir() / "homes" / "evil.txt"));
  EXPECT_EQ(names_in(list(student, "home")), std::vector<std::string>{"ok.txt"});
  EXPECT_EQ(t.post_json("/api/files/home/mkdir", {{"path", "../escape"}}, &student).status, 400);
  EXPECT_EQ(t.post_json("/api/files/home/move", {{"from", "ok.txt"}, {"to", "../../ok.txt"}}, &student).status, 400);
  EXPECT_TRUE(fs::exists(home_of("sam") / "ok.txt"));
}

TEST_F(files_api, BadNamesAreRefusedWithAReason) {
  for (std::string name : {std::string("tab\there"), std::string("line\nbreak"), std::string(256, 'n')}) {
    auto a = put(student, "home", name, "x");
    EXPECT_EQ(a.status, 400) << name;
    EXPECT_FALSE(json_of(a)["error"]["message"].get<std::string>().empty());
  }
  EXPECT_EQ(t.request("PUT", "/api/files/home/content?path=latin1%E4.txt", &student, "x").status, 400);
  EXPECT_EQ(t.request("PUT", "/api/files/home/content", &student, "x").status, 400);  // no path
  EXPECT_EQ(put(student, "home", "", "x").status, 400);
}

// Links as a desktop would create them inside the home: at the last level and in the middle of a path.
TEST_F(files_api, SymlinksAreRefusedAtEveryLevelAndNeverFollowed) {
  ASSERT_EQ(mkdir(student, "home", "real").status, 201);
  fs::path home = home_of("sam");
  std::ofstream(t.data_dir() / "secret.txt") << "not yours";
  fs::create_symlink(t.data_dir() / "secret.txt", home / "escape.txt");
  fs::create_directory_symlink(t.data_dir(), home / "data-link");
  fs::create_directory_symlink(t.data_dir(), home / "real" / "inner-link");

  auto entries = json_of(list(student, "home"))["entries"];
  bool saw_link = false;
  for (const auto& e : entries) {
    if (e["name"] == "escape.txt") {
      EXPECT_EQ(e["type"], "link");
      saw_link = true;
    }
  }
  EXPECT_TRUE(saw_link);

  EXPECT_EQ(get(student, "home", "escape.txt").status, 403);
  EXPECT_EQ(get(student, "home", "data-link/secret.txt").status, 403);
  EXPECT_EQ(get(student, "home", "real/inner-link/secret.txt").status, 403);
  EXPECT_EQ(list(student, "home", "data-link").status, 403);
  EXPECT_EQ(list(student, "home", "real/inner-link").status, 403);
  EXPECT_EQ(put(student, "home", "data-link/planted.txt", "x").status, 403);
  EXPECT_EQ(put(student, "home", "real/inner-link/planted.txt", "x").status, 403);
  EXPECT_EQ(put(student, "home", "escape.txt", "overwritten", true).status, 201);  // replaces the link itself
  EXPECT_EQ(read_whole_file(t.data_dir() / "secret.txt"), "not yours");
  EXPECT_EQ(mkdir(student, "home", "data-link/new").status, 403);
  EXPECT_EQ(t.request("GET", "/api/files/home/zip?path=data-link", &student).status, 403);
  EXPECT_FALSE(fs::exists(t.data_dir() / "planted.txt"));

  // Deleting a folder with a link inside removes the link, not what it points to.
  EXPECT_EQ(remove(student, "home", "real").status, 204);
  EXPECT_EQ(remove(student, "home", "data-link").status, 204);
  EXPECT_TRUE(fs::exists(t.data_dir() / "secret.txt"));
  EXPECT_TRUE(fs::exists(t.data_dir() / "deskgate.db"));
}

TEST_F(files_api, OverwriteOnlyWhenAsked) {
  ASSERT_EQ(put(student, "home", "a.txt", "first").status, 201);
  auto again = put(student, "home", "a.txt", "second");
  EXPECT_EQ(again.status, 409);
  EXPECT_NE(json_of(again)["error"]["message"].get<std::string>().find("overwrite=1"), std::string::npos);
  EXPECT_EQ(read_whole_file(home_of("sam") / "a.txt"), "first");
  EXPECT_EQ(put(student, "home", "a.txt", "second", true).status, 201);
  EXPECT_EQ(read_whole_file(home_of("sam") / "a.txt"), "second");
  ASSERT_EQ(mkdir(student, "home", "folder").status, 201);
  EXPECT_EQ(put(student, "home", "folder", "x", true).status, 409);
  EXPECT_EQ(temp_files_in(home_of("sam")), 0);
}

TEST_F(files_api, MkdirMoveAndRecursiveDelete) {
  ASSERT_EQ(mkdir(student, "home", "a").status, 201);
  ASSERT_EQ(mkdir(student, "home", "a/b").status, 201);
  EXPECT_EQ(mkdir(student, "home", "a/b").status, 409);
  EXPECT_EQ(mkdir(student, "home", "missing/b").status, 404);
  ASSERT_EQ(put(student, "home", "a/b/c.txt", "deep").status, 201);
  ASSERT_EQ(put(student, "home", "top.txt", "top").status, 201);

  auto move = [&](const std::string& from, const std::string& to) {
    return t.post_json("/api/files/home/move", {{"from", from}, {"to", to}}, &student).status;
  };
  EXPECT_EQ(move("top.txt", "a/renamed.txt"), 204);
  EXPECT_EQ(read_whole_file(home_of("sam") / "a" / "renamed.txt"), "top");
  EXPECT_EQ(move("a/renamed.txt", "a/b/c.txt"), 409);  // never replaces
  EXPECT_EQ(move("nothing.txt", "x.txt"), 404);
  EXPECT_EQ(move("a", "a/b/a"), 400);  // into itself
  EXPECT_EQ(move("a/b", "Ärger"), 204);
  EXPECT_EQ(read_whole_file(home_of("sam") / "Ärger" / "c.txt"), "deep");

  EXPECT_EQ(remove(student, "home", "Ärger").status, 204);
  EXPECT_FALSE(fs::exists(home_of("sam") / "Ärger"));
  EXPECT_EQ(remove(student, "home", "Ärger").status, 404);
  EXPECT_EQ(t.request("DELETE", "/api/files/home?path=", &student).status, 400);  // not the space itself
  EXPECT_TRUE(fs::exists(home_of("sam")));

  // Uploads and deletes are in the audit log.
  bool upload_audited = false, delete_audited = false;
  for (const auto& e : t.app().db().list_audit(100)) {
    upload_audited |= e.action == "file.upload" && e.target == "files:home:a/b/c.txt";
    delete_audited |= e.action == "file.delete" && e.target == "files:home:Ärger";
  }
  EXPECT_TRUE(upload_audited);
  EXPECT_TRUE(delete_audited);
}

TEST_F(files_api, SharedIsReadableByAllAndWritableByTeachers) {
  auto refused = put(student, "shared", "graffiti.txt", "x");
  EXPECT_EQ(refused.status, 403);
  EXPECT_FALSE(fs::exists(shared() / "graffiti.txt"));
  ASSERT_EQ(put(teacher, "shared", "Aufgaben.txt", "Seite 12").status, 201);
  EXPECT_EQ(names_in(list(student, "shared")), std::vector<std::string>{"Aufgaben.txt"});
  EXPECT_FALSE(json_of(list(student, "shared"))["writable"].get<bool>());
  EXPECT_TRUE(json_of(list(teacher, "shared"))["writable"].get<bool>());
  EXPECT_EQ(get(student, "shared", "Aufgaben.txt").body, "Seite 12");
  EXPECT_EQ(remove(student, "shared", "Aufgaben.txt").status, 403);
  EXPECT_EQ(mkdir(student, "shared", "mine").status, 403);
  EXPECT_EQ(t.post_json("/api/files/shared/move", {{"from", "Aufgaben.txt"}, {"to", "x.txt"}}, &student).status, 403);
  EXPECT_TRUE(fs::exists(shared() / "Aufgaben.txt"));
  EXPECT_EQ(put(admin, "shared", "admin.txt", "a").status, 201);
}

class files_api_shared_for_all : public files_api {
 protected:
  files_api_shared_for_all() : files_api("[files]\nshared_writable_by = \"student\"\n") {}
};

TEST_F(files_api_shared_for_all, SharedWritersAreConfigurable) {
  EXPECT_EQ(put(student, "shared", "from-sam.txt", "x").status, 201);
}

TEST_F(files_api, AssignmentFoldersAreReadOnlyForStudentsAndHiddenFromOthers) {
  ASSERT_EQ(mkdir(teacher, "home", "Arbeitsblätter").status, 201);
  ASSERT_EQ(put(teacher, "home", "Arbeitsblätter/Blatt 1.txt", "Aufgabe 1").status, 201);
  auto id = assign_folder("Arbeitsblätter");
  std::string space = "assignment-" + std::to_string(id);

  auto listing = list(student, space);
  ASSERT_EQ(listing.status, 200) << listing.body;
  EXPECT_EQ(names_in(listing), std::vector<std::string>{"Blatt 1.txt"});
  EXPECT_FALSE(json_of(listing)["writable"].get<bool>());
  EXPECT_EQ(get(student, space, "Blatt 1.txt").body, "Aufgabe 1");
  EXPECT_EQ(put(student, space, "answer.txt", "42").status, 403);
  EXPECT_EQ(put(student, space, "Blatt 1.txt", "42", true).status, 403);
  EXPECT_EQ(remove(student, space, "Blatt 1.txt").status, 403);
  EXPECT_EQ(mkdir(student, space, "x").status, 403);
  EXPECT_EQ(read_whole_file(home_of("tina") / "Arbeitsblätter" / "Blatt 1.txt"), "Aufgabe 1");

  EXPECT_EQ(list(other, space).status, 404);  // not assigned: the space does not exist for her
  EXPECT_EQ(put(teacher, space, "Blatt 2.txt", "Aufgabe 2").status, 201);
  EXPECT_TRUE(fs::exists(home_of("tina") / "Arbeitsblätter" / "Blatt 2.txt"));
  EXPECT_EQ(list(admin, space).status, 200);

  // The folder swapped for a link (say, from the teacher's desktop) is refused, not followed.
  fs::rename(home_of("tina") / "Arbeitsblätter", home_of("tina") / "moved");
  fs::create_directory_symlink(t.data_dir(), home_of("tina") / "Arbeitsblätter");
  EXPECT_EQ(list(student, space).status, 403);
  EXPECT_EQ(get(student, space, "deskgate.db").status, 403);
}

TEST_F(files_api, MovesAcrossSpacesGoWhereTheCallerMayWriteAndNowhereElse) {
  // A teacher moves a worksheet from her home into shared, and a folder tree back.
  ASSERT_EQ(put(teacher, "home", "Blatt 1.txt", "Aufgabe 1").status, 201);
  auto moved = move(teacher, "home", "Blatt 1.txt", "Blatt 1.txt", "shared");
  ASSERT_EQ(moved.status, 204) << moved.body;
  EXPECT_EQ(read_whole_file(shared() / "Blatt 1.txt"), "Aufgabe 1");
  EXPECT_FALSE(fs::exists(home_of("tina") / "Blatt 1.txt"));
  ASSERT_EQ(mkdir(teacher, "shared", "Mappe").status, 201);
  ASSERT_EQ(put(teacher, "shared", "Mappe/Lösung.txt", "42").status, 201);
  ASSERT_EQ(mkdir(teacher, "home", "Archiv").status, 201);
  EXPECT_EQ(move(teacher, "shared", "Mappe", "Archiv/Mappe", "home").status, 204);
  EXPECT_EQ(read_whole_file(home_of("tina") / "Archiv" / "Mappe" / "Lösung.txt"), "42");
  EXPECT_FALSE(fs::exists(shared() / "Mappe"));
  // The name of the space itself as to_space is a move within it.
  EXPECT_EQ(move(teacher, "home", "Archiv", "Archiv 2024", "home").status, 204);

  // Never replaces, never leaves the target's root, never follows a link on the target side.
  ASSERT_EQ(put(teacher, "home", "Blatt 1.txt", "neu").status, 201);
  EXPECT_EQ(move(teacher, "home", "Blatt 1.txt", "Blatt 1.txt", "shared").status, 409);
  EXPECT_EQ(read_whole_file(shared() / "Blatt 1.txt"), "Aufgabe 1");
  EXPECT_EQ(move(teacher, "home", "Blatt 1.txt", "../Blatt 1.txt", "shared").status, 400);
  fs::create_directory_symlink(home_of("sam"), shared() / "zu-sam");
  EXPECT_EQ(move(teacher, "home", "Blatt 1.txt", "zu-sam/Blatt 1.txt", "shared").status, 403);
  EXPECT_FALSE(fs::exists(home_of("sam") / "Blatt 1.txt"));
  EXPECT_EQ(move(teacher, "home", "Blatt 1.txt", "x.txt", "nowhere").status, 404);
  EXPECT_EQ(move(teacher, "home", "Blatt 1.txt", "x.txt", "assignment-999").status, 404);
  EXPECT_EQ(read_whole_file(home_of("tina") / "Blatt 1.txt"), "neu");

  // A student may write neither shared nor another's space, and cannot take from shared either.
  ASSERT_EQ(put(student, "home", "mine.txt", "m").status, 201);
  EXPECT_EQ(move(student, "home", "mine.txt", "mine.txt", "shared").status, 403);
  EXPECT_EQ(move(student, "shared", "Blatt 1.txt", "Blatt 1.txt", "home").status, 403);
  EXPECT_TRUE(fs::exists(home_of("sam") / "mine.txt"));
  EXPECT_TRUE(fs::exists(shared() / "Blatt 1.txt"));

  // The owner of an assignment folder moves into it; the assigned student may not.
  ASSERT_EQ(mkdir(teacher, "home", "Arbeitsblätter").status, 201);
  std::string space = "assignment-" + std::to_string(assign_folder("Arbeitsblätter"));
  EXPECT_EQ(move(teacher, "home", "Blatt 1.txt", "Blatt 1.txt", space).status, 204);
  EXPECT_EQ(read_whole_file(home_of("tina") / "Arbeitsblätter" / "Blatt 1.txt"), "neu");
  EXPECT_EQ(move(student, "home", "mine.txt", "mine.txt", space).status, 403);
  EXPECT_EQ(move(student, space, "Blatt 1.txt", "Blatt 1.txt", "home").status, 403);
  EXPECT_EQ(move(other, "home", "mine.txt", "mine.txt", space).status, 404);  // not assigned: no such space

  bool audited = false;
  for (const auto& e : t.app().db().list_audit(100)) {
    audited |=
        e.action == "file.move" && e.target == "files:home:Blatt 1.txt" && e.detail.find(space) != std::string::npos;
  }
  EXPECT_TRUE(audited);
}

// As root (as these tests run), what the API creates in a home belongs to uid and gid local.uid_base + the
// user's id, the account that user's local desktops run as, and no other desktop account may look inside;
// in shared, to root with the group uid_base that the writers' desktops join, writable for that group. A
// move between spaces hands what moved to the new space's owner.
TEST_F(files_api, FilesBelongToTheAccountOfTheirSpacesDesktops) {
  ASSERT_EQ(::geteuid(), 0u) << "these tests run as root";
  const uid_t base = 200000;  // local.uid_base's default
  const uid_t sam = base + static_cast<uid_t>(id_of("sam"));
  const uid_t tina = base + static_cast<uid_t>(id_of("tina"));
  auto stat_of = [](const fs::path& p) {
    struct stat st {};
    EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
    return st;
  };
  auto expect_owner = [&](const fs::path& p, uid_t uid, gid_t gid, mode_t mode) {
    auto st = stat_of(p);
    EXPECT_EQ(st.st_uid, uid) << p;
    EXPECT_EQ(st.st_gid, gid) << p;
    EXPECT_EQ(st.st_mode & 07777, mode) << p;
  };

  ASSERT_EQ(put(student, "home", "a.txt", "x").status, 201);
  ASSERT_EQ(mkdir(student, "home", "Ordner").status, 201);
  expect_owner(home_of("sam"), sam, sam, 0700);
  expect_owner(home_of("sam") / "a.txt", sam, sam, 0644);
  expect_owner(home_of("sam") / "Ordner", sam, sam, 0755);

  ASSERT_EQ(put(teacher, "shared", "Blatt.txt", "1").status, 201);
  ASSERT_EQ(mkdir(teacher, "shared", "Mappe").status, 201);
  ASSERT_EQ(put(teacher, "shared", "Mappe/Lösung.txt", "42").status, 201);
  expect_owner(shared(), 0, base, 02775);
  expect_owner(shared() / "Blatt.txt", 0, base, 0664);
  expect_owner(shared() / "Mappe", 0, base, 02775);

  ASSERT_EQ(put(teacher, "home", "Entwurf.txt", "2").status, 201);
  expect_owner(home_of("tina") / "Entwurf.txt", tina, tina, 0644);
  ASSERT_EQ(move(teacher, "home", "Entwurf.txt", "Entwurf.txt", "shared").status, 204);
  expect_owner(shared() / "Entwurf.txt", 0, base, 0664);
  ASSERT_EQ(move(teacher, "shared", "Mappe", "Mappe", "home").status, 204);
  expect_owner(home_of("tina") / "Mappe", tina, tina, 02775);
  expect_owner(home_of("tina") / "Mappe" / "Lösung.txt", tina, tina, 0664);
}

TEST_F(files_api, RangeAndConditionalDownloads) {
  std::string content;
  for (int i = 0; i < 1000; ++i) content += static_cast<char>('a' + i % 26);
  ASSERT_EQ(put(student, "home", "data.bin", content).status, 201);

  auto part = get(student, "home", "data.bin", {{"Range", "bytes=10-19"}});
  EXPECT_EQ(part.status, 206);
  EXPECT_EQ(part.body, content.substr(10, 10));
  EXPECT_EQ(part.header("Content-Range"), "bytes 10-19/1000");
  EXPECT_EQ(part.header("Content-Length"), "10");

  auto tail = get(student, "home", "data.bin", {{"Range", "bytes=-5"}});
  EXPECT_EQ(tail.status, 206);
  EXPECT_EQ(tail.body, content.substr(995));
  auto open_end = get(student, "home", "data.bin", {{"Range", "bytes=990-"}});
  EXPECT_EQ(open_end.body, content.substr(990));
  EXPECT_EQ(open_end.header("Content-Range"), "bytes 990-999/1000");
  auto past = get(student, "home", "data.bin", {{"Range", "bytes=5000-"}});
  EXPECT_EQ(past.status, 416);
  EXPECT_EQ(past.header("Content-Range"), "bytes */1000");
  auto several = get(student, "home", "data.bin", {{"Range", "bytes=0-1,5-6"}});
  EXPECT_EQ(several.status, 200);  // several ranges: the whole file
  EXPECT_EQ(several.body, content);

  std::string etag = part.header("ETag");
  EXPECT_EQ(get(student, "home", "data.bin", {{"If-None-Match", etag}}).status, 304);
  auto stale = get(student, "home", "data.bin", {{"Range", "bytes=0-9"}, {"If-Range", "\"other\""}});
  EXPECT_EQ(stale.status, 200);
  auto head = t.request("HEAD", "/api/files/home/content?path=data.bin", &student);
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.header("Content-Length"), "1000");
}

TEST_F(files_api, PreviewsAreInlineOnlyForTypesThatRunNoScript) {
  ASSERT_EQ(put(student, "home", "Bild.png", "\x89PNG").status, 201);
  ASSERT_EQ(put(student, "home", "Blatt.pdf", "%PDF-1.4").status, 201);
  ASSERT_EQ(put(student, "home", "Seite.html", "<script>alert(1)</script>").status, 201);
  auto inline_get = [&](const std::string& name) {
    return t.request("GET", "/api/files/home/content?path=" + url_encode(name) + "&inline=1", &student);
  };
  auto png = inline_get("Bild.png");
  EXPECT_TRUE(png.header("Content-Disposition").starts_with("inline;")) << png.header("Content-Disposition");
  EXPECT_NE(png.header("Content-Security-Policy").find("sandbox"), std::string::npos);
  EXPECT_EQ(png.header("X-Content-Type-Options"), "nosniff");
  auto pdf = inline_get("Blatt.pdf");
  EXPECT_TRUE(pdf.header("Content-Disposition").starts_with("inline;"));
  EXPECT_EQ(pdf.header("Content-Type"), "application/pdf");
  EXPECT_EQ(pdf.header("Content-Security-Policy"),
            "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'self'");
  // HTML is never shown inline.
  auto html = inline_get("Seite.html");
  EXPECT_TRUE(html.header("Content-Disposition").starts_with("attachment;"));
  EXPECT_NE(html.header("Content-Security-Policy").find("sandbox"), std::string::npos);
}

TEST_F(files_api, FolderDownloadsAsAStreamedZipWithUtf8Names) {
  ASSERT_EQ(mkdir(student, "home", "Projekt").status, 201);
  ASSERT_EQ(mkdir(student, "home", "Projekt/Übungen").status, 201);
  ASSERT_EQ(mkdir(student, "home", "Projekt/leer").status, 201);
  ASSERT_EQ(put(student, "home", "Projekt/Übungen/Größe 🎉.txt", std::string(100000, 'x')).status, 201);
  ASSERT_EQ(put(student, "home", "Projekt/readme.md", "# Hallo").status, 201);
  fs::create_symlink(t.data_dir() / "deskgate.db", home_of("sam") / "Projekt" / "db-link");

  auto zip = t.request("GET", "/api/files/home/zip?path=Projekt", &student);
  ASSERT_EQ(zip.status, 200) << zip.body;
  EXPECT_EQ(zip.header("Content-Type"), "application/zip");
  EXPECT_EQ(zip.header("Transfer-Encoding"), "chunked");
  EXPECT_EQ(zip.header("Content-Disposition"), "attachment; filename=\"Projekt.zip\"; filename*=UTF-8''Projekt.zip");

  temp_dir tmp;
  fs::path file = tmp.path() / "download.zip";
  std::ofstream(file, std::ios::binary) << zip.body;
  auto names = run_command({.args = {"/usr/bin/unzip", "-Z1", file.string()}});
  ASSERT_EQ(names.status, 0) << names.err;
  std::istringstream lines(names.out);
  std::set<std::string> listed;
  for (std::string line; std::getline(lines, line);) listed.insert(line);
  EXPECT_EQ(listed, (std::set<std::string>{"Projekt/Übungen/", "Projekt/Übungen/Größe 🎉.txt", "Projekt/leer/",
                                           "Projekt/readme.md"}));
  auto test = run_command({.args = {"/usr/bin/unzip", "-t", file.string()}});
  EXPECT_EQ(test.status, 0) << test.out << test.err;
  auto content = run_command({.args = {"/usr/bin/unzip", "-p", file.string(), "Projekt/readme.md"}});
  EXPECT_EQ(content.out, "# Hallo");

  auto whole = t.request("GET", "/api/files/home/zip", &student);
  EXPECT_EQ(whole.status, 200);
  EXPECT_NE(whole.header("Content-Disposition").find("home.zip"), std::string::npos);
  EXPECT_EQ(t.request("GET", "/api/files/home/zip?path=Projekt/readme.md", &student).status, 400);
}

TEST_F(files_api, PublicSharedInTheHomeIsReservedForTheDesktopMount) {
  ASSERT_EQ(mkdir(student, "home", "Public").status, 201);
  EXPECT_EQ(mkdir(student, "home", "Public/shared").status, 403);
  EXPECT_EQ(put(student, "home", "Public/shared/x.txt", "x").status, 403);
  EXPECT_EQ(list(student, "home", "Public/shared").status, 403);
  fs::create_directories(home_of("sam") / "Public" / "shared");
  EXPECT_TRUE(names_in(list(student, "home", "Public")).empty());
  EXPECT_EQ(put(student, "home", "Public/other.txt", "fine").status, 201);
}

// ---- streaming, limits and broken uploads ----

class files_api_limits : public files_api {
 protected:
  explicit files_api_limits(const std::string& toml = "[files]\nmax_file_size = \"64k\"\nquota = \"100k\"\n")
      : files_api(toml) {}

  std::string upload_head(const std::string& path, const std::string& extra_headers) {
    return "PUT /api/files/home/content?path=" + url_encode(path) +
           " HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: " + student.cookie + "\r\nX-CSRF-Token: " + student.csrf + "\r\n" +
           extra_headers + "\r\n";
  }
};

TEST_F(files_api_limits, TooLargeFilesGet413BeforeTheBodyAndLeaveNothing) {
  auto a = put(student, "home", "big.bin", std::string(65 * 1024, 'b'));
  EXPECT_EQ(a.status, 413);
  EXPECT_EQ(json_of(a)["error"]["message"],
            "The file is too large: 65.0 KiB (66560 bytes) is over the limit of 64.0 KiB (65536 bytes) per file.");
  EXPECT_FALSE(fs::exists(home_of("sam") / "big.bin"));

  // A huge declared length is refused on the headers alone: the client's 100-continue never comes.
  raw_connection c(t.port());
  c.send(upload_head("huge.bin", "Content-Length: 10000000000\r\nExpect: 100-continue\r\n"));
  auto answer = c.read_answer();
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->status, 413);

  // Without a length (chunked), the limit cuts in while the body streams.
  raw_connection chunked(t.port());
  std::string piece(16 * 1024, 'c');
  std::string body;
  for (int i = 0; i < 5; ++i) body += "4000\r\n" + piece + "\r\n";
  chunked.send(upload_head("chunked.bin", "Transfer-Encoding: chunked\r\n") + body + "0\r\n\r\n");
  auto cut = chunked.read_answer();
  ASSERT_TRUE(cut.has_value());
  EXPECT_EQ(cut->status, 413);
  EXPECT_FALSE(fs::exists(home_of("sam") / "chunked.bin"));
  EXPECT_TRUE(eventually([&] { return temp_files_in(home_of("sam")) == 0; }));
}

TEST_F(files_api_limits, OverQuotaGets507WithTheNumbers) {
  ASSERT_EQ(put(student, "home", "one.bin", std::string(60 * 1024, '1')).status, 201);
  auto a = put(student, "home", "two.bin", std::string(50 * 1024, '2'));
  EXPECT_EQ(a.status, 507);
  EXPECT_EQ(json_of(a)["error"]["message"],
            "Not enough room: 60.0 KiB (61440 bytes) of your 100.0 KiB (102400 bytes) are used, 40.0 KiB (40960 "
            "bytes) are free, and this file needs 50.0 KiB (51200 bytes).");
  EXPECT_FALSE(fs::exists(home_of("sam") / "two.bin"));
  // Replacing a file counts only the difference; other users have their own quota.
  EXPECT_EQ(put(student, "home", "one.bin", std::string(64 * 1024, '1'), true).status, 201);
  EXPECT_EQ(put(other, "home", "two.bin", std::string(50 * 1024, '2')).status, 201);
  EXPECT_EQ(temp_files_in(home_of("sam")), 0);
}

TEST_F(files_api_limits, MovesIntoAnotherHomeCountAgainstItsQuota) {
  ASSERT_EQ(put(teacher, "home", "one.bin", std::string(60 * 1024, '1')).status, 201);
  ASSERT_EQ(put(teacher, "shared", "big.bin", std::string(50 * 1024, 'b')).status, 201);
  ASSERT_EQ(mkdir(teacher, "shared", "Mappe").status, 201);
  ASSERT_EQ(put(teacher, "shared", "Mappe/a.bin", std::string(30 * 1024, 'a')).status, 201);
  ASSERT_EQ(put(teacher, "shared", "Mappe/b.bin", std::string(30 * 1024, 'b')).status, 201);
  auto refused = move(teacher, "shared", "big.bin", "big.bin", "home");
  EXPECT_EQ(refused.status, 507);
  EXPECT_EQ(json_of(refused)["error"]["message"],
            "Not enough room: 60.0 KiB (61440 bytes) of your 100.0 KiB (102400 bytes) are used, 40.0 KiB (40960 "
            "bytes) are free, and this file needs 50.0 KiB (51200 bytes).");
  EXPECT_EQ(move(teacher, "shared", "Mappe", "Mappe", "home").status, 507);  // a folder counts whole
  EXPECT_TRUE(fs::exists(shared() / "big.bin"));
  EXPECT_FALSE(fs::exists(home_of("tina") / "big.bin"));
  ASSERT_EQ(remove(teacher, "shared", "Mappe/b.bin").status, 204);
  EXPECT_EQ(move(teacher, "shared", "Mappe", "Mappe", "home").status, 204);
  // Out of a home into shared (no quota) is always fine.
  EXPECT_EQ(move(teacher, "home", "one.bin", "one.bin", "shared").status, 204);
}

// Bytes in the hidden temporary files of uploads in flight below `dir`.
std::uintmax_t temp_bytes_in(const fs::path& dir) {
  std::uintmax_t n = 0;
  std::error_code ec;
  for (const auto& e : fs::recursive_directory_iterator(dir, ec)) {
    if (e.path().filename().string().starts_with(".deskgate-upload-")) n += fs::file_size(e.path(), ec);
  }
  return n;
}

class files_api_quota : public files_api_limits {
 protected:
  files_api_quota() : files_api_limits("[files]\nquota = \"200k\"\n") {}
};

TEST_F(files_api_quota, UploadsInFlightTogetherCannotPassTheQuota) {
  // Streamed without a length (chunked): C has 64 KiB on disk and goes on; D's 150 KiB would fit the empty
  // home alone, not next to C. (The server hands a body on in 64 KiB pieces, once the next byte is there.)
  raw_connection c(t.port());
  c.send(upload_head("c.bin", "Transfer-Encoding: chunked\r\n") + "10000\r\n" + std::string(0x10000, 'c') +
         "\r\n100\r\n" + std::string(0x100, 'c') + "\r\n");
  ASSERT_TRUE(eventually([&] { return temp_bytes_in(home_of("sam")) == 0x10000; }));
  raw_connection d(t.port());
  d.send(upload_head("d.bin", "Transfer-Encoding: chunked\r\n") + "25800\r\n" + std::string(0x25800, 'd') +
         "\r\n0\r\n\r\n");
  auto d_done = d.read_answer();
  ASSERT_TRUE(d_done.has_value());
  EXPECT_EQ(d_done->status, 507) << d_done->body;
  EXPECT_FALSE(fs::exists(home_of("sam") / "d.bin"));
  c.send("0\r\n\r\n");
  auto c_done = c.read_answer();
  ASSERT_TRUE(c_done.has_value());
  EXPECT_EQ(c_done->status, 201) << c_done->body;

  // Declared lengths are reserved on the headers: of 139008 bytes left, A's 100000 and B's would each fit.
  raw_connection a(t.port());
  a.send(upload_head("a.bin", "Content-Length: 100000\r\n") + std::string(1000, 'a'));
  ASSERT_TRUE(eventually([&] { return temp_files_in(home_of("sam")) == 1; }));  // A is under way
  auto b = put(student, "home", "b.bin", std::string(100000, 'b'));
  EXPECT_EQ(b.status, 507) << b.body;
  a.send(std::string(99000, 'a'));
  auto a_done = a.read_answer();
  ASSERT_TRUE(a_done.has_value());
  EXPECT_EQ(a_done->status, 201) << a_done->body;

  // An upload cut off gives its reservation back: with 39008 bytes left, F's 30000 fit once E is gone.
  {
    raw_connection e(t.port());
    e.send(upload_head("e.bin", "Content-Length: 30000\r\n") + std::string(1000, 'e'));
    ASSERT_TRUE(eventually([&] { return temp_files_in(home_of("sam")) == 1; }));
    EXPECT_EQ(put(student, "home", "f.bin", std::string(30000, 'f')).status, 507);
  }
  EXPECT_TRUE(eventually([&] { return temp_files_in(home_of("sam")) == 0; }));
  EXPECT_EQ(put(student, "home", "f.bin", std::string(30000, 'f')).status, 201);
}

TEST_F(files_api_limits, ACutUploadLeavesNothingBehind) {
  {
    raw_connection c(t.port());
    c.send(upload_head("cut.bin", "Content-Length: 60000\r\n") + std::string(30000, 'x'));
    // The upload is under way once its temporary file exists; then the client goes away.
    ASSERT_TRUE(eventually([&] { return temp_files_in(home_of("sam")) == 1; }));
  }
  EXPECT_TRUE(eventually([&] { return temp_files_in(home_of("sam")) == 0; }));
  EXPECT_FALSE(fs::exists(home_of("sam") / "cut.bin"));
  EXPECT_EQ(put(student, "home", "cut.bin", "whole").status, 201);  // the name is free
}

TEST_F(files_api, CsrfAndSignInAreCheckedBeforeAnyBodyByte) {
  raw_connection c(t.port());
  c.send("PUT /api/files/home/content?path=x.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: " + student.cookie +
         "\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
  auto answer = c.read_answer();
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->status, 403);  // not "100 Continue": no body byte is taken without the CSRF token
  EXPECT_EQ(json_of(*answer)["error"]["code"], "csrf_failed");
  raw_connection anonymous(t.port());
  anonymous.send("PUT /api/files/home/content?path=x.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\n\r\n");
  EXPECT_EQ(anonymous.read_answer()->status, 401);
  EXPECT_FALSE(fs::exists(home_of("sam") / "x.bin"));
}

TEST_F(files_api, ExpectContinueUploadsAndUploadsLargerThanTheRequestBodyLimit) {
  raw_connection c(t.port());
  std::string head =
      "PUT /api/files/home/content?path=big.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: " + student.cookie +
      "\r\nX-CSRF-Token: " + student.csrf + "\r\n";
  std::string body(3 * 1024 * 1024 + 17, 'z');  // over server.max_body_bytes (1 MiB): only streaming takes it
  c.send(head + "Content-Length: " + std::to_string(body.size()) + "\r\nExpect: 100-continue\r\n\r\n");
  auto go_on = c.read_answer();
  ASSERT_TRUE(go_on.has_value());
  EXPECT_EQ(go_on->status, 100);
  c.send(body);
  auto done = c.read_answer();
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(done->status, 201) << done->body;
  EXPECT_EQ(fs::file_size(home_of("sam") / "big.bin"), body.size());
  // The same connection goes on serving.
  c.send("GET /api/files/home HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: " + student.cookie + "\r\n\r\n");
  EXPECT_EQ(c.read_answer()->status, 200);
}

TEST_F(files_api, TwoUploadsOfOneNameAtOnceLeaveOneWholeFile) {
  const std::size_t size = 4 * 1024 * 1024;
  auto upload_of = [&](char fill, bool overwrite) {
    return std::async(std::launch::async, [&, fill, overwrite] {
      return put(student, "home", "race.bin", std::string(size, fill), overwrite).status;
    });
  };
  for (bool overwrite : {true, false}) {
    SCOPED_TRACE(overwrite);
    remove(student, "home", "race.bin");
    auto a = upload_of('A', overwrite);
    auto b = upload_of('B', overwrite);
    int sa = a.get(), sb = b.get();
    if (overwrite) {
      EXPECT_EQ(sa, 201);
      EXPECT_EQ(sb, 201);
    } else {
      EXPECT_EQ(std::min(sa, sb), 201);
      EXPECT_EQ(std::max(sa, sb), 409);
    }
    std::string result = read_whole_file(home_of("sam") / "race.bin");
    ASSERT_EQ(result.size(), size);
    EXPECT_TRUE(result == std::string(size, 'A') || result == std::string(size, 'B'));
    EXPECT_EQ(temp_files_in(home_of("sam")), 0);
  }
}

}  // namespace
}  // namespace deskgate::testing
