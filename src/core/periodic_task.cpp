#include "core/periodic_task.hpp"

#include "log/log.hpp"

namespace deskgate {

periodic_task::periodic_task(std::string name, std::chrono::milliseconds interval, std::function<void()> fn)
    : name_(std::move(name)), interval_(interval), fn_(std::move(fn)), thread_([this] { loop(); }) {}

periodic_task::~periodic_task() { stop(); }

void periodic_task::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void periodic_task::loop() {
  std::unique_lock lock(mutex_);
  while (!wake_.wait_for(lock, interval_, [this] { return stopping_; })) {
    lock.unlock();
    try {
      fn_();
    } catch (const std::exception& e) {
      log::warn("scheduled task failed", {{"task", name_}, {"error", e.what()}});
    }
    lock.lock();
  }
}

}  // namespace deskgate
