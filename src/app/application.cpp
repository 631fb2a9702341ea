#include "app/application.hpp"

#include <condition_variable>
#include <mutex>
#include <thread>

#include "api/services.hpp"
#include "auth/login_throttle.hpp"
#include "auth/session_service.hpp"
#include "http/dispatcher.hpp"
#include "http/metrics.hpp"
#include "http/server.hpp"
#include "log/log.hpp"
#include "store/store.hpp"

namespace deskgate {
namespace {

// Expired sessions are purged this often; the database rows are the only copy, so any gateway may do it.
constexpr std::chrono::minutes maintenance_interval{5};

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
        services{cfg, *db, *this->clk, sessions, throttle, stats},
        dispatch(api::make_router(services), sessions, http::static_files(cfg.server.web_root),
                 cfg.server.public_origin),
        server(server_options_from(cfg), [this](const http::request& r) { return dispatch.handle(r); }, stats) {}

  void maintenance_loop() {
    std::unique_lock lock(maintenance_mutex);
    while (!maintenance_cv.wait_for(lock, maintenance_interval, [this] { return stopping; })) {
      lock.unlock();
      try {
        if (int purged = sessions.purge_expired(); purged > 0) {
          log::info("expired sessions purged", {{"count", std::to_string(purged)}});
        }
      } catch (const std::exception& e) {
        log::warn("session purge failed", {{"error", e.what()}});
      }
      lock.lock();
    }
  }

  config cfg;
  std::shared_ptr<const clock> clk;
  std::unique_ptr<store> db;
  http::metrics stats;
  auth::session_service sessions;
  auth::login_throttle throttle;
  api::services services;
  http::dispatcher dispatch;
  http::server server;
  std::optional<auth::bootstrap_admin> bootstrap;

  std::thread maintenance;
  std::mutex maintenance_mutex;
  std::condition_variable maintenance_cv;
  bool stopping = false;
};

application::application(config cfg, std::shared_ptr<const clock> clk)
    : impl_(std::make_unique<impl>(std::move(cfg), std::move(clk))) {}

application::~application() {
  if (impl_->maintenance.joinable()) {
    shutdown();
    wait();
  }
}

void application::start() {
  auto& s = *impl_;
  int applied = s.db->migrate();
  if (applied > 0) {
    log::info("database migrated", {{"applied", std::to_string(applied)},
                                    {"version", std::to_string(s.db->schema_version())}});
  }
  if (s.cfg.auth.local.enabled) {
    s.bootstrap = auth::ensure_admin(*s.db);
  }
  s.server.start();
  s.maintenance = std::thread([&s] { s.maintenance_loop(); });
  log::info("deskgate listening", {{"address", s.cfg.server.listen_host + ":" + std::to_string(port())},
                                   {"public_url", s.cfg.server.public_url}});
}

std::uint16_t application::port() const { return impl_->server.port(); }

void application::shutdown() {
  {
    std::lock_guard lock(impl_->maintenance_mutex);
    impl_->stopping = true;
  }
  impl_->maintenance_cv.notify_all();
  impl_->server.shutdown(impl_->cfg.server.shutdown_grace_ms);
}

void application::wait() {
  impl_->server.wait();
  if (impl_->maintenance.joinable()) impl_->maintenance.join();
}

const std::optional<auth::bootstrap_admin>& application::bootstrap_admin() const { return impl_->bootstrap; }
store& application::db() { return *impl_->db; }
const config& application::cfg() const { return impl_->cfg; }

}  // namespace deskgate
