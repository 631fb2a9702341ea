#include "app/application.hpp"

#include <malloc.h>

#include "api/gateway_access.hpp"
#include "api/services.hpp"
#include "auth/login_throttle.hpp"
#include "auth/session_service.hpp"
#include "backends/docker/docker_backend.hpp"
#include "backends/local/local_backend.hpp"
#include "backends/static/static_backend.hpp"
#include "core/periodic_task.hpp"
#include "desktops/assignment_mounts.hpp"
#include "desktops/desktop_manager.hpp"
#include "desktops/desktop_type_rules.hpp"
#include "desktops/event_bus.hpp"
#include "desktops/readiness.hpp"
#include "files/file_service.hpp"
#include "gateway/observations.hpp"
#include "gateway/relay_registry.hpp"
#include "http/dispatcher.hpp"
#include "http/metrics.hpp"
#include "http/server.hpp"
#include "log/log.hpp"
#include "relay/relay_session.hpp"
#include "store/store.hpp"

namespace deskgate {
namespace {

// Expired sessions are purged this often; the database rows are the only copy, so any gateway may do it.
constexpr std::chrono::minutes session_purge_interval{5};

std::shared_ptr<const clock> or_system_clock(std::shared_ptr<const clock> clk) {
  return clk ? std::move(clk) : std::make_shared<system_clock>();
}

auth::session_settings session_settings_from(const config& cfg) {
  auth::session_settings s;
  s.idle_timeout_seconds = cfg.auth.session.idle_timeout.count();
  s.absolute_timeout_seconds = cfg.auth.session.absolute_timeout.count();
  s.secure_cookie = cfg.server.public_https;
  return s;
}

http::server_options server_options_from(const config& cfg) {
  http::server_options o;
  o.host = cfg.server.listen_host;
  o.port = cfg.server.listen_port;
  o.io_threads = cfg.server.io_threads;
  o.worker_threads = cfg.server.worker_threads;
  o.max_connections = cfg.server.max_connections;
  o.max_header_bytes = cfg.server.max_header_bytes;
  o.max_body_bytes = cfg.server.max_body_bytes;
  o.header_timeout = cfg.server.header_timeout_ms;
  o.body_timeout = cfg.server.body_timeout_ms;
  o.keepalive_timeout = cfg.server.keepalive_timeout_ms;
  o.trusted_proxies = cfg.server.trusted_proxies;
  return o;
}

manager_settings manager_settings_from(const config& cfg) {
  manager_settings m;
  m.max_per_user = cfg.desktops.max_per_user;
  m.max_total = cfg.desktops.max_total;
  m.default_start_timeout = cfg.desktops.start_timeout;
  m.stop_grace = cfg.desktops.stop_grace;
  m.idle_timeout = cfg.desktops.idle_timeout;
  m.remove_stopped_after = cfg.desktops.remove_stopped_after;
  m.port_first = cfg.desktops.port_range_start;
  m.port_last = cfg.desktops.port_range_end;
  m.remove_unknown = cfg.desktops.remove_unknown;
  m.homes_dir = cfg.server.data_dir / "homes";
  return m;
}

files::files_settings files_settings_from(const config& cfg) {
  files::files_settings f;
  f.data_dir = cfg.server.data_dir;
  f.quota_bytes = cfg.files.quota.empty() ? 0 : static_cast<std::uint64_t>(parse_byte_size(cfg.files.quota));
  f.max_file_bytes =
      cfg.files.max_file_size.empty() ? 0 : static_cast<std::uint64_t>(parse_byte_size(cfg.files.max_file_size));
  f.shared_writer = parse_role(cfg.files.shared_writable_by).value_or(role::teacher);
  // As root, each user's local desktops run as uid local.uid_base + their id: what the API creates in a
  // home belongs to that account too, so both sides can change it.
  if (::geteuid() == 0) f.uid_base = cfg.local.uid_base;
  return f;
}

std::unique_ptr<backend_registry> make_backends(const config& cfg) {
  auto registry = std::make_unique<backend_registry>();
  registry->add_local(std::make_unique<local_backend>(cfg.local, cfg.server.data_dir));
  registry->add_static(std::make_unique<static_backend>());
  for (const auto& host : cfg.docker_hosts) {
    registry->add_docker(host.name, std::make_unique<docker_backend>(host));
  }
  return registry;
}

// The built UI: server.web_root, or else web/dist beside the data folder (the repository's layout, so
// `make run` from the repository serves the UI it just built).
std::filesystem::path web_root_of(const config& cfg) {
  if (!cfg.server.web_root.empty()) return cfg.server.web_root;
  auto data = cfg.server.data_dir.lexically_normal();
  if (!data.has_filename()) data = data.parent_path();  // "data/" names the folder "data"
  return data.parent_path() / "web" / "dist";
}

}  // namespace

struct application::impl {
  impl(config c, std::shared_ptr<const clock> clk)
      : cfg(std::move(c)),
        clk(or_system_clock(std::move(clk))),
        db(open_store(cfg.store.url, *this->clk, cfg.store.pool_size,
                      static_cast<int>(cfg.store.busy_timeout_ms.count()))),
        sessions(*db, *this->clk, session_settings_from(cfg)),
        throttle(*this->clk, cfg.auth.local.max_failures_per_user, cfg.auth.local.max_failures_per_address,
                 cfg.auth.local.failure_window.count()),
        backends(make_backends(cfg)),
        files(files_settings_from(cfg), *db),
        desktops(*db, *this->clk, *backends, events, with_mounts(manager_settings_from(cfg)),
                 desktop_readiness_probe()),
        oidc(cfg.auth.oidc.enabled() ? std::make_unique<auth::oidc::login_flow>(cfg, *db, *this->clk) : nullptr),
        desktop_web({.timeout = cfg.gateway.http_timeout, .max_response_bytes = cfg.gateway.http_max_response_bytes}),
        services{cfg,      *db,    *this->clk,   sessions,   throttle, stats,
                 desktops, relays, observations, oidc.get(), files,    desktop_web},
        dispatch(api::make_router(services), sessions, http::static_files(web_root_of(cfg)), cfg.server.public_origin),
        server(
            with_streaming(with_upgrades(server_options_from(cfg))),
            [this](const http::request& r) { return dispatch.handle(r); }, stats),
        // A desktop that stops takes its viewers with it.
        desktop_watch(events.subscribe([this](const desktop_event& e) {
          if (e.removed || e.state == desktop_state::stopping || e.state == desktop_state::stopped ||
              e.state == desktop_state::error) {
            relays.close_desktop(e.public_id, close_desktop_stopped, "The desktop was stopped.");
          }
        })) {}

  // Relays: options from [gateway]; browser input marks the desktop (and the session) as in use, written
  // on the worker pool since the relay calls from an I/O thread.
  http::server_options with_upgrades(http::server_options o) {
    auto options = std::make_shared<relay_options>();
    options->ping_interval = cfg.gateway.ping_interval;
    options->handshake_timeout = cfg.gateway.handshake_timeout;
    options->max_message_bytes = cfg.gateway.max_message_bytes;
    auto hooks = std::make_shared<relay_events>();
    hooks->on_activity = [this](const relay_target& t) {
      server.post_blocking([this, desktop_id = t.desktop_id, session_id = t.session_id] {
        desktops.record_activity(desktop_id);
        sessions.touch(session_id);
      });
    };
    hooks->on_close = [this](const relay_target& t, std::uint64_t to_browser, std::uint64_t to_desktop,
                             std::chrono::milliseconds lived, const std::string&) {
      stats.relay_closed(to_browser, to_desktop, std::chrono::duration<double>(lived).count());
      observations.closed(t);
    };
    o.upgrades.options = options;
    o.upgrades.events = hooks;
    o.upgrades.on_started = [this](std::shared_ptr<relay_handle> relay) {
      stats.relay_opened();
      observations.opened(relay->target());
      relays.add(std::move(relay));
    };
    // Event streams end with the session too (logout, expiry) and at shutdown.
    o.upgrades.push_ping_interval = cfg.gateway.ping_interval;
    o.upgrades.on_push_started = [this](std::shared_ptr<relay_handle> stream) { relays.add(std::move(stream)); };
    return o;
  }

  // Every desktop shows the shared space at ~/Public/shared, writable for those who may change it, and
  // the folders of the assignments of its type given to its owner, read-only at ~/Public/<title>.
  manager_settings with_mounts(manager_settings m) {
    m.mounts_for = [this](const user& u, const desktop_type& t) {
      files.resolve(u.id, u.user_role, "shared");  // creates the folder on first use
      std::vector<desktop_mount> mounts{{files.shared_dir(), "Public/shared", !files.may_write_shared(u.user_role)}};
      for (auto& folder : assignment_mounts(*db, files, u, t)) mounts.push_back(std::move(folder));
      return mounts;
    };
    return m;
  }

  http::server_options with_streaming(http::server_options o) {
    o.streams_body = [this](http::method verb, std::string_view target) { return dispatch.streams_body(verb, target); };
    return o;
  }

  void start_scheduled_tasks() {
    tasks.push_back(std::make_unique<periodic_task>("session purge", session_purge_interval, [this] {
      if (int purged = sessions.purge_expired(); purged > 0) {
        log::info("expired sessions purged", {{"count", std::to_string(purged)}});
      }
      if (oidc) oidc->purge_expired();
    }));
    tasks.push_back(std::make_unique<periodic_task>("desktop culling", cfg.desktops.scheduler_interval, [this] {
      desktops.cull_idle();
      desktops.remove_expired();
    }));
    tasks.push_back(std::make_unique<periodic_task>("desktop reconciliation", cfg.desktops.reconcile_interval,
                                                    [this] { desktops.reconcile(); }));
    tasks.push_back(
        std::make_unique<periodic_task>("relay session check", cfg.gateway.session_recheck_interval, [this] {
          relays.recheck_sessions([this](std::int64_t sid) { return sessions.still_valid(sid); });
          api::close_unauthorized_observers(services);  // groups synced from the IdP at a sign-in
          // Thousands of relays coming and going leave glibc holding freed memory; hand it back.
          ::malloc_trim(0);
        }));
  }

  config cfg;
  std::shared_ptr<const clock> clk;
  std::unique_ptr<store> db;
  http::metrics stats;
  auth::session_service sessions;
  auth::login_throttle throttle;
  event_bus events;
  std::unique_ptr<backend_registry> backends;
  files::file_service files;
  desktop_manager desktops;
  relay_registry relays;
  observation_registry observations;
  std::unique_ptr<auth::oidc::login_flow> oidc;
  http::http_client desktop_web;
  api::services services;
  http::dispatcher dispatch;
  http::server server;
  event_bus::subscription desktop_watch;
  std::optional<auth::bootstrap_admin> bootstrap;
  std::vector<std::unique_ptr<periodic_task>> tasks;
  bool started = false;
};

application::application(config cfg, std::shared_ptr<const clock> clk)
    : impl_(std::make_unique<impl>(std::move(cfg), std::move(clk))) {}

application::~application() {
  if (impl_->started) {
    shutdown();
    wait();
  }
}

void application::start() {
  auto& s = *impl_;
  int applied = s.db->migrate();
  if (applied > 0) {
    log::info("database migrated",
              {{"applied", std::to_string(applied)}, {"version", std::to_string(s.db->schema_version())}});
  }
  if (s.cfg.auth.local.enabled) {
    s.bootstrap = auth::ensure_admin(*s.db);
  }
  upsert_configured_types(*s.db, s.cfg.desktop_types);
  // Before serving: adopt what survived a restart, so the first requests see the truth.
  s.desktops.reconcile();
  s.server.start();
  s.started = true;
  s.start_scheduled_tasks();
  log::info("deskgate listening", {{"address", s.cfg.server.listen_host + ":" + std::to_string(port())},
                                   {"public_url", s.cfg.server.public_url}});
}

std::uint16_t application::port() const { return impl_->server.port(); }

void application::shutdown() {
  for (auto& task : impl_->tasks) task->stop();
  // Desktops keep running; viewers reconnect to the next gateway (or this one after its restart).
  impl_->relays.close_all(close_going_away, "The server is restarting.");
  impl_->server.shutdown(impl_->cfg.server.shutdown_grace_ms);
}

void application::wait() {
  impl_->server.wait();
  impl_->relays.forget_all();
  impl_->desktops.shutdown();
  impl_->tasks.clear();
  impl_->started = false;
}

const std::optional<auth::bootstrap_admin>& application::bootstrap_admin() const { return impl_->bootstrap; }
store& application::db() { return *impl_->db; }
desktop_manager& application::desktops() { return impl_->desktops; }
event_bus& application::events() { return impl_->events; }
const config& application::cfg() const { return impl_->cfg; }

}  // namespace deskgate
