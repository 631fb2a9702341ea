#include "desktops/event_bus.hpp"

#include <vector>

#include "log/log.hpp"

namespace deskgate {

event_bus::subscription& event_bus::subscription::operator=(subscription&& other) noexcept {
  if (this != &other) {
    reset();
    bus_ = std::exchange(other.bus_, nullptr);
    id_ = other.id_;
  }
  return *this;
}

void event_bus::subscription::reset() {
  if (!bus_) return;
  std::lock_guard lock(bus_->mutex_);
  bus_->handlers_.erase(id_);
  bus_ = nullptr;
}

event_bus::subscription event_bus::subscribe(handler h) {
  std::lock_guard lock(mutex_);
  handlers_.emplace(++next_id_, std::move(h));
  return subscription(this, next_id_);
}

void event_bus::publish(const desktop_event& e) {
  // Copy under the lock, call outside it: a slow subscriber must not block subscribe/unsubscribe.
  std::vector<handler> targets;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, h] : handlers_) targets.push_back(h);
  }
  for (const auto& h : targets) {
    try {
      h(e);
    } catch (const std::exception& ex) {
      log::warn("event subscriber failed", {{"desktop", e.public_id}, {"error", ex.what()}});
    }
  }
}

}  // namespace deskgate
