// The confined walk on a real folder: links anywhere on the way are refused, not followed; deleting a
// folder removes links inside it without touching what they point to.
#include "files/confined_fs.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "core/error.hpp"
#include "support/process.hpp"
#include "support/test_app.hpp"

namespace deskgate::files {
namespace {

namespace fs = std::filesystem;

errc refusal_of(int root, std::vector<std::string> names) {
  try {
    open_dir(root, names, "the path");
  } catch (const error& e) {
    return e.code();
  }
  return errc::internal;
}

TEST(ConfinedFs, RefusesLinksAtEveryLevel) {
  testing::temp_dir tmp;
  fs::path root = tmp.path() / "root";
  fs::create_directories(root / "a" / "b");
  fs::create_directories(tmp.path() / "outside");
  fs::create_directory_symlink(tmp.path() / "outside", root / "link");
  fs::create_directory_symlink(tmp.path() / "outside", root / "a" / "inner");
  unique_fd base = open_base(root);
  std::vector<std::string> a_b = {"a", "b"};
  EXPECT_NO_THROW(open_dir(base.get(), a_b, "a/b"));
  EXPECT_EQ(refusal_of(base.get(), {"link"}), errc::forbidden);
  EXPECT_EQ(refusal_of(base.get(), {"link", "x"}), errc::forbidden);
  EXPECT_EQ(refusal_of(base.get(), {"a", "inner"}), errc::forbidden);
  EXPECT_EQ(refusal_of(base.get(), {"missing"}), errc::not_found);
  // The base itself may not be a link either.
  fs::create_directory_symlink(root, tmp.path() / "root-link");
  EXPECT_THROW(open_base(tmp.path() / "root-link"), error);
}

TEST(ConfinedFs, RemoveTreeDeletesLinksNotTheirTargets) {
  testing::temp_dir tmp;
  fs::path root = tmp.path() / "root";
  fs::create_directories(root / "doomed" / "deep");
  fs::create_directories(tmp.path() / "precious");
  std::ofstream(tmp.path() / "precious" / "keep.txt") << "keep";
  std::ofstream(root / "doomed" / "deep" / "file.txt") << "x";
  fs::create_directory_symlink(tmp.path() / "precious", root / "doomed" / "to-precious");
  unique_fd base = open_base(root);
  remove_tree(base.get(), "doomed");
  EXPECT_FALSE(fs::exists(root / "doomed"));
  EXPECT_TRUE(fs::exists(tmp.path() / "precious" / "keep.txt"));
  EXPECT_EQ(tree_size(base.get()), 0u);
}

TEST(ConfinedFs, TreeSizeCountsFilesButNotLinkTargets) {
  testing::temp_dir tmp;
  fs::path root = tmp.path() / "root";
  fs::create_directories(root / "sub");
  std::ofstream(root / "a.bin") << std::string(1000, 'a');
  std::ofstream(root / "sub" / "b.bin") << std::string(234, 'b');
  std::ofstream(tmp.path() / "big.bin") << std::string(100000, 'c');
  fs::create_symlink(tmp.path() / "big.bin", root / "sub" / "big-link");
  unique_fd base = open_base(root);
  EXPECT_EQ(tree_size(base.get()), 1234u);
}

// A folder on another file system than the test's temporary folder: /dev/shm is a tmpfs.
class shm_dir {
 public:
  shm_dir() {
    std::string pattern = "/dev/shm/deskgate-test-XXXXXX";
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp in /dev/shm failed");
    path_ = pattern;
  }
  ~shm_dir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

dev_t device_of(const fs::path& p) {
  struct stat st {};
  ::stat(p.c_str(), &st);
  return st.st_dev;
}

TEST(ConfinedFs, MoveEntryWithinAFileSystemRenamesAndNeverReplaces) {
  testing::temp_dir tmp;
  fs::create_directories(tmp.path() / "a" / "inner");
  std::ofstream(tmp.path() / "a" / "inner" / "x.txt") << "x";
  fs::create_directory(tmp.path() / "taken");
  unique_fd base = open_base(tmp.path());
  struct stat before {};
  ::stat((tmp.path() / "a").c_str(), &before);
  move_entry({base.get(), "a", "a"}, {base.get(), "b", "b"}, ".tmp-move", std::nullopt);
  struct stat after {};
  ::stat((tmp.path() / "b").c_str(), &after);
  EXPECT_EQ(before.st_ino, after.st_ino);  // the same folder, renamed
  EXPECT_FALSE(fs::exists(tmp.path() / "a"));
  try {
    move_entry({base.get(), "b", "b"}, {base.get(), "taken", "taken"}, ".tmp-move", std::nullopt);
    FAIL() << "replaced";
  } catch (const error& e) {
    EXPECT_EQ(e.code(), errc::conflict);
  }
  EXPECT_TRUE(fs::exists(tmp.path() / "b" / "inner" / "x.txt"));
}

TEST(ConfinedFs, MoveEntryAcrossFileSystemsCopiesWholeThenRemovesTheOriginal) {
  testing::temp_dir tmp;
  shm_dir other;
  ASSERT_NE(device_of(tmp.path()), device_of(other.path()));
  fs::path src = tmp.path() / "Mappe";
  fs::create_directories(src / "Übung" / "leer");
  std::ofstream(src / "Übung" / "Lösung.txt") << "Grüße";
  std::ofstream(src / "big.bin") << std::string(600 * 1024, 'b');  // more than one read
  fs::last_write_time(src / "big.bin", fs::file_time_type::clock::now() - std::chrono::hours(48));
  auto old_time = fs::last_write_time(src / "big.bin");
  unique_fd from = open_base(tmp.path());
  unique_fd to = open_base(other.path());

  move_entry({from.get(), "Mappe", "Mappe"}, {to.get(), "Neu", "Neu"}, ".tmp-move", std::nullopt);
  EXPECT_FALSE(fs::exists(src));
  EXPECT_EQ(testing::read_whole_file(other.path() / "Neu" / "Übung" / "Lösung.txt"), "Grüße");
  EXPECT_TRUE(fs::is_directory(other.path() / "Neu" / "Übung" / "leer"));
  EXPECT_EQ(fs::file_size(other.path() / "Neu" / "big.bin"), 600u * 1024);
  EXPECT_EQ(fs::last_write_time(other.path() / "Neu" / "big.bin"), old_time);
  EXPECT_FALSE(fs::exists(other.path() / ".tmp-move"));

  // A link inside is not copied: the move is refused, the target gets nothing, the original stays.
  fs::create_directories(tmp.path() / "Mit Link");
  std::ofstream(tmp.path() / "Mit Link" / "a.txt") << "a";
  fs::create_directory_symlink("/", tmp.path() / "Mit Link" / "root");
  try {
    move_entry({from.get(), "Mit Link", "Mit Link"}, {to.get(), "Mit Link", "Mit Link"}, ".tmp-move", std::nullopt);
    FAIL() << "a link was copied";
  } catch (const error& e) {
    EXPECT_EQ(e.code(), errc::forbidden);
  }
  EXPECT_FALSE(fs::exists(other.path() / "Mit Link"));
  EXPECT_FALSE(fs::exists(other.path() / ".tmp-move"));
  EXPECT_TRUE(fs::exists(tmp.path() / "Mit Link" / "a.txt"));

  // An existing target is never replaced, across file systems either.
  std::ofstream(tmp.path() / "a.txt") << "new";
  std::ofstream(other.path() / "a.txt") << "old";
  try {
    move_entry({from.get(), "a.txt", "a.txt"}, {to.get(), "a.txt", "a.txt"}, ".tmp-move", std::nullopt);
    FAIL() << "replaced";
  } catch (const error& e) {
    EXPECT_EQ(e.code(), errc::conflict);
  }
  EXPECT_EQ(testing::read_whole_file(other.path() / "a.txt"), "old");
  EXPECT_TRUE(fs::exists(tmp.path() / "a.txt"));
}

}  // namespace
}  // namespace deskgate::files
