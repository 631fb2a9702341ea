// The confined walk on a real folder: links anywhere on the way are refused, not followed; deleting a
// folder removes links inside it without touching what they point to.
#include "files/confined_fs.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/error.hpp"
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

}  // namespace
}  // namespace deskgate::files
