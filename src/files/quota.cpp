#include "files/quota.hpp"

#include <fmt/format.h>

#include "core/error.hpp"

namespace deskgate::files {

std::string describe_size(std::uint64_t bytes) {
  static constexpr std::string_view units[] = {"KiB", "MiB", "GiB", "TiB"};
  if (bytes < 1024) return fmt::format("{} bytes", bytes);
  double value = static_cast<double>(bytes);
  std::size_t unit = 0;
  value /= 1024;
  while (value >= 1024 && unit + 1 < std::size(units)) {
    value /= 1024;
    ++unit;
  }
  return fmt::format("{:.1f} {} ({} bytes)", value, units[unit], bytes);
}

std::unique_ptr<quota_reservation> quota_book::open(const std::string& home,
                                                    const std::function<std::uint64_t()>& measure,
                                                    std::uint64_t replaced) {
  auto r = std::make_unique<quota_reservation>(*this, home, replaced);
  // Walked outside the lock (it reads a whole folder tree). An entry settled while the walk runs may be
  // counted twice until the next write: more careful, never less.
  r->on_disk_ = measure();
  return r;
}

quota_reservation::quota_reservation(quota_book& book, std::string home, std::uint64_t replaced)
    : book_(book), home_(std::move(home)), replaced_(replaced) {
  std::lock_guard lock(book_.mutex_);
  auto& l = book_.homes_[home_];
  ++l.holders;
  settled_at_open_ = l.settled;
}

quota_reservation::~quota_reservation() {
  std::lock_guard lock(book_.mutex_);
  auto it = book_.homes_.find(home_);
  it->second.reserved -= mine_;
  if (--it->second.holders == 0) book_.homes_.erase(it);
}

void quota_reservation::reserve(std::uint64_t total) {
  if (total <= mine_) return;
  std::lock_guard lock(book_.mutex_);
  auto& l = book_.homes_[home_];
  // On disk now: what the walk found, plus what was put in place since, plus what the others reserved.
  std::int64_t disk = static_cast<std::int64_t>(on_disk_) + (l.settled - settled_at_open_);
  std::uint64_t used = static_cast<std::uint64_t>(std::max<std::int64_t>(disk, 0)) + (l.reserved - mine_);
  std::uint64_t counted = used > replaced_ ? used - replaced_ : 0;
  std::uint64_t room = book_.quota_ > counted ? book_.quota_ - counted : 0;
  if (total > room) {
    throw error(
        errc::insufficient_storage,
        fmt::format("Not enough room: {} of your {} are used, {} are free, and this file needs {}.",
                    describe_size(used), describe_size(book_.quota_), describe_size(room), describe_size(total)));
  }
  l.reserved += total - mine_;
  mine_ = total;
}

void quota_reservation::settle(std::uint64_t size) {
  std::lock_guard lock(book_.mutex_);
  auto& l = book_.homes_[home_];
  l.reserved -= mine_;
  mine_ = 0;
  l.settled += static_cast<std::int64_t>(size) - static_cast<std::int64_t>(replaced_);
}

}  // namespace deskgate::files
