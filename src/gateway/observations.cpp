#include "gateway/observations.hpp"

namespace deskgate {

void observation_registry::opened(const relay_target& t) {
  if (auto change = count(t, +1)) changes_.publish(*change);
}

void observation_registry::closed(const relay_target& t) {
  if (auto change = count(t, -1)) changes_.publish(*change);
}

std::optional<observation_change> observation_registry::count(const relay_target& t, int delta) {
  if (t.observed_owner_id == 0) return std::nullopt;
  std::lock_guard lock(mutex_);
  watched& w = desktops_[t.public_id];
  w.owner_id = t.observed_owner_id;
  viewer& v = w.viewers[t.user_id];
  v.display_name = t.viewer_name;
  v.connections += delta;
  // Only a person arriving or leaving changes what the owner sees (not a second thumbnail of theirs).
  bool changed = (delta > 0 && v.connections == 1) || v.connections <= 0;
  if (v.connections <= 0) w.viewers.erase(t.user_id);
  auto change = describe(t.public_id, w);
  if (w.viewers.empty()) desktops_.erase(t.public_id);
  if (!changed) return std::nullopt;
  return change;
}

std::vector<observation_change> observation_registry::observed_desktops_of(std::int64_t owner_id) {
  std::vector<observation_change> out;
  std::lock_guard lock(mutex_);
  for (const auto& [public_id, w] : desktops_) {
    if (w.owner_id == owner_id) out.push_back(describe(public_id, w));
  }
  return out;
}

observation_change observation_registry::describe(const std::string& public_id, const watched& w) {
  observation_change c{public_id, w.owner_id, {}};
  for (const auto& [id, v] : w.viewers) c.observers.push_back({id, v.display_name});
  return c;
}

}  // namespace deskgate
