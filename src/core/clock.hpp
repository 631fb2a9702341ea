// Wall-clock time as the rest of deskgate sees it: an interface, so expiry and throttling are testable
// without sleeping. Times are Unix seconds (what the database stores).
#pragma once

#include <atomic>
#include <cstdint>

namespace deskgate {

class clock {
 public:
  virtual ~clock() = default;
  virtual std::int64_t now() const = 0;
};

class system_clock final : public clock {
 public:
  std::int64_t now() const override;
};

// For tests: time moves only when told to.
class manual_clock final : public clock {
 public:
  explicit manual_clock(std::int64_t start = 1'700'000'000) : now_(start) {}
  std::int64_t now() const override { return now_.load(); }
  void advance(std::int64_t seconds) { now_ += seconds; }

 private:
  std::atomic<std::int64_t> now_;
};

}  // namespace deskgate
