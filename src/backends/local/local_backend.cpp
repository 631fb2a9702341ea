// Local desktops: Xvnc on a unix socket plus a session command, one process group per desktop, recorded
// in <runtime>/state.json so that they outlive the gateway and are found again after a restart.
//
// Trust: the runtime folder belongs to the desktop's account, so nothing read from it is trusted for
// more than a hint. Before signalling anything the backend checks what /proc says: Xvnc is recognised
// by its command line naming this desktop's socket (and its start time and account), and signals go to
// the process group Xvnc leads only while that group is still ours.
#include "backends/local/local_backend.hpp"

#include <fcntl.h>
#include <openssl/rand.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "backends/local/local_process.hpp"
#include "core/error.hpp"
#include "files/confined_fs.hpp"
#include "files/file_service.hpp"
#include "log/log.hpp"
#include "rfb/rfb_probe.hpp"
#include "rfb/vnc_auth.hpp"

namespace deskgate {
namespace local {

// What state.json holds. The socket path is never read from the file: it follows from the id.
struct desktop_record {
  std::string id;
  std::int64_t user_id = 0;
  std::string username;
  int display = 0;
  std::string socket;
  pid_t xvnc_pid = 0;  // also the process group of the whole desktop
  std::uint64_t xvnc_start_time = 0;
  pid_t session_pid = 0;
  std::uint64_t session_start_time = 0;
  uid_t uid = 0;                   // the account the processes run as
  std::string state = "starting";  // starting | running | stopped
  std::string reason;              // why it stopped
  std::int64_t started_at = 0;
  std::int64_t stopped_at = 0;
};

}  // namespace local

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using local::desktop_record;

constexpr const char* state_file = "state.json";
constexpr const char* socket_file = "vnc.sock";
constexpr const char* password_file = "passwd";
constexpr const char* xauthority_file = "Xauthority";
constexpr const char* xvnc_log_file = "xvnc.log";
constexpr const char* session_log_file = "session.log";
constexpr const char* x11_socket_dir = "/tmp/.X11-unix";
constexpr int max_display_attempts = 10;
constexpr std::size_t max_state_bytes = 64 * 1024;

std::int64_t unix_now() { return static_cast<std::int64_t>(std::time(nullptr)); }

bool is_root() { return ::geteuid() == 0; }

// "Public/shared" ⇄ {"Public", "shared"}.
std::vector<std::string> local_split(const std::string& relative) {
  std::vector<std::string> names;
  std::istringstream parts(relative);
  for (std::string name; std::getline(parts, name, '/');) {
    if (!name.empty()) names.push_back(name);
  }
  return names;
}

std::string local_join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : "/") + n;
  return out;
}

// Public ids become folder names: letters, digits, '-' and '_' only.
bool valid_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}

bool valid_geometry(std::string_view g) {
  auto x = g.find('x');
  if (x == std::string_view::npos || x == 0 || x + 1 == g.size() || x > 5 || g.size() - x - 1 > 5) return false;
  auto digits = [](std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  return digits(g.substr(0, x)) && digits(g.substr(x + 1));
}

fs::path lock_file_of(int display) { return "/tmp/.X" + std::to_string(display) + "-lock"; }
fs::path x_socket_of(int display) { return fs::path(x11_socket_dir) / ("X" + std::to_string(display)); }

bool path_present(const fs::path& p) {
  struct stat st {};
  return ::lstat(p.c_str(), &st) == 0;
}

// Reads a small file without following a symbolic link at its last component.
std::optional<std::string> read_file_nofollow(const fs::path& path, std::size_t limit) {
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
    if (out.size() > limit) {
      ::close(fd);
      return std::nullopt;
    }
  }
  ::close(fd);
  return out;
}

// The end of a log file (start-up failures are at the end).
std::string read_log_tail(const fs::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return {};
  off_t size = ::lseek(fd, 0, SEEK_END);
  off_t from = size > 8192 ? size - 8192 : 0;
  std::string out;
  if (::lseek(fd, from, SEEK_SET) >= 0) {
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

// Xvnc's own words for why it stopped: the lines after "Fatal server error:", else the last lines.
std::string summarize_xvnc_log(const std::string& log) {
  std::vector<std::string> lines;
  std::istringstream in(log);
  std::string line;
  while (std::getline(in, line)) {
    for (auto at = line.find("(EE)"); at != std::string::npos; at = line.find("(EE)")) line.erase(at, 4);
    line.erase(0, line.find_first_not_of(" \t"));
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r')) line.pop_back();
    if (!line.empty()) lines.push_back(line);
  }
  std::size_t from = lines.size() > 3 ? lines.size() - 3 : 0;
  for (std::size_t i = 0; i < lines.size(); ++i)
    if (lines[i].find("Fatal server error") != std::string::npos) from = i + 1;
  std::string out;
  for (std::size_t i = from; i < lines.size() && out.size() < 300; ++i) out += (out.empty() ? "" : " ") + lines[i];
  if (out.empty()) out = "no output";
  return out;
}

bool display_in_use(const std::string& log) {
  return log.find("already active for display") != std::string::npos ||
         log.find("server already running") != std::string::npos ||
         log.find("Cannot establish any listening sockets") != std::string::npos;
}

bool searchable_by(const struct stat& st, const local::account& who) {
  if (who.uid == 0) return true;
  if (st.st_uid == who.uid) return (st.st_mode & S_IXUSR) != 0;
  if (std::find(who.groups.begin(), who.groups.end(), st.st_gid) != who.groups.end() || st.st_gid == who.gid)
    return (st.st_mode & S_IXGRP) != 0;
  return (st.st_mode & S_IXOTH) != 0;
}

// Every folder from / down to `dir` must be searchable by the account, or Xvnc and the session cannot
// open their files there.
void check_reachable(const fs::path& dir, const local::account& who) {
  std::error_code ec;
  fs::path target = fs::weakly_canonical(dir, ec);
  if (ec) target = fs::absolute(dir);
  fs::path walk = target.root_path();
  auto check = [&](const fs::path& p) {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0)
      throw error(errc::internal, "cannot check " + p.string() + ": " + std::strerror(errno));
    if (!searchable_by(st, who))
      throw error(errc::internal, "the desktop account (uid " + std::to_string(who.uid) + ") cannot reach " +
                                      target.string() + ": " + p.string() +
                                      " is not searchable for it (fix: chmod o+x " + p.string() + ")");
  };
  check(walk);
  for (const auto& part : target.relative_path()) {
    walk /= part;
    check(walk);
  }
}

// Creates `dir` (mode 0700) if needed; refuses anything that is not a real folder.
void ensure_private_dir(const fs::path& dir) {
  struct stat st {};
  if (::lstat(dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) throw error(errc::internal, dir.string() + " exists and is not a folder");
    return;
  }
  std::error_code ec;
  fs::create_directories(dir.parent_path(), ec);
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    throw error(errc::internal, "cannot create " + dir.string() + ": " + std::strerror(errno));
  if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    throw error(errc::internal, dir.string() + " exists and is not a folder");
}

// 0700: other desktops' accounts must not even look inside.
void restrict_to_owner(const fs::path& dir) {
  if (::chmod(dir.c_str(), 0700) != 0)
    throw error(errc::internal, "cannot restrict " + dir.string() + ": " + std::strerror(errno));
}

void hand_over(const fs::path& dir, const local::account& to) {
  if (::lchown(dir.c_str(), to.uid, to.gid) != 0)
    throw error(errc::internal, "cannot hand " + dir.string() + " to " + to.name + ": " + std::strerror(errno));
}

// Xvnc refuses to create /tmp/.X11-unix unless it is root, and a folder created by the desktop account
// would let that account delete other X servers' sockets: root creates it, world-writable and sticky.
void ensure_x11_socket_dir() {
  if (!is_root() || path_present(x11_socket_dir)) return;
  if (::mkdir(x11_socket_dir, 01777) == 0) ::chmod(x11_socket_dir, 01777);
}

// An Xauthority file with one wildcard entry (any host, any display) holding a random
// MIT-MAGIC-COOKIE-1: without it, any local account could open the desktop's X display.
std::vector<std::uint8_t> make_xauthority() {
  std::array<std::uint8_t, 16> cookie{};
  if (RAND_bytes(cookie.data(), static_cast<int>(cookie.size())) != 1)
    throw error(errc::internal, "cannot generate an X authority cookie");
  std::vector<std::uint8_t> out;
  auto put16 = [&](std::size_t v) {
    out.push_back(static_cast<std::uint8_t>(v >> 8));
    out.push_back(static_cast<std::uint8_t>(v & 0xff));
  };
  auto put_field = [&](std::string_view bytes) {
    put16(bytes.size());
    out.insert(out.end(), bytes.begin(), bytes.end());
  };
  put16(0xffff);  // FamilyWild
  put_field("");  // address
  put_field("");  // display number: any
  put_field("MIT-MAGIC-COOKIE-1");
  put_field(std::string_view(reinterpret_cast<const char*>(cookie.data()), cookie.size()));
  return out;
}

nlohmann::json to_json(const desktop_record& r) {
  return {{"version", 1},
          {"public_id", r.id},
          {"user_id", r.user_id},
          {"username", r.username},
          {"display", r.display},
          {"socket", r.socket},
          {"pgid", r.xvnc_pid},
          {"xvnc_pid", r.xvnc_pid},
          {"xvnc_start_time", r.xvnc_start_time},
          {"session_pid", r.session_pid},
          {"session_start_time", r.session_start_time},
          {"uid", r.uid},
          {"state", r.state},
          {"reason", r.reason},
          {"started_at", r.started_at},
          {"stopped_at", r.stopped_at}};
}

class fd_closer {
 public:
  explicit fd_closer(int fd) : fd_(fd) {}
  ~fd_closer() {
    if (fd_ >= 0) ::close(fd_);
  }
  fd_closer(const fd_closer&) = delete;
  fd_closer& operator=(const fd_closer&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

local_backend::local_backend(local_backend_config cfg, std::filesystem::path data_dir)
    : cfg_(std::move(cfg)),
      data_dir_(fs::absolute(data_dir).lexically_normal()),
      desktops_dir_(data_dir_ / "desktops") {}

fs::path local_backend::runtime_dir(const std::string& container_id) const { return desktops_dir_ / container_id; }

// As root, every user's desktops run as an account of their own (uid and gid local.uid_base + the user's
// id, no passwd entry), so one desktop cannot read another user's home or runtime files, nor signal,
// trace or connect to another user's processes. A desktop that may change a writable mount (the shared
// space) also joins the group local.uid_base, which those folders belong to.
local::account local_backend::desktop_account(const desktop_spec& spec) const {
  if (!is_root()) return local::current_account();
  local::account acct;
  acct.name = spec.username;
  acct.uid = files::desktop_uid(cfg_.uid_base, spec.user_id);
  acct.gid = acct.uid;
  acct.groups = {acct.gid};
  if (std::any_of(spec.mounts.begin(), spec.mounts.end(), [](const desktop_mount& m) { return !m.read_only; }))
    acct.groups.push_back(files::desktop_uid(cfg_.uid_base, 0));
  return acct;
}

// The account desktop `id` runs as. As root: the owner of its runtime folder, which only root hands over
// and which its desktop cannot replace (desktops_dir_ is root's), so unlike state.json it can be
// trusted. nullopt: no account deskgate would have used.
std::optional<uid_t> local_backend::expected_uid(const std::string& id) const {
  if (!is_root()) return ::geteuid();
  struct stat st {};
  if (::lstat(runtime_dir(id).c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid < cfg_.uid_base)
    return std::nullopt;
  return st.st_uid;
}

fs::path local_backend::resolve_xvnc() const {
  const std::string& name = cfg_.xvnc;
  auto usable = [](const fs::path& p) {
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0;
  };
  if (name.find('/') != std::string::npos) {
    if (usable(name)) return fs::absolute(name);
    throw error(errc::unavailable, "Xvnc is not installed (apt-get install tigervnc-standalone-server): " + name +
                                       " (local.xvnc) is not an executable file");
  }
  const char* env_path = std::getenv("PATH");
  std::string search = env_path && *env_path ? env_path : "/usr/local/bin:/usr/bin:/bin";
  search += ":/usr/local/bin:/usr/bin:/bin";
  std::istringstream dirs(search);
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (dir.empty() || dir.front() != '/') continue;
    fs::path candidate = fs::path(dir) / name;
    if (usable(candidate)) return candidate;
  }
  throw error(errc::unavailable, "Xvnc is not installed (apt-get install tigervnc-standalone-server): \"" + name +
                                     "\" (local.xvnc) is not in PATH");
}

void local_backend::prepare_folders(const desktop_spec& spec, const fs::path& runtime,
                                    const local::account& acct) const {
  std::error_code ec;
  fs::create_directories(desktops_dir_, ec);
  if (ec) throw error(errc::internal, "cannot create " + desktops_dir_.string() + ": " + ec.message());
  if (is_root()) ::chmod(desktops_dir_.c_str(), 0711);  // root's; the desktop accounts only pass through

  ensure_private_dir(runtime);
  if (spec.home_dir.empty()) throw error(errc::internal, "no home folder given for desktop " + spec.public_id);
  fs::path home = fs::absolute(spec.home_dir);
  struct stat st {};
  if (::lstat(home.c_str(), &st) == 0 && S_ISLNK(st.st_mode))
    throw error(errc::internal, "the home folder " + home.string() + " is a symbolic link");
  ensure_private_dir(home);

  if (is_root()) {
    hand_over(runtime, acct);
    restrict_to_owner(runtime);
    // A home written under another account (deskgate before local.uid_base) becomes this user's, all of it.
    if (::lstat(home.c_str(), &st) == 0 && (st.st_uid != acct.uid || st.st_gid != acct.gid)) {
      fd_closer parent(::open(home.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      if (parent.get() < 0)
        throw error(errc::internal, "cannot open " + home.parent_path().string() + ": " + std::strerror(errno));
      files::hand_tree(parent.get(), home.filename().string(), files::file_owner{acct.uid, acct.gid, false});
    }
    restrict_to_owner(home);
    check_reachable(runtime, acct);
    check_reachable(home, acct);
  }
}

int local_backend::reserve_display(const std::set<int>& tried) {
  std::lock_guard lock(mu_);
  for (int n = first_display; n <= last_display; ++n) {
    if (tried.count(n) || reserved_displays_.count(n) || unusable_displays_.count(n)) continue;
    if (path_present(x_socket_of(n)) || path_present(lock_file_of(n))) continue;
    reserved_displays_.insert(n);
    return n;
  }
  throw error(errc::unavailable, "no free X display number between :" + std::to_string(first_display) +
                                     " and :" + std::to_string(last_display));
}

void local_backend::release_display(int display) {
  std::lock_guard lock(mu_);
  reserved_displays_.erase(display);
}

namespace {

std::vector<std::string> desktop_environment(const desktop_spec& spec, const local::account& acct) {
  return {"PATH=/usr/local/bin:/usr/bin:/bin",
          "HOME=" + fs::absolute(spec.home_dir).string(),
          "USER=" + acct.name,
          "LOGNAME=" + acct.name,
          "SHELL=/bin/sh",
          "LANG=C.UTF-8",
          "DESKGATE_USER=" + spec.username,
          "DESKGATE_DESKTOP=" + spec.public_id};
}

// Creates the folders `names` below `home` (as the desktop's account), never through a link.
void ensure_mount_point(const fs::path& home, const std::vector<std::string>& names, const local::account& acct) {
  int dir = ::open(home.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  for (const auto& name : names) {
    if (dir < 0) break;
    if (::mkdirat(dir, name.c_str(), 0755) == 0) ::fchownat(dir, name.c_str(), acct.uid, acct.gid, AT_SYMLINK_NOFOLLOW);
    int next = ::openat(dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    ::close(dir);
    dir = next;
  }
  if (dir < 0) {
    throw error(errc::internal, "cannot prepare " + (home / local_join(names)).string() +
                                    " for a folder mount (is it a symbolic link?): " + std::strerror(errno));
  }
  ::close(dir);
}

}  // namespace

void local_backend::start_xvnc(const desktop_spec& spec, const fs::path& xvnc, const local::account* run_as,
                               desktop_record& rec) {
  fs::path runtime = runtime_dir(rec.id);
  local::account acct = run_as ? *run_as : local::current_account();
  std::set<int> tried;
  std::string last_failure;
  for (int attempt = 0; attempt < max_display_attempts; ++attempt) {
    int display = reserve_display(tried);
    tried.insert(display);
    struct release_guard {
      local_backend* self;
      int display;
      ~release_guard() { self->release_display(display); }
    } release{this, display};

    fd_closer log_fd(local::open_log_file(runtime / xvnc_log_file, run_as));
    local::spawn_request req;
    req.program = xvnc;
    req.args = {"Xvnc",
                ":" + std::to_string(display),
                "-desktop",
                spec.type.name.empty() ? std::string("deskgate") : spec.type.name,
                "-auth",
                (runtime / xauthority_file).string(),
                "-rfbunixpath",
                rec.socket,
                "-rfbunixmode",
                "0600",
                "-rfbport",
                "-1",
                "-SecurityTypes",
                "VncAuth",
                "-PasswordFile",
                (runtime / password_file).string(),
                "-UseBlacklist=0",
                "-geometry",
                cfg_.geometry,
                "-depth",
                "24",
                "-nolisten",
                "tcp",
                "-localhost"};
    req.env = desktop_environment(spec, acct);
    req.work_dir = runtime;
    req.output_fd = log_fd.get();
    req.run_as = run_as;
    pid_t pid = local::spawn(req);

    rec.display = display;
    rec.xvnc_pid = pid;
    rec.xvnc_start_time = 0;
    if (auto info = local::read_process(pid)) rec.xvnc_start_time = info->start_time;
    rec.state = "starting";
    write_record(rec);

    endpoint where;
    where.unix_path = rec.socket;
    auto deadline = std::chrono::steady_clock::now() + xvnc_start_timeout;
    for (;;) {
      local::reap_children();
      auto status = local::exit_status(pid);
      auto info = local::read_process(pid);
      if (status || !info || !info->alive()) {
        std::string log = read_log_tail(runtime / xvnc_log_file);
        std::string how = status ? local::describe_wait_status(*status) : "ended";
        local::forget_child(pid);
        if (display_in_use(log)) {
          // Taken since we looked. With no lock file or socket to show for it, the display is in use in
          // another mount namespace (a container sharing the network): never try it again.
          if (!path_present(lock_file_of(display)) && !path_present(x_socket_of(display))) {
            std::lock_guard lock(mu_);
            unusable_displays_.insert(display);
          }
          last_failure = summarize_xvnc_log(log);
          log::info("X display in use, trying the next one",
                    {{"desktop", rec.id}, {"display", std::to_string(display)}});
          break;
        }
        throw error(errc::internal, "Xvnc " + how + " during start-up: " + summarize_xvnc_log(log));
      }
      if (rfb::probe_banner(where, 1s).ok()) return;
      if (std::chrono::steady_clock::now() >= deadline) {
        end_processes(rec, 2s);
        clean_up_after(rec);
        throw error(errc::internal, "Xvnc did not listen on " + rec.socket + " within " +
                                        std::to_string(xvnc_start_timeout.count()) +
                                        " s: " + summarize_xvnc_log(read_log_tail(runtime / xvnc_log_file)));
      }
      std::this_thread::sleep_for(50ms);
    }
  }
  throw error(errc::internal, "Xvnc found no free X display after " + std::to_string(max_display_attempts) +
                                  " attempts: " + last_failure);
}

void local_backend::start_session(const desktop_spec& spec, const local::account* run_as, desktop_record& rec) {
  fs::path runtime = runtime_dir(rec.id);
  local::account acct = run_as ? *run_as : local::current_account();
  fd_closer log_fd(local::open_log_file(runtime / session_log_file, run_as));
  local::spawn_request req;
  req.program = "/bin/sh";
  req.args = {"sh", "-c", cfg_.session_command};
  req.env = desktop_environment(spec, acct);
  req.env.push_back("DISPLAY=:" + std::to_string(rec.display));
  req.env.push_back("XAUTHORITY=" + (runtime / xauthority_file).string());
  req.work_dir = fs::absolute(spec.home_dir);
  req.output_fd = log_fd.get();
  req.process_group = rec.xvnc_pid;
  req.run_as = run_as;
  // Folder mounts (the shared space at ~/Public/shared) need a mount namespace, so root; without root
  // the desktop simply has its home.
  if (run_as != nullptr) {
    req.mount_base = fs::absolute(spec.home_dir);
    for (const auto& m : spec.mounts) {
      auto names = local_split(m.target);
      ensure_mount_point(req.mount_base, names, acct);
      req.mounts.push_back({fs::absolute(m.source), std::move(names), !m.read_only, m.source_names});
    }
    // The rest of the data folder (other homes, other desktops' runtime folders, the database) is not
    // there for the session at all.
    req.hidden = data_dir_;
    for (const fs::path& own : {req.mount_base.lexically_normal(), runtime}) {
      auto below = own.lexically_relative(data_dir_);
      if (!below.empty() && *below.begin() != "..") req.kept.push_back(own);
    }
  } else if (!spec.mounts.empty()) {
    log::info("local desktops show folder mounts only when deskgate runs as root", {{"desktop", rec.id}});
  }
  pid_t pid = local::spawn(req);
  rec.session_pid = pid;
  rec.session_start_time = 0;
  if (auto info = local::read_process(pid)) rec.session_start_time = info->start_time;
}

started_instance local_backend::start(const desktop_spec& spec, const std::string& existing) {
  const std::string& id = spec.public_id;
  if (!valid_id(id)) throw error(errc::internal, "the local backend cannot use desktop id \"" + id + "\"");

  if (!existing.empty() && valid_id(existing) && inspect(existing).status == instance_status::running) {
    if (auto rec = read_record(existing)) {
      endpoint where;
      where.unix_path = rec->socket;
      return {existing, where};
    }
  }
  if (existing != id && inspect(id).status == instance_status::running) {
    log::warn("a local desktop was still running under this id; stopping it first", {{"desktop", id}});
    stop(id, cleanup_grace);
  }

  if (!valid_geometry(cfg_.geometry))
    throw error(errc::internal, "local.geometry must look like 1280x800, not \"" + cfg_.geometry + "\"");
  fs::path xvnc = resolve_xvnc();
  local::account acct = desktop_account(spec);
  const local::account* run_as = is_root() ? &acct : nullptr;

  {
    std::lock_guard lock(mu_);
    if (!starting_.insert(id).second) throw error(errc::conflict, "desktop " + id + " is already starting");
  }
  struct starting_guard {
    local_backend* self;
    std::string id;
    ~starting_guard() {
      std::lock_guard lock(self->mu_);
      self->starting_.erase(id);
    }
  } guard{this, id};

  fs::path runtime = runtime_dir(id);
  prepare_folders(spec, runtime, acct);
  ensure_x11_socket_dir();

  desktop_record rec;
  rec.id = id;
  rec.user_id = spec.user_id;
  rec.username = spec.username;
  rec.socket = (runtime / socket_file).string();
  rec.uid = acct.uid;
  rec.started_at = unix_now();
  if (::unlink(rec.socket.c_str()) != 0 && errno != ENOENT)
    throw error(errc::internal, "cannot remove the old socket " + rec.socket + ": " + std::strerror(errno));

  auto password = rfb::vnc_password_file_bytes(spec.secret);
  local::write_private_file(runtime / password_file, password, run_as);
  std::fill(password.begin(), password.end(), 0);
  local::write_private_file(runtime / xauthority_file, make_xauthority(), run_as);

  try {
    start_xvnc(spec, xvnc, run_as, rec);
    start_session(spec, run_as, rec);
  } catch (const std::exception& e) {
    if (rec.xvnc_pid > 0) {
      end_processes(rec, cleanup_grace);
      clean_up_after(rec);
      mark_stopped(rec, e.what());
    }
    throw;
  }
  rec.state = "running";
  write_record(rec);
  log::info("local desktop started", {{"desktop", id},
                                      {"display", ":" + std::to_string(rec.display)},
                                      {"pid", std::to_string(rec.xvnc_pid)},
                                      {"account", acct.name}});
  endpoint where;
  where.unix_path = rec.socket;
  return {id, where};
}

// This desktop's Xvnc process, alive or on its way out: same start time (a reused pid has another one)
// and account, and, while it still has a command line, one that names this desktop's socket.
bool local_backend::is_our_xvnc(const desktop_record& r, const local::process_info& info) const {
  if (r.xvnc_start_time != 0 && info.start_time != r.xvnc_start_time) return false;
  auto uid = expected_uid(r.id);
  if (!uid || info.uid != *uid) return false;
  std::string cmdline = local::read_cmdline(r.xvnc_pid);
  if (cmdline.empty()) return r.xvnc_start_time != 0;  // exiting: its memory, and command line, are gone
  return cmdline.find(" -rfbunixpath " + r.socket + " ") != std::string::npos;
}

bool local_backend::xvnc_alive(const desktop_record& r) const {
  if (r.xvnc_pid <= 1) return false;
  auto info = local::read_process(r.xvnc_pid);
  if (!info || !info->alive()) return false;
  // Guards against a reused pid: only this desktop's Xvnc names this socket on its command line.
  return is_our_xvnc(r, *info) &&
         local::read_cmdline(r.xvnc_pid).find(" -rfbunixpath " + r.socket + " ") != std::string::npos;
}

bool local_backend::session_alive(const desktop_record& r) const {
  if (r.session_pid <= 1) return false;
  auto info = local::read_process(r.session_pid);
  if (!info || !info->alive()) return false;
  return info->start_time == r.session_start_time && info->process_group == r.xvnc_pid;
}

// The group Xvnc leads is ours while its leader is our Xvnc (even a dying one), or, once the leader is
// gone, while any member is left: a process group id is not handed out again while the group has members.
bool local_backend::group_is_ours(const desktop_record& r) const {
  if (r.xvnc_pid <= 1) return false;
  if (auto leader = local::read_process(r.xvnc_pid)) return is_our_xvnc(r, *leader);
  return !local::group_members(r.xvnc_pid).empty();
}

// Xvnc was found dead or dying: give it a moment to finish exiting, so that its exit status can be
// collected when it is our child, and its lock file is no longer held.
void local_backend::await_xvnc_exit(const desktop_record& r) const {
  auto deadline = std::chrono::steady_clock::now() + 2s;
  while (std::chrono::steady_clock::now() < deadline) {
    local::reap_children();
    if (local::exit_status(r.xvnc_pid)) return;
    auto info = local::read_process(r.xvnc_pid);
    if (!info || !is_our_xvnc(r, *info)) return;                 // gone, or the pid is someone else's
    if (!info->alive() && !local::is_child(r.xvnc_pid)) return;  // a zombie only its parent can reap
    std::this_thread::sleep_for(20ms);
  }
}

void local_backend::end_processes(const desktop_record& r, std::chrono::milliseconds grace) const {
  local::reap_children();
  if (!group_is_ours(r)) return;
  const pid_t pgid = r.xvnc_pid;
  auto members_gone = [&](std::chrono::milliseconds wait) {
    auto deadline = std::chrono::steady_clock::now() + wait;
    for (;;) {
      local::reap_children();
      if (local::group_members(pgid).empty()) return true;
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(50ms);
    }
  };
  // Running as root, signal only the desktop account's processes (never a privileged program someone
  // started from the session, nor another desktop's).
  auto signal_group = [&](int sig) {
    auto uid = expected_uid(r.id);
    bool all_ours = true;
    std::vector<pid_t> members = local::group_members(pgid);
    if (is_root()) {
      for (pid_t p : members) {
        auto info = local::read_process(p);
        if (info && (!uid || info->uid != *uid)) all_ours = false;
      }
    }
    if (all_ours) {
      ::kill(-pgid, sig);
      return;
    }
    for (pid_t p : members) {
      auto info = local::read_process(p);
      if (info && uid && info->uid == *uid && info->process_group == pgid) ::kill(p, sig);
    }
  };
  signal_group(SIGTERM);
  if (members_gone(grace)) return;
  log::warn("local desktop did not stop in time; killing it", {{"desktop", r.id}});
  signal_group(SIGKILL);
  if (!members_gone(5s)) log::warn("local desktop processes are still there after SIGKILL", {{"desktop", r.id}});
}

// After Xvnc is gone: its socket, and the X lock file and display socket a killed Xvnc leaves behind
// (only when the lock names this Xvnc, so another server's display is never touched).
void local_backend::clean_up_after(const desktop_record& r) const {
  ::unlink(r.socket.c_str());
  if (r.display < first_display || r.display > last_display || r.xvnc_pid <= 1) return;
  auto info = local::read_process(r.xvnc_pid);
  if (info && info->alive()) return;
  auto lock = read_file_nofollow(lock_file_of(r.display), 64);
  if (!lock) return;
  try {
    if (std::stol(*lock) != r.xvnc_pid) return;
  } catch (const std::exception&) {
    return;
  }
  ::unlink(lock_file_of(r.display).c_str());
  ::unlink(x_socket_of(r.display).c_str());
}

void local_backend::mark_stopped(desktop_record& r, const std::string& reason) const {
  r.state = "stopped";
  r.reason = reason;
  r.stopped_at = unix_now();
  write_record(r);
  local::forget_child(r.xvnc_pid);
  local::forget_child(r.session_pid);
  log::info("local desktop stopped", {{"desktop", r.id}, {"reason", reason}});
}

std::optional<desktop_record> local_backend::read_record(const std::string& id) const {
  if (!valid_id(id)) return std::nullopt;
  fs::path runtime = runtime_dir(id);
  auto text = read_file_nofollow(runtime / state_file, max_state_bytes);
  if (!text) return std::nullopt;
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    log::warn("unreadable local desktop state file", {{"desktop", id}});
    return std::nullopt;
  }
  try {
    desktop_record r;
    r.id = id;
    r.socket = (runtime / socket_file).string();
    r.user_id = j.value("user_id", std::int64_t{0});
    r.username = j.value("username", std::string());
    r.display = j.value("display", 0);
    r.xvnc_pid = j.value("xvnc_pid", pid_t{0});
    r.xvnc_start_time = j.value("xvnc_start_time", std::uint64_t{0});
    r.session_pid = j.value("session_pid", pid_t{0});
    r.session_start_time = j.value("session_start_time", std::uint64_t{0});
    r.uid = j.value("uid", uid_t{0});
    r.state = j.value("state", std::string("stopped"));
    r.reason = j.value("reason", std::string());
    r.started_at = j.value("started_at", std::int64_t{0});
    r.stopped_at = j.value("stopped_at", std::int64_t{0});
    return r;
  } catch (const nlohmann::json::exception&) {
    log::warn("unreadable local desktop state file", {{"desktop", id}});
    return std::nullopt;
  }
}

void local_backend::write_record(const desktop_record& r) const {
  fs::path runtime = runtime_dir(r.id);
  std::string text = to_json(r).dump(2) + "\n";
  fs::path tmp = runtime / (std::string(state_file) + ".tmp");
  local::write_private_file(tmp, std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()), nullptr);
  if (::rename(tmp.c_str(), (runtime / state_file).c_str()) != 0)
    throw error(errc::internal, "cannot write " + (runtime / state_file).string() + ": " + std::strerror(errno));
}

instance_state local_backend::inspect(const std::string& container_id) {
  auto rec = read_record(container_id);
  if (!rec) return {instance_status::missing, {}};
  if (rec->state == "stopped") return {instance_status::stopped, rec->reason};
  {
    std::lock_guard lock(mu_);
    if (starting_.count(container_id)) return {instance_status::running, {}};
  }
  local::reap_children();
  if (rec->state != "running") {
    // A gateway ended in the middle of start(): what it left is not a desktop anyone can use.
    end_processes(*rec, cleanup_grace);
    clean_up_after(*rec);
    mark_stopped(*rec, "the desktop did not finish starting");
    return {instance_status::stopped, rec->reason};
  }
  bool xvnc = xvnc_alive(*rec);
  if (xvnc && session_alive(*rec)) return {instance_status::running, {}};

  std::string reason = "the session ended";
  if (!xvnc) {
    await_xvnc_exit(*rec);
    auto status = local::exit_status(rec->xvnc_pid);
    reason = status ? "Xvnc " + local::describe_wait_status(*status) : "the desktop's processes ended";
  }
  end_processes(*rec, cleanup_grace);
  clean_up_after(*rec);
  mark_stopped(*rec, reason);
  return {instance_status::stopped, reason};
}

void local_backend::stop(const std::string& container_id, std::chrono::seconds grace) {
  auto rec = read_record(container_id);
  if (!rec) return;
  end_processes(*rec, grace);
  clean_up_after(*rec);
  if (rec->state != "stopped") mark_stopped(*rec, "stopped");
}

void local_backend::remove(const std::string& container_id) {
  if (!valid_id(container_id)) return;
  stop(container_id, remove_grace);
  local::remove_tree(runtime_dir(container_id));
}

std::vector<managed_instance> local_backend::list() {
  std::vector<managed_instance> out;
  std::error_code ec;
  fs::directory_iterator it(desktops_dir_, ec);
  if (ec) return out;
  std::vector<std::string> ids;
  for (const auto& entry : it) {
    std::string name = entry.path().filename().string();
    if (valid_id(name) && entry.is_directory(ec) && !entry.is_symlink(ec)) ids.push_back(name);
  }
  std::sort(ids.begin(), ids.end());
  for (const auto& id : ids) {
    auto rec = read_record(id);
    if (!rec) continue;
    managed_instance m;
    m.container_id = id;
    m.desktop_public_id = id;
    m.user_id = rec->user_id;
    m.running = inspect(id).status == instance_status::running;
    out.push_back(m);
  }
  return out;
}

}  // namespace deskgate
