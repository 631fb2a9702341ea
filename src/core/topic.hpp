// In-process publish/subscribe of one kind of event. Subscribers are called synchronously on the
// publisher's thread, outside the topic's lock: they must be quick and must not subscribe from inside.
#pragma once

#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <utility>
#include <vector>

#include "log/log.hpp"

namespace deskgate {

template <class Event>
class topic {
 public:
  using handler = std::function<void(const Event&)>;

  // Unsubscribes when destroyed.
  class subscription {
   public:
    subscription() = default;
    subscription(topic* owner, std::uint64_t id) : owner_(owner), id_(id) {}
    subscription(subscription&& other) noexcept { *this = std::move(other); }
    subscription& operator=(subscription&& other) noexcept {
      if (this != &other) {
        reset();
        owner_ = std::exchange(other.owner_, nullptr);
        id_ = other.id_;
      }
      return *this;
    }
    ~subscription() { reset(); }
    void reset() {
      if (!owner_) return;
      std::lock_guard lock(owner_->mutex_);
      owner_->handlers_.erase(id_);
      owner_ = nullptr;
    }

   private:
    topic* owner_ = nullptr;
    std::uint64_t id_ = 0;
  };

  [[nodiscard]] subscription subscribe(handler h) {
    std::lock_guard lock(mutex_);
    handlers_.emplace(++next_id_, std::move(h));
    return subscription(this, next_id_);
  }

  void publish(const Event& e) {
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
        log::warn("event subscriber failed", {{"error", ex.what()}});
      }
    }
  }

 private:
  std::mutex mutex_;
  std::map<std::uint64_t, handler> handlers_;
  std::uint64_t next_id_ = 0;
};

}  // namespace deskgate
