#include "auth/login_throttle.hpp"

#include <algorithm>
#include <cctype>

#include "core/text.hpp"

namespace deskgate::auth {

login_throttle::login_throttle(const clock& clk, int max_per_user, int max_per_address, std::int64_t window_seconds)
    : clock_(clk), max_per_user_(max_per_user), max_per_address_(max_per_address), window_(window_seconds) {}

std::int64_t login_throttle::wait_for(failures& map, const std::string& key, int limit, std::int64_t now) {
  auto it = map.find(key);
  if (it == map.end()) return 0;
  auto& times = it->second;
  while (!times.empty() && times.front() <= now - window_) times.pop_front();
  if (static_cast<int>(times.size()) < limit) return 0;
  return times.front() + window_ - now;
}

std::int64_t login_throttle::retry_after(std::string_view username, std::string_view address) {
  std::lock_guard lock(mutex_);
  auto now = clock_.now();
  prune(now);
  return std::max(wait_for(by_user_, to_lower(username), max_per_user_, now),
                  wait_for(by_address_, std::string(address), max_per_address_, now));
}

void login_throttle::record_failure(std::string_view username, std::string_view address) {
  std::lock_guard lock(mutex_);
  auto now = clock_.now();
  by_user_[to_lower(username)].push_back(now);
  by_address_[std::string(address)].push_back(now);
}

void login_throttle::record_success(std::string_view username) {
  std::lock_guard lock(mutex_);
  by_user_.erase(to_lower(username));
}

// Drops keys whose failures all aged out, at most once a minute, so memory stays bounded by the
// number of distinct names and addresses seen within one window.
void login_throttle::prune(std::int64_t now) {
  if (now - last_prune_ < 60) return;
  last_prune_ = now;
  for (auto* map : {&by_user_, &by_address_}) {
    std::erase_if(*map, [&](const auto& entry) { return entry.second.empty() || entry.second.back() <= now - window_; });
  }
}

}  // namespace deskgate::auth
