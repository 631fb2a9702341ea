#include "backends/docker/docker_backend.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>

#include "backends/docker/docker_client.hpp"
#include "core/crypto.hpp"
#include "core/error.hpp"
#include "log/log.hpp"

namespace deskgate {
namespace {

using json = nlohmann::json;

constexpr std::string_view label_desktop = "deskgate.desktop";
constexpr std::string_view label_user = "deskgate.user";
constexpr std::string_view label_type = "deskgate.type";
// A fingerprint of the bind mounts the container was created with: a restart with other folders (an
// assignment changed, a folder refused since) needs a new container, as the engine keeps a container's
// mounts and binds their sources again, following links, at every start.
constexpr std::string_view label_mounts = "deskgate.mounts";

std::string short_id(const std::string& id) { return id.substr(0, 12); }

bool is_unspecified(const std::string& address) {
  return address.empty() || address == "0.0.0.0" || address == "::" || address == "[::]";
}

bool is_loopback_host(std::string_view host) {
  return host == "localhost" || host.starts_with("127.") || host == "::1" || host == "[::1]";
}

// The host part of a tcp:// or https:// engine URL ("" for unix sockets).
std::string engine_host(const std::string& url) {
  std::string_view rest = url;
  for (std::string_view scheme : {"tcp://", "https://", "http://"}) {
    if (rest.starts_with(scheme)) {
      rest.remove_prefix(scheme.size());
      if (rest.starts_with('[')) return std::string(rest.substr(1, rest.find(']') - 1));
      return std::string(rest.substr(0, rest.find_first_of(":/")));
    }
  }
  return "";
}

// Engines report "port is already allocated" (Docker's own bookkeeping) or the kernel's EADDRINUSE.
bool is_port_conflict(std::string_view message) {
  return message.find("port is already allocated") != std::string_view::npos ||
         message.find("address already in use") != std::string_view::npos;
}

std::string port_key(std::uint16_t port) { return std::to_string(port) + "/tcp"; }

// A label from an inspect answer ("" when absent); never throws on an unexpected shape.
std::string label_of(const json& info, std::string_view key) {
  auto config = info.find("Config");
  if (config == info.end() || !config->is_object()) return "";
  auto labels = config->find("Labels");
  if (labels == config->end() || !labels->is_object()) return "";
  auto value = labels->find(key);
  return value != labels->end() && value->is_string() ? value->get<std::string>() : "";
}

// A port number as the engine writes it ("32768"); nullopt for anything else ("" or garbage).
std::optional<std::uint16_t> parse_port(std::string_view text) {
  unsigned value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || value == 0 || value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

// The home at /home/desktop and the spec's folders below it; none without a home. A Mounts entry rather
// than a "src:dst:rw" Binds string: paths with ':' or ',' stay intact.
json bind_mounts(const desktop_spec& spec) {
  json mounts = json::array();
  if (spec.home_dir.empty()) return mounts;
  const std::string home = docker_backend::home_mount;
  mounts.push_back({{"Type", "bind"},
                    {"Source", std::filesystem::absolute(spec.home_dir).string()},
                    {"Target", home},
                    {"ReadOnly", false}});
  for (const auto& m : spec.mounts) {
    mounts.push_back({{"Type", "bind"},
                      {"Source", std::filesystem::absolute(m.full_source()).string()},
                      {"Target", home + "/" + m.target},
                      {"ReadOnly", m.read_only}});
  }
  return mounts;
}

std::string mounts_fingerprint(const json& mounts) { return crypto::sha256_hex(mounts.dump()); }

json exposed_ports(const desktop_type& type) {
  json ports = {{port_key(type.port), json::object()}};
  if (type.http_port != 0) ports[port_key(type.http_port)] = json::object();
  return ports;
}

}  // namespace

docker_backend::docker_backend(docker_host_config host, docker_backend_options options) : host_(std::move(host)) {
  docker::client_options o;
  o.url = host_.url;
  o.tls_ca = host_.tls_ca;
  o.tls_cert = host_.tls_cert;
  o.tls_key = host_.tls_key;
  o.host_name = host_.name;
  o.timeout = options.api_timeout;
  o.pull_timeout = options.pull_timeout;
  client_ = std::make_unique<docker::client>(std::move(o));
}

docker_backend::~docker_backend() = default;

bool docker_backend::host_port_usable(std::uint16_t port) const {
  if (!host_.network.empty()) return true;  // nothing is published
  // Only an engine on this machine publishes on this machine's addresses; a remote engine will say so.
  std::string remote = engine_host(host_.url);
  if (!remote.empty() && !is_loopback_host(remote)) return true;

  std::string address = is_unspecified(host_.publish_address) ? "0.0.0.0" : host_.publish_address;
  if (address.size() > 2 && address.front() == '[' && address.back() == ']')
    address = address.substr(1, address.size() - 2);
  sockaddr_storage storage{};
  socklen_t length = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
  if (::inet_pton(AF_INET, address.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    length = sizeof(sockaddr_in);
  } else if (::inet_pton(AF_INET6, address.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    length = sizeof(sockaddr_in6);
  } else {
    return true;  // a name, not an address: the engine is the judge
  }
  int fd = ::socket(storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return true;
  int one = 1;
  // Like the engine's port proxy: a port whose last connection lingers in TIME_WAIT is still usable.
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  int rc = ::bind(fd, reinterpret_cast<sockaddr*>(&storage), length);
  int bind_errno = errno;
  ::close(fd);
  if (rc == 0) return true;
  return bind_errno == EADDRNOTAVAIL;  // not an address of this machine: cannot tell from here
}

void docker_backend::ensure_image(const desktop_spec& spec) {
  const std::string& image = spec.type.image;
  if (client_->image_exists(image)) return;
  log::info("docker: pulling image", {{"image", image}, {"docker_host", host_.name}});
  try {
    client_->pull_image(image, [&](const json& line) {
      if (auto status = line.find("status"); status != line.end() && status->is_string()) {
        log::debug("docker: pull progress", {{"image", image}, {"status", status->get_ref<const std::string&>()}});
      }
    });
  } catch (const error& e) {
    if (e.code() == errc::unavailable) throw;
    throw error{errc::not_found, fmt::format("image {} is not available on docker host {} and could not be pulled: {}",
                                             image, host_.name, e.what())};
  }
  if (!client_->image_exists(image)) {
    throw error{errc::not_found, fmt::format("image {} is not available on docker host {}", image, host_.name)};
  }
}

std::string docker_backend::create(const desktop_spec& spec) {
  const desktop_type& type = spec.type;
  const std::string name = "deskgate-" + spec.public_id;
  if (needs_host_port() && spec.host_port == 0) {
    throw error{errc::internal,
                fmt::format("desktop {}: no host port was allocated on docker host {}", spec.public_id, host_.name)};
  }
  ensure_image(spec);

  json env = json::array();
  for (const auto& [key, value] : type.environment) {
    if (key != type.secret_env) env.push_back(key + "=" + value);
  }
  if (!type.secret_env.empty()) env.push_back(type.secret_env + "=" + spec.secret);

  json host_config = {
      {"SecurityOpt", json::array({"no-new-privileges"})},
      {"RestartPolicy", {{"Name", "no"}}},
  };
  const desktop_resources& limits = type.resources;
  if (limits.memory_bytes > 0) host_config["Memory"] = limits.memory_bytes;
  if (limits.cpus > 0) host_config["NanoCpus"] = static_cast<std::int64_t>(std::llround(limits.cpus * 1e9));
  if (limits.pids > 0) host_config["PidsLimit"] = limits.pids;
  if (limits.shm_bytes > 0) host_config["ShmSize"] = limits.shm_bytes;
  if (!spec.home_dir.empty()) {
    std::filesystem::path home = std::filesystem::absolute(spec.home_dir);
    std::error_code ec;
    std::filesystem::create_directories(home, ec);
    if (ec) {
      throw error{errc::internal, fmt::format("desktop {}: cannot create the home folder {}: {}", spec.public_id,
                                              home.string(), ec.message())};
    }
  }
  json mounts = bind_mounts(spec);
  std::string fingerprint = mounts_fingerprint(mounts);
  if (!mounts.empty()) host_config["Mounts"] = std::move(mounts);
  if (host_.network.empty()) {
    host_config["PortBindings"] = {
        {port_key(type.port),
         json::array({{{"HostIp", host_.publish_address}, {"HostPort", std::to_string(spec.host_port)}}})}};
    // The web port (http relay mode) on a port the engine picks: read back by web_endpoint().
    if (type.http_port != 0) {
      host_config["PortBindings"][port_key(type.http_port)] =
          json::array({{{"HostIp", host_.publish_address}, {"HostPort", ""}}});
    }
  } else {
    host_config["NetworkMode"] = host_.network;
  }

  json body = {
      {"Image", type.image},
      {"Labels",
       {{label_desktop, spec.public_id},
        {label_user, std::to_string(spec.user_id)},
        {label_type, type.slug},
        {label_mounts, fingerprint}}},
      {"Env", std::move(env)},
      {"ExposedPorts", exposed_ports(type)},
      {"HostConfig", std::move(host_config)},
  };

  try {
    return client_->create_container(name, body);
  } catch (const error& e) {
    if (e.code() != errc::conflict) throw;
    // A container of this desktop left from an attempt the database never recorded: it carries a stale
    // secret, so it is replaced rather than adopted. Someone else's container with the name is not touched.
    auto other = client_->inspect(name);
    if (!other || label_of(*other, label_desktop) != spec.public_id) throw;
    log::warn(
        "docker: replacing a leftover container",
        {{"desktop", spec.public_id}, {"container", short_id((*other).value("Id", ""))}, {"docker_host", host_.name}});
    client_->remove((*other).value("Id", name), true);
    return client_->create_container(name, body);
  }
}

std::string docker_backend::reachable_address(const std::string& published_on) const {
  if (!is_unspecified(published_on)) return published_on;
  // Published on every address: this machine's loopback for a local engine, else the engine's host.
  std::string remote = engine_host(host_.url);
  return remote.empty() ? "127.0.0.1" : remote;
}

endpoint docker_backend::endpoint_of(const std::string& container_id, std::uint16_t container_port,
                                     std::uint16_t host_port) {
  endpoint where;
  auto info = client_->inspect(container_id);
  if (!info) {
    throw error{errc::internal, fmt::format("container {} vanished on docker host {} right after it started",
                                            short_id(container_id), host_.name)};
  }
  if (!host_.network.empty()) {
    const json& networks = (*info)["NetworkSettings"]["Networks"];
    std::string ip;
    if (networks.is_object() && networks.contains(host_.network)) ip = networks[host_.network].value("IPAddress", "");
    if (ip.empty()) {
      throw error{errc::internal, fmt::format("container {} has no address on network {} (docker host {})",
                                              short_id(container_id), host_.network, host_.name)};
    }
    where.host = ip;
    where.port = container_port;
    return where;
  }
  // The container's own binding decides: a restarted container keeps the port it was created with.
  std::string host_ip = host_.publish_address;
  const json& bindings = (*info)["HostConfig"]["PortBindings"];
  if (bindings.is_object() && bindings.contains(port_key(container_port)) &&
      bindings[port_key(container_port)].is_array() && !bindings[port_key(container_port)].empty()) {
    const json& first = bindings[port_key(container_port)][0];
    host_ip = first.value("HostIp", host_ip);
    if (auto bound = parse_port(first.value("HostPort", ""))) host_port = *bound;
  }
  if (host_port == 0) {
    throw error{errc::internal, fmt::format("container {} publishes no port {} on docker host {}",
                                            short_id(container_id), container_port, host_.name)};
  }
  where.host = reachable_address(host_ip);
  where.port = host_port;
  return where;
}

std::optional<endpoint> docker_backend::web_endpoint(const std::string& container_id, const desktop_type& type) {
  if (type.http_port == 0) return std::nullopt;
  auto info = client_->inspect(container_id);
  if (!info) return std::nullopt;
  endpoint where;
  if (!host_.network.empty()) {
    const json& networks = (*info)["NetworkSettings"]["Networks"];
    if (!networks.is_object() || !networks.contains(host_.network)) return std::nullopt;
    where.host = networks[host_.network].value("IPAddress", "");
    where.port = type.http_port;
    return where.host.empty() ? std::nullopt : std::optional(where);
  }
  // The port the engine picked is in the live network settings (the configured binding says "").
  const json& ports = (*info)["NetworkSettings"]["Ports"];
  if (!ports.is_object() || !ports.contains(port_key(type.http_port))) return std::nullopt;
  const json& bound = ports[port_key(type.http_port)];
  if (!bound.is_array() || bound.empty()) return std::nullopt;
  auto port = parse_port(bound[0].value("HostPort", ""));
  if (!port) return std::nullopt;
  where.host = reachable_address(bound[0].value("HostIp", host_.publish_address));
  where.port = *port;
  return where;
}

started_instance docker_backend::start(const desktop_spec& spec, const std::string& existing) {
  if (spec.type.image.empty()) {
    throw error{errc::internal, fmt::format("desktop type {} names no image", spec.type.slug)};
  }
  if (spec.type.port == 0) {
    throw error{errc::internal, fmt::format("desktop type {} names no port inside the container", spec.type.slug)};
  }

  std::string id;
  bool created = false;
  if (!existing.empty()) {
    if (auto info = client_->inspect(existing)) {
      if (label_of(*info, label_mounts) == mounts_fingerprint(bind_mounts(spec))) {
        id = info->value("Id", existing);
      } else {
        log::info("docker: the desktop's folders changed, replacing its container",
                  {{"desktop", spec.public_id}, {"container", short_id(existing)}, {"docker_host", host_.name}});
        client_->remove(info->value("Id", existing), true);
      }
    } else {
      log::info("docker: container is gone, creating a new one",
                {{"desktop", spec.public_id}, {"container", short_id(existing)}, {"docker_host", host_.name}});
    }
  }
  if (id.empty()) {
    id = create(spec);
    created = true;
  }

  try {
    client_->start(id);
  } catch (const error& e) {
    if (created) {
      try {
        client_->remove(id, true);
      } catch (const error&) {
        // The start failure is what the caller needs to hear about.
      }
    }
    if (is_port_conflict(e.what())) {
      if (created) {
        throw error{errc::conflict, fmt::format("port {} on {} is already in use on docker host {}", spec.host_port,
                                                host_.publish_address, host_.name)};
      }
      throw error{errc::conflict,
                  fmt::format("the port container {} publishes on {} is already in use on docker host {}", short_id(id),
                              host_.publish_address, host_.name)};
    }
    throw;
  }
  started_instance started{id, endpoint_of(id, spec.type.port, spec.host_port)};
  log::info(created ? "docker: container created and started" : "docker: container restarted",
            {{"desktop", spec.public_id},
             {"container", short_id(id)},
             {"docker_host", host_.name},
             {"endpoint", started.where.host + ":" + std::to_string(started.where.port)}});
  return started;
}

void docker_backend::stop(const std::string& container_id, std::chrono::seconds grace) {
  try {
    client_->stop(container_id, static_cast<int>(grace.count()));
  } catch (const error& e) {
    if (e.code() != errc::not_found) throw;
  }
}

void docker_backend::remove(const std::string& container_id) {
  try {
    client_->remove(container_id, true);
  } catch (const error& e) {
    if (e.code() == errc::not_found) return;
    if (e.code() == errc::conflict && std::strstr(e.what(), "already in progress") != nullptr) return;
    throw;
  }
}

instance_state docker_backend::inspect(const std::string& container_id) {
  instance_state out;
  auto info = client_->inspect(container_id);
  if (!info) return out;  // missing
  const json& state = (*info)["State"];
  if (!state.is_object()) {
    out.status = instance_status::stopped;
    out.reason = "the engine reports no state";
    return out;
  }
  if (state.value("Running", false) || state.value("Restarting", false)) {
    out.status = instance_status::running;
    return out;
  }
  out.status = instance_status::stopped;
  std::string status = state.value("Status", "");
  std::string engine_error = state.value("Error", "");
  if (state.value("OOMKilled", false)) {
    out.reason = "killed (out of memory)";
  } else if (!engine_error.empty()) {
    out.reason = engine_error;
  } else if (status == "created") {
    out.reason = "created, never started";
  } else {
    int code = state.value("ExitCode", 0);
    // 128+N: the main process died of signal N (137: SIGKILL, which is also how Podman, which does not
    // report OOMKilled here, shows an out-of-memory kill).
    out.reason = code > 128 && code < 128 + 65 ? fmt::format("killed by signal {} (exit code {})", code - 128, code)
                                               : fmt::format("exited with code {}", code);
  }
  return out;
}

std::vector<managed_instance> docker_backend::list() {
  std::vector<managed_instance> out;
  for (const json& c : client_->list_containers(std::string(label_desktop), true)) {
    const json& labels = c.contains("Labels") && c["Labels"].is_object() ? c["Labels"] : json::object();
    managed_instance m;
    m.container_id = c.value("Id", "");
    m.desktop_public_id = labels.value(std::string(label_desktop), "");
    std::string user = labels.value(std::string(label_user), "");
    std::from_chars(user.data(), user.data() + user.size(), m.user_id);
    m.running = c.value("State", "") == "running";
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace deskgate
