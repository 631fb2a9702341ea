// A small, synchronous client for the Docker Engine API (v1.41), also spoken by Podman's
// Docker-compatible service: HTTP/1.1 over a unix socket, over TCP, or over TCP with TLS client
// certificates. Each call opens its own connection on a private io_context and is bounded by a timeout,
// so a dead engine costs at most that long. Errors are deskgate::error:
//   errc::unavailable  the engine cannot be reached (no socket, refused, TLS failure, timeout)
//   errc::not_found    no such container / image (calls that treat 404 as an answer return it instead)
//   errc::conflict     409 from the engine (name in use, container busy)
//   errc::internal     any other status, with the engine's own message
// Thread-safe: calls share only immutable configuration and the TLS context.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace deskgate::docker {

struct client_options {
  std::string url = "unix:///var/run/docker.sock";  // unix:///path, tcp://host:port
  std::string tls_ca;    // tcp:// with TLS when any of these is set: CA bundle to verify the engine
  std::string tls_cert;  // client certificate and key
  std::string tls_key;
  std::string host_name = "default";                // the configured docker host's name, for messages
  std::chrono::milliseconds timeout{30'000};        // connect, and each read or write
  std::chrono::milliseconds pull_timeout{600'000};  // silence allowed between two lines of pull output
};

class client {
 public:
  // Throws errc::bad_request for a URL it cannot use, errc::internal for unreadable TLS files.
  explicit client(client_options options);
  ~client();
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  const client_options& options() const;

  // GET /_ping; returns when the engine answers "OK".
  void ping();

  // POST /containers/create?name=; returns the new container's id. A missing image is
  // errc::not_found "image X is not available on docker host Y"; a name in use is errc::conflict.
  std::string create_container(const std::string& name, const nlohmann::json& body);
  // POST /containers/{id}/start; already running (304) is fine.
  void start(const std::string& id);
  // POST /containers/{id}/stop?t=; already stopped (304) is fine, no such container is not_found.
  void stop(const std::string& id, int timeout_seconds);
  // DELETE /containers/{id}?force=&v=1; no such container is not_found.
  void remove(const std::string& id, bool force);
  // GET /containers/{id}/json; nullopt when there is no such container.
  std::optional<nlohmann::json> inspect(const std::string& id);
  // GET /containers/json?all=&filters={"label":[label_filter]} ("key" or "key=value").
  std::vector<nlohmann::json> list_containers(const std::string& label_filter, bool all = true);

  // GET /images/{name}/json answered 200.
  bool image_exists(const std::string& name);
  // POST /images/create?fromImage=&tag=; calls `progress` with each JSON line the engine streams.
  // A line carrying "error" ends the pull with errc::internal (errc::not_found for 404).
  void pull_image(const std::string& name, const std::function<void(const nlohmann::json&)>& progress = {});

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

// Percent-encodes everything but RFC 3986's unreserved characters (for query values).
std::string url_encode(std::string_view text);

}  // namespace deskgate::docker
