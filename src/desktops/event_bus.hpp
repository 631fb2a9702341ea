// In-process publish/subscribe of desktop state changes. The web UI's live updates and, later, the
// cross-gateway relay (PostgreSQL LISTEN/NOTIFY) subscribe here. Subscribers are called synchronously on
// the publisher's thread: they must be quick and must not call back into the bus.
#pragma once

#include <cstdint>
#include <string>

#include "core/topic.hpp"
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

// A class rather than an alias so that headers can declare it ahead.
class event_bus : public topic<desktop_event> {};

}  // namespace deskgate
