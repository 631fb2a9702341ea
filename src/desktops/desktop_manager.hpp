// The desktop lifecycle (DESIGN.md §3): one desktop per (user, type), moved through
// creating → starting → running → stopping → stopped (or error, with the reason) in the database with
// compare-and-set transitions, so concurrent requests and several gateways agree on one outcome. API
// calls change the state and return at once; the backend work runs as desktop jobs. A scheduler culls
// idle desktops, removes long-stopped ones and reconciles the database with what the backends run.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "backends/backend.hpp"
#include "core/clock.hpp"
#include "desktops/backend_registry.hpp"
#include "desktops/desktop_jobs.hpp"
#include "desktops/event_bus.hpp"
#include "store/store.hpp"

namespace deskgate {

struct manager_settings {
  int max_per_user = 3;
  int max_total = 500;
  std::chrono::seconds default_start_timeout{60};
  std::chrono::seconds stop_grace{10};
  std::chrono::seconds idle_timeout{2 * 3600};
  std::chrono::seconds remove_stopped_after{24 * 3600};
  std::uint16_t port_first = 7000;
  std::uint16_t port_last = 7999;
  bool remove_unknown = false;
  std::filesystem::path homes_dir;  // <data_dir>/homes: one folder per user id, kept across desktops
  // The folders a user's desktop of a type shows inside their home (the file spaces); none when empty.
  std::function<std::vector<desktop_mount>(const user&, const desktop_type&)> mounts_for;
  int job_threads = 4;
  std::chrono::milliseconds readiness_poll{200};
};

// True when the desktop at `where` answers (an RFB banner, or its WebSocket server).
using readiness_probe = std::function<bool(const endpoint& where, const desktop_type& type)>;

struct desktop_stats {
  std::int64_t total = 0;
  std::map<std::string, std::int64_t> by_state;
  std::int64_t users_with_active_desktops = 0;
};

class desktop_manager {
 public:
  desktop_manager(store& db, const clock& clk, backend_registry& backends, event_bus& events, manager_settings settings,
                  readiness_probe probe);
  ~desktop_manager();
  desktop_manager(const desktop_manager&) = delete;
  desktop_manager& operator=(const desktop_manager&) = delete;

  // Creates or resumes `owner`'s desktop of the type and returns it at once (usually in state
  // creating; as it is when already active). Throws deskgate::error: not_found (no such type),
  // forbidden (not assigned, disabled), too_many_requests (the user's limit), conflict (the global limit).
  desktop start(const user& owner, std::string_view type_slug);
  // Asks the desktop to stop; returns its row afterwards. Stopping a stopped desktop changes nothing.
  desktop stop(std::int64_t desktop_id, std::string_view reason = {});
  // Stops (if needed) and removes the desktop's instance and row; the user's files stay.
  desktop remove(std::int64_t desktop_id);
  // Stops every active desktop; returns how many were asked to stop.
  int stop_all();

  // Where state changes are published (the web UI's live updates subscribe).
  event_bus& events() { return events_; }

  // Where the running desktop's web port is reached (the http relay mode), or nullopt when it has none.
  // Remembered per start of the desktop and version of its type: a page load's many requests ask the
  // backend (a Docker inspect) once; a restart (the engine may pick another port) or an edited type asks again.
  std::optional<endpoint> web_endpoint(const desktop& d, const desktop_type& type);

  // The relay calls this for input from the browser: the desktop is in use, so it is not idle.
  void record_activity(std::int64_t desktop_id);

  // Scheduler work (also callable directly, e.g. by tests).
  int cull_idle();
  int remove_expired();
  void reconcile();

  desktop_stats stats();

  // Blocks until no desktop job is queued or running.
  void wait_idle() { jobs_.wait_idle(); }
  // Stops background work: running jobs end at their next check, queued ones are dropped. Desktops
  // keep running; the next start reconciles and adopts them.
  void shutdown();

 private:
  void run_start(std::int64_t desktop_id);
  void run_stop(std::int64_t desktop_id);
  // Moves an active or failed desktop to stopping; false when it is stopping or stopped already.
  bool ask_to_stop(const desktop& d, const desktop_changes& changes);
  void run_remove(std::int64_t desktop_id);
  bool wait_until_ready(const desktop& d, const desktop_type& type, backend& b, const endpoint& where);
  // Moves to error with `reason` unless someone moved the desktop on meanwhile.
  void fail(const desktop& d, desktop_state from, const std::string& reason);
  bool transition(const desktop& d, std::vector<desktop_state> from, desktop_state to,
                  const desktop_changes& changes = {});
  void publish(const desktop& d, bool removed = false);
  desktop load(std::int64_t desktop_id);
  std::string slug_of(std::int64_t type_id);

  store& db_;
  const clock& clock_;
  backend_registry& backends_;
  event_bus& events_;
  manager_settings settings_;
  readiness_probe probe_;
  std::atomic<bool> stopping_{false};

  struct known_web_endpoint {
    std::string container_id;
    std::optional<std::int64_t> started_at;
    std::int64_t type_updated_at = 0;
    endpoint where;
  };
  std::mutex web_endpoints_mutex_;
  std::map<std::int64_t, known_web_endpoint> web_endpoints_;  // by desktop id; dropped when it is removed

  desktop_jobs jobs_;
};

}  // namespace deskgate
