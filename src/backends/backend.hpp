// The seam between the desktop manager and whatever runs desktops: local processes (Xvnc), a Docker
// Engine (or Podman) API, or existing servers declared by an admin. The manager decides *when* (states,
// limits, readiness, culling); a backend only does *what* it is told, synchronously, and reports what
// it sees. Calls block (processes, engine API): the manager runs them on its own threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "store/store.hpp"

namespace deskgate {

// Where the gateway reaches a desktop's VNC (or WebSocket) server.
struct endpoint {
  std::string unix_path;  // set: a unix socket
  std::string host;       // otherwise host and port
  std::uint16_t port = 0;

  bool is_unix() const { return !unix_path.empty(); }
  std::string to_string() const;  // "unix:/run/x.sock" or "tcp:127.0.0.1:7001" (IPv6 as tcp:[::1]:7001)
  static std::optional<endpoint> parse(std::string_view text);
};

// A folder shown inside a desktop's home (the shared space at Public/shared, assignment folders).
struct desktop_mount {
  std::filesystem::path source;  // on the host: a folder deskgate manages
  std::string target;            // relative to the desktop's home, e.g. "Public/shared"
  bool read_only = true;
  // Names below `source` leading to the folder shown, for folders someone else controls (an assignment's
  // folder in a teacher's home): the local backend opens each without following links.
  std::vector<std::string> source_names;

  std::filesystem::path full_source() const {
    std::filesystem::path p = source;
    for (const auto& name : source_names) p /= name;
    return p;
  }
};

// Everything a backend needs to start one desktop.
struct desktop_spec {
  std::string public_id;
  std::int64_t user_id = 0;
  std::string username;
  desktop_type type;
  std::string secret;              // the desktop's own VNC / Basic password
  std::filesystem::path home_dir;  // the user's persistent home (created by the manager)
  std::vector<desktop_mount> mounts;
  std::uint16_t host_port = 0;  // allocated by the manager when needs_host_port()
};

struct started_instance {
  std::string container_id;  // the backend's handle: a container id, or the local session's id
  endpoint where;
};

enum class instance_status { running, stopped, missing };

struct instance_state {
  instance_status status = instance_status::missing;
  std::string reason;  // for stopped: why ("exited with code 1", "killed (out of memory)")
};

// What a backend runs that carries deskgate's labels (docker: deskgate.desktop / deskgate.user).
struct managed_instance {
  std::string container_id;
  std::string desktop_public_id;
  std::int64_t user_id = 0;
  bool running = false;
};

class backend {
 public:
  virtual ~backend() = default;

  // "local", "docker", "static".
  virtual std::string kind() const = 0;
  // True when start() needs spec.host_port (a port on the backend host to publish the desktop on).
  virtual bool needs_host_port() const = 0;
  // Whether `port` is free on the backend host (false for ports some other program listens on).
  virtual bool host_port_usable(std::uint16_t port) const = 0;

  // Starts the desktop: restarts the instance `existing` when it is given and still exists (a stopped
  // desktop keeps its container), otherwise creates a new one. Returns when the instance is started,
  // not when it is ready (the manager probes readiness). Throws deskgate::error with a message a person
  // understands: errc::unavailable when the engine cannot be reached, errc::not_found when the image
  // is missing, errc::conflict when the port is taken, errc::internal for anything else.
  virtual started_instance start(const desktop_spec& spec, const std::string& existing) = 0;
  // Stops the instance (SIGTERM, then SIGKILL after `grace`). An instance already gone is not an error.
  virtual void stop(const std::string& container_id, std::chrono::seconds grace) = 0;
  // Removes the instance (never the user's files). An instance already gone is not an error.
  virtual void remove(const std::string& container_id) = 0;
  virtual instance_state inspect(const std::string& container_id) = 0;
  // Where the running instance's web port (`type.http_port`, the http relay mode) is reached; nullopt when
  // this backend cannot expose one. Throws like start() when the engine cannot be asked.
  virtual std::optional<endpoint> web_endpoint(const std::string& container_id, const desktop_type& type) = 0;
  // Every instance with deskgate's labels on this backend, running or not (for reconciliation).
  virtual std::vector<managed_instance> list() = 0;
};

}  // namespace deskgate
