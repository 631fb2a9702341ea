// The running gateway: opens and migrates the store, makes sure an admin exists, writes the configured
// desktop types, builds the backends, the desktop manager, the services and routes, reconciles desktops,
// starts the HTTP server and the scheduled tasks, and stops all of it in order.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "auth/accounts.hpp"
#include "config/config.hpp"
#include "core/clock.hpp"

namespace deskgate {

class store;
class desktop_manager;
class event_bus;

class application {
 public:
  // `clk` is for tests; nullptr uses the system clock.
  explicit application(config cfg, std::shared_ptr<const clock> clk = nullptr);
  ~application();
  application(const application&) = delete;
  application& operator=(const application&) = delete;

  // Throws on start-up errors (database, address in use); nothing is left running then.
  void start();
  std::uint16_t port() const;
  // Graceful: stop accepting, finish in-flight requests within server.shutdown_grace, then stop.
  void shutdown();
  void wait();

  // The first admin's account when start() had to create it: shown once to whoever started deskgate.
  const std::optional<auth::bootstrap_admin>& bootstrap_admin() const;
  store& db();
  desktop_manager& desktops();
  event_bus& events();
  const config& cfg() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace deskgate
