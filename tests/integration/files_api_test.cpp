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

nlohmann::json json_of(const http_answer& a) { return nlohmann::json::parse(a.body, nullptr, false); }

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
  files_api_limits() : files_api("[files]\nmax_file_size = \"64k\"\nquota = \"100k\"\n") {}

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
