#include "files/zip_stream.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <array>
#include <cerrno>
#include <ctime>
#include <span>

#include "core/error.hpp"
#include "files/confined_fs.hpp"
#include "files/path_rules.hpp"
#include "files/upload.hpp"

namespace deskgate::files {
namespace {

constexpr std::uint16_t flag_data_descriptor = 0x0008;
constexpr std::uint16_t flag_utf8_names = 0x0800;
constexpr std::uint16_t method_store = 0;
constexpr std::uint16_t method_deflate = 8;
constexpr std::uint16_t version_needed = 20;              // 2.0: deflate, folders
constexpr std::uint16_t version_made_by = (3 << 8) | 20;  // Unix, so the mode bits are read
constexpr std::size_t piece_bytes = 64 * 1024;
// Deflate can grow incompressible data a little; the size check keeps this much headroom per entry.
constexpr std::uint64_t per_entry_overhead = 1024;

void put16(std::string& out, std::uint16_t v) {
  out.push_back(static_cast<char>(v & 0xff));
  out.push_back(static_cast<char>(v >> 8));
}

void put32(std::string& out, std::uint32_t v) {
  put16(out, static_cast<std::uint16_t>(v & 0xffff));
  put16(out, static_cast<std::uint16_t>(v >> 16));
}

// MS-DOS time and date fields (local time, two-second steps, from 1980).
std::pair<std::uint16_t, std::uint16_t> dos_time(std::int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  localtime_r(&t, &tm);
  if (tm.tm_year < 80) return {0, (1 << 5) | 1};  // 1980-01-01
  auto time = static_cast<std::uint16_t>((tm.tm_hour << 11) | (tm.tm_min << 5) | (tm.tm_sec / 2));
  auto date = static_cast<std::uint16_t>(((tm.tm_year - 80) << 9) | ((tm.tm_mon + 1) << 5) | tm.tm_mday);
  return {time, date};
}

std::uint32_t narrow(std::uint64_t v) {
  if (v > zip_stream::max_bytes) throw error(errc::internal, "the folder grew past 4 GiB while it was zipped");
  return static_cast<std::uint32_t>(v);
}

}  // namespace

zip_stream::zip_stream(unique_fd dir, std::string top) : dir_(std::move(dir)), top_(std::move(top)) {
  std::vector<std::string> names;
  walk(dir_.get(), names);
  std::uint64_t total = 0;
  for (const auto& it : items_) total += it.size + per_entry_overhead + 2 * archive_name(it).size();
  if (items_.size() > max_entries || total > max_bytes) {
    throw error(errc::payload_too_large,
                fmt::format("This folder is too big to download as a zip: {} in {} entries; a zip holds at most "
                            "{} and {} entries. Download its parts one by one.",
                            describe_size(total), items_.size(), describe_size(max_bytes), max_entries));
  }
}

zip_stream::~zip_stream() {
  if (z_open_) deflateEnd(&z_);
}

void zip_stream::walk(int dir, std::vector<std::string>& names) {
  for (const auto& n : names_in(dir)) {
    if (n.starts_with(upload_temp_prefix) || !valid_utf8(n)) continue;
    auto st = stat_entry(dir, n);
    if (!st || !(S_ISDIR(st->st_mode) || S_ISREG(st->st_mode))) continue;  // links and devices stay out
    names.push_back(n);
    item it;
    it.names = names;
    it.is_dir = S_ISDIR(st->st_mode);
    it.size = it.is_dir ? 0 : static_cast<std::uint64_t>(st->st_size);
    it.mtime = st->st_mtim.tv_sec;
    it.mode = st->st_mode & 07777;
    items_.push_back(std::move(it));
    if (S_ISDIR(st->st_mode) && items_.size() <= max_entries) {
      unique_fd sub(::openat(dir, n.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (sub) walk(sub.get(), names);
    }
    names.pop_back();
  }
}

std::string zip_stream::archive_name(const item& it) const {
  return top_ + "/" + join_path(it.names) + (it.is_dir ? "/" : "");
}

std::size_t zip_stream::read(char* buffer, std::size_t capacity) {
  while (pending_at_ == pending_.size()) {
    pending_.clear();
    pending_at_ = 0;
    if (!produce()) return 0;
  }
  std::size_t n = std::min(capacity, pending_.size() - pending_at_);
  std::copy_n(pending_.data() + pending_at_, n, buffer);
  pending_at_ += n;
  return n;
}

bool zip_stream::produce() {
  if (finished_) return false;
  if (in_file_) {
    deflate_some(items_[current_]);
  } else if (current_ < items_.size()) {
    start_item(items_[current_]);
  } else {
    add_central_directory();
    finished_ = true;
  }
  written_ += pending_.size();
  return true;
}

void zip_stream::start_item(item& it) {
  it.offset = written_;
  std::string name = archive_name(it);
  auto [time, date] = dos_time(it.mtime);
  put32(pending_, 0x04034b50);
  put16(pending_, version_needed);
  put16(pending_, it.is_dir ? flag_utf8_names : flag_utf8_names | flag_data_descriptor);
  put16(pending_, it.is_dir ? method_store : method_deflate);
  put16(pending_, time);
  put16(pending_, date);
  put32(pending_, 0);  // CRC and sizes follow the data (data descriptor); a folder has none
  put32(pending_, 0);
  put32(pending_, 0);
  put16(pending_, static_cast<std::uint16_t>(name.size()));
  put16(pending_, 0);
  pending_ += name;
  if (it.is_dir) {
    ++current_;
    return;
  }
  // Opened again through the confined walk: a file swapped for a link since the listing is refused.
  auto parent = std::span<const std::string>(it.names).first(it.names.size() - 1);
  unique_fd dir = open_dir(dir_.get(), parent, join_path(it.names));
  file_ = unique_fd(::openat(dir.get(), it.names.back().c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
  struct stat st {};
  if (!file_ || ::fstat(file_.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    throw error(errc::internal, "cannot read " + join_path(it.names) + " for the zip");
  }
  ::fcntl(file_.get(), F_SETFL, 0);
  z_ = z_stream{};
  if (deflateInit2(&z_, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw error(errc::internal, "cannot start zlib");
  }
  z_open_ = true;
  it.crc = static_cast<std::uint32_t>(crc32(0, nullptr, 0));
  it.size = 0;
  it.compressed = 0;
  in_file_ = true;
}

void zip_stream::deflate_some(item& it) {
  std::array<char, piece_bytes> in{};
  ssize_t n;
  do {
    n = ::read(file_.get(), in.data(), in.size());
  } while (n < 0 && errno == EINTR);
  if (n < 0) throw error(errc::internal, "cannot read " + join_path(it.names) + ": " + errno_text(errno));
  if (n > 0) {
    it.crc = static_cast<std::uint32_t>(crc32(it.crc, reinterpret_cast<const Bytef*>(in.data()), static_cast<uInt>(n)));
    it.size += static_cast<std::uint64_t>(n);
    z_.next_in = reinterpret_cast<Bytef*>(in.data());
    z_.avail_in = static_cast<uInt>(n);
    append(Z_NO_FLUSH, it);
    return;
  }
  append(Z_FINISH, it);
  deflateEnd(&z_);
  z_open_ = false;
  file_.reset();
  put32(pending_, 0x08074b50);
  put32(pending_, it.crc);
  put32(pending_, narrow(it.compressed));
  put32(pending_, narrow(it.size));
  in_file_ = false;
  ++current_;
}

void zip_stream::append(int flush, item& it) {
  std::array<char, piece_bytes> out{};
  int rc;
  do {
    z_.next_out = reinterpret_cast<Bytef*>(out.data());
    z_.avail_out = static_cast<uInt>(out.size());
    rc = deflate(&z_, flush);
    if (rc == Z_STREAM_ERROR) throw error(errc::internal, "zlib failed");
    std::size_t produced = out.size() - z_.avail_out;
    pending_.append(out.data(), produced);
    it.compressed += produced;
  } while (z_.avail_out == 0 || (flush == Z_FINISH && rc != Z_STREAM_END));
}

void zip_stream::add_central_directory() {
  std::uint64_t start = written_;
  for (const auto& it : items_) {
    std::string name = archive_name(it);
    auto [time, date] = dos_time(it.mtime);
    put32(pending_, 0x02014b50);
    put16(pending_, version_made_by);
    put16(pending_, version_needed);
    put16(pending_, it.is_dir ? flag_utf8_names : flag_utf8_names | flag_data_descriptor);
    put16(pending_, it.is_dir ? method_store : method_deflate);
    put16(pending_, time);
    put16(pending_, date);
    put32(pending_, it.crc);
    put32(pending_, narrow(it.compressed));
    put32(pending_, narrow(it.size));
    put16(pending_, static_cast<std::uint16_t>(name.size()));
    put16(pending_, 0);  // extra
    put16(pending_, 0);  // comment
    put16(pending_, 0);  // disk
    put16(pending_, 0);  // internal attributes
    std::uint32_t unix_mode = (it.is_dir ? 0040000u : 0100000u) | it.mode;
    put32(pending_, (unix_mode << 16) | (it.is_dir ? 0x10u : 0u));
    put32(pending_, narrow(it.offset));
    pending_ += name;
  }
  std::uint64_t size = pending_.size();  // pending_ holds just the central directory so far
  put32(pending_, 0x06054b50);
  put16(pending_, 0);
  put16(pending_, 0);
  put16(pending_, static_cast<std::uint16_t>(items_.size()));
  put16(pending_, static_cast<std::uint16_t>(items_.size()));
  put32(pending_, narrow(size));
  put32(pending_, narrow(start));
  put16(pending_, 0);
}

}  // namespace deskgate::files
