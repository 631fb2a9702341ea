#include "gateway/relay_registry.hpp"

#include <map>

#include "relay/relay_session.hpp"

namespace deskgate {

void relay_registry::add(std::shared_ptr<relay_handle> relay) {
  std::lock_guard lock(mutex_);
  std::erase_if(relays_, [](const auto& r) { return !r->alive(); });
  relays_.push_back(std::move(relay));
}

std::vector<std::shared_ptr<relay_handle>> relay_registry::collect(
    const std::function<bool(const relay_handle&)>& pick) {
  std::vector<std::shared_ptr<relay_handle>> out;
  std::lock_guard lock(mutex_);
  std::erase_if(relays_, [](const auto& r) { return !r->alive(); });
  for (const auto& r : relays_) {
    if (pick(*r)) out.push_back(r);
  }
  return out;
}

void relay_registry::close_desktop(const std::string& public_id, std::uint16_t code, const std::string& reason) {
  for (auto& r : collect([&](const relay_handle& h) { return h.target().public_id == public_id; })) {
    r->close(code, reason);
  }
}

void relay_registry::close_session(std::int64_t session_id, std::uint16_t code, const std::string& reason) {
  for (auto& r : collect([&](const relay_handle& h) { return h.target().session_id == session_id; })) {
    r->close(code, reason);
  }
}

void relay_registry::close_all(std::uint16_t code, const std::string& reason) {
  for (auto& r : collect([](const relay_handle&) { return true; })) r->close(code, reason);
}

void relay_registry::forget_all() {
  std::vector<std::shared_ptr<relay_handle>> gone;
  {
    std::lock_guard lock(mutex_);
    gone.swap(relays_);
  }
}

void relay_registry::recheck_sessions(const std::function<bool(std::int64_t)>& still_valid) {
  std::map<std::int64_t, bool> verdicts;  // one database look-up per session, however many relays it has
  for (auto& r : collect([](const relay_handle&) { return true; })) {
    auto sid = r->target().session_id;
    auto [it, fresh] = verdicts.emplace(sid, true);
    if (fresh) it->second = still_valid(sid);
    if (!it->second) r->close(close_session_ended, "Your session has ended. Please sign in again.");
  }
}

void relay_registry::recheck_observers(
    const std::function<bool(std::int64_t viewer_id, std::int64_t owner_id)>& still_allowed) {
  std::map<std::pair<std::int64_t, std::int64_t>, bool> verdicts;  // one look-up per viewer and owner
  for (auto& r : collect([](const relay_handle& h) { return h.target().observed_owner_id != 0; })) {
    const relay_target& t = r->target();
    auto [it, fresh] = verdicts.emplace(std::pair(t.user_id, t.observed_owner_id), true);
    if (fresh) it->second = still_allowed(t.user_id, t.observed_owner_id);
    if (!it->second) {
      r->close(close_observation_ended, "You no longer teach a group of this desktop's owner, so watching ended.");
    }
  }
}

std::size_t relay_registry::open_count() {
  return collect([](const relay_handle&) { return true; }).size();
}

}  // namespace deskgate
