// Background work on desktops, serialised per desktop: jobs for one desktop run one at a time, in the
// order they were posted (a stop posted during a start runs after it), while different desktops
// proceed in parallel on a few threads. Like a strand per desktop.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace deskgate {

class desktop_jobs {
 public:
  explicit desktop_jobs(int threads);
  ~desktop_jobs();  // shutdown()
  desktop_jobs(const desktop_jobs&) = delete;
  desktop_jobs& operator=(const desktop_jobs&) = delete;

  void post(std::int64_t desktop_id, std::function<void()> job);
  // True while a job for the desktop is queued or running.
  bool busy(std::int64_t desktop_id);
  // Blocks until no job is queued or running (tests, orderly shutdown).
  void wait_idle();
  // Drops queued jobs, waits for running ones, joins the threads. Idempotent.
  void shutdown();

 private:
  void work();

  std::mutex mutex_;
  std::condition_variable ready_cv_;
  std::condition_variable idle_cv_;
  std::map<std::int64_t, std::deque<std::function<void()>>> queues_;
  std::deque<std::int64_t> ready_;  // desktops with queued jobs and none running
  std::set<std::int64_t> running_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace deskgate
