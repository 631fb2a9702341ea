// Process plumbing for the local backend. The gateway is multi-threaded, so between fork() and exec()
// the child uses raw system calls only (no allocation, no locks, no glibc set*id broadcast): everything
// it needs is prepared by the parent before forking.
#include "backends/local/local_process.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <linux/mount.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

#include "core/error.hpp"

namespace deskgate::local {
namespace {

std::string errno_text(int err) { return std::strerror(err); }

// ---- accounts ----

std::vector<gid_t> groups_of(const char* name, gid_t primary) {
  std::vector<gid_t> groups(16);
  for (;;) {
    int count = static_cast<int>(groups.size());
    if (::getgrouplist(name, primary, groups.data(), &count) >= 0) {
      groups.resize(static_cast<std::size_t>(count));
      return groups;
    }
    if (static_cast<std::size_t>(count) <= groups.size()) count = static_cast<int>(groups.size()) * 2;
    if (count > 65536) return {primary};
    groups.resize(static_cast<std::size_t>(count));
  }
}

std::optional<account> account_from(int (*lookup)(const void*, passwd*, char*, std::size_t, passwd**),
                                    const void* key) {
  std::vector<char> buffer(4096);
  for (;;) {
    passwd entry{};
    passwd* found = nullptr;
    int rc = lookup(key, &entry, buffer.data(), buffer.size(), &found);
    if (rc == ERANGE && buffer.size() < (1u << 20)) {
      buffer.resize(buffer.size() * 2);
      continue;
    }
    if (rc != 0 || found == nullptr) return std::nullopt;
    account a;
    a.name = entry.pw_name;
    a.uid = entry.pw_uid;
    a.gid = entry.pw_gid;
    a.groups = groups_of(entry.pw_name, entry.pw_gid);
    return a;
  }
}

int lookup_by_uid(const void* key, passwd* pw, char* buf, std::size_t len, passwd** out) {
  return ::getpwuid_r(*static_cast<const uid_t*>(key), pw, buf, len, out);
}

// ---- spawning ----

enum class spawn_stage : int {
  process_group = 1,
  redirect,
  mount_namespace,
  mount_folder,
  hide_data,
  set_groups,
  set_gid,
  set_uid,
  work_dir,
  exec
};

std::string_view stage_text(spawn_stage s) {
  switch (s) {
    case spawn_stage::process_group:
      return "joining the process group";
    case spawn_stage::redirect:
      return "redirecting its output";
    case spawn_stage::mount_namespace:
      return "creating its mount namespace (folder mounts need root with CAP_SYS_ADMIN)";
    case spawn_stage::mount_folder:
      return "mounting a folder into its home (a symbolic link or a missing folder at the target?)";
    case spawn_stage::hide_data:
      return "hiding deskgate's data folder but for its own folders";
    case spawn_stage::set_groups:
      return "setting its groups";
    case spawn_stage::set_gid:
      return "switching its group";
    case spawn_stage::set_uid:
      return "switching its user";
    case spawn_stage::work_dir:
      return "changing to its working folder";
    case spawn_stage::exec:
      return "executing it";
  }
  return "starting it";
}

struct child_failure {
  int stage = 0;
  int err = 0;
};

// One folder_mount as the child reads it.
struct child_mount {
  const char* source;
  const char* const* source_names;  // below source
  std::size_t source_count;
  const char* const* target;  // names below the mount base
  std::size_t target_count;
  bool writable;
};

// A folder put back under the hidden one: its path, and the names below the hidden folder.
struct child_kept {
  const char* path;
  const char* const* names;
  std::size_t count;
};

// At most this many folders are put back (the home and the runtime folder).
constexpr std::size_t max_kept = 4;

// Opens the folder `names` below the open folder `dir` one name at a time without following links; -1
// on failure. Takes over `dir`.
int open_below(int dir, const char* const* names, std::size_t count, int flags) {
  for (std::size_t k = 0; dir >= 0 && k < count; ++k) {
    int next = ::openat(dir, names[k], flags);
    ::close(dir);
    dir = next;
  }
  return dir;
}

// Everything the child reads, owned by the parent's stack frame.
struct child_plan {
  const char* program;
  char* const* argv;
  char* const* envp;
  const char* work_dir;
  int null_fd;
  int output_fd;
  int error_fd;  // close-on-exec pipe: reports a failure before exec
  pid_t process_group;
  bool switch_account;
  uid_t uid;
  gid_t gid;
  const gid_t* groups;
  std::size_t group_count;
  int max_fd;
  const char* mount_base;
  const child_mount* mounts;
  std::size_t mount_count;
  const char* hidden;  // nullptr: nothing is hidden
  const child_kept* kept;
  std::size_t kept_count;
};

[[noreturn]] void child_fail(const child_plan& plan, spawn_stage stage) {
  child_failure f{static_cast<int>(stage), errno};
  ssize_t ignored = ::write(plan.error_fd, &f, sizeof f);
  (void)ignored;
  ::_exit(127);
}

constexpr int path_flags = O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

// In the child, before it gives up root: a private mount namespace, then each folder cloned from its
// source and attached to its target, both opened inside the new namespace (descriptors from before
// unshare() name mounts of the old one). The new mount API makes the clone read-only before anyone sees it.
void mount_folders(const child_plan& plan) {
  if (::unshare(CLONE_NEWNS) != 0) child_fail(plan, spawn_stage::mount_namespace);
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) child_fail(plan, spawn_stage::mount_namespace);
  for (std::size_t i = 0; i < plan.mount_count; ++i) {
    const child_mount& m = plan.mounts[i];
    int target = open_below(::open(plan.mount_base, path_flags), m.target, m.target_count, path_flags);
    int source = open_below(::open(m.source, path_flags), m.source_names, m.source_count, path_flags);
    if (target < 0 || source < 0) child_fail(plan, spawn_stage::mount_folder);
    int tree =
        static_cast<int>(::syscall(SYS_open_tree, source, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH));
    if (tree < 0) child_fail(plan, spawn_stage::mount_folder);
    mount_attr attr{};
    attr.attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | (m.writable ? 0 : MOUNT_ATTR_RDONLY);
    if (::syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &attr, sizeof attr) != 0 ||
        ::syscall(SYS_move_mount, tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0) {
      child_fail(plan, spawn_stage::mount_folder);
    }
    ::close(tree);
    ::close(source);
    ::close(target);
  }
}

// Then deskgate's data folder (every home, every desktop's runtime folder, the database) disappears under
// an empty tmpfs, and only the kept folders, cloned with their mounts beforehand, are put back: whatever
// the permissions there, the session cannot even see the names of what is not its own.
void hide_data(const child_plan& plan) {
  int clones[max_kept];
  for (std::size_t i = 0; i < plan.kept_count; ++i) {
    clones[i] = static_cast<int>(::syscall(SYS_open_tree, AT_FDCWD, plan.kept[i].path,
                                           OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_SYMLINK_NOFOLLOW));
    if (clones[i] < 0) child_fail(plan, spawn_stage::hide_data);
  }
  if (::mount("deskgate", plan.hidden, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0711,size=64k") != 0)
    child_fail(plan, spawn_stage::hide_data);
  for (std::size_t i = 0; i < plan.kept_count; ++i) {
    int dir = ::open(plan.hidden, path_flags);
    for (std::size_t k = 0; dir >= 0 && k < plan.kept[i].count; ++k) {
      ::mkdirat(dir, plan.kept[i].names[k], 0711);
      int next = ::openat(dir, plan.kept[i].names[k], path_flags);
      ::close(dir);
      dir = next;
    }
    if (dir < 0 ||
        ::syscall(SYS_move_mount, clones[i], "", dir, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0)
      child_fail(plan, spawn_stage::hide_data);
    ::close(clones[i]);
    ::close(dir);
  }
}

[[noreturn]] void run_child(const child_plan& plan) {
  // Whatever the gateway blocks or ignores (SIGPIPE, SIGCHLD...) must not leak into the desktop.
  sigset_t none;
  ::sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  ::sigemptyset(&dfl.sa_mask);
  for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &dfl, nullptr);  // fails harmlessly for KILL, STOP

  if (::setpgid(0, plan.process_group) != 0) child_fail(plan, spawn_stage::process_group);
  // Not a session leader, so this detaches only this process from the gateway's terminal (if any):
  // a hang-up or Ctrl-C there never reaches the desktop.
  int tty = ::open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (tty >= 0) {
    ::ioctl(tty, TIOCNOTTY);
    ::close(tty);
  }
  if (::dup2(plan.null_fd, 0) < 0 || ::dup2(plan.output_fd, 1) < 0 || ::dup2(plan.output_fd, 2) < 0)
    child_fail(plan, spawn_stage::redirect);
  if (plan.mount_count > 0 || plan.hidden != nullptr) mount_folders(plan);
  if (plan.hidden != nullptr) hide_data(plan);
  if (plan.switch_account) {
    // Raw system calls: they change this (only) thread, without glibc's all-threads machinery.
    if (::syscall(SYS_setgroups, plan.group_count, plan.groups) != 0) child_fail(plan, spawn_stage::set_groups);
    if (::syscall(SYS_setresgid, plan.gid, plan.gid, plan.gid) != 0) child_fail(plan, spawn_stage::set_gid);
    if (::syscall(SYS_setresuid, plan.uid, plan.uid, plan.uid) != 0) child_fail(plan, spawn_stage::set_uid);
  }
  if (::chdir(plan.work_dir) != 0) child_fail(plan, spawn_stage::work_dir);
  // 002: a home's group is its user's alone, and in the shared space (set-group-ID, the writers' group)
  // what one teacher's desktop makes stays changeable by the others'.
  ::umask(002);
  if (::syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
    for (int fd = 3; fd < plan.max_fd; ++fd) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  }
  ::execve(plan.program, plan.argv, plan.envp);
  child_fail(plan, spawn_stage::exec);
}

class fd_guard {
 public:
  explicit fd_guard(int fd) : fd_(fd) {}
  ~fd_guard() {
    if (fd_ >= 0) ::close(fd_);
  }
  fd_guard(const fd_guard&) = delete;
  fd_guard& operator=(const fd_guard&) = delete;
  int get() const { return fd_; }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

struct dir_closer {
  void operator()(DIR* d) const { ::closedir(d); }
};

// ---- children ----

struct child_entry {
  std::optional<int> status;  // the wait status once reaped
  bool forgotten = false;     // nobody will ask for the status: drop the entry once reaped
};

struct child_registry {
  std::mutex mu;
  std::map<pid_t, child_entry> children;
};

child_registry& registry() {
  static child_registry r;
  return r;
}

void register_child(pid_t pid) {
  std::lock_guard lock(registry().mu);
  registry().children[pid] = child_entry{};
}

// ---- files ----

void unlink_if_present(const std::filesystem::path& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT)
    throw error(errc::internal, "cannot replace " + path.string() + ": " + errno_text(errno));
}

int create_private(const std::filesystem::path& path, const account* owner) {
  unlink_if_present(path);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) throw error(errc::internal, "cannot create " + path.string() + ": " + errno_text(errno));
  if (owner != nullptr && owner->uid != ::geteuid() && ::fchown(fd, owner->uid, owner->gid) != 0) {
    int err = errno;
    ::close(fd);
    throw error(errc::internal, "cannot hand " + path.string() + " to " + owner->name + ": " + errno_text(err));
  }
  return fd;
}

constexpr int max_tree_depth = 128;

void remove_entry(int parent_fd, const char* name, const std::filesystem::path& shown, int depth) {
  if (::unlinkat(parent_fd, name, 0) == 0 || errno == ENOENT) return;
  if (errno != EISDIR && errno != EPERM)
    throw error(errc::internal, "cannot remove " + shown.string() + ": " + errno_text(errno));
  if (depth > max_tree_depth) throw error(errc::internal, "cannot remove " + shown.string() + ": nested too deep");
  int fd = ::openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) throw error(errc::internal, "cannot remove " + shown.string() + ": " + errno_text(errno));
  DIR* dir = ::fdopendir(fd);
  if (dir == nullptr) {
    ::close(fd);
    throw error(errc::internal, "cannot remove " + shown.string() + ": " + errno_text(errno));
  }
  std::unique_ptr<DIR, dir_closer> guard(dir);
  std::vector<std::string> names;
  while (dirent* e = ::readdir(dir)) {
    std::string_view n = e->d_name;
    if (n != "." && n != "..") names.emplace_back(n);
  }
  for (const auto& n : names) remove_entry(fd, n.c_str(), shown / n, depth + 1);
  guard.reset();
  if (::unlinkat(parent_fd, name, AT_REMOVEDIR) != 0 && errno != ENOENT)
    throw error(errc::internal, "cannot remove " + shown.string() + ": " + errno_text(errno));
}

std::optional<std::string> read_small_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// State, process group and start time from /proc/<pid>/stat (uid left 0).
std::optional<process_info> read_stat(pid_t pid) {
  if (pid <= 0) return std::nullopt;
  auto stat = read_small_file("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return std::nullopt;
  // "pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime
  //  cstime priority nice threads itrealvalue starttime ..."; comm may contain spaces and parentheses.
  auto close = stat->rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(stat->substr(close + 1));
  process_info info;
  std::string skip;
  long long pgrp = 0;
  fields >> info.state >> skip >> pgrp;
  for (int i = 0; i < 16 && fields; ++i) fields >> skip;  // session .. itrealvalue
  fields >> info.start_time;
  if (!fields) return std::nullopt;
  info.process_group = static_cast<pid_t>(pgrp);
  return info;
}

}  // namespace

account current_account() {
  uid_t uid = ::geteuid();
  if (auto a = account_from(&lookup_by_uid, &uid)) return *a;
  account a;
  a.name = std::to_string(uid);
  a.uid = uid;
  a.gid = ::getegid();
  a.groups = {a.gid};
  return a;
}

pid_t spawn(const spawn_request& request) {
  std::string program = request.program.string();
  std::string work_dir = request.work_dir.empty() ? std::string("/") : request.work_dir.string();
  std::vector<char*> argv;
  for (const auto& a : request.args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const auto& e : request.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  fd_guard null_fd(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (null_fd.get() < 0) throw error(errc::internal, "cannot open /dev/null: " + errno_text(errno));
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) throw error(errc::internal, "cannot create a pipe: " + errno_text(errno));
  fd_guard read_end(pipe_fds[0]);
  fd_guard write_end(pipe_fds[1]);

  long open_max = ::sysconf(_SC_OPEN_MAX);
  child_plan plan{};
  plan.program = program.c_str();
  plan.argv = argv.data();
  plan.envp = envp.data();
  plan.work_dir = work_dir.c_str();
  plan.null_fd = null_fd.get();
  plan.output_fd = request.output_fd >= 0 ? request.output_fd : null_fd.get();
  plan.error_fd = write_end.get();
  plan.process_group = request.process_group;
  plan.max_fd = open_max > 0 && open_max < 65536 ? static_cast<int>(open_max) : 65536;
  if (request.run_as != nullptr) {
    plan.switch_account = true;
    plan.uid = request.run_as->uid;
    plan.gid = request.run_as->gid;
    plan.groups = request.run_as->groups.data();
    plan.group_count = request.run_as->groups.size();
  }

  std::string mount_base = request.mount_base.string();
  std::vector<std::string> mount_sources;
  std::vector<std::vector<const char*>> mount_targets;
  std::vector<std::vector<const char*>> mount_source_names;
  std::vector<child_mount> mounts;
  for (const auto& m : request.mounts) {
    mount_sources.push_back(m.source.string());
    auto& names = mount_targets.emplace_back();
    for (const auto& n : m.target) names.push_back(n.c_str());
    auto& below = mount_source_names.emplace_back();
    for (const auto& n : m.source_names) below.push_back(n.c_str());
  }
  for (std::size_t i = 0; i < request.mounts.size(); ++i) {
    mounts.push_back({mount_sources[i].c_str(), mount_source_names[i].data(), mount_source_names[i].size(),
                      mount_targets[i].data(), mount_targets[i].size(), request.mounts[i].writable});
  }
  plan.mount_base = mount_base.c_str();
  plan.mounts = mounts.data();
  plan.mount_count = mounts.size();

  std::string hidden = request.hidden.string();
  std::vector<std::string> kept_paths;
  std::vector<std::vector<std::string>> kept_names;
  std::vector<std::vector<const char*>> kept_name_ptrs;
  std::vector<child_kept> kept;
  if (request.kept.size() > max_kept) throw error(errc::internal, "too many folders to keep visible");
  for (const auto& k : request.kept) {
    auto& names = kept_names.emplace_back();
    for (const auto& part : k.lexically_normal().lexically_relative(request.hidden.lexically_normal())) {
      if (part == "..") throw error(errc::internal, k.string() + " is not below " + hidden);
      if (part != "." && !part.empty()) names.push_back(part.string());
    }
    if (names.empty()) throw error(errc::internal, k.string() + " is not below " + hidden);
    kept_paths.push_back(k.string());
  }
  for (std::size_t i = 0; i < kept_names.size(); ++i) {
    auto& ptrs = kept_name_ptrs.emplace_back();
    for (const auto& n : kept_names[i]) ptrs.push_back(n.c_str());
    kept.push_back({kept_paths[i].c_str(), ptrs.data(), ptrs.size()});
  }
  plan.hidden = request.hidden.empty() ? nullptr : hidden.c_str();
  plan.kept = kept.data();
  plan.kept_count = kept.size();

  pid_t pid = ::fork();
  if (pid < 0) throw error(errc::internal, "cannot start " + program + ": fork failed: " + errno_text(errno));
  if (pid == 0) run_child(plan);

  write_end.close();
  // Also from this side, so the group exists as soon as spawn() returns (fails harmlessly after exec).
  ::setpgid(pid, request.process_group == 0 ? pid : request.process_group);
  child_failure failure;
  ssize_t n;
  do {
    n = ::read(read_end.get(), &failure, sizeof failure);
  } while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(sizeof failure)) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    throw error(errc::internal, "cannot start " + program + ": " +
                                    std::string(stage_text(static_cast<spawn_stage>(failure.stage))) +
                                    " failed: " + errno_text(failure.err));
  }
  register_child(pid);
  return pid;
}

std::optional<process_info> read_process(pid_t pid) {
  auto info = read_stat(pid);
  if (!info) return std::nullopt;
  auto status = read_small_file("/proc/" + std::to_string(pid) + "/status");
  if (!status) return std::nullopt;
  auto uid_at = status->find("\nUid:");
  if (uid_at == std::string::npos) return std::nullopt;
  std::istringstream uid_line(status->substr(uid_at + 5));
  unsigned long uid = 0;
  if (!(uid_line >> uid)) return std::nullopt;
  info->uid = static_cast<uid_t>(uid);
  return info;
}

std::string read_cmdline(pid_t pid) {
  if (pid <= 0) return {};
  auto text = read_small_file("/proc/" + std::to_string(pid) + "/cmdline");
  if (!text) return {};
  for (char& c : *text)
    if (c == '\0') c = ' ';
  return *text;
}

std::vector<pid_t> group_members(pid_t pgid) {
  std::vector<pid_t> members;
  if (pgid <= 1) return members;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return members;
  std::unique_ptr<DIR, dir_closer> guard(proc);
  while (dirent* e = ::readdir(proc)) {
    std::string_view name = e->d_name;
    pid_t pid = 0;
    auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), pid);
    if (ec != std::errc{} || end != name.data() + name.size()) continue;
    auto info = read_stat(pid);
    if (info && info->alive() && info->process_group == pgid) members.push_back(pid);
  }
  return members;
}

void reap_children() {
  std::lock_guard lock(registry().mu);
  for (auto it = registry().children.begin(); it != registry().children.end();) {
    if (it->second.status) {
      ++it;
      continue;
    }
    int status = 0;
    pid_t r = ::waitpid(it->first, &status, WNOHANG);
    if (r == it->first) {
      if (it->second.forgotten) {
        it = registry().children.erase(it);
        continue;
      }
      it->second.status = status;
    } else if (r < 0 && errno == ECHILD) {
      // Reaped elsewhere (or SIGCHLD ignored): the status is lost, nothing is left to reap.
      it = registry().children.erase(it);
      continue;
    }
    ++it;
  }
}

bool is_child(pid_t pid) {
  std::lock_guard lock(registry().mu);
  auto it = registry().children.find(pid);
  return it != registry().children.end() && !it->second.status;
}

std::optional<int> exit_status(pid_t pid) {
  std::lock_guard lock(registry().mu);
  auto it = registry().children.find(pid);
  if (it == registry().children.end()) return std::nullopt;
  return it->second.status;
}

void forget_child(pid_t pid) {
  std::lock_guard lock(registry().mu);
  auto it = registry().children.find(pid);
  if (it == registry().children.end()) return;
  if (it->second.status) {
    registry().children.erase(it);
  } else {
    it->second.forgotten = true;  // still to be reaped, so that it does not stay a zombie
  }
}

std::string describe_wait_status(int status) {
  if (WIFEXITED(status)) return "exited with code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    const char* what = ::sigdescr_np(sig);
    return "was killed by signal " + std::to_string(sig) + (what ? " (" + std::string(what) + ")" : "");
  }
  return "ended (status " + std::to_string(status) + ")";
}

void write_private_file(const std::filesystem::path& path, std::span<const std::uint8_t> data, const account* owner) {
  fd_guard fd(create_private(path, owner));
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd.get(), data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw error(errc::internal, "cannot write " + path.string() + ": " + errno_text(errno));
    done += static_cast<std::size_t>(n);
  }
}

int open_log_file(const std::filesystem::path& path, const account* owner) { return create_private(path, owner); }

void remove_tree(const std::filesystem::path& dir) {
  auto parent = dir.parent_path();
  fd_guard parent_fd(::open(parent.empty() ? "." : parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (parent_fd.get() < 0) {
    if (errno == ENOENT) return;
    throw error(errc::internal, "cannot remove " + dir.string() + ": " + errno_text(errno));
  }
  remove_entry(parent_fd.get(), dir.filename().c_str(), dir, 0);
}

}  // namespace deskgate::local
