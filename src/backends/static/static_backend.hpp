// Existing VNC servers declared by an admin (lab PCs, VMs, benchmark sinks): nothing is started or
// stopped, the gateway only gates access. The server's address is the type's backend_host and port.
#pragma once

#include "backends/backend.hpp"

namespace deskgate {

class static_backend final : public backend {
 public:
  std::string kind() const override { return "static"; }
  bool needs_host_port() const override { return false; }
  bool host_port_usable(std::uint16_t) const override { return true; }
  started_instance start(const desktop_spec& spec, const std::string& existing) override;
  void stop(const std::string&, std::chrono::seconds) override {}
  void remove(const std::string&) override {}
  // Always "running": whether the server answers is the readiness probe's business.
  instance_state inspect(const std::string&) override { return {instance_status::running, ""}; }
  std::vector<managed_instance> list() override { return {}; }
  std::optional<endpoint> web_endpoint(const std::string&, const desktop_type& type) override;
};

}  // namespace deskgate
