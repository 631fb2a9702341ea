#include "files/file_service.hpp"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>

#include "core/crypto.hpp"
#include "core/error.hpp"
#include "core/mime_types.hpp"
#include "files/path_rules.hpp"
#include "files/upload.hpp"
#include "files/zip_stream.hpp"

namespace deskgate::files {
namespace fs = std::filesystem;
namespace {

constexpr std::string_view assignment_prefix = "assignment-";

// In a home, desktops show the shared space at Public/shared (a mount point, empty on disk): the API
// keeps out of it, so nothing is written where desktops would never see it.
void check_not_reserved(const space& s, const std::vector<std::string>& names) {
  if (s.is_home && names.size() >= 2 && names[0] == "Public" && names[1] == "shared") {
    throw error(errc::forbidden,
                "Public/shared in your home is where desktops show the shared space; use the shared space instead.");
  }
}

std::string shown(const std::vector<std::string>& names) { return names.empty() ? "/" : join_path(names); }

std::string type_of(mode_t mode) {
  if (S_ISDIR(mode)) return "dir";
  if (S_ISREG(mode)) return "file";
  if (S_ISLNK(mode)) return "link";
  return "other";
}

std::optional<std::int64_t> parse_id(std::string_view text) {
  std::int64_t id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc{} || end != text.data() + text.size() || id <= 0 || text.front() == '0') return std::nullopt;
  return id;
}

[[noreturn]] void no_such_space(std::string_view name) {
  throw error(errc::not_found, "There is no file space \"" + std::string(name) + "\".");
}

}  // namespace

// A path split into its folder (open) and last name.
struct file_service::located {
  unique_fd dir;
  std::string name;
  std::vector<std::string> names;
};

uid_t desktop_uid(std::uint64_t uid_base, std::int64_t user_id) {
  // (uid_t)-1 means "unchanged" to chown and setresuid: never hand that out.
  constexpr std::int64_t largest = 0xfffffffeLL;
  if (user_id < 0 || uid_base > static_cast<std::uint64_t>(largest) ||
      static_cast<std::int64_t>(uid_base) + user_id > largest) {
    throw error(errc::internal, "user " + std::to_string(user_id) + " has no desktop account: local.uid_base " +
                                    std::to_string(uid_base) + " plus the id is past " + std::to_string(largest));
  }
  return static_cast<uid_t>(uid_base + user_id);
}

file_service::file_service(files_settings settings, store& db)
    : settings_(std::move(settings)), db_(db), quotas_(settings_.quota_bytes) {}

fs::path file_service::home_of(std::int64_t user_id) const {
  return settings_.data_dir / "homes" / std::to_string(user_id);
}

fs::path file_service::shared_dir() const { return settings_.data_dir / "shared"; }

bool file_service::may_write_shared(role r) const {
  return static_cast<int>(r) >= static_cast<int>(settings_.shared_writer);
}

std::optional<file_owner> file_service::home_owner(std::int64_t user_id) const {
  if (!settings_.uid_base) return std::nullopt;
  uid_t uid = desktop_uid(*settings_.uid_base, user_id);
  return file_owner{uid, uid, false};
}

std::optional<file_owner> file_service::shared_owner() const {
  if (!settings_.uid_base) return std::nullopt;
  return file_owner{0, desktop_uid(*settings_.uid_base, 0), true};
}

space file_service::resolve(std::int64_t user_id, role user_role, std::string_view name) {
  if (name == "home") {
    fs::path home = home_of(user_id);
    std::error_code ec;
    fs::create_directories(home.parent_path(), ec);
    ensure_base(home, 0700, home_owner(user_id));
    return space{"home", home, {}, true, home, true, home_owner(user_id)};
  }
  if (name == "shared") {
    ensure_base(shared_dir(), 0755, shared_owner());
    return space{"shared", shared_dir(), {}, may_write_shared(user_role), {}, false, shared_owner()};
  }
  if (!name.starts_with(assignment_prefix)) no_such_space(name);
  auto id = parse_id(name.substr(assignment_prefix.size()));
  auto a = id ? db_.find_assignment(*id) : std::nullopt;
  if (!a) no_such_space(name);
  bool owner = user_role == role::admin || (a->created_by && *a->created_by == user_id);
  if (!owner && !db_.assignment_includes(a->id, user_id)) no_such_space(name);
  if (a->folder.empty() || !a->created_by) {
    throw error(errc::not_found, "This assignment has no folder.");
  }
  fs::path teacher_home = home_of(*a->created_by);
  auto teacher = home_owner(*a->created_by);  // the folder is in the teacher's home
  return space{std::string(name), teacher_home, split_path(a->folder), owner, teacher_home, false, teacher};
}

unique_fd file_service::open_root(const space& s) const {
  unique_fd base = open_base(s.base);
  if (s.prefix.empty()) return base;
  return open_dir(base.get(), s.prefix, "the assignment's folder");
}

void file_service::check_home_folder(std::int64_t user_id, std::string_view folder) const {
  auto names = split_path(folder);
  try {
    unique_fd base = open_base(home_of(user_id));
    open_dir(base.get(), names, "\"" + std::string(folder) + "\"");
  } catch (const error& e) {
    throw error(errc::bad_request, "The folder \"" + std::string(folder) + "\" cannot be used: " + e.what());
  }
}

void file_service::require_writable(const space& s) const {
  if (!s.writable) {
    throw error(errc::forbidden, "You may read the " + s.name + " space but not change it.");
  }
}

file_service::located file_service::locate(const space& s, std::string_view path, bool for_writing) const {
  auto names = split_path(path);
  if (names.empty()) throw error(errc::bad_request, "Name a file or folder inside the space (path).");
  check_not_reserved(s, names);
  if (for_writing) require_writable(s);
  unique_fd root = open_root(s);
  std::string last = names.back();
  auto parent = std::span<const std::string>(names).first(names.size() - 1);
  unique_fd dir = open_dir(root.get(), parent, shown(names));
  return located{std::move(dir), std::move(last), std::move(names)};
}

std::vector<entry_info> file_service::list(const space& s, std::string_view path) {
  auto names = split_path(path);
  check_not_reserved(s, names);
  unique_fd root = open_root(s);
  unique_fd dir = open_dir(root.get(), names, shown(names));
  bool hide_shared = s.is_home && names.size() == 1 && names[0] == "Public";
  std::vector<entry_info> out;
  for (auto& n : names_in(dir.get())) {
    if (n.starts_with(upload_temp_prefix) || !valid_utf8(n) || (hide_shared && n == "shared")) continue;
    auto st = stat_entry(dir.get(), n);
    if (!st) continue;
    entry_info e{n, type_of(st->st_mode), S_ISREG(st->st_mode) ? static_cast<std::uint64_t>(st->st_size) : 0,
                 st->st_mtim.tv_sec, ""};
    if (e.type == "file") e.mime = mime_type_for(n);
    out.push_back(std::move(e));
  }
  std::sort(out.begin(), out.end(), [](const entry_info& a, const entry_info& b) { return a.name < b.name; });
  return out;
}

opened_file file_service::open_file(const space& s, std::string_view path) {
  auto at = locate(s, path, false);
  unique_fd fd(::openat(at.dir.get(), at.name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
  auto st = stat_entry(at.dir.get(), at.name);
  if (!st) throw error(errc::not_found, "There is no file " + shown(at.names) + ".");
  if (S_ISLNK(st->st_mode)) {
    throw error(errc::forbidden, shown(at.names) + " is a symbolic link; deskgate does not follow links.");
  }
  if (S_ISDIR(st->st_mode)) throw error(errc::bad_request, shown(at.names) + " is a folder; download it as a zip.");
  struct stat opened {};
  if (!fd || ::fstat(fd.get(), &opened) != 0 || !S_ISREG(opened.st_mode)) {
    throw error(errc::bad_request, shown(at.names) + " is not a regular file.");
  }
  ::fcntl(fd.get(), F_SETFL, 0);  // O_NONBLOCK only kept a FIFO from blocking the open
  return opened_file{std::move(fd), at.name, static_cast<std::uint64_t>(opened.st_size), opened.st_mtim.tv_sec,
                     static_cast<std::int64_t>(opened.st_mtim.tv_sec) * 1'000'000'000LL + opened.st_mtim.tv_nsec};
}

std::uint64_t file_service::usage(const fs::path& home) const {
  struct stat st {};
  if (::lstat(home.c_str(), &st) != 0) return 0;
  unique_fd dir = open_base(home);
  return tree_size(dir.get(), upload_temp_prefix);
}

std::unique_ptr<quota_reservation> file_service::reservation_for(const space& s, std::uint64_t replaced) {
  if (settings_.quota_bytes == 0 || s.quota_home.empty()) return nullptr;
  return quotas_.open(
      s.quota_home.string(), [&] { return usage(s.quota_home); }, replaced);
}

std::unique_ptr<upload> file_service::begin_upload(const space& s, std::string_view path, bool overwrite,
                                                   std::optional<std::uint64_t> declared_size) {
  auto at = locate(s, path, true);
  std::uint64_t replaced = 0;
  if (auto existing = stat_entry(at.dir.get(), at.name)) {
    if (S_ISDIR(existing->st_mode)) throw error(errc::conflict, shown(at.names) + " is a folder.");
    if (!overwrite) {
      throw error(errc::conflict, shown(at.names) + " already exists; upload with overwrite=1 to replace it.");
    }
    if (S_ISREG(existing->st_mode)) replaced = static_cast<std::uint64_t>(existing->st_size);
  }
  if (declared_size && settings_.max_file_bytes > 0 && *declared_size > settings_.max_file_bytes) {
    refuse_too_large(*declared_size, settings_.max_file_bytes);
  }
  auto quota = reservation_for(s, replaced);
  if (quota && declared_size) quota->reserve(*declared_size);
  return std::make_unique<upload>(std::move(at.dir), at.name, shown(at.names), overwrite, settings_.max_file_bytes,
                                  std::move(quota), s.owner);
}

entry_info file_service::make_dir(const space& s, std::string_view path) {
  auto at = locate(s, path, true);
  if (::mkdirat(at.dir.get(), at.name.c_str(), 0755) != 0) {
    int err = errno;
    if (err == EEXIST) throw error(errc::conflict, shown(at.names) + " already exists.");
    if (err == ENOSPC || err == EDQUOT) throw error(errc::insufficient_storage, "The disk is full.");
    throw error(errc::internal, "cannot create " + shown(at.names) + ": " + errno_text(err));
  }
  unique_fd made(::openat(at.dir.get(), at.name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (made) hand_to(made.get(), s.owner);
  auto st = stat_entry(at.dir.get(), at.name);
  return entry_info{at.name, "dir", 0, st ? st->st_mtim.tv_sec : 0, ""};
}

void file_service::move(const space& from_space, std::string_view from, const space& to_space, std::string_view to) {
  auto src = locate(from_space, from, true);
  auto dst = locate(to_space, to, true);
  // Into another home the bytes count against its quota; within one home (its assignment folders
  // included) nothing changes.
  std::unique_ptr<quota_reservation> quota;
  std::uint64_t size = 0;
  if (to_space.quota_home != from_space.quota_home && (quota = reservation_for(to_space, 0))) {
    size = entry_size(src.dir.get(), src.name);
    quota->reserve(size);
  }
  move_entry({src.dir.get(), src.name, shown(src.names)}, {dst.dir.get(), dst.name, shown(dst.names)},
             std::string(upload_temp_prefix) + crypto::random_token(12), to_space.owner);
  // A rename keeps the owner: what enters another owner's space becomes theirs, or their desktops could
  // not change it (and the old owner's still could).
  if (to_space.owner != from_space.owner) hand_tree(dst.dir.get(), dst.name, to_space.owner);
  if (quota) quota->settle(size);
}

void file_service::remove(const space& s, std::string_view path) {
  auto at = locate(s, path, true);
  if (!stat_entry(at.dir.get(), at.name)) throw error(errc::not_found, "There is no " + shown(at.names) + ".");
  remove_tree(at.dir.get(), at.name);
}

std::unique_ptr<zip_stream> file_service::zip(const space& s, std::string_view path) {
  auto names = split_path(path);
  check_not_reserved(s, names);
  unique_fd root = open_root(s);
  unique_fd dir = open_dir(root.get(), names, shown(names));
  std::string top = names.empty() ? s.name : names.back();
  return std::make_unique<zip_stream>(std::move(dir), top);
}

}  // namespace deskgate::files
