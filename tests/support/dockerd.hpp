// A private container engine for tests: a dockerd (or Podman's Docker-compatible service) of its own,
// with its data, state and API socket in a fresh temp folder, so tests never touch the machine's engine
// and two test processes never touch each other's. dockerd gets its own bridge (a /24 nobody else uses
// on this machine) and leaves iptables alone; published ports go through its userland proxy.
// stop() (also run by the destructor) shuts the engine down, kills whatever it left running, unmounts
// what it mounted under its folder and deletes the folder. The engine also gets SIGTERM if the test
// process dies first.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace deskgate::testing {

enum class engine_kind { docker, podman };

// What a command run to completion did: its exit status, stdout and stderr together.
struct command_result {
  int status = -1;
  std::string output;
};

std::string_view to_string(engine_kind kind);
// Whether the engine's program is installed (dockerd / podman on PATH or in /usr/sbin, /usr/bin).
bool engine_installed(engine_kind kind);

struct engine_options {
  engine_kind kind = engine_kind::docker;
  std::string storage_driver;           // empty: the engine's default (overlay2 / overlay here)
  std::vector<std::string> extra_args;  // e.g. dockerd's -H tcp://... --tlsverify ...
  std::chrono::milliseconds start_timeout{60'000};
};

class private_engine {
 public:
  // Starts the engine and waits until /_ping answers; throws std::runtime_error with the engine's log
  // tail when it does not come up.
  explicit private_engine(engine_options options = {});
  ~private_engine();
  private_engine(const private_engine&) = delete;
  private_engine& operator=(const private_engine&) = delete;

  engine_kind kind() const { return options_.kind; }
  const std::filesystem::path& dir() const { return dir_; }
  const std::filesystem::path& socket() const { return socket_; }
  std::string url() const { return "unix://" + socket_.string(); }
  // The engine's own output (for failure messages).
  std::string log_tail(std::size_t max_bytes = 4000) const;
  // The network desktops join by default ("bridge" for dockerd, "podman" for Podman).
  std::string default_network() const;

  // Runs `command` inside the running container `container` (the docker CLI's exec, which Podman's
  // service answers too); returns its exit status and output.
  command_result exec(const std::string& container, const std::vector<std::string>& command) const;
  // Force-removes every container of this engine (test clean-up).
  void remove_all_containers();
  void stop();

 private:
  void start_dockerd();
  void start_podman();
  void wait_until_ready();

  engine_options options_;
  std::filesystem::path dir_;
  std::filesystem::path socket_;
  std::filesystem::path log_file_;
  std::string bridge_;  // dockerd: the bridge created for it
  pid_t pid_ = -1;
  bool stopped_ = false;
};

// The image the docker backend's tests run.
inline constexpr const char* test_desktop_image = "deskgate-test-desktop:latest";

// Builds `image` into the engine with scripts/build-desktop-image.sh (a no-op when it exists).
// Throws std::runtime_error with the script's output when it fails.
void build_desktop_image(const private_engine& engine, const std::string& image = test_desktop_image);

// Runs a command to completion.
command_result run_tool(const std::vector<std::string>& args,
                        std::chrono::milliseconds timeout = std::chrono::seconds(120));

}  // namespace deskgate::testing
