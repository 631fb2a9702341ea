// The quota of the homes while writes are in flight. Uploads (and moves into another home) reserve the
// bytes they bring before they write them, per home under one mutex, so two uploads running together
// cannot both pass a check that only one of them fits: the second sees the first's reservation. A
// reservation becomes usage when its entry is in place, and is released when the write is dropped.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace deskgate::files {

class quota_reservation;

class quota_book {
 public:
  explicit quota_book(std::uint64_t quota_bytes) : quota_(quota_bytes) {}
  quota_book(const quota_book&) = delete;
  quota_book& operator=(const quota_book&) = delete;

  // Starts a reservation in the home `home` (its folder's path, the key). `measure` walks the home for
  // the bytes on disk (in-flight temporary files not counted: they are reserved); `replaced` is what the
  // new entry takes the place of (an overwritten file), which does not count against it.
  std::unique_ptr<quota_reservation> open(const std::string& home, const std::function<std::uint64_t()>& measure,
                                          std::uint64_t replaced);

 private:
  friend class quota_reservation;
  struct ledger {
    std::uint64_t reserved = 0;  // by the writes in flight
    std::int64_t settled = 0;    // net bytes put in place since the ledger opened (the walks of earlier
                                 // reservations did not see them)
    int holders = 0;             // open reservations; the ledger goes when none is left
  };

  std::mutex mutex_;
  std::map<std::string, ledger> homes_;
  std::uint64_t quota_;
};

class quota_reservation {
 public:
  quota_reservation(quota_book& book, std::string home, std::uint64_t replaced);
  ~quota_reservation();  // releases what is still reserved
  quota_reservation(const quota_reservation&) = delete;
  quota_reservation& operator=(const quota_reservation&) = delete;

  // Makes sure `total` bytes are reserved for this write. Throws insufficient_storage (507, with the
  // numbers) when they do not fit next to what is on disk and what the other writes reserved.
  void reserve(std::uint64_t total);
  // The entry is in place with `size` bytes: its reservation turns into usage.
  void settle(std::uint64_t size);

 private:
  friend class quota_book;

  quota_book& book_;
  std::string home_;
  std::uint64_t replaced_;
  std::uint64_t on_disk_ = 0;         // measured when opened
  std::int64_t settled_at_open_ = 0;  // the ledger's `settled` then
  std::uint64_t mine_ = 0;
};

// "1.5 GiB (1610612736 bytes)": sizes in messages people read.
std::string describe_size(std::uint64_t bytes);

}  // namespace deskgate::files
