// The docker backend: desktops as containers on one Docker Engine (or Podman's Docker-compatible API),
// one backend object per [[docker_hosts]] entry. Each desktop is a container named
// "deskgate-<public id>", labelled deskgate.desktop / deskgate.user / deskgate.type, given its secret in
// the type's secret_env variable, the user's home bind-mounted at /home/desktop (the shared space and
// assignment folders below it; a restart with other folders replaces the container), the type's limits,
// no-new-privileges, and its VNC port published on publish_address only (or, with `network`, reached at
// the container's own address on that network).
#pragma once

#include <chrono>
#include <memory>

#include "backends/backend.hpp"
#include "config/config.hpp"

namespace deskgate::docker {
class client;
}

namespace deskgate {

struct docker_backend_options {
  std::chrono::milliseconds api_timeout{30'000};    // each Engine API call
  std::chrono::milliseconds pull_timeout{600'000};  // silence allowed while an image is pulled
};

class docker_backend : public backend {
 public:
  // Where the container sees the user's home.
  static constexpr const char* home_mount = "/home/desktop";

  explicit docker_backend(docker_host_config host, docker_backend_options options = {});
  ~docker_backend() override;

  const docker_host_config& host() const { return host_; }
  docker::client& api() { return *client_; }

  std::string kind() const override { return "docker"; }
  bool needs_host_port() const override { return host_.network.empty(); }
  bool host_port_usable(std::uint16_t port) const override;

  started_instance start(const desktop_spec& spec, const std::string& existing) override;
  std::optional<endpoint> web_endpoint(const std::string& container_id, const desktop_type& type) override;
  void stop(const std::string& container_id, std::chrono::seconds grace) override;
  void remove(const std::string& container_id) override;
  instance_state inspect(const std::string& container_id) override;
  std::vector<managed_instance> list() override;

 private:
  void ensure_image(const desktop_spec& spec);
  std::string create(const desktop_spec& spec);
  // Where the gateway reaches a port published on `published_on` (0.0.0.0 and :: are not addresses).
  std::string reachable_address(const std::string& published_on) const;
  endpoint endpoint_of(const std::string& container_id, std::uint16_t container_port, std::uint16_t host_port);

  docker_host_config host_;
  std::unique_ptr<docker::client> client_;
};

}  // namespace deskgate
