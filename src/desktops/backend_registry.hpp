// Which backend runs a desktop type: the local backend, the static one, or one of the named Docker
// hosts (the type's backend_host; empty means the first host).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "backends/backend.hpp"

namespace deskgate {

class backend_registry {
 public:
  void add_local(std::unique_ptr<backend> b) { local_ = std::move(b); }
  void add_static(std::unique_ptr<backend> b) { static_ = std::move(b); }
  void add_docker(std::string host_name, std::unique_ptr<backend> b);

  // Throws deskgate::error{errc::unavailable} naming what is missing.
  backend& for_type(const desktop_type& type);
  // The stable name of the host a type's desktops run on ("local", "static", "docker:<host>"): the
  // desktops.backend_host column and the port-allocation key.
  std::string host_key(const desktop_type& type) const;

  // Every backend that can report instances, with its host key (for reconciliation).
  std::vector<std::pair<std::string, backend*>> all();

 private:
  std::unique_ptr<backend> local_;
  std::unique_ptr<backend> static_;
  std::vector<std::pair<std::string, std::unique_ptr<backend>>> docker_;
};

}  // namespace deskgate
