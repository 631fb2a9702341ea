// The file spaces a user reaches through the API: their home, the shared folder, and the folders of
// the assignments they belong to. Resolves a space name for a caller (with what they may do there),
// and runs every file operation confined to that space's root (confined_fs: no links, no "..").
// Calls block on the disk: the API runs them on the worker pool.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/unique_fd.hpp"
#include "files/confined_fs.hpp"
#include "files/quota.hpp"
#include "store/store.hpp"

namespace deskgate::files {

struct files_settings {
  std::filesystem::path data_dir;      // homes in <data_dir>/homes/<user id>, shared in <data_dir>/shared
  std::uint64_t quota_bytes = 0;       // per home; 0: no quota
  std::uint64_t max_file_bytes = 0;    // per uploaded file; 0: no limit
  role shared_writer = role::teacher;  // this role and those above it may change the shared space
  // Set when deskgate runs as root (local.uid_base): the home of user N belongs to uid and gid base + N,
  // the account N's local desktops run as; the shared space to root with group base, which the desktops
  // that may change it join.
  std::optional<std::uint64_t> uid_base;
};

// The uid (and gid) local desktops of user `user_id` run as: uid_base + user_id. Throws internal when
// that is past the largest usable id.
uid_t desktop_uid(std::uint64_t uid_base, std::int64_t user_id);

// One resolved space, valid for one request.
struct space {
  std::string name;                 // "home", "shared", "assignment-3"
  std::filesystem::path base;       // a folder deskgate manages
  std::vector<std::string> prefix;  // names below base leading to the space's root (an assignment's folder)
  bool writable = false;
  std::filesystem::path quota_home;  // writes count against the quota of this home
  bool is_home = false;              // Public/shared inside it is where desktops mount the shared space
  std::optional<file_owner> owner;   // what is created in it is handed to this (see files_settings)
};

struct entry_info {
  std::string name;
  std::string type;  // "dir", "file", "link" (shown, never followed), "other"
  std::uint64_t size = 0;
  std::int64_t modified = 0;  // Unix seconds
  std::string mime;           // files only
};

// A file opened for download.
struct opened_file {
  unique_fd fd;
  std::string name;
  std::uint64_t size = 0;
  std::int64_t modified = 0;
  std::int64_t modified_ns = 0;
};

class upload;
class zip_stream;

// Temporary upload files start with this; listings hide them.
inline constexpr std::string_view upload_temp_prefix = ".deskgate-upload-";

class file_service {
 public:
  file_service(files_settings settings, store& db);

  // The space `name` as `user` sees it. Throws not_found for an unknown space or an assignment the user
  // has nothing to do with (it does not exist for them).
  space resolve(std::int64_t user_id, role user_role, std::string_view name);

  std::vector<entry_info> list(const space& s, std::string_view path);
  opened_file open_file(const space& s, std::string_view path);
  // Checks everything that can be checked before the body arrives: write access, the name, the folder,
  // an existing file without `overwrite` (409), `declared_size` against the file limit (413) and the quota
  // (507; the declared size is reserved at once, a body without one reserves as it streams).
  std::unique_ptr<upload> begin_upload(const space& s, std::string_view path, bool overwrite,
                                       std::optional<std::uint64_t> declared_size);
  entry_info make_dir(const space& s, std::string_view path);
  // Moves `from` in `from_space` to `to` in `to_space` (the same space for a rename). Both must be
  // writable; into another home the moved bytes must fit its quota (507).
  void move(const space& from_space, std::string_view from, const space& to_space, std::string_view to);
  void remove(const space& s, std::string_view path);
  std::unique_ptr<zip_stream> zip(const space& s, std::string_view path);

  // The folder `folder` (a path inside the user's home, "Worksheets/Week 3") checked name by name with
  // O_NOFOLLOW: it must exist, be a folder, and have no symbolic link at any level (also the home itself).
  // Throws bad_request saying what is wrong. (Valid as long as nobody swaps a link in: users of the folder
  // open it again the same way.)
  void check_home_folder(std::int64_t user_id, std::string_view folder) const;

  // Bytes used by a home (for the quota), without the temporary files of writes in flight.
  std::uint64_t usage(const std::filesystem::path& home) const;
  const files_settings& settings() const { return settings_; }
  std::filesystem::path home_of(std::int64_t user_id) const;
  std::filesystem::path shared_dir() const;
  bool may_write_shared(role r) const;
  // Who owns the home of `user_id`, and the shared space (nullopt when deskgate is not root).
  std::optional<file_owner> home_owner(std::int64_t user_id) const;
  std::optional<file_owner> shared_owner() const;

 private:
  struct located;
  located locate(const space& s, std::string_view path, bool for_writing) const;
  unique_fd open_root(const space& s) const;
  void require_writable(const space& s) const;
  // A quota reservation for writing into `s` (null when no quota applies there).
  std::unique_ptr<quota_reservation> reservation_for(const space& s, std::uint64_t replaced);

  files_settings settings_;
  store& db_;
  quota_book quotas_;
};

}  // namespace deskgate::files
