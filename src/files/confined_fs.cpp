#include "files/confined_fs.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
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

std::uint64_t tree_size(int dir, std::string_view skip_prefix) {
  std::uint64_t total = 0;
  for (const auto& child : names_in(dir)) {
    if (!skip_prefix.empty() && child.starts_with(skip_prefix)) continue;
    auto st = stat_entry(dir, child);
    if (!st) continue;
    if (S_ISREG(st->st_mode)) {
      total += static_cast<std::uint64_t>(st->st_size);
    } else if (S_ISDIR(st->st_mode)) {
      unique_fd sub(::openat(dir, child.c_str(), dir_flags));
      if (sub) total += tree_size(sub.get(), skip_prefix);
    }
  }
  return total;
}

std::uint64_t entry_size(int dir, const std::string& name) {
  auto st = stat_entry(dir, name);
  if (!st) return 0;
  if (S_ISREG(st->st_mode)) return static_cast<std::uint64_t>(st->st_size);
  if (!S_ISDIR(st->st_mode)) return 0;
  unique_fd sub(::openat(dir, name.c_str(), dir_flags));
  return sub ? tree_size(sub.get()) : 0;
}

namespace {

[[noreturn]] void refuse_copy(int err, const std::string& what) {
  if (err == ENOSPC || err == EDQUOT) throw error(errc::insufficient_storage, "The disk is full; nothing was moved.");
  throw error(errc::internal, "cannot copy " + what + ": " + errno_text(err));
}

void copy_file(int from_dir, const std::string& name, const struct stat& st, int to_dir, const std::string& to_name,
               const std::optional<file_owner>& owner) {
  unique_fd in(::openat(from_dir, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!in) refuse_copy(errno, "\"" + name + "\"");
  unique_fd out(
      ::openat(to_dir, to_name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, st.st_mode & 0777));
  if (!out) refuse_copy(errno, "\"" + name + "\"");
  hand_to(out.get(), owner);
  // read/write, not copy_file_range: that refuses many pairs of different file systems (EXDEV).
  std::vector<char> buffer(256 * 1024);
  for (;;) {
    ssize_t n = ::read(in.get(), buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) refuse_copy(errno, "\"" + name + "\"");
    if (n == 0) break;
    for (ssize_t done = 0; done < n;) {
      ssize_t w = ::write(out.get(), buffer.data() + done, static_cast<std::size_t>(n - done));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) refuse_copy(errno, "\"" + name + "\"");
      done += w;
    }
  }
  const struct timespec times[2] = {st.st_atim, st.st_mtim};
  ::futimens(out.get(), times);  // keeps "modified" as it was
}

// Copies `name` (a file, or a folder with everything in it) to `to_name` in `to_dir`.
void copy_tree(int from_dir, const std::string& name, int to_dir, const std::string& to_name,
               const std::optional<file_owner>& owner) {
  auto st = stat_entry(from_dir, name);
  if (!st) throw error(errc::not_found, "\"" + name + "\" went away while it was moved.");
  if (S_ISREG(st->st_mode)) return copy_file(from_dir, name, *st, to_dir, to_name, owner);
  if (!S_ISDIR(st->st_mode)) {
    throw error(errc::forbidden, "\"" + name + "\" is a symbolic link or a special file; deskgate moves only " +
                                     "files and folders to another space.");
  }
  if (::mkdirat(to_dir, to_name.c_str(), st->st_mode & 0777) != 0) refuse_copy(errno, "\"" + name + "\"");
  unique_fd in(::openat(from_dir, name.c_str(), dir_flags));
  unique_fd out(::openat(to_dir, to_name.c_str(), dir_flags));
  if (!in || !out) refuse_copy(errno, "\"" + name + "\"");
  hand_to(out.get(), owner);
  for (const auto& child : names_in(in.get())) copy_tree(in.get(), child, out.get(), child, owner);
}

}  // namespace

void move_entry(const entry_ref& from, const entry_ref& to, const std::string& temp_name,
                const std::optional<file_owner>& owner) {
  if (!stat_entry(from.dir, from.name)) throw error(errc::not_found, "There is no " + from.shown + ".");
  // RENAME_NOREPLACE: never replaces what is at the target, not even in a race.
  if (::renameat2(from.dir, from.name.c_str(), to.dir, to.name.c_str(), RENAME_NOREPLACE) == 0) return;
  int err = errno;
  if (err == EEXIST || err == ENOTEMPTY) throw error(errc::conflict, to.shown + " already exists.");
  if (err == EINVAL) throw error(errc::bad_request, "A folder cannot be moved into itself.");
  if (err == ENOENT) throw error(errc::not_found, "There is no " + from.shown + ".");
  if (err != EXDEV) throw error(errc::internal, "cannot move " + from.shown + ": " + errno_text(err));

  // Another file system: the copy is built under a hidden name and appears whole, or not at all.
  if (stat_entry(to.dir, to.name)) throw error(errc::conflict, to.shown + " already exists.");
  try {
    copy_tree(from.dir, from.name, to.dir, temp_name, owner);
  } catch (...) {
    remove_tree(to.dir, temp_name);
    throw;
  }
  if (::renameat2(to.dir, temp_name.c_str(), to.dir, to.name.c_str(), RENAME_NOREPLACE) != 0) {
    int rename_err = errno;
    remove_tree(to.dir, temp_name);
    if (rename_err == EEXIST || rename_err == ENOTEMPTY) throw error(errc::conflict, to.shown + " already exists.");
    throw error(errc::internal, "cannot move " + from.shown + ": " + errno_text(rename_err));
  }
  remove_tree(from.dir, from.name);
}

void hand_to(int fd, const std::optional<file_owner>& owner) {
  if (!owner) return;
  if (::fchown(fd, owner->uid, owner->gid) != 0) {
    throw error(errc::internal, "cannot hand a file to the desktops' account: " + errno_text(errno));
  }
  struct stat st {};
  if (owner->group_writes && ::fstat(fd, &st) == 0) {
    mode_t extra = S_IWGRP | S_IRGRP | (S_ISDIR(st.st_mode) ? S_ISGID | S_IXGRP : 0);
    if (::fchmod(fd, (st.st_mode & 07777) | extra) != 0) {
      throw error(errc::internal, "cannot open a file to its group: " + errno_text(errno));
    }
  }
}

void hand_tree(int dir, const std::string& name, const std::optional<file_owner>& owner) {
  if (!owner) return;
  auto st = stat_entry(dir, name);
  if (!st) return;
  if (!S_ISDIR(st->st_mode) && !S_ISREG(st->st_mode)) {
    ::fchownat(dir, name.c_str(), owner->uid, owner->gid, AT_SYMLINK_NOFOLLOW);
    return;
  }
  // Through a descriptor (O_NOFOLLOW; O_NONBLOCK for a FIFO swapped in), so that a link swapped in after
  // the stat never sends the change elsewhere.
  int flags = S_ISDIR(st->st_mode) ? dir_flags : O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK;
  unique_fd fd(::openat(dir, name.c_str(), flags));
  struct stat opened {};
  if (!fd || ::fstat(fd.get(), &opened) != 0 || (opened.st_mode & S_IFMT) != (st->st_mode & S_IFMT)) return;
  hand_to(fd.get(), owner);
  if (S_ISDIR(opened.st_mode)) {
    for (const auto& child : names_in(fd.get())) hand_tree(fd.get(), child, owner);
  }
}

}  // namespace deskgate::files
