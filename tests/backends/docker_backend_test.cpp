// Tests for the docker backend and its Engine API client against real engines: a private dockerd (and
// Podman's Docker-compatible service, when podman is installed) started for this test process, running
// the tiny Xvnc image scripts/build-desktop-image.sh builds. Desktops are checked the way the gateway
// uses them: their endpoint on 127.0.0.1 must speak RFB and accept the desktop's secret.
#include "backends/docker/docker_backend.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <thread>

#include "backends/docker/docker_client.hpp"
#include "core/error.hpp"
#include "rfb/rfb_probe.hpp"
#include "support/dockerd.hpp"

namespace deskgate {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using json = nlohmann::json;
using testing::engine_kind;

constexpr std::int64_t mib = 1024 * 1024;

// A socket file descriptor closed on scope exit.
struct fd_guard {
  int fd = -1;
  ~fd_guard() {
    if (fd >= 0) ::close(fd);
  }
};

// Binds and listens on 127.0.0.1:port (0: any free port); returns the fd and the port.
std::pair<int, std::uint16_t> listen_loopback(std::uint16_t port = 0) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 8) != 0) {
    throw std::runtime_error("cannot listen on 127.0.0.1");
  }
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  return {fd, ntohs(addr.sin_port)};
}

// A port free on 127.0.0.1 right now (the engine binds it moments later).
std::uint16_t free_port() {
  auto [fd, port] = listen_loopback();
  ::close(fd);
  return port;
}

std::string random_secret() {
  static std::mt19937 rng(std::random_device{}());
  static constexpr char chars[] = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  std::string s;
  for (int i = 0; i < 8; ++i) s += chars[rng() % (sizeof chars - 1)];
  return s;
}

std::string unique_id(std::string_view prefix) {
  static std::atomic<int> counter{0};
  return std::string(prefix) + std::to_string(::getpid()) + "x" + std::to_string(++counter);
}

// Polls until the desktop speaks RFB (the container starts before Xvnc listens).
rfb::banner_result wait_for_banner(const endpoint& where, std::chrono::milliseconds deadline = 30s) {
  auto until = std::chrono::steady_clock::now() + deadline;
  rfb::banner_result last;
  while (std::chrono::steady_clock::now() < until) {
    last = rfb::probe_banner(where, 2s);
    if (last.ok()) return last;
    std::this_thread::sleep_for(100ms);
  }
  return last;
}

// Polls until the backend no longer reports the instance running.
instance_state wait_until_not_running(backend& b, const std::string& id, std::chrono::milliseconds deadline = 30s) {
  auto until = std::chrono::steady_clock::now() + deadline;
  instance_state state = b.inspect(id);
  while (state.status == instance_status::running && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(100ms);
    state = b.inspect(id);
  }
  return state;
}

template <class F>
errc error_code_of(F&& f, std::string* message = nullptr) {
  try {
    f();
  } catch (const error& e) {
    if (message) *message = e.what();
    return e.code();
  }
  ADD_FAILURE() << "no deskgate::error was thrown";
  return errc::internal;
}

// ---------------------------------------------------------------------------------------------------
// Against a real engine: one per engine kind per test process, with the test image built once.

class docker_backend_engine_test : public ::testing::TestWithParam<engine_kind> {
 protected:
  static std::map<engine_kind, std::unique_ptr<testing::private_engine>>& engines() {
    static std::map<engine_kind, std::unique_ptr<testing::private_engine>> instances;
    return instances;
  }
  static void TearDownTestSuite() { engines().clear(); }

  void SetUp() override {
    ASSERT_TRUE(testing::engine_installed(GetParam()))
        << to_string(GetParam()) << " is not installed (scripts/setup.sh --test installs it)";
    auto& slot = engines()[GetParam()];
    if (!slot) {
      testing::engine_options options;
      options.kind = GetParam();
      auto engine = std::make_unique<testing::private_engine>(options);
      testing::build_desktop_image(*engine);
      slot = std::move(engine);
    }
    engine_ = slot.get();
    char dir_template[] = "/tmp/deskgate-homes-XXXXXX";
    ASSERT_NE(::mkdtemp(dir_template), nullptr);
    homes_ = dir_template;
    backend_ = std::make_unique<docker_backend>(host_config());
  }

  void TearDown() override {
    // Whatever a test started goes, pass or fail; the engine itself stops with the suite.
    if (engine_) engine_->remove_all_containers();
    std::error_code ec;
    if (!homes_.empty()) fs::remove_all(homes_, ec);
  }

  docker_host_config host_config(std::string network = "") const {
    docker_host_config host;
    host.name = std::string("test-") + std::string(testing::to_string(GetParam()));
    host.url = engine_->url();
    host.publish_address = "127.0.0.1";
    host.network = std::move(network);
    return host;
  }

  desktop_spec make_spec(std::int64_t user_id = 42) {
    desktop_spec spec;
    spec.public_id = unique_id("dt");
    spec.user_id = user_id;
    spec.username = "user" + std::to_string(user_id);
    spec.type.slug = "test-desktop";
    spec.type.name = "Test desktop";
    spec.type.backend = "docker";
    spec.type.image = testing::test_desktop_image;
    spec.type.port = 5901;
    spec.type.secret_env = "VNC_PW";
    spec.type.environment = {{"VNC_GEOMETRY", "800x600"}};
    spec.type.resources.memory_bytes = 256 * mib;
    spec.type.resources.cpus = 0.5;
    spec.type.resources.pids = 200;
    spec.type.resources.shm_bytes = 64 * mib;
    spec.secret = random_secret();
    spec.home_dir = homes_ / spec.username;
    spec.host_port = free_port();
    return spec;
  }

  json raw_inspect(const std::string& id) {
    auto info = backend_->api().inspect(id);
    if (!info) throw std::runtime_error("container " + id + " does not exist");
    return *info;
  }

  testing::private_engine* engine_ = nullptr;
  fs::path homes_;
  std::unique_ptr<docker_backend> backend_;
};

TEST_P(docker_backend_engine_test, started_desktop_speaks_rfb_on_loopback_and_accepts_its_secret) {
  // Capture everything the backend logs, to check the secret is never among it.
  std::ostringstream logged;
  auto previous = spdlog::default_logger();
  auto capture = std::make_shared<spdlog::logger>("capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(logged));
  capture->set_level(spdlog::level::trace);
  spdlog::set_default_logger(capture);
  desktop_spec spec = make_spec();
  started_instance started;
  try {
    started = backend_->start(spec, "");
  } catch (...) {
    spdlog::set_default_logger(previous);
    throw;
  }
  spdlog::set_default_logger(previous);

  EXPECT_FALSE(started.container_id.empty());
  EXPECT_EQ(started.where.to_string(), "tcp:127.0.0.1:" + std::to_string(spec.host_port));
  auto banner = wait_for_banner(started.where);
  ASSERT_TRUE(banner.ok()) << banner.error << "\n" << engine_->log_tail();
  EXPECT_EQ(banner.version, "RFB 003.008");

  auto auth = rfb::probe_auth(started.where, spec.secret, 10s);
  EXPECT_TRUE(auth.ok()) << auth.error;
  EXPECT_EQ(auth.width, 800);  // the type's environment reached the container
  EXPECT_EQ(auth.height, 600);
  auto wrong = rfb::probe_auth(started.where, spec.secret == "wrongpw1" ? "wrongpw2" : "wrongpw1", 10s);
  EXPECT_EQ(wrong.failure, rfb::probe_failure::authentication_failed) << wrong.error;

  EXPECT_NE(logged.str().find(spec.public_id), std::string::npos) << "the start was not logged at all";
  EXPECT_EQ(logged.str().find(spec.secret), std::string::npos) << "the secret was logged";
}

TEST_P(docker_backend_engine_test, container_has_labels_limits_home_and_a_loopback_only_port) {
  desktop_spec spec = make_spec(7);
  fs::path shared = spec.home_dir.parent_path() / "shared-space";
  fs::create_directories(shared);
  spec.mounts = {{shared, "Public/shared", true}};
  auto started = backend_->start(spec, "");
  json info = raw_inspect(started.container_id);

  EXPECT_EQ(info["Name"], "/deskgate-" + spec.public_id);
  const json& labels = info["Config"]["Labels"];
  EXPECT_EQ(labels.value("deskgate.desktop", ""), spec.public_id);
  EXPECT_EQ(labels.value("deskgate.user", ""), "7");
  EXPECT_EQ(labels.value("deskgate.type", ""), "test-desktop");
  const json& env = info["Config"]["Env"];
  EXPECT_NE(std::find(env.begin(), env.end(), "VNC_PW=" + spec.secret), env.end());
  EXPECT_NE(std::find(env.begin(), env.end(), "VNC_GEOMETRY=800x600"), env.end());

  const json& host = info["HostConfig"];
  const json& binding = host["PortBindings"]["5901/tcp"];
  ASSERT_EQ(binding.size(), 1u) << host["PortBindings"].dump();
  EXPECT_EQ(binding[0]["HostIp"], "127.0.0.1");
  EXPECT_EQ(binding[0]["HostPort"], std::to_string(spec.host_port));
  // What the engine actually bound once running: the loopback address only, never 0.0.0.0.
  const json& live = info["NetworkSettings"]["Ports"]["5901/tcp"];
  ASSERT_TRUE(live.is_array() && !live.empty()) << info["NetworkSettings"]["Ports"].dump();
  for (const auto& b : live) EXPECT_EQ(b["HostIp"], "127.0.0.1") << live.dump();

  EXPECT_EQ(host["Memory"], 256 * mib);
  EXPECT_EQ(host["NanoCpus"], 500'000'000);
  EXPECT_EQ(host["PidsLimit"], 200);
  EXPECT_EQ(host["ShmSize"], 64 * mib);
  const json& security = host["SecurityOpt"];
  ASSERT_TRUE(security.is_array()) << host.dump();
  EXPECT_TRUE(std::any_of(security.begin(), security.end(), [](const json& o) {
    return o.get<std::string>().starts_with("no-new-privileges");
  })) << security.dump();
  EXPECT_FALSE(host.value("Privileged", false));

  EXPECT_TRUE(fs::is_directory(spec.home_dir)) << "the home folder was not created";
  bool home_mounted = false;
  for (const auto& m : info["Mounts"]) {
    if (m.value("Destination", "") == "/home/desktop") {
      home_mounted = true;
      EXPECT_EQ(fs::weakly_canonical(m.value("Source", "")), fs::weakly_canonical(spec.home_dir));
      EXPECT_TRUE(m.value("RW", false));
    }
  }
  EXPECT_TRUE(home_mounted) << info["Mounts"].dump();
  bool shared_mounted = false;
  for (const auto& m : info["Mounts"]) {
    if (m.value("Destination", "") == "/home/desktop/Public/shared") {
      shared_mounted = true;
      EXPECT_EQ(fs::weakly_canonical(m.value("Source", "")), fs::weakly_canonical(shared));
      EXPECT_FALSE(m.value("RW", true));  // read-only: this user may not change the shared space
    }
  }
  EXPECT_TRUE(shared_mounted) << info["Mounts"].dump();
}

TEST_P(docker_backend_engine_test, stop_keeps_the_container_and_start_with_it_restarts_the_same_one) {
  desktop_spec spec = make_spec();
  auto first = backend_->start(spec, "");
  ASSERT_TRUE(wait_for_banner(first.where).ok());
  EXPECT_EQ(backend_->inspect(first.container_id).status, instance_status::running);

  backend_->stop(first.container_id, 5s);
  auto stopped = backend_->inspect(first.container_id);
  EXPECT_EQ(stopped.status, instance_status::stopped);
  EXPECT_TRUE(stopped.reason.starts_with("exited with code")) << stopped.reason;
  EXPECT_FALSE(rfb::probe_banner(first.where, 1s).ok()) << "a stopped desktop still answers";
  EXPECT_NO_THROW(backend_->stop(first.container_id, 5s)) << "stopping a stopped desktop is not an error";

  // The manager may have allocated another port since: the container keeps the one it was made with.
  desktop_spec again = spec;
  again.host_port = free_port();
  auto second = backend_->start(again, first.container_id);
  EXPECT_EQ(second.container_id, first.container_id);
  EXPECT_EQ(second.where.to_string(), first.where.to_string());
  EXPECT_EQ(backend_->inspect(second.container_id).status, instance_status::running);
  ASSERT_TRUE(wait_for_banner(second.where).ok());
  EXPECT_TRUE(rfb::probe_auth(second.where, spec.secret, 10s).ok());
  EXPECT_EQ(backend_->start(again, first.container_id).container_id, first.container_id)
      << "starting a running desktop returns it";

  backend_->remove(first.container_id);
  EXPECT_EQ(backend_->inspect(first.container_id).status, instance_status::missing);
  EXPECT_NO_THROW(backend_->remove(first.container_id)) << "removing a removed desktop is not an error";
  EXPECT_NO_THROW(backend_->stop(first.container_id, 1s)) << "stopping a removed desktop is not an error";
  EXPECT_TRUE(fs::is_directory(spec.home_dir)) << "remove must never delete the user's files";
}

TEST_P(docker_backend_engine_test, an_existing_container_that_vanished_is_replaced_by_a_new_one) {
  desktop_spec spec = make_spec();
  auto first = backend_->start(spec, "");
  backend_->api().remove(first.container_id, true);  // removed behind deskgate's back
  auto second = backend_->start(spec, first.container_id);
  EXPECT_NE(second.container_id, first.container_id);
  EXPECT_EQ(backend_->inspect(second.container_id).status, instance_status::running);
  EXPECT_TRUE(wait_for_banner(second.where).ok());
}

TEST_P(docker_backend_engine_test, a_leftover_container_of_the_desktop_is_replaced_but_a_strangers_is_not) {
  desktop_spec spec = make_spec();
  json leftover_body = {{"Image", testing::test_desktop_image},
                        {"Labels", {{"deskgate.desktop", spec.public_id}}},
                        {"Env", json::array({"VNC_PW=stale"})}};
  std::string leftover = backend_->api().create_container("deskgate-" + spec.public_id, leftover_body);
  auto started = backend_->start(spec, "");
  EXPECT_NE(started.container_id, leftover);
  EXPECT_FALSE(backend_->api().inspect(leftover).has_value()) << "the stale container is still there";
  ASSERT_TRUE(wait_for_banner(started.where).ok());
  EXPECT_TRUE(rfb::probe_auth(started.where, spec.secret, 10s).ok()) << "the new container has the new secret";

  desktop_spec other = make_spec();
  json stranger_body = {{"Image", testing::test_desktop_image}};
  std::string stranger = backend_->api().create_container("deskgate-" + other.public_id, stranger_body);
  std::string message;
  EXPECT_EQ(error_code_of([&] { backend_->start(other, ""); }, &message), errc::conflict) << message;
  EXPECT_TRUE(backend_->api().inspect(stranger).has_value()) << "a container deskgate does not own was removed";
}

TEST_P(docker_backend_engine_test, list_reports_the_labelled_containers_running_or_not) {
  desktop_spec a = make_spec(42);
  desktop_spec b = make_spec(43);
  auto started_a = backend_->start(a, "");
  auto started_b = backend_->start(b, "");
  backend_->stop(started_b.container_id, 1s);
  backend_->api().create_container(unique_id("unrelated"), {{"Image", testing::test_desktop_image}});

  auto listed = backend_->list();
  ASSERT_EQ(listed.size(), 2u);
  std::map<std::string, managed_instance> by_desktop;
  for (const auto& m : listed) by_desktop[m.desktop_public_id] = m;
  ASSERT_TRUE(by_desktop.contains(a.public_id));
  ASSERT_TRUE(by_desktop.contains(b.public_id));
  EXPECT_EQ(by_desktop[a.public_id].container_id, started_a.container_id);
  EXPECT_EQ(by_desktop[a.public_id].user_id, 42);
  EXPECT_TRUE(by_desktop[a.public_id].running);
  EXPECT_EQ(by_desktop[b.public_id].container_id, started_b.container_id);
  EXPECT_EQ(by_desktop[b.public_id].user_id, 43);
  EXPECT_FALSE(by_desktop[b.public_id].running);
}

TEST_P(docker_backend_engine_test, inspect_tells_how_a_desktop_exited) {
  desktop_spec spec = make_spec();
  spec.type.secret_env = "NOT_VNC_PW";  // the entrypoint exits with status 2 without VNC_PW
  auto started = backend_->start(spec, "");
  auto state = wait_until_not_running(*backend_, started.container_id);
  EXPECT_EQ(state.status, instance_status::stopped);
  EXPECT_EQ(state.reason, "exited with code 2");
}

TEST_P(docker_backend_engine_test, inspect_tells_when_a_desktop_ran_out_of_memory) {
  desktop_spec spec = make_spec();
  spec.type.resources.memory_bytes = 8 * mib;
  spec.type.environment = {{"VNC_GEOMETRY", "3840x2160"}};  // a 33 MB framebuffer cannot fit
  auto started = backend_->start(spec, "");
  auto state = wait_until_not_running(*backend_, started.container_id);
  EXPECT_EQ(state.status, instance_status::stopped);
  // Podman 4.3's Docker-compatible API does not report OOMKilled: only the SIGKILL is visible there.
  EXPECT_EQ(state.reason,
            GetParam() == engine_kind::docker ? "killed (out of memory)" : "killed by signal 9 (exit code 137)");
}

TEST_P(docker_backend_engine_test, a_missing_image_is_not_found_and_leaves_nothing_behind) {
  desktop_spec spec = make_spec();
  spec.type.image = "deskgate-no-such-image:1";
  std::string message;
  auto started_at = std::chrono::steady_clock::now();
  EXPECT_EQ(error_code_of([&] { backend_->start(spec, ""); }, &message), errc::not_found);
  EXPECT_LT(std::chrono::steady_clock::now() - started_at, 60s);
  EXPECT_NE(message.find("image deskgate-no-such-image:1 is not available on docker host " + host_config().name),
            std::string::npos)
      << message;
  EXPECT_TRUE(backend_->list().empty());
}

TEST_P(docker_backend_engine_test, a_taken_host_port_is_unusable_and_refused) {
  auto [fd, port] = listen_loopback();
  fd_guard guard{fd};
  EXPECT_FALSE(backend_->host_port_usable(port));
  EXPECT_TRUE(backend_->host_port_usable(free_port()));

  desktop_spec spec = make_spec();
  spec.host_port = port;
  std::string message;
  EXPECT_EQ(error_code_of([&] { backend_->start(spec, ""); }, &message), errc::conflict) << message;
  EXPECT_NE(message.find(std::to_string(port)), std::string::npos) << message;
  EXPECT_TRUE(backend_->list().empty()) << "the container that could not start was left behind";
}

TEST_P(docker_backend_engine_test, with_a_network_the_desktop_is_reached_at_its_container_address) {
  docker_backend on_network(host_config(engine_->default_network()));
  EXPECT_FALSE(on_network.needs_host_port());
  desktop_spec spec = make_spec();
  spec.host_port = 0;
  auto started = on_network.start(spec, "");
  json info = raw_inspect(started.container_id);
  std::string ip = info["NetworkSettings"]["Networks"][engine_->default_network()].value("IPAddress", "");
  ASSERT_FALSE(ip.empty()) << info["NetworkSettings"].dump();
  EXPECT_EQ(started.where.host, ip);
  EXPECT_EQ(started.where.port, 5901);
  // Podman lists the exposed port with a null binding; neither engine may bind it anywhere.
  for (const json& bindings : {info["HostConfig"]["PortBindings"], info["NetworkSettings"]["Ports"]}) {
    if (!bindings.is_object()) continue;
    for (const auto& [port, bound] : bindings.items()) {
      EXPECT_TRUE(bound.is_null() || bound.empty()) << "nothing may be published: " << bindings.dump();
    }
  }
}

INSTANTIATE_TEST_SUITE_P(engines, docker_backend_engine_test,
                         ::testing::Values(engine_kind::docker, engine_kind::podman),
                         [](const ::testing::TestParamInfo<engine_kind>& info) {
                           return std::string(testing::to_string(info.param));
                         });

// ---------------------------------------------------------------------------------------------------
// Without a working engine.

docker_host_config unreachable_host(std::string url) {
  docker_host_config host;
  host.name = "nowhere";
  host.url = std::move(url);
  return host;
}

TEST(docker_backend_unreachable, a_missing_socket_is_unavailable_at_once_with_a_clear_message) {
  docker_backend b(unreachable_host("unix:///nonexistent-deskgate/docker.sock"));
  desktop_spec spec;
  spec.public_id = "x";
  spec.type.image = "img";
  spec.type.port = 5901;
  spec.host_port = 7000;
  auto started_at = std::chrono::steady_clock::now();
  std::string message;
  EXPECT_EQ(error_code_of([&] { b.start(spec, ""); }, &message), errc::unavailable);
  EXPECT_EQ(message,
            "the Docker engine at unix:///nonexistent-deskgate/docker.sock does not answer: "
            "No such file or directory");
  EXPECT_EQ(error_code_of([&] { b.inspect("abc"); }), errc::unavailable);
  EXPECT_EQ(error_code_of([&] { b.list(); }), errc::unavailable);
  EXPECT_EQ(error_code_of([&] { b.stop("abc", 1s); }), errc::unavailable);
  EXPECT_EQ(error_code_of([&] { b.remove("abc"); }), errc::unavailable);
  EXPECT_LT(std::chrono::steady_clock::now() - started_at, 1s);
}

TEST(docker_backend_unreachable, a_refused_tcp_port_is_unavailable) {
  std::uint16_t port = free_port();
  docker_backend b(unreachable_host("tcp://127.0.0.1:" + std::to_string(port)));
  std::string message;
  EXPECT_EQ(error_code_of([&] { b.list(); }, &message), errc::unavailable);
  EXPECT_NE(message.find("does not answer: Connection refused"), std::string::npos) << message;
}

TEST(docker_backend_unreachable, an_engine_that_never_answers_times_out) {
  // A unix socket that accepts connections and then says nothing.
  fs::path dir = fs::temp_directory_path() / unique_id("deskgate-silent-");
  fs::create_directories(dir);
  fs::path path = dir / "docker.sock";
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  fd_guard guard{fd};
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 8), 0);

  docker_backend_options options;
  options.api_timeout = 300ms;
  docker_backend b(unreachable_host("unix://" + path.string()), options);
  auto started_at = std::chrono::steady_clock::now();
  std::string message;
  EXPECT_EQ(error_code_of([&] { b.inspect("abc"); }, &message), errc::unavailable);
  auto took = std::chrono::steady_clock::now() - started_at;
  EXPECT_GE(took, 250ms);
  EXPECT_LT(took, 3s);
  EXPECT_NE(message.find("does not answer: no answer within 300 ms"), std::string::npos) << message;
  fs::remove_all(dir);
}

TEST(docker_backend_unreachable, host_port_usable_is_false_for_a_port_someone_listens_on) {
  docker_backend b(unreachable_host("unix:///nonexistent-deskgate/docker.sock"));
  auto [fd, port] = listen_loopback();
  fd_guard guard{fd};
  EXPECT_FALSE(b.host_port_usable(port));
  EXPECT_TRUE(b.host_port_usable(free_port()));
  docker_host_config with_network = unreachable_host("unix:///nonexistent-deskgate/docker.sock");
  with_network.network = "desktops";
  docker_backend on_network(with_network);
  EXPECT_FALSE(on_network.needs_host_port());
  EXPECT_TRUE(b.needs_host_port());
  EXPECT_EQ(b.kind(), "docker");
}

// ---------------------------------------------------------------------------------------------------
// The client's HTTP handling, against a scripted fake engine on a unix socket.

class fake_engine {
 public:
  // Answers the first connection with `response` written in `pieces` parts, 20 ms apart.
  explicit fake_engine(std::vector<std::string> pieces) {
    dir_ = fs::temp_directory_path() / unique_id("deskgate-fake-engine-");
    fs::create_directories(dir_);
    path_ = dir_ / "docker.sock";
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path_.c_str(), sizeof addr.sun_path - 1);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd_, 4) != 0) {
      throw std::runtime_error("fake engine: cannot listen");
    }
    thread_ = std::thread([this, pieces = std::move(pieces)] {
      int conn = ::accept(fd_, nullptr, nullptr);
      if (conn < 0) return;
      std::string head;
      char buf[4096];
      while (head.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = ::read(conn, buf, sizeof buf);
        if (n <= 0) break;
        head.append(buf, static_cast<std::size_t>(n));
      }
      request_ = head.substr(0, head.find("\r\n"));
      for (const auto& p : pieces) {
        if (::write(conn, p.data(), p.size()) < 0) break;
        std::this_thread::sleep_for(20ms);
      }
      ::close(conn);
    });
  }
  ~fake_engine() {
    ::shutdown(fd_, SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
    ::close(fd_);
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string url() const { return "unix://" + path_.string(); }
  std::string request_line() {
    if (thread_.joinable()) thread_.join();
    return request_;
  }

 private:
  fs::path dir_;
  fs::path path_;
  int fd_ = -1;
  std::thread thread_;
  std::string request_;
};

std::string chunk(std::string_view data) {
  std::ostringstream s;
  s << std::hex << data.size() << "\r\n" << data << "\r\n";
  return s.str();
}

TEST(docker_client, pull_streams_chunked_progress_lines_even_when_split_mid_line) {
  fake_engine engine({"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
                      chunk("{\"status\":\"Pulling from library/x\"}\n{\"stat"),
                      chunk("us\":\"Downloading\",\"progressDetail\":{\"current\":5}}\n"),
                      chunk("{\"status\":\"Downloaded newer image for x:1\"}\n"), "0\r\n\r\n"});
  docker::client_options o;
  o.url = engine.url();
  docker::client api(o);
  std::vector<std::string> statuses;
  api.pull_image("registry.example:5000/team/x:1",
                 [&](const json& line) { statuses.push_back(line.value("status", "")); });
  EXPECT_EQ(statuses,
            (std::vector<std::string>{"Pulling from library/x", "Downloading", "Downloaded newer image for x:1"}));
  EXPECT_EQ(engine.request_line(),
            "POST /v1.41/images/create?fromImage=registry.example%3A5000%2Fteam%2Fx&tag=1 HTTP/1.1");
}

TEST(docker_client, an_error_line_in_pull_output_fails_the_pull) {
  fake_engine engine(
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
       chunk("{\"status\":\"Pulling\"}\n{\"errorDetail\":{\"message\":\"denied\"},\"error\":\"denied\"}\n"),
       "0\r\n\r\n"});
  docker::client_options o;
  o.url = engine.url();
  docker::client api(o);
  int lines = 0;
  std::string message;
  EXPECT_EQ(error_code_of([&] { api.pull_image("x", [&](const json&) { ++lines; }); }, &message), errc::internal);
  EXPECT_EQ(lines, 2);
  EXPECT_EQ(message, "pulling image x failed: denied");
  EXPECT_EQ(engine.request_line(), "POST /v1.41/images/create?fromImage=x&tag=latest HTTP/1.1");
}

TEST(docker_client, a_chunked_json_answer_is_read_whole_and_engine_messages_are_kept) {
  {
    fake_engine engine({"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", chunk("[{\"Id\":\"a1\",\"Lab"),
                        chunk("els\":{\"deskgate.desktop\":\"d\"}}]"), "0\r\n\r\n"});
    docker::client_options o;
    o.url = engine.url();
    docker::client api(o);
    auto listed = api.list_containers("deskgate.desktop");
    ASSERT_EQ(listed.size(), 1u);
    EXPECT_EQ(listed[0]["Id"], "a1");
    EXPECT_EQ(engine.request_line(),
              "GET /v1.41/containers/json?all=1&filters=%7B%22label%22%3A%5B%22deskgate.desktop%22%5D%7D HTTP/1.1");
  }
  {
    std::string body = R"({"message":"Conflict. The container name \"/x\" is already in use"})";
    fake_engine engine({"HTTP/1.1 409 Conflict\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body});
    docker::client_options o;
    o.url = engine.url();
    docker::client api(o);
    std::string message;
    EXPECT_EQ(error_code_of([&] { api.create_container("x", {{"Image", "i"}}); }, &message), errc::conflict);
    EXPECT_NE(message.find("is already in use"), std::string::npos) << message;
  }
  {
    std::string body = R"({"message":"something broke"})";
    fake_engine engine(
        {"HTTP/1.1 500 Internal Server Error\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body});
    docker::client_options o;
    o.url = engine.url();
    docker::client api(o);
    std::string message;
    EXPECT_EQ(error_code_of([&] { api.start("abc"); }, &message), errc::internal);
    EXPECT_NE(message.find("answered 500: something broke"), std::string::npos) << message;
  }
}

TEST(docker_client, urls_it_cannot_use_are_refused) {
  for (const char* url : {"ftp://x", "unix://relative/path", "tcp://", "tcp://host:port", "tcp://h:1/path"}) {
    docker::client_options o;
    o.url = url;
    EXPECT_EQ(error_code_of([&] { docker::client c(o); }), errc::bad_request) << url;
  }
  docker::client_options tls;
  tls.url = "tcp://127.0.0.1:2376";
  tls.tls_ca = "/nonexistent/ca.pem";
  std::string message;
  EXPECT_EQ(error_code_of([&] { docker::client c(tls); }, &message), errc::internal);
  EXPECT_NE(message.find("/nonexistent/ca.pem"), std::string::npos) << message;
  EXPECT_EQ(docker::url_encode("a b/c:d?é"), "a%20b%2Fc%3Ad%3F%C3%A9");
}

// ---------------------------------------------------------------------------------------------------
// TCP with TLS client certificates, against a dockerd that demands them.

class tls_files {
 public:
  tls_files() {
    char dir_template[] = "/tmp/deskgate-tls-XXXXXX";
    if (!::mkdtemp(dir_template)) throw std::runtime_error("mkdtemp failed");
    dir_ = dir_template;
    make_ca("ca");
    make_ca("other-ca");
    make_leaf("server", "ca", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
    make_leaf("client", "ca", "extendedKeyUsage=clientAuth\n");
  }
  ~tls_files() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string file(const std::string& name) const { return (dir_ / name).string(); }

 private:
  void openssl(std::vector<std::string> args) {
    args.insert(args.begin(), "openssl");
    auto r = testing::run_tool(args, 60s);
    if (r.status != 0) throw std::runtime_error("openssl failed: " + r.output);
  }
  void make_ca(const std::string& name) {
    openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
             "-subj", "/CN=" + name, "-keyout", file(name + "-key.pem"), "-out", file(name + ".pem")});
  }
  void make_leaf(const std::string& name, const std::string& ca, const std::string& extensions) {
    std::ofstream(file(name + ".ext")) << extensions;
    openssl({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=" + name,
             "-keyout", file(name + "-key.pem"), "-out", file(name + ".csr")});
    openssl({"x509", "-req", "-in", file(name + ".csr"), "-CA", file(ca + ".pem"), "-CAkey", file(ca + "-key.pem"),
             "-CAcreateserial", "-days", "2", "-extfile", file(name + ".ext"), "-out", file(name + ".pem")});
  }
  fs::path dir_;
};

TEST(docker_client_tls, client_certificates_are_presented_and_the_engine_is_verified) {
  tls_files tls;
  std::uint16_t port = free_port();
  testing::engine_options options;
  options.extra_args = {"--host=tcp://127.0.0.1:" + std::to_string(port), "--tlsverify",
                        "--tlscacert=" + tls.file("ca.pem"), "--tlscert=" + tls.file("server.pem"),
                        "--tlskey=" + tls.file("server-key.pem")};
  testing::private_engine engine(options);

  docker_host_config host = unreachable_host("tcp://127.0.0.1:" + std::to_string(port));
  host.tls_ca = tls.file("ca.pem");
  host.tls_cert = tls.file("client.pem");
  host.tls_key = tls.file("client-key.pem");
  docker_backend with_certificate(host);
  EXPECT_NO_THROW(with_certificate.api().ping());
  EXPECT_TRUE(with_certificate.list().empty());

  // Without a client certificate the engine hangs up; with another CA the engine is not trusted.
  docker_host_config no_cert = host;
  no_cert.tls_cert.clear();
  no_cert.tls_key.clear();
  docker_backend without_certificate(no_cert);
  EXPECT_EQ(error_code_of([&] { without_certificate.list(); }), errc::unavailable);

  docker_host_config wrong_ca = host;
  wrong_ca.tls_ca = tls.file("other-ca.pem");
  docker_backend untrusted(wrong_ca);
  std::string message;
  EXPECT_EQ(error_code_of([&] { untrusted.list(); }, &message), errc::unavailable);
  EXPECT_NE(message.find("TLS handshake failed"), std::string::npos) << message;

  // Plain HTTP to the TLS port is not mistaken for an answer either.
  docker_backend plain(unreachable_host("http://127.0.0.1:" + std::to_string(port)));
  EXPECT_ANY_THROW(plain.list());
}

}  // namespace
}  // namespace deskgate
