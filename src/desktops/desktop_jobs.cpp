#include "desktops/desktop_jobs.hpp"

#include "log/log.hpp"

namespace deskgate {

desktop_jobs::desktop_jobs(int threads) {
  for (int i = 0; i < std::max(1, threads); ++i) threads_.emplace_back([this] { work(); });
}

desktop_jobs::~desktop_jobs() { shutdown(); }

void desktop_jobs::post(std::int64_t desktop_id, std::function<void()> job) {
  std::lock_guard lock(mutex_);
  if (stopping_) return;
  auto& queue = queues_[desktop_id];
  bool was_waiting = !queue.empty();  // then it is already in ready_
  queue.push_back(std::move(job));
  if (!was_waiting && !running_.contains(desktop_id)) {
    ready_.push_back(desktop_id);
    ready_cv_.notify_one();
  }
}

bool desktop_jobs::busy(std::int64_t desktop_id) {
  std::lock_guard lock(mutex_);
  return running_.contains(desktop_id) || queues_.contains(desktop_id);
}

void desktop_jobs::wait_idle() {
  std::unique_lock lock(mutex_);
  idle_cv_.wait(lock, [this] { return queues_.empty() && running_.empty(); });
}

void desktop_jobs::shutdown() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
    queues_.clear();
    ready_.clear();
  }
  ready_cv_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
  idle_cv_.notify_all();
}

void desktop_jobs::work() {
  std::unique_lock lock(mutex_);
  while (true) {
    ready_cv_.wait(lock, [this] { return stopping_ || !ready_.empty(); });
    if (stopping_) return;
    auto id = ready_.front();
    ready_.pop_front();
    auto& queue = queues_[id];
    auto job = std::move(queue.front());
    queue.pop_front();
    if (queue.empty()) queues_.erase(id);
    running_.insert(id);
    lock.unlock();
    try {
      job();
    } catch (const std::exception& e) {
      log::error("desktop job failed", {{"desktop_id", std::to_string(id)}, {"error", e.what()}});
    }
    lock.lock();
    running_.erase(id);
    if (queues_.contains(id)) {
      ready_.push_back(id);
      ready_cv_.notify_one();
    }
    if (queues_.empty() && running_.empty()) idle_cv_.notify_all();
  }
}

}  // namespace deskgate
