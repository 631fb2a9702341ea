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
#include <string_view>
#include <vector>

#include "core/unique_fd.hpp"

namespace deskgate::files {

// Who owns what deskgate creates in a space when it runs as root: in a home, the account its user's
// desktops run as, so that files uploaded through the web are writable inside desktops and the other way
// round; in the shared space, root with the group its writers' desktops join (group_writes).
struct file_owner {
  uid_t uid = 0;
  gid_t gid = 0;
  bool group_writes = false;  // new entries also writable by the group (folders: set-group-ID, so it stays)

  bool operator==(const file_owner&) const = default;
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

// The bytes of all regular files below `dir` (links not followed, other file systems included), leaving
// out names that start with `skip_prefix` when it is not empty.
std::uint64_t tree_size(int dir, std::string_view skip_prefix = {});

// The bytes `name` in `dir` holds: a file's size, a folder's tree_size, 0 for anything else.
std::uint64_t entry_size(int dir, const std::string& name);

// One end of a move: an open folder, the name in it, and the path as the client gave it (for messages).
struct entry_ref {
  int dir = -1;
  std::string name;
  std::string shown;
};

// Moves `from` to `to`, never replacing what is there. On one file system a rename (atomic); across file
// systems a copy into `temp_name` next to the target (renamed to the target's name when complete) and
// then the original is deleted. The copy takes files and folders only: a symbolic link or a device
// inside is refused (forbidden) and nothing is left at the target. New entries are handed to `owner`.
void move_entry(const entry_ref& from, const entry_ref& to, const std::string& temp_name,
                const std::optional<file_owner>& owner);

// Applies `owner` to what was just created (nothing when nullopt).
void hand_to(int fd, const std::optional<file_owner>& owner);

// Applies `owner` to `name` in `dir` and, for a folder, everything inside, never following a link (links
// and special files only change owner). For entries that came from elsewhere: a move between spaces, a
// home written under another account.
void hand_tree(int dir, const std::string& name, const std::optional<file_owner>& owner);

// errno as text.
std::string errno_text(int err);

}  // namespace deskgate::files
