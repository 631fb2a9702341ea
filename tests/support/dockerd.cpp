#include "support/dockerd.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "backends/docker/docker_client.hpp"
#include "core/error.hpp"
#include "support/process.hpp"

extern char** environ;

namespace deskgate::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* tool_path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

std::string find_program(std::string_view name) {
  std::string_view path = tool_path;
  while (!path.empty()) {
    auto colon = path.find(':');
    fs::path candidate = fs::path(path.substr(0, colon)) / name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    path = colon == std::string_view::npos ? std::string_view() : path.substr(colon + 1);
  }
  return "";
}

// Starts `args` with the test's environment (PATH widened to the sbin folders, `extra_env` added),
// output to `log`, in a session of its own (its pid is its process group). With `die_with_parent` it
// gets SIGTERM when the test process goes away without stopping it.
pid_t spawn(const std::vector<std::string>& args, const std::vector<std::string>& extra_env, const fs::path& log,
            bool die_with_parent) {
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) {
    if (std::strncmp(*e, "PATH=", 5) != 0) env_strings.emplace_back(*e);
  }
  env_strings.push_back(std::string("PATH=") + tool_path);
  for (const auto& e : extra_env) env_strings.push_back(e);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const auto& e : env_strings) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  pid_t parent = ::getpid();

  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(std::string("fork failed: ") + std::strerror(errno));
  if (pid == 0) {
    ::setsid();
    if (die_with_parent) {
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (::getppid() != parent) ::_exit(1);
    }
    int in = ::open("/dev/null", O_RDONLY);
    int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(out, 2);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  return pid;
}

// The exit status (128+signal when killed), or -1 when still running after `timeout`.
int wait_for_exit(pid_t pid, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    int status = 0;
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (r < 0) return 255;
    if (std::chrono::steady_clock::now() >= deadline) return -1;
    std::this_thread::sleep_for(20ms);
  }
}

// Processes whose command line mentions `dir`: what an engine started under its own folder
// (containerd, shims, conmon) and would leave behind if it died abruptly.
std::vector<pid_t> processes_using(const fs::path& dir) {
  std::vector<pid_t> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || !std::all_of(name.begin(), name.end(), ::isdigit)) continue;
    std::string cmdline = read_whole_file(entry.path() / "cmdline");
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    pid_t pid = static_cast<pid_t>(std::stol(name));
    if (pid != ::getpid() && cmdline.find(dir.string()) != std::string::npos) out.push_back(pid);
  }
  return out;
}

// Mount points at or under `dir`, deepest first.
std::vector<std::string> mounts_under(const fs::path& dir) {
  std::vector<std::string> out;
  std::istringstream in(read_whole_file("/proc/self/mountinfo"));
  std::string line;
  const std::string prefix = dir.string();
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent, devices, root, mount_point;
    fields >> id >> parent >> devices >> root >> mount_point;
    if (mount_point == prefix || mount_point.starts_with(prefix + "/")) out.push_back(mount_point);
  }
  std::sort(out.begin(), out.end(), [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  return out;
}

// Serialises the choice of a bridge subnet between concurrent test processes.
class host_lock {
 public:
  host_lock() : fd_(::open("/tmp/deskgate-test-engines.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600)) {
    if (fd_ >= 0) ::flock(fd_, LOCK_EX);
  }
  ~host_lock() {
    if (fd_ >= 0) ::close(fd_);  // releases the lock
  }

 private:
  int fd_;
};

void check_tool(const command_result& r, const std::string& what) {
  if (r.status != 0) throw std::runtime_error(what + " failed (" + std::to_string(r.status) + "): " + r.output);
}

// Deletes bridges that an earlier, killed test process created and could not delete ("dgt<pid>b<n>").
void delete_stale_bridges() {
  auto links = run_tool({"ip", "-o", "link", "show", "type", "bridge"}, 10s);
  std::istringstream in(links.output);
  std::string line;
  while (std::getline(in, line)) {
    auto start = line.find(": dgt");
    if (start == std::string::npos) continue;
    std::string name = line.substr(start + 2, line.find(':', start + 2) - start - 2);
    auto b = name.find('b', 3);
    if (b == std::string::npos || b == 3) continue;
    std::string pid_text = name.substr(3, b - 3);
    if (!std::all_of(pid_text.begin(), pid_text.end(), ::isdigit)) continue;
    if (!fs::exists("/proc/" + pid_text)) run_tool({"ip", "link", "del", name}, 10s);
  }
}

// Removes what engines of earlier, killed test processes left: their folders (with whatever is still
// mounted under them) and bridges. Only folders whose owner process is gone are touched.
void delete_stale_engines() {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/tmp", ec)) {
    if (!entry.path().filename().string().starts_with("deskgate-engine-")) continue;
    std::string owner = read_whole_file(entry.path() / "owner.pid");
    if (owner.empty() || fs::exists("/proc/" + owner)) continue;
    for (pid_t p : processes_using(entry.path())) ::kill(p, SIGKILL);
    for (const auto& mount_point : mounts_under(entry.path())) ::umount2(mount_point.c_str(), MNT_DETACH);
    std::error_code ignored;
    fs::remove_all(entry.path(), ignored);
  }
  delete_stale_bridges();
}

}  // namespace

std::string_view to_string(engine_kind kind) { return kind == engine_kind::docker ? "docker" : "podman"; }

bool engine_installed(engine_kind kind) {
  return !find_program(kind == engine_kind::docker ? "dockerd" : "podman").empty();
}

command_result run_tool(const std::vector<std::string>& args, std::chrono::milliseconds timeout) {
  char log_template[] = "/tmp/deskgate-tool-XXXXXX";
  int fd = ::mkstemp(log_template);
  if (fd < 0) throw std::runtime_error("mkstemp failed");
  ::close(fd);
  std::vector<std::string> resolved = args;
  if (!resolved.empty() && resolved[0].find('/') == std::string::npos) {
    std::string found = find_program(resolved[0]);
    if (found.empty()) {
      fs::remove(log_template);
      return {127, resolved[0] + ": not found"};
    }
    resolved[0] = found;
  }
  pid_t pid = spawn(resolved, {}, log_template, true);
  command_result r;
  r.status = wait_for_exit(pid, timeout);
  if (r.status == -1) {
    ::kill(-pid, SIGKILL);
    wait_for_exit(pid, 10s);
    r.status = 124;
  }
  r.output = read_whole_file(log_template);
  fs::remove(log_template);
  return r;
}

private_engine::private_engine(engine_options options) : options_(std::move(options)) {
  if (!engine_installed(options_.kind)) {
    throw std::runtime_error(std::string(to_string(options_.kind)) + " is not installed");
  }
  char dir_template[] = "/tmp/deskgate-engine-XXXXXX";
  if (!::mkdtemp(dir_template)) throw std::runtime_error("mkdtemp failed");
  dir_ = dir_template;
  log_file_ = dir_ / "engine.log";
  {
    host_lock lock;
    delete_stale_engines();
    std::ofstream(dir_ / "owner.pid") << ::getpid();
  }
  try {
    if (options_.kind == engine_kind::docker) {
      start_dockerd();
    } else {
      start_podman();
    }
    wait_until_ready();
  } catch (...) {
    stop();
    throw;
  }
}

private_engine::~private_engine() { stop(); }

void private_engine::start_dockerd() {
  socket_ = dir_ / "docker.sock";
  std::ofstream(dir_ / "daemon.json") << "{}\n";  // not the machine's /etc/docker/daemon.json
  {
    host_lock lock;
    std::string addresses = run_tool({"ip", "-o", "-4", "addr", "show"}, 10s).output;
    std::mt19937 rng(std::random_device{}());
    int first = static_cast<int>(rng() % 250);
    std::string subnet;
    for (int i = 0; i < 250 && subnet.empty(); ++i) {
      std::string candidate = "10.231." + std::to_string((first + i) % 250 + 1) + ".";
      if (addresses.find(" " + candidate) == std::string::npos) subnet = candidate;
    }
    if (subnet.empty()) throw std::runtime_error("no free 10.231.x.0/24 subnet for a test bridge");
    static int engines_started = 0;
    bridge_ = "dgt" + std::to_string(::getpid()) + "b" + std::to_string(++engines_started % 100);
    check_tool(run_tool({"ip", "link", "add", bridge_, "type", "bridge"}, 10s), "ip link add " + bridge_);
    check_tool(run_tool({"ip", "addr", "add", subnet + "1/24", "dev", bridge_}, 10s), "ip addr add");
    check_tool(run_tool({"ip", "link", "set", bridge_, "up"}, 10s), "ip link set up");
  }
  std::vector<std::string> args = {find_program("dockerd"),
                                   "--config-file=" + (dir_ / "daemon.json").string(),
                                   "--data-root=" + (dir_ / "data").string(),
                                   "--exec-root=" + (dir_ / "exec").string(),
                                   "--pidfile=" + (dir_ / "dockerd.pid").string(),
                                   "--host=unix://" + socket_.string(),
                                   "--bridge=" + bridge_,
                                   "--iptables=false",
                                   "--ip-masq=false",
                                   "--userland-proxy=true"};
  if (!options_.storage_driver.empty()) args.push_back("--storage-driver=" + options_.storage_driver);
  args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());
  pid_ = spawn(args, {}, log_file_, true);
}

void private_engine::start_podman() {
  socket_ = dir_ / "podman.sock";
  // Podman here works only with runc, cgroupfs and raised limits (environment.md); everything it keeps
  // lives under dir_, passed as flags (a storage.conf would make every call slow).
  std::ofstream(dir_ / "containers.conf") << "[containers]\n"
                                             "default_ulimits = [\"nofile=20000:20000\", \"nproc=32768:32768\"]\n"
                                             "[engine]\n"
                                             "runtime = \"runc\"\n"
                                             "cgroup_manager = \"cgroupfs\"\n"
                                             "events_logger = \"file\"\n";
  std::vector<std::string> args = {find_program("podman"), "--root=" + (dir_ / "root").string(),
                                   "--runroot=" + (dir_ / "runroot").string(), "--tmpdir=" + (dir_ / "tmp").string(),
                                   "--events-backend=file"};
  if (!options_.storage_driver.empty()) args.push_back("--storage-driver=" + options_.storage_driver);
  args.insert(args.end(), {"system", "service", "--time=0", "unix://" + socket_.string()});
  args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());
  pid_ = spawn(args, {"CONTAINERS_CONF=" + (dir_ / "containers.conf").string()}, log_file_, true);
}

void private_engine::wait_until_ready() {
  docker::client_options o;
  o.url = url();
  o.host_name = "test";
  o.timeout = 2s;
  docker::client api(o);
  auto deadline = std::chrono::steady_clock::now() + options_.start_timeout;
  std::string last_error;
  while (std::chrono::steady_clock::now() < deadline) {
    if (wait_for_exit(pid_, 0ms) != -1) {
      pid_ = -1;
      throw std::runtime_error(std::string(to_string(options_.kind)) + " exited at start-up:\n" + log_tail());
    }
    if (fs::exists(socket_)) {
      try {
        api.ping();
        return;
      } catch (const error& e) {
        last_error = e.what();
      }
    }
    std::this_thread::sleep_for(50ms);
  }
  throw std::runtime_error(std::string(to_string(options_.kind)) + " did not answer /_ping (" + last_error + "):\n" +
                           log_tail());
}

std::string private_engine::log_tail(std::size_t max_bytes) const {
  std::string text = read_whole_file(log_file_);
  return text.size() > max_bytes ? text.substr(text.size() - max_bytes) : text;
}

std::string private_engine::default_network() const {
  return options_.kind == engine_kind::docker ? "bridge" : "podman";
}

void private_engine::remove_all_containers() {
  if (pid_ < 0) return;
  docker::client_options o;
  o.url = url();
  o.host_name = "test";
  o.timeout = 30s;
  try {
    docker::client api(o);
    for (const auto& c : api.list_containers("", true)) {
      try {
        api.remove(c.value("Id", ""), true);
      } catch (const error&) {
        // Already gone, or the engine is shutting down: stop() cleans up below it anyway.
      }
    }
  } catch (const error&) {
  }
}

void private_engine::stop() {
  if (stopped_) return;
  stopped_ = true;
  if (pid_ > 0) {
    // Podman's containers outlive its API service; dockerd stops its own on SIGTERM.
    if (options_.kind == engine_kind::podman) remove_all_containers();
    ::kill(pid_, SIGTERM);
    if (wait_for_exit(pid_, 20s) == -1) {
      ::kill(-pid_, SIGKILL);
      ::kill(pid_, SIGKILL);
      wait_for_exit(pid_, 10s);
    }
    pid_ = -1;
  }
  if (dir_.empty()) return;
  for (int round = 0; round < 3; ++round) {
    auto left = processes_using(dir_);
    if (left.empty()) break;
    for (pid_t p : left) ::kill(p, SIGKILL);
    std::this_thread::sleep_for(200ms);
  }
  for (const auto& mount_point : mounts_under(dir_)) ::umount2(mount_point.c_str(), MNT_DETACH);
  if (!bridge_.empty()) {
    run_tool({"ip", "link", "del", bridge_}, 10s);
    bridge_.clear();
  }
  std::error_code ec;
  fs::remove_all(dir_, ec);
  if (ec) {
    std::this_thread::sleep_for(500ms);
    for (const auto& mount_point : mounts_under(dir_)) ::umount2(mount_point.c_str(), MNT_DETACH);
    fs::remove_all(dir_, ec);
  }
}

command_result private_engine::exec(const std::string& container, const std::vector<std::string>& command) const {
  std::vector<std::string> args{"docker", "-H", url(), "exec", container};
  args.insert(args.end(), command.begin(), command.end());
  return run_tool(args, 60s);
}

void build_desktop_image(const private_engine& engine, const std::string& image) {
  fs::path script = source_root() / "scripts" / "build-desktop-image.sh";
  auto r = run_tool({"/bin/bash", script.string(), engine.socket().string(), image}, 300s);
  if (r.status != 0) {
    throw std::runtime_error("build-desktop-image.sh failed (" + std::to_string(r.status) + "):\n" + r.output);
  }
}

}  // namespace deskgate::testing
