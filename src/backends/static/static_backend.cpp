#include "backends/static/static_backend.hpp"

#include "core/error.hpp"

namespace deskgate {

started_instance static_backend::start(const desktop_spec& spec, const std::string&) {
  if (spec.type.backend_host.empty() || spec.type.port == 0) {
    throw error(errc::internal, "desktop type " + spec.type.slug + " has no host and port configured");
  }
  endpoint where;
  where.host = spec.type.backend_host;
  where.port = spec.type.port;
  return {"static:" + spec.type.slug, where};
}

std::optional<endpoint> static_backend::web_endpoint(const std::string&, const desktop_type& type) {
  if (type.http_port == 0 || type.backend_host.empty()) return std::nullopt;
  endpoint where;
  where.host = type.backend_host;
  where.port = type.http_port;
  return where;
}

}  // namespace deskgate
