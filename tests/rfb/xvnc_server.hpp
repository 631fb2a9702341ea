// A real Xvnc for the RFB tests, started directly (not through the local backend) on a free display,
// listening on a unix socket or on 127.0.0.1, with a password file written by TigerVNC's own
// `vncpasswd -f` so the tests check deskgate's DES against TigerVNC's. Stopped with SIGTERM (Xvnc then
// removes its lock file), SIGKILL if it lingers.
#pragma once

#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "backends/backend.hpp"
#include "support/process.hpp"

namespace deskgate::testing {

struct xvnc_options {
  std::string password = "deskgate";
  std::string security_types = "VncAuth";
  bool tcp = false;  // listen on 127.0.0.1:<free port> instead of a unix socket
};

class xvnc_server {
 public:
  explicit xvnc_server(xvnc_options opts = {}) : opts_(std::move(opts)) {
    char tmpl[] = "/tmp/deskgate-xvnc-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) {
      error_ = "mkdtemp failed";
      return;
    }
    dir_ = tmpl;
    run_result pw = run_command({{"/usr/bin/vncpasswd", "-f"}, {}, opts_.password + "\n", {}});
    if (pw.status != 0 || pw.out.size() != 8) {
      error_ = "vncpasswd -f failed (apt-get install tigervnc-tools): " + pw.err;
      return;
    }
    std::ofstream(dir_ / "passwd", std::ios::binary) << pw.out;
    ::chmod((dir_ / "passwd").c_str(), 0600);
    for (int display = 400; display < 460 && !running(); ++display) try_display(display);
    if (!running() && error_.empty()) error_ = "no free display for Xvnc";
  }

  ~xvnc_server() {
    if (process_) {
      process_->signal(SIGTERM);
      if (process_->wait(std::chrono::seconds(8)) < 0) process_.reset();  // SIGKILLs it
    }
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }

  xvnc_server(const xvnc_server&) = delete;
  xvnc_server& operator=(const xvnc_server&) = delete;

  bool running() const { return process_ != nullptr; }
  const std::string& error() const { return error_; }
  endpoint where() const {
    endpoint e;
    if (opts_.tcp) {
      e.host = "127.0.0.1";
      e.port = port_;
    } else {
      e.unix_path = (dir_ / "vnc.sock").string();
    }
    return e;
  }
  int display() const { return display_; }
  std::string log() const { return process_ ? process_->err() + process_->out() : std::string(); }

 private:
  static std::uint16_t free_tcp_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
  }

  bool connectable() const {
    endpoint e = where();
    int fd;
    int rc;
    if (e.is_unix()) {
      fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
      sockaddr_un a{};
      a.sun_family = AF_UNIX;
      std::strncpy(a.sun_path, e.unix_path.c_str(), sizeof a.sun_path - 1);
      rc = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    } else {
      fd = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      a.sin_port = htons(e.port);
      rc = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    }
    ::close(fd);
    return rc == 0;
  }

  void try_display(int display) {
    std::string n = std::to_string(display);
    if (std::filesystem::exists("/tmp/.X" + n + "-lock") || std::filesystem::exists("/tmp/.X11-unix/X" + n)) return;
    std::vector<std::string> args = {"/usr/bin/Xvnc",
                                     ":" + n,
                                     "-SecurityTypes",
                                     opts_.security_types,
                                     "-PasswordFile",
                                     (dir_ / "passwd").string(),
                                     "-UseBlacklist=0",
                                     "-geometry",
                                     "1024x768",
                                     "-depth",
                                     "24",
                                     "-nolisten",
                                     "tcp",
                                     "-desktop",
                                     "probe-test"};
    if (opts_.tcp) {
      port_ = free_tcp_port();
      for (const char* a : {"-localhost", "-interface", "127.0.0.1", "-rfbport"}) args.emplace_back(a);
      args.push_back(std::to_string(port_));
    } else {
      for (const char* a : {"-rfbport", "-1", "-rfbunixmode", "0600", "-rfbunixpath"}) args.emplace_back(a);
      args.push_back((dir_ / "vnc.sock").string());
    }
    auto child = std::make_unique<child_process>(process_options{args, {}, "", dir_});
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      if (child->wait(std::chrono::milliseconds(0)) >= 0) {
        error_ = "Xvnc exited: " + child->err();
        return;  // display taken meanwhile, or broken: the caller tries the next one
      }
      if (connectable()) {
        error_.clear();
        display_ = display;
        process_ = std::move(child);
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(30));
    }
    error_ = "Xvnc did not listen within 10 s";
    child->signal(SIGTERM);
    child->wait(std::chrono::seconds(5));
  }

  xvnc_options opts_;
  std::filesystem::path dir_;
  std::unique_ptr<child_process> process_;
  std::string error_;
  int display_ = 0;
  std::uint16_t port_ = 0;
};

}  // namespace deskgate::testing
