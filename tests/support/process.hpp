// Starting the real deskgate binary from tests: run a command to completion, or keep a server running
// and read what it printed. Output goes to files in a temp folder so nothing blocks on a full pipe.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace deskgate::testing {

struct process_options {
  std::vector<std::string> args;           // args[0] is the program
  std::map<std::string, std::string> env;  // added to a minimal environment (PATH, HOME)
  std::string stdin_text;
  std::filesystem::path work_dir;  // empty: current folder
};

class child_process {
 public:
  explicit child_process(const process_options& opts);
  ~child_process();  // SIGKILLs a child still running
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  pid_t pid() const { return pid_; }
  std::string out() const;
  std::string err() const;
  // Waits until stderr or stdout contains `text`; false after `timeout` or when the child exited.
  bool wait_for_output(const std::string& text, std::chrono::milliseconds timeout);
  void signal(int sig);
  // The exit status (128+signal when killed); -1 when still running after `timeout`.
  int wait(std::chrono::milliseconds timeout = std::chrono::seconds(30));

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  int status_ = -1;
  std::filesystem::path out_file_;
  std::filesystem::path err_file_;
  std::filesystem::path in_file_;
};

struct run_result {
  int status = -1;
  std::string out;
  std::string err;
};

run_result run_command(const process_options& opts);

// A whole file as a string ("" when it cannot be read).
std::string read_whole_file(const std::filesystem::path& p);
// Every live process but this one whose /proc file `what` (cmdline or environ) contains `needle`.
// The checkout the tests were built from (shipped configs and scripts are read from there).
inline std::filesystem::path source_root() { return DESKGATE_SOURCE_ROOT; }

// Waits until something accepts TCP connections on 127.0.0.1:port; false after `timeout`.
bool wait_for_tcp_port(std::uint16_t port, std::chrono::milliseconds timeout);

// A port on 127.0.0.1 that was free a moment ago (for servers that must be told their port).
std::uint16_t free_tcp_port();

std::vector<pid_t> processes_with(const std::string& what, const std::string& needle);

}  // namespace deskgate::testing
