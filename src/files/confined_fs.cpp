#include "files/confined_fs.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "core/error.hpp"

namespace deskgate::files {
namespace {

constexpr int dir_flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

struct dir_closer {
  void operator()(DIR* d) const { ::closedir(d); }
};

}  // namespace

std::vector<std::string> names_in(int dir) {
  int copy = ::dup(dir);
  if (copy < 0) throw error(errc::internal, "cannot read a folder: " + errno_text(errno));
  std::unique_ptr<DIR, dir_closer> d(::fdopendir(copy));
  if (!d) {
    ::close(copy);
    throw error(errc::internal, "cannot read a folder: " + errno_text(errno));
  }
  ::rewinddir(d.get());
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d.get())) {
    std::string_view n = e->d_name;
    if (n != "." && n != "..") names.emplace_back(n);
  }
  return names;
}

std::string errno_text(int err) { return std::strerror(err); }

unique_fd open_base(const std::filesystem::path& dir) {
  unique_fd fd(::open(dir.c_str(), dir_flags));
  if (fd) return fd;
  int err = errno;
  if (err == ENOENT) throw error(errc::not_found, "This space has no folder yet.");
  if (err == ELOOP || err == ENOTDIR) throw error(errc::forbidden, "This space's folder is not a real folder.");
  throw error(errc::internal, "cannot open " + dir.string() + ": " + errno_text(err));
}

void ensure_base(const std::filesystem::path& dir, mode_t mode, const std::optional<file_owner>& owner) {
  if (::mkdir(dir.c_str(), mode) == 0) {
    unique_fd fd(::open(dir.c_str(), dir_flags));
    if (fd) hand_to(fd.get(), owner);
    return;
  }
  if (errno != EEXIST) throw error(errc::internal, "cannot create " + dir.string() + ": " + errno_text(errno));
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    throw error(errc::internal, dir.string() + " is not a folder (a symbolic link is not accepted)");
  }
}

unique_fd open_dir(int dir, std::span<const std::string> names, std::string_view shown) {
  unique_fd current(::dup(dir));
  if (!current) throw error(errc::internal, "cannot open a folder: " + errno_text(errno));
  for (const auto& name : names) {
    unique_fd next(::openat(current.get(), name.c_str(), dir_flags));
    if (!next) {
      int err = errno;
      auto st = stat_entry(current.get(), name);
      if (st && S_ISLNK(st->st_mode)) {
        throw error(errc::forbidden, "\"" + name + "\" in " + std::string(shown) +
                                         " is a symbolic link; deskgate does not follow links.");
      }
      if (!st) throw error(errc::not_found, "There is no folder " + std::string(shown) + ".");
      if (err == ENOTDIR)
        throw error(errc::bad_request, "\"" + name + "\" in " + std::string(shown) + " is not a folder.");
      throw error(errc::internal, "cannot open " + std::string(shown) + ": " + errno_text(err));
    }
    current = std::move(next);
  }
  return current;
}

std::optional<struct stat> stat_entry(int dir, const std::string& name) {
  struct stat st {};
  if (::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return std::nullopt;
  return st;
}

void remove_tree(int dir, const std::string& name) {
  auto st = stat_entry(dir, name);
  if (!st) return;
  if (S_ISDIR(st->st_mode)) {
    unique_fd sub(::openat(dir, name.c_str(), dir_flags));
    if (!sub) throw error(errc::internal, "cannot open \"" + name + "\" to delete it: " + errno_text(errno));
    for (const auto& child : names_in(sub.get())) remove_tree(sub.get(), child);
    if (::unlinkat(dir, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
      throw error(errc::internal, "cannot delete the folder \"" + name + "\": " + errno_text(errno));
    }
    return;
  }
  if (::unlinkat(dir, name.c_str(), 0) != 0 && errno != ENOENT) {
    throw error(errc::internal, "cannot delete \"" + name + "\": " + errno_text(errno));
  }
}

std::uint64_t tree_size(int dir) {
  std::uint64_t total = 0;
  for (const auto& child : names_in(dir)) {
    auto st = stat_entry(dir, child);
    if (!st) continue;
    if (S_ISREG(st->st_mode)) {
      total += static_cast<std::uint64_t>(st->st_size);
    } else if (S_ISDIR(st->st_mode)) {
      unique_fd sub(::openat(dir, child.c_str(), dir_flags));
      if (sub) total += tree_size(sub.get());
    }
  }
  return total;
}

void hand_to(int fd, const std::optional<file_owner>& owner) {
  if (owner && ::fchown(fd, owner->uid, owner->gid) != 0) {
    throw error(errc::internal, "cannot hand a new file to the desktop account: " + errno_text(errno));
  }
}

}  // namespace deskgate::files
