// The process plumbing of the local backend: starting a program as another account in a given process
// group from a multi-threaded server, reading what /proc says about a process, reaping our own children,
// and the small file-system operations that must not follow links planted by the desktop's account.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace deskgate::local {

// The account desktop processes run as (as root: ids of their own, with no passwd entry).
struct account {
  std::string name;  // for USER and messages
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  // supplementary groups, the primary one included
};

// The account this process runs as (effective uid).
account current_account();

// A folder shown inside the child's home, in a mount namespace of its own (needs root). The target is
// opened name by name without following links, so a link planted there by the desktop's account is
// refused; the mount is read-only (and nosuid, nodev) unless writable.
struct folder_mount {
  std::filesystem::path source;     // a real folder, by a path deskgate controls
  std::vector<std::string> target;  // names below spawn_request::mount_base, each an existing folder
  bool writable = false;
  std::vector<std::string> source_names;  // below source, each opened without following links
};

struct spawn_request {
  std::filesystem::path program;  // absolute
  std::vector<std::string> args;  // args[0] is the program's name
  std::vector<std::string> env;   // the complete environment, "NAME=value"
  std::filesystem::path work_dir;
  int output_fd = -1;                // stdout and stderr; stdin is /dev/null
  pid_t process_group = 0;           // 0: the child leads a new process group
  const account* run_as = nullptr;   // set: the child switches to this account before exec
  std::filesystem::path mount_base;  // the folder mounts' targets are below (the home)
  std::vector<folder_mount> mounts;  // non-empty: the child gets its own mount namespace first
  // Set: in the child's mount namespace (after the folder mounts) an empty tmpfs covers this folder, and
  // only the folders `kept`, each below it, are put back (with the mounts below them).
  std::filesystem::path hidden;
  std::vector<std::filesystem::path> kept;
};

// Starts the program and returns its pid once exec succeeded. Only async-signal-safe calls run between
// fork and exec (the caller is multi-threaded): signals are reset, the controlling terminal dropped, every
// other descriptor closed at exec. Throws deskgate::error{errc::internal} naming the step that failed.
// The child is registered for reap_children().
pid_t spawn(const spawn_request& request);

// What /proc/<pid>/stat and /proc/<pid>/status say; nullopt when there is no such process.
struct process_info {
  char state = '?';  // 'Z': a zombie, dead already
  pid_t process_group = 0;
  std::uint64_t start_time = 0;  // clock ticks after boot; with the pid, it names a process uniquely
  uid_t uid = 0;                 // real uid
  bool alive() const { return state != 'Z' && state != 'X'; }
};
std::optional<process_info> read_process(pid_t pid);
// The command line with its NUL separators turned into spaces ("" for zombies and kernel threads).
std::string read_cmdline(pid_t pid);
// Live (non-zombie) members of process group `pgid`, found by scanning /proc.
std::vector<pid_t> group_members(pid_t pgid);

// Children started by spawn() are reaped here (waitpid WNOHANG on each), by every backend object of this
// process; other children of the process are never touched.
void reap_children();
// Whether `pid` is a child spawn() started and nobody has reaped yet.
bool is_child(pid_t pid);
// The wait status of `pid` when this process started and reaped it.
std::optional<int> exit_status(pid_t pid);
// Drops what is remembered about `pid` (after its desktop is stopped for good); a child not reaped yet
// still is, later, by reap_children().
void forget_child(pid_t pid);
// "exited with code 1", "was killed by signal 9 (Killed)".
std::string describe_wait_status(int status);

// Files inside a folder the desktop's account owns: never follow a symbolic link there.
// Creates (replacing) a regular file with `data`, mode 0600, owned by `owner` when given.
void write_private_file(const std::filesystem::path& path, std::span<const std::uint8_t> data, const account* owner);
// Opens (replacing) a log file for a child's output, mode 0600, owned by `owner`; close-on-exec.
int open_log_file(const std::filesystem::path& path, const account* owner);
// Removes a folder and everything in it without following symbolic links (openat/unlinkat all the
// way down). A missing folder is fine.
void remove_tree(const std::filesystem::path& dir);

}  // namespace deskgate::local
