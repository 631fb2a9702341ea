// One file upload in progress: the body goes into a hidden temporary file in the target folder, and
// only a complete body is renamed to its name, in one step. Readers see the old file or the new one,
// never a part; of two uploads of one name, one wins whole. An upload dropped before commit() (the
// client went away, a limit was hit) deletes its temporary file.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/unique_fd.hpp"
#include "files/confined_fs.hpp"
#include "files/file_service.hpp"

namespace deskgate::files {

struct upload_limits {
  std::uint64_t max_file_bytes = 0;   // 0: none (413 beyond it)
  std::optional<std::uint64_t> room;  // what the quota still allows (507 beyond it); nullopt: no quota
  std::uint64_t quota_bytes = 0;      // for the message
  std::uint64_t used_bytes = 0;       // for the message
};

class upload {
 public:
  // Creates the temporary file in `dir` (handed to `owner`).
  upload(unique_fd dir, std::string name, std::string shown_path, bool overwrite, upload_limits limits,
         const std::optional<file_owner>& owner);
  ~upload();
  upload(const upload&) = delete;
  upload& operator=(const upload&) = delete;

  // Appends a piece. Throws payload_too_large / insufficient_storage (limits, a full disk).
  void write(std::string_view piece);
  // Puts the file in place. Throws conflict when it exists (without overwrite) or is a folder.
  entry_info commit();

  std::uint64_t written() const { return written_; }

 private:
  void discard();

  unique_fd dir_;
  unique_fd file_;
  std::string name_;
  std::string shown_path_;
  std::string temp_name_;
  bool overwrite_;
  upload_limits limits_;
  std::uint64_t written_ = 0;
  bool done_ = false;
};

// "1.5 GiB (1610612736 bytes)": sizes in messages people read.
std::string describe_size(std::uint64_t bytes);
// The refusal for a file over the per-file limit (413), and for one that does not fit the quota (507).
[[noreturn]] void refuse_too_large(std::uint64_t size, std::uint64_t limit);
[[noreturn]] void refuse_over_quota(std::uint64_t size, const upload_limits& limits);

}  // namespace deskgate::files
