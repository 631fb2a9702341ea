#include "support/process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace deskgate::testing {
namespace {

std::filesystem::path unique_file(const std::string& suffix) {
  static int counter = 0;
  return std::filesystem::temp_directory_path() /
         ("deskgate-proc-" + std::to_string(::getpid()) + "-" + std::to_string(++counter) + suffix);
}

}  // namespace

child_process::child_process(const process_options& opts)
    : out_file_(unique_file(".out")), err_file_(unique_file(".err")), in_file_(unique_file(".in")) {
  std::ofstream(in_file_, std::ios::binary) << opts.stdin_text;
  std::vector<std::string> env_strings = {"PATH=/usr/local/bin:/usr/bin:/bin",
                                          "HOME=" + std::string(std::getenv("HOME") ? std::getenv("HOME") : "/")};
  for (const auto& [k, v] : opts.env) env_strings.push_back(k + "=" + v);

  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    int in = ::open(in_file_.c_str(), O_RDONLY);
    int out = ::open(out_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int err = ::open(err_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    if (!opts.work_dir.empty() && ::chdir(opts.work_dir.c_str()) != 0) ::_exit(126);
    std::vector<char*> argv;
    for (const auto& a : opts.args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (const auto& e : env_strings) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
}

child_process::~child_process() {
  if (!reaped_) {
    ::kill(pid_, SIGKILL);
    wait(std::chrono::seconds(10));
  }
  std::error_code ec;
  for (const auto& f : {out_file_, err_file_, in_file_}) std::filesystem::remove(f, ec);
}

std::string child_process::out() const { return read_whole_file(out_file_); }
std::string child_process::err() const { return read_whole_file(err_file_); }

bool child_process::wait_for_output(const std::string& text, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (err().find(text) != std::string::npos || out().find(text) != std::string::npos) return true;
    int status = 0;
    if (!reaped_ && ::waitpid(pid_, &status, WNOHANG) == pid_) {
      reaped_ = true;
      status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    if (reaped_) return err().find(text) != std::string::npos || out().find(text) != std::string::npos;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

void child_process::signal(int sig) {
  if (!reaped_) ::kill(pid_, sig);
}

int child_process::wait(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!reaped_) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      reaped_ = true;
      status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      break;
    }
    if (std::chrono::steady_clock::now() >= deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return status_;
}

std::string read_whole_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<pid_t> processes_with(const std::string& what, const std::string& needle) {
  std::vector<pid_t> out;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    pid_t pid = std::stoi(name);
    if (pid == ::getpid()) continue;
    std::string text = read_whole_file(entry.path() / what);
    std::replace(text.begin(), text.end(), '\0', ' ');
    if (text.find(needle) != std::string::npos) out.push_back(pid);
  }
  return out;
}

run_result run_command(const process_options& opts) {
  child_process child(opts);
  int status = child.wait(std::chrono::seconds(60));
  return {status, child.out(), child.err()};
}

namespace {

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  return a;
}

}  // namespace

bool wait_for_tcp_port(std::uint16_t port, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  do {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    auto a = loopback(port);
    bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    if (ok) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  } while (std::chrono::steady_clock::now() < deadline);
  return false;
}

std::uint16_t free_tcp_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  auto a = loopback(0);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

}  // namespace deskgate::testing
