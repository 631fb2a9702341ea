// A folder as a zip archive, produced while it is sent: each file is read and deflated (zlib) piece by
// piece, with sizes and CRC in data descriptors after the data, so nothing is held whole and the answer
// starts at once. Names are UTF-8 with the language-encoding flag set (umlauts survive in every unzip).
// Links are left out, never followed. Plain (non-ZIP64) archives: at most 65,535 entries and 4 GiB.
#pragma once

#include <zlib.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/unique_fd.hpp"

namespace deskgate::files {

class zip_stream {
 public:
  // Walks the folder now; the archive's names start with `top` + "/". Throws payload_too_large when the
  // folder is too big for a plain zip.
  zip_stream(unique_fd dir, std::string top);
  ~zip_stream();
  zip_stream(const zip_stream&) = delete;
  zip_stream& operator=(const zip_stream&) = delete;

  // The next bytes of the archive; 0 at the end. Throws when a file vanished or became a link meanwhile.
  std::size_t read(char* buffer, std::size_t capacity);

  static constexpr std::size_t max_entries = 65535;
  static constexpr std::uint64_t max_bytes = 0xFFFFFFFFull;

 private:
  struct item {
    std::vector<std::string> names;  // below the folder
    bool is_dir = false;
    std::uint64_t size = 0;
    std::int64_t mtime = 0;
    unsigned mode = 0;
    std::uint32_t crc = 0;
    std::uint64_t compressed = 0;
    std::uint64_t offset = 0;  // of its local header
  };

  void walk(int dir, std::vector<std::string>& names);
  std::string archive_name(const item& it) const;
  // Appends the next piece of the archive to pending_; false when nothing is left.
  bool produce();
  void start_item(item& it);
  void deflate_some(item& it);
  void add_central_directory();
  void append(int flush, item& it);

  unique_fd dir_;
  std::string top_;
  std::vector<item> items_;
  std::string pending_;
  std::size_t pending_at_ = 0;
  std::size_t current_ = 0;
  bool in_file_ = false;
  bool finished_ = false;
  unique_fd file_;
  z_stream z_{};
  bool z_open_ = false;
  std::uint64_t written_ = 0;  // archive bytes produced so far
};

}  // namespace deskgate::files
