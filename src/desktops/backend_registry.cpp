#include "desktops/backend_registry.hpp"

#include "core/error.hpp"

namespace deskgate {

void backend_registry::add_docker(std::string host_name, std::unique_ptr<backend> b) {
  docker_.emplace_back(std::move(host_name), std::move(b));
}

backend& backend_registry::for_type(const desktop_type& type) {
  if (type.backend == "local" && local_) return *local_;
  if (type.backend == "static" && static_) return *static_;
  if (type.backend == "docker") {
    for (auto& [name, b] : docker_) {
      if (type.backend_host.empty() || type.backend_host == name) return *b;
    }
    throw error(errc::unavailable, type.backend_host.empty()
                                       ? "No Docker host is configured for desktop type " + type.slug + "."
                                       : "There is no Docker host named " + type.backend_host + ".");
  }
  throw error(errc::unavailable, "The " + type.backend + " backend is not available on this gateway.");
}

std::string backend_registry::host_key(const desktop_type& type) const {
  if (type.backend != "docker") return type.backend;
  if (!type.backend_host.empty()) return "docker:" + type.backend_host;
  return docker_.empty() ? "docker:" : "docker:" + docker_.front().first;
}

std::vector<std::pair<std::string, backend*>> backend_registry::all() {
  std::vector<std::pair<std::string, backend*>> out;
  if (local_) out.emplace_back("local", local_.get());
  for (auto& [name, b] : docker_) out.emplace_back("docker:" + name, b.get());
  return out;
}

}  // namespace deskgate
