#include "files/upload.hpp"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>

#include "core/crypto.hpp"
#include "core/error.hpp"
#include "core/mime_types.hpp"

namespace deskgate::files {

void refuse_too_large(std::uint64_t size, std::uint64_t limit) {
  throw error(errc::payload_too_large, fmt::format("The file is too large: {} is over the limit of {} per file.",
                                                   describe_size(size), describe_size(limit)));
}

upload::upload(unique_fd dir, std::string name, std::string shown_path, bool overwrite, std::uint64_t max_file_bytes,
               std::unique_ptr<quota_reservation> quota, const std::optional<file_owner>& owner)
    : dir_(std::move(dir)),
      name_(std::move(name)),
      shown_path_(std::move(shown_path)),
      overwrite_(overwrite),
      max_file_bytes_(max_file_bytes),
      quota_(std::move(quota)) {
  // A random name nobody else uses; O_EXCL|O_NOFOLLOW: never an existing file or a planted link.
  for (int attempt = 0; attempt < 5 && !file_; ++attempt) {
    temp_name_ = std::string(upload_temp_prefix) + crypto::random_token(12);
    file_ =
        unique_fd(::openat(dir_.get(), temp_name_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
    if (!file_ && errno != EEXIST) break;
  }
  if (!file_) {
    int err = errno;
    if (err == ENOSPC || err == EDQUOT) throw error(errc::insufficient_storage, "The disk is full; nothing was saved.");
    throw error(errc::internal, "cannot create a temporary file for " + shown_path_ + ": " + errno_text(err));
  }
  hand_to(file_.get(), owner);
}

upload::~upload() { discard(); }

void upload::discard() {
  if (done_) return;
  done_ = true;
  quota_.reset();  // first: once the temporary file is gone, its bytes are free again
  file_.reset();
  ::unlinkat(dir_.get(), temp_name_.c_str(), 0);
}

void upload::write(std::string_view piece) {
  std::uint64_t total = written_ + piece.size();
  if (max_file_bytes_ > 0 && total > max_file_bytes_) {
    discard();
    refuse_too_large(total, max_file_bytes_);
  }
  if (quota_) {
    try {
      quota_->reserve(total);
    } catch (const error&) {
      discard();
      throw;
    }
  }
  while (!piece.empty()) {
    ssize_t n = ::write(file_.get(), piece.data(), piece.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      discard();
      if (err == ENOSPC || err == EDQUOT)
        throw error(errc::insufficient_storage, "The disk is full; nothing was saved.");
      throw error(errc::internal, "cannot write " + shown_path_ + ": " + errno_text(err));
    }
    piece.remove_prefix(static_cast<std::size_t>(n));
    written_ += static_cast<std::uint64_t>(n);
  }
}

entry_info upload::commit() {
  struct stat st {};
  if (::fstat(file_.get(), &st) != 0)
    throw error(errc::internal, "cannot check " + shown_path_ + ": " + errno_text(errno));
  file_.reset();
  // RENAME_NOREPLACE: of two uploads without overwrite, the second finds the first's file, atomically.
  int rc = ::renameat2(dir_.get(), temp_name_.c_str(), dir_.get(), name_.c_str(), overwrite_ ? 0 : RENAME_NOREPLACE);
  if (rc != 0) {
    int err = errno;
    discard();
    if (err == EEXIST) {
      throw error(errc::conflict, shown_path_ + " already exists; upload with overwrite=1 to replace it.");
    }
    if (err == EISDIR || err == ENOTEMPTY) throw error(errc::conflict, shown_path_ + " is a folder.");
    throw error(errc::internal, "cannot save " + shown_path_ + ": " + errno_text(err));
  }
  done_ = true;
  if (quota_) quota_->settle(static_cast<std::uint64_t>(st.st_size));
  quota_.reset();
  return entry_info{name_, "file", static_cast<std::uint64_t>(st.st_size), st.st_mtim.tv_sec,
                    std::string(mime_type_for(name_))};
}

}  // namespace deskgate::files
