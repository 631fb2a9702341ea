// Slows down password guessing: after too many failed logins for one username or from one address
// within a window, further attempts are refused (429 with Retry-After) until the oldest failure ages out.
// In memory per gateway: a restart forgets, which only ever loosens the limit.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/clock.hpp"

namespace deskgate::auth {

class login_throttle {
 public:
  login_throttle(const clock& clk, int max_per_user, int max_per_address, std::int64_t window_seconds);

  // Seconds until a login for this username from this address may be tried again; 0: go ahead.
  std::int64_t retry_after(std::string_view username, std::string_view address);
  void record_failure(std::string_view username, std::string_view address);
  // A successful login clears the username's failures (not the address's: one account guessed from an
  // address shared with other victims must not reset the address limit).
  void record_success(std::string_view username);

 private:
  using failures = std::unordered_map<std::string, std::deque<std::int64_t>>;
  std::int64_t wait_for(failures& map, const std::string& key, int limit, std::int64_t now);
  void prune(std::int64_t now);

  const clock& clock_;
  int max_per_user_;
  int max_per_address_;
  std::int64_t window_;
  std::mutex mutex_;
  failures by_user_;
  failures by_address_;
  std::int64_t last_prune_ = 0;
};

}  // namespace deskgate::auth
