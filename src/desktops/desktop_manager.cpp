#include "desktops/desktop_manager.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <thread>

#include "config/config.hpp"
#include "core/crypto.hpp"
#include "core/error.hpp"
#include "log/log.hpp"

namespace deskgate {
namespace {

// VncAuth uses only the first 8 characters; Basic auth (websocket desktops) uses all of them.
constexpr std::size_t secret_length = 16;

std::string describe_limit(int n, std::string_view what) {
  return n == 1 ? fmt::format("one {}", what) : fmt::format("{} {}s", n, what);
}

}  // namespace

desktop_manager::desktop_manager(store& db, const clock& clk, backend_registry& backends, event_bus& events,
                                 manager_settings settings, readiness_probe probe)
    : db_(db),
      clock_(clk),
      backends_(backends),
      events_(events),
      settings_(std::move(settings)),
      probe_(std::move(probe)),
      jobs_(settings_.job_threads) {}

desktop_manager::~desktop_manager() { shutdown(); }

void desktop_manager::shutdown() {
  stopping_ = true;
  jobs_.shutdown();
}

desktop desktop_manager::load(std::int64_t desktop_id) {
  auto d = db_.find_desktop(desktop_id);
  if (!d) throw error(errc::not_found, "That desktop does not exist (any more).");
  return *d;
}

std::string desktop_manager::slug_of(std::int64_t type_id) {
  auto t = db_.find_desktop_type(type_id);
  return t ? t->slug : "";
}

void desktop_manager::publish(const desktop& d, bool removed) {
  events_.publish({d.public_id, d.user_id, slug_of(d.desktop_type_id), d.state, removed, d.error, clock_.now()});
}

bool desktop_manager::transition(const desktop& d, std::vector<desktop_state> from, desktop_state to,
                                 const desktop_changes& changes) {
  if (!db_.transition_desktop(d.id, std::move(from), to, changes)) return false;
  auto now = db_.find_desktop(d.id);
  if (now) {
    log::info("desktop state", {{"desktop", d.public_id}, {"state", to_string(to)}, {"error", now->error}});
    publish(*now);
  }
  return true;
}

void desktop_manager::fail(const desktop& d, desktop_state from, const std::string& reason) {
  desktop_changes changes;
  changes.error = reason;
  changes.stopped_at = clock_.now();
  transition(d, {from}, desktop_state::error, changes);
}

desktop desktop_manager::start(const user& owner, std::string_view type_slug) {
  auto type = db_.find_desktop_type_by_slug(type_slug);
  if (!type) throw error(errc::not_found, "There is no desktop type \"" + std::string(type_slug) + "\".");
  if (!type->enabled) throw error(errc::forbidden, "The desktop type " + type->name + " is switched off.");
  if (owner.user_role != role::admin) {
    auto visible = db_.list_desktop_types_for(owner.id);
    bool assigned = std::any_of(visible.begin(), visible.end(), [&](const auto& t) { return t.id == type->id; });
    if (!assigned) throw error(errc::forbidden, "The desktop type " + type->name + " is not available to you.");
  }

  auto existing = db_.find_desktop_of(owner.id, type->id);
  if (!existing) {
    desktop fresh;
    fresh.public_id = crypto::random_token(16);
    fresh.user_id = owner.id;
    fresh.desktop_type_id = type->id;
    fresh.backend_host = backends_.host_key(*type);
    fresh.state = desktop_state::stopped;
    fresh.secret = crypto::random_password(secret_length);
    fresh.created_at = clock_.now();
    try {
      existing = db_.create_desktop(fresh);
    } catch (const error& e) {
      if (e.code() != errc::conflict) throw;
      existing = db_.find_desktop_of(owner.id, type->id);  // a concurrent request created it first
      if (!existing) throw;
    }
  }
  desktop d = *existing;
  if (is_active(d.state)) return d;

  if (!db_.transition_desktop_within_limits(d.id, {desktop_state::stopped, desktop_state::error},
                                            desktop_state::creating, settings_.max_per_user, settings_.max_total)) {
    d = load(d.id);
    if (is_active(d.state)) return d;  // another request started it a moment ago
    if (db_.count_active_desktops(owner.id) >= settings_.max_per_user) {
      throw error(errc::too_many_requests, "You already have " +
                                               describe_limit(settings_.max_per_user, "running desktop") +
                                               ", the most allowed. Stop one first.");
    }
    throw error(errc::conflict, "deskgate is running as many desktops as it may (" +
                                    std::to_string(settings_.max_total) + "). Please try again later.");
  }
  d = load(d.id);
  log::info("desktop state", {{"desktop", d.public_id}, {"state", "creating"}, {"user", owner.username}});
  publish(d);
  jobs_.post(d.id, [this, id = d.id] { run_start(id); });
  return d;
}

void desktop_manager::run_start(std::int64_t desktop_id) {
  auto found = db_.find_desktop(desktop_id);
  if (!found || (found->state != desktop_state::creating && found->state != desktop_state::starting) || stopping_)
    return;
  desktop d = *found;
  auto type = db_.find_desktop_type(d.desktop_type_id);
  auto owner = db_.find_user(d.user_id);
  if (!type || !owner) return fail(d, d.state, "The desktop's type or owner no longer exists.");

  try {
    backend& b = backends_.for_type(*type);
    desktop_spec spec;
    spec.public_id = d.public_id;
    spec.user_id = owner->id;
    spec.username = owner->username;
    spec.type = *type;
    spec.secret = d.secret;
    spec.home_dir = settings_.homes_dir / std::to_string(owner->id);
    std::filesystem::create_directories(spec.home_dir);
    if (settings_.mounts_for) spec.mounts = settings_.mounts_for(*owner, *type);
    if (b.needs_host_port()) {
      auto port = db_.allocate_port(d.backend_host, settings_.port_first, settings_.port_last, d.id,
                                    [&b](std::uint16_t p) { return b.host_port_usable(p); });
      if (!port) {
        throw error(errc::unavailable, fmt::format("No free port is left in {}-{} on {}.", settings_.port_first,
                                                   settings_.port_last, d.backend_host));
      }
      spec.host_port = *port;
    }
    if (d.state == desktop_state::creating && !transition(d, {desktop_state::creating}, desktop_state::starting))
      return;
    d.state = desktop_state::starting;

    auto instance = b.start(spec, d.container_id);
    desktop_changes placed;
    placed.container_id = instance.container_id;
    placed.endpoint = instance.where.to_string();
    db_.update_desktop(d.id, placed);
    d.container_id = instance.container_id;
    d.endpoint = *placed.endpoint;

    if (!wait_until_ready(d, *type, b, instance.where)) return;
    desktop_changes ready;
    auto now = clock_.now();
    ready.started_at = now;
    ready.last_active_at = now;
    ready.error = "";
    transition(d, {desktop_state::starting}, desktop_state::running, ready);
  } catch (const error& e) {
    fail(d, d.state, e.what());
  } catch (const std::exception& e) {
    fail(d, d.state, std::string("The desktop could not be started: ") + e.what());
  }
}

// Polls until the desktop answers, its instance dies, someone stops it, or the type's deadline passes.
bool desktop_manager::wait_until_ready(const desktop& d, const desktop_type& type, backend& b, const endpoint& where) {
  auto limit = type.start_timeout_seconds > 0 ? std::chrono::seconds(type.start_timeout_seconds)
                                              : settings_.default_start_timeout;
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (true) {
    if (stopping_) return false;
    auto current = db_.find_desktop(d.id);
    if (!current || current->state != desktop_state::starting) return false;  // stopped or removed meanwhile
    if (probe_(where, type)) return true;
    auto seen = b.inspect(d.container_id);
    if (seen.status != instance_status::running) {
      std::string why = seen.reason.empty() ? "its processes ended" : seen.reason;
      fail(d, desktop_state::starting, "The desktop stopped while starting: " + why + ".");
      return false;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      b.stop(d.container_id, settings_.stop_grace);
      fail(d, desktop_state::starting, fmt::format("The desktop did not answer within {} seconds.", limit.count()));
      return false;
    }
    std::this_thread::sleep_for(settings_.readiness_poll);
  }
}

desktop desktop_manager::stop(std::int64_t desktop_id, std::string_view reason) {
  desktop d = load(desktop_id);
  desktop_changes changes;
  if (!reason.empty()) changes.error = std::string(reason);
  if (!ask_to_stop(d, changes)) return d;
  // Read back before the job is posted: once it runs, the row moves on.
  desktop stopping_now = load(desktop_id);
  jobs_.post(d.id, [this, id = d.id] { run_stop(id); });
  return stopping_now;
}

bool desktop_manager::ask_to_stop(const desktop& d, const desktop_changes& changes) {
  return transition(d, {desktop_state::creating, desktop_state::starting, desktop_state::running, desktop_state::error},
                    desktop_state::stopping, changes);
}

void desktop_manager::run_stop(std::int64_t desktop_id) {
  auto d = db_.find_desktop(desktop_id);
  if (!d || d->state != desktop_state::stopping) return;
  auto type = db_.find_desktop_type(d->desktop_type_id);
  try {
    if (type && !d->container_id.empty()) backends_.for_type(*type).stop(d->container_id, settings_.stop_grace);
  } catch (const std::exception& e) {
    // The engine may be down; the desktop is still marked stopped and reconciliation catches up later.
    log::warn("desktop stop failed", {{"desktop", d->public_id}, {"error", e.what()}});
  }
  desktop_changes changes;
  changes.stopped_at = clock_.now();
  transition(*d, {desktop_state::stopping}, desktop_state::stopped, changes);
}

desktop desktop_manager::remove(std::int64_t desktop_id) {
  desktop d = load(desktop_id);
  bool was_active = ask_to_stop(d, {});
  // Read back before the jobs are posted: the removal job may delete the row at once.
  desktop snapshot = was_active ? load(desktop_id) : d;
  if (was_active) jobs_.post(d.id, [this, id = d.id] { run_stop(id); });
  jobs_.post(d.id, [this, id = d.id] { run_remove(id); });
  return snapshot;
}

void desktop_manager::run_remove(std::int64_t desktop_id) {
  auto d = db_.find_desktop(desktop_id);
  if (!d) return;
  if (is_active(d->state)) return;  // started again after the removal was asked for: keep it
  auto type = db_.find_desktop_type(d->desktop_type_id);
  try {
    if (type && !d->container_id.empty()) backends_.for_type(*type).remove(d->container_id);
  } catch (const std::exception& e) {
    log::warn("desktop removal failed", {{"desktop", d->public_id}, {"error", e.what()}});
    return;  // keep the row so a later attempt (or reconciliation) can finish the job
  }
  db_.delete_desktop(d->id);
  {
    std::lock_guard lock(web_endpoints_mutex_);
    web_endpoints_.erase(d->id);
  }
  log::info("desktop removed", {{"desktop", d->public_id}});
  publish(*d, true);
}

int desktop_manager::stop_all() {
  int asked = 0;
  for (const auto& d : db_.list_desktops()) {
    if (d.state == desktop_state::stopping || !is_active(d.state)) continue;
    if (stop(d.id).state == desktop_state::stopping) ++asked;
  }
  return asked;
}

std::optional<endpoint> desktop_manager::web_endpoint(const desktop& d, const desktop_type& type) {
  if (type.http_port == 0 || d.container_id.empty()) return std::nullopt;
  {
    std::lock_guard lock(web_endpoints_mutex_);
    auto known = web_endpoints_.find(d.id);
    if (known != web_endpoints_.end() && known->second.container_id == d.container_id &&
        known->second.started_at == d.started_at && known->second.type_updated_at == type.updated_at) {
      return known->second.where;
    }
  }
  auto where = backends_.for_type(type).web_endpoint(d.container_id, type);
  if (where) {
    std::lock_guard lock(web_endpoints_mutex_);
    web_endpoints_[d.id] = {d.container_id, d.started_at, type.updated_at, *where};
  }
  return where;
}

void desktop_manager::record_activity(std::int64_t desktop_id) {
  desktop_changes changes;
  changes.last_active_at = clock_.now();
  db_.update_desktop(desktop_id, changes);
}

int desktop_manager::cull_idle() {
  auto now = clock_.now();
  int culled = 0;
  for (const auto& d : db_.list_desktops()) {
    if (d.state != desktop_state::running) continue;
    auto last = d.last_active_at.value_or(d.started_at.value_or(d.created_at));
    if (now - last < settings_.idle_timeout.count()) continue;
    auto minutes = settings_.idle_timeout.count() / 60;
    stop(d.id, fmt::format("Stopped after {} minutes without use.", minutes));
    ++culled;
  }
  return culled;
}

int desktop_manager::remove_expired() {
  auto now = clock_.now();
  int removed = 0;
  for (const auto& d : db_.list_desktops()) {
    if (d.state != desktop_state::stopped && d.state != desktop_state::error) continue;
    if (now - d.stopped_at.value_or(d.created_at) < settings_.remove_stopped_after.count()) continue;
    remove(d.id);
    ++removed;
  }
  return removed;
}

void desktop_manager::reconcile() {
  std::set<std::string> known;
  for (const auto& d : db_.list_desktops()) {
    known.insert(d.public_id);
    if (jobs_.busy(d.id)) continue;  // our own work is in progress: its result will be right
    auto type = db_.find_desktop_type(d.desktop_type_id);
    if (!type) continue;
    try {
      backend& b = backends_.for_type(*type);
      switch (d.state) {
        case desktop_state::creating:
        case desktop_state::starting:  // interrupted by a gateway restart: carry on where it stopped
          jobs_.post(d.id, [this, id = d.id] { run_start(id); });
          break;
        case desktop_state::stopping:
          jobs_.post(d.id, [this, id = d.id] { run_stop(id); });
          break;
        case desktop_state::running: {
          auto seen = b.inspect(d.container_id);
          if (seen.status == instance_status::running) break;  // adopted
          desktop_changes changes;
          changes.stopped_at = clock_.now();
          changes.error =
              seen.status == instance_status::missing
                  ? "The desktop's instance disappeared."
                  : "The desktop stopped: " + (seen.reason.empty() ? "its processes ended" : seen.reason) + ".";
          if (transition(d, {desktop_state::running}, desktop_state::stopped, changes)) {
            log::warn("desktop found stopped", {{"desktop", d.public_id}, {"reason", *changes.error}});
          }
          break;
        }
        case desktop_state::stopped:
        case desktop_state::error:
          break;
      }
    } catch (const std::exception& e) {
      log::warn("reconciliation failed", {{"desktop", d.public_id}, {"error", e.what()}});
    }
  }

  for (auto& [host, b] : backends_.all()) {
    try {
      for (const auto& instance : b->list()) {
        if (known.contains(instance.desktop_public_id)) continue;
        log::warn("unknown desktop instance", {{"host", host},
                                               {"instance", instance.container_id},
                                               {"desktop", instance.desktop_public_id},
                                               {"action", settings_.remove_unknown ? "removed" : "reported"}});
        if (settings_.remove_unknown) b->remove(instance.container_id);
      }
    } catch (const std::exception& e) {
      log::warn("reconciliation failed", {{"host", host}, {"error", e.what()}});
    }
  }
}

desktop_stats desktop_manager::stats() {
  desktop_stats s;
  std::set<std::int64_t> active_users;
  for (const auto& d : db_.list_desktops()) {
    ++s.total;
    ++s.by_state[std::string(to_string(d.state))];
    if (is_active(d.state)) active_users.insert(d.user_id);
  }
  s.users_with_active_desktops = static_cast<std::int64_t>(active_users.size());
  return s;
}

}  // namespace deskgate
