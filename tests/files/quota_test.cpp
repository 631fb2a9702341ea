// The quota book without a disk: reservations of writes in flight count against each other, a settled
// write counts for reservations whose walk came before it, and a dropped write gives its bytes back.
#include "files/quota.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"

namespace deskgate::files {
namespace {

errc refusal_of(quota_reservation& r, std::uint64_t total) {
  try {
    r.reserve(total);
  } catch (const error& e) {
    return e.code();
  }
  return errc::internal;  // not refused
}

TEST(QuotaBook, WritesInFlightCannotTogetherPassTheQuota) {
  quota_book book(100);
  auto on_disk = [] { return std::uint64_t{10}; };
  auto a = book.open("/homes/1", on_disk, 0);
  auto b = book.open("/homes/1", on_disk, 0);
  a->reserve(60);
  EXPECT_EQ(refusal_of(*b, 31), errc::insufficient_storage);  // 10 on disk + 60 reserved + 31 > 100
  b->reserve(30);
  // Another home has its own room.
  auto other = book.open("/homes/2", on_disk, 0);
  other->reserve(90);
  // A dropped write gives its reservation back.
  a.reset();
  b->reserve(90);
}

TEST(QuotaBook, SettledWritesCountForReservationsThatWalkedBefore) {
  quota_book book(100);
  auto empty = [] { return std::uint64_t{0}; };
  auto early = book.open("/homes/1", empty, 0);  // walked before the other write was in place
  auto writer = book.open("/homes/1", empty, 0);
  writer->reserve(70);
  writer->settle(70);
  writer.reset();  // settled: nothing left to give back
  EXPECT_EQ(refusal_of(*early, 31), errc::insufficient_storage);
  early->reserve(30);
}

TEST(QuotaBook, AReplacedFileDoesNotCountAndTheMessageHasTheNumbers) {
  quota_book book(100 * 1024);
  auto r = book.open(
      "/homes/1", [] { return std::uint64_t{60 * 1024}; }, 60 * 1024);
  r->reserve(100 * 1024);  // replaces the 60 KiB file: the whole quota is free for it
  auto other = book.open(
      "/homes/1", [] { return std::uint64_t{60 * 1024}; }, 0);
  try {
    other->reserve(1);
    FAIL() << "not refused";
  } catch (const error& e) {
    EXPECT_EQ(e.code(), errc::insufficient_storage);
    EXPECT_STREQ(e.what(),
                 "Not enough room: 160.0 KiB (163840 bytes) of your 100.0 KiB (102400 bytes) are used, 0 bytes are "
                 "free, and this file needs 1 bytes.");
  }
}

}  // namespace
}  // namespace deskgate::files
