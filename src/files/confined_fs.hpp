// File-system steps that stay inside a folder: every name is opened relative to a folder descriptor with
// O_NOFOLLOW, one component at a time, so a symbolic link anywhere on the way (one a desktop created, one
// swapped in between two requests) is refused instead of followed, and nothing resolves outside the root.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/unique_fd.hpp"

namespace deskgate::files {

// Who owns what deskgate creates in the spaces when it runs as root: the account desktops run as, so
// that files uploaded through the web appear writable inside desktops and the other way round.
struct file_owner {
  uid_t uid = 0;
  gid_t gid = 0;
};

// Opens a folder deskgate manages (a space's base). Throws not_found when it does not exist and
// forbidden when it is a symbolic link.
unique_fd open_base(const std::filesystem::path& dir);

// Creates `dir` (with `mode`, handed to `owner`) when missing; its parent must exist. A symbolic link or
// a non-folder in its place is an internal error.
void ensure_base(const std::filesystem::path& dir, mode_t mode, const std::optional<file_owner>& owner);

// Opens the folder `names` below `dir`, one name at a time with O_NOFOLLOW. Throws forbidden when one of
// them is a symbolic link, not_found when missing, bad_request when one is not a folder. `shown` is the
// path as the client gave it, for the messages.
unique_fd open_dir(int dir, std::span<const std::string> names, std::string_view shown);

// The names in `dir` other than "." and ".." (the descriptor stays usable).
std::vector<std::string> names_in(int dir);

// The entry `name` in `dir` without following it; nullopt when there is none.
std::optional<struct stat> stat_entry(int dir, const std::string& name);

// Deletes `name` in `dir`: a file or link itself, a folder with everything inside. Links are removed,
// never followed.
void remove_tree(int dir, const std::string& name);

// The bytes of all regular files below `dir` (links not followed, other file systems included).
std::uint64_t tree_size(int dir);

// Applies `owner` to what was just created (nothing when nullopt).
void hand_to(int fd, const std::optional<file_owner>& owner);

// errno as text.
std::string errno_text(int err);

}  // namespace deskgate::files
