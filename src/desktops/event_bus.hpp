// In-process publish/subscribe of desktop state changes. The web UI's live updates and, later, the
// cross-gateway relay (PostgreSQL LISTEN/NOTIFY) subscribe here. Subscribers are called synchronously on
// the publisher's thread: they must be quick and must not call back into the bus.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "store/store.hpp"

namespace deskgate {

struct desktop_event {
  std::string public_id;
  std::int64_t user_id = 0;
  std::string type_slug;
  desktop_state state = desktop_state::stopped;
  bool removed = false;  // the desktop no longer exists
  std::string error;
  std::int64_t at = 0;
};

class event_bus {
 public:
  using handler = std::function<void(const desktop_event&)>;

  // Unsubscribes when destroyed.
  class subscription {
   public:
    subscription() = default;
    subscription(event_bus* bus, std::uint64_t id) : bus_(bus), id_(id) {}
    subscription(subscription&& other) noexcept { *this = std::move(other); }
    subscription& operator=(subscription&& other) noexcept;
    ~subscription() { reset(); }
    void reset();

   private:
    event_bus* bus_ = nullptr;
    std::uint64_t id_ = 0;
  };

  [[nodiscard]] subscription subscribe(handler h);
  void publish(const desktop_event& e);

 private:
  std::mutex mutex_;
  std::map<std::uint64_t, handler> handlers_;
  std::uint64_t next_id_ = 0;
};

}  // namespace deskgate
