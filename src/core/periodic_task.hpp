// Runs a function every `interval` on its own thread until stopped: the scheduler behind session
// purging, idle culling and reconciliation. Exceptions from the function are logged, never fatal.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace deskgate {

class periodic_task {
 public:
  periodic_task(std::string name, std::chrono::milliseconds interval, std::function<void()> fn);
  ~periodic_task();  // stops and joins
  periodic_task(const periodic_task&) = delete;
  periodic_task& operator=(const periodic_task&) = delete;

  void stop();

 private:
  void loop();

  std::string name_;
  std::chrono::milliseconds interval_;
  std::function<void()> fn_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace deskgate
