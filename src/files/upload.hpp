// One file upload in progress: the body goes into a hidden temporary file in the target folder, and
// only a complete body is renamed to its name, in one step. Readers see the old file or the new one,
// never a part; of two uploads of one name, one wins whole. An upload dropped before commit() (the
// client went away, a limit was hit) deletes its temporary file and gives back its quota reservation.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/unique_fd.hpp"
#include "files/confined_fs.hpp"
#include "files/file_service.hpp"
#include "files/quota.hpp"

namespace deskgate::files {

class upload {
 public:
  // Creates the temporary file in `dir` (handed to `owner`). `max_file_bytes`: 0 for no limit (413 beyond
  // it); `quota`: null when no quota applies, else every byte is reserved there before it is written
  // (507 when it does not fit).
  upload(unique_fd dir, std::string name, std::string shown_path, bool overwrite, std::uint64_t max_file_bytes,
         std::unique_ptr<quota_reservation> quota, const std::optional<file_owner>& owner);
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
  std::uint64_t max_file_bytes_;
  std::unique_ptr<quota_reservation> quota_;
  std::uint64_t written_ = 0;
  bool done_ = false;
};

// The refusal for a file over the per-file limit (413).
[[noreturn]] void refuse_too_large(std::uint64_t size, std::uint64_t limit);

}  // namespace deskgate::files
