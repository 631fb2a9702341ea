// The local backend against real Xvnc, openbox and xterm, run as root with each user's desktops as uid
// local.uid_base + their id: start, RFB answers, stop, restart, adoption by a new backend object (also
// after the starting process was SIGKILLed), crashes of Xvnc and of the session, clear errors, removal,
// and one user's desktop unable to reach another's files and processes.
// Every test tears down whatever it started, also when it fails half-way. Also: endpoint text forms.
#include "backends/local/local_backend.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "core/error.hpp"
#include "rfb/rfb_probe.hpp"
#include "support/process.hpp"

namespace deskgate::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr std::int64_t alice_id = 42;
constexpr std::int64_t bob_id = 43;

std::optional<uid_t> real_uid_of(pid_t pid) {
  std::string status = read_whole_file("/proc/" + std::to_string(pid) + "/status");
  auto at = status.find("\nUid:");
  if (at == std::string::npos) return std::nullopt;
  return static_cast<uid_t>(std::stoul(status.substr(at + 5)));
}

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return done();
}

class local_backend_test : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/deskgate-local-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    data_dir_ = tmpl;
    ::chmod(data_dir_.c_str(), 0711);  // the desktop account passes through to its folders
    cfg_.session_command = "exec xterm";
  }

  void TearDown() override {
    // Through the backend first; then, whatever it missed, by force: Xvnc (its command line names the
    // data folder) with its whole process group, and anything else with a home under the data folder.
    {
      local_backend cleaner(cfg_, data_dir_);
      for (const auto& id : started_) {
        try {
          cleaner.remove(id);
        } catch (const std::exception& e) {
          ADD_FAILURE() << "remove(" << id << "): " << e.what();
        }
      }
    }
    std::vector<pid_t> killed;
    for (pid_t p : processes_with("cmdline", data_dir_.string())) {
      ADD_FAILURE() << "left running: " << read_whole_file("/proc/" + std::to_string(p) + "/cmdline");
      ::kill(-p, SIGKILL);
      ::kill(p, SIGKILL);
      killed.push_back(p);
    }
    for (pid_t p : processes_with("environ", "HOME=" + data_dir_.string())) {
      ADD_FAILURE() << "left running: pid " << p;
      ::kill(p, SIGKILL);
    }
    if (!killed.empty()) std::this_thread::sleep_for(200ms);
    while (::waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    // A killed Xvnc leaves its display's lock file and socket behind.
    for (int display = local_backend::first_display; display <= local_backend::last_display; ++display) {
      fs::path lock = "/tmp/.X" + std::to_string(display) + "-lock";
      std::string owner = read_whole_file(lock);
      if (owner.empty()) continue;
      pid_t pid = std::atoi(owner.c_str());
      if (std::find(killed.begin(), killed.end(), pid) == killed.end()) continue;
      fs::remove(lock);
      fs::remove("/tmp/.X11-unix/X" + std::to_string(display));
    }
    std::error_code ec;
    fs::remove_all(data_dir_, ec);
  }

  desktop_spec spec(const std::string& id, const std::string& secret = "pw-12345",
                    const std::string& username = "alice", std::int64_t user_id = alice_id) {
    desktop_spec s;
    s.public_id = id;
    s.user_id = user_id;
    s.username = username;
    s.type.slug = "terminal";
    s.type.name = "Terminal desktop";
    s.secret = secret;
    s.home_dir = data_dir_ / "homes" / username;
    started_.push_back(id);
    return s;
  }

  nlohmann::json state_of(local_backend& b, const std::string& id) {
    return nlohmann::json::parse(read_whole_file(b.runtime_dir(id) / "state.json"));
  }

  bool nothing_runs_for(const std::string& socket) { return processes_with("cmdline", socket).empty(); }

  void require_root() {
    ASSERT_EQ(::geteuid(), 0u) << "these tests run as root (desktops run as uid local.uid_base + the user's id)";
  }

  uid_t uid_of(std::int64_t user_id) const { return static_cast<uid_t>(cfg_.uid_base + user_id); }

  fs::path data_dir_;
  local_backend_config cfg_;
  std::vector<std::string> started_;
  const uid_t desktop_uid_ = uid_of(alice_id);
};

TEST(endpoint_text, RoundTripsAndRejectsGarbage) {
  auto u = endpoint::parse("unix:/run/deskgate/d1/vnc.sock");
  ASSERT_TRUE(u);
  EXPECT_TRUE(u->is_unix());
  EXPECT_EQ(u->unix_path, "/run/deskgate/d1/vnc.sock");
  EXPECT_EQ(u->to_string(), "unix:/run/deskgate/d1/vnc.sock");

  auto t = endpoint::parse("tcp:127.0.0.1:7001");
  ASSERT_TRUE(t);
  EXPECT_FALSE(t->is_unix());
  EXPECT_EQ(t->host, "127.0.0.1");
  EXPECT_EQ(t->port, 7001);
  EXPECT_EQ(t->to_string(), "tcp:127.0.0.1:7001");

  auto v6 = endpoint::parse("tcp:[::1]:5900");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 5900);
  EXPECT_EQ(v6->to_string(), "tcp:[::1]:5900");
  EXPECT_EQ(endpoint::parse("tcp:desktop-3.lan:65535")->host, "desktop-3.lan");

  for (const char* bad : {"",
                          "unix:",
                          "unix:relative/path",
                          "tcp:",
                          "tcp:host",
                          "tcp:host:",
                          "tcp::5900",
                          "tcp:host:0",
                          "tcp:host:65536",
                          "tcp:host:59x0",
                          "tcp:host:-1",
                          "tcp:::1:5900",
                          "tcp:[::1]5900",
                          "tcp:[::1]:",
                          "tcp:[]:5900",
                          "tcp:[host]:5900",
                          "tcp:a b:1",
                          "tcp:host/x:1",
                          "http://127.0.0.1:5900",
                          "127.0.0.1:5900",
                          "TCP:127.0.0.1:1"})
    EXPECT_FALSE(endpoint::parse(bad)) << bad;
}

TEST_F(local_backend_test, DescribesItself) {
  local_backend b(cfg_, data_dir_);
  EXPECT_EQ(b.kind(), "local");
  EXPECT_FALSE(b.needs_host_port());
  EXPECT_TRUE(b.host_port_usable(5900));
}

TEST_F(local_backend_test, StartAnswersRfbRunsAsTheDesktopAccountAndStops) {
  require_root();
  cfg_.session_command = "openbox & exec xterm";  // the embedded default
  ::setenv("DESKGATE_TEST_GATEWAY_ONLY", "1", 1);
  local_backend b(cfg_, data_dir_);
  auto s = spec("d1-abc", "right-secret");
  auto started = b.start(s, "");
  EXPECT_EQ(started.container_id, "d1-abc");
  const fs::path socket = data_dir_ / "desktops" / "d1-abc" / "vnc.sock";
  EXPECT_EQ(started.where.to_string(), "unix:" + socket.string());

  auto banner = rfb::probe_banner(started.where, 3s);
  EXPECT_TRUE(banner.ok()) << banner.error;
  EXPECT_EQ(banner.version, "RFB 003.008");
  auto auth = rfb::probe_auth(started.where, "right-secret", 3s);
  ASSERT_TRUE(auth.ok()) << auth.error << "\n" << read_whole_file(b.runtime_dir("d1-abc") / "xvnc.log");
  EXPECT_EQ(auth.width, 1280);
  EXPECT_EQ(auth.height, 800);
  EXPECT_EQ(auth.name, "Terminal desktop");
  auto wrong = rfb::probe_auth(started.where, "wrong-secret", 3s);
  EXPECT_EQ(wrong.failure, rfb::probe_failure::authentication_failed) << wrong.error;

  // The socket: 0600 and the desktop account's; the runtime folder 0700 and the account's.
  struct stat st {};
  ASSERT_EQ(::lstat(socket.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_uid, desktop_uid_);
  ASSERT_EQ(::lstat(b.runtime_dir("d1-abc").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_EQ(st.st_uid, desktop_uid_);
  ASSERT_EQ(::lstat((b.runtime_dir("d1-abc") / "passwd").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::lstat(s.home_dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, desktop_uid_);

  // Xvnc and the session run as the desktop account, in one process group led by Xvnc.
  auto state = state_of(b, "d1-abc");
  pid_t xvnc = state.at("xvnc_pid");
  pid_t session = state.at("session_pid");
  EXPECT_EQ(state.at("state"), "running");
  EXPECT_GE(state.at("display").get<int>(), 100);
  EXPECT_EQ(state.at("pgid").get<pid_t>(), xvnc);
  EXPECT_EQ(real_uid_of(xvnc), desktop_uid_);
  EXPECT_EQ(real_uid_of(session), desktop_uid_);
  EXPECT_EQ(::getpgid(session), xvnc);
  EXPECT_EQ(processes_with("cmdline", socket.string()), std::vector<pid_t>{xvnc});

  // The session gets a clean environment of its own, nothing of the gateway's.
  std::string environ = read_whole_file("/proc/" + std::to_string(session) + "/environ");
  for (char& c : environ)
    if (c == '\0') c = '\n';
  EXPECT_NE(environ.find("DISPLAY=:" + std::to_string(state.at("display").get<int>()) + "\n"), std::string::npos);
  EXPECT_NE(environ.find("HOME=" + s.home_dir.string() + "\n"), std::string::npos) << environ;
  EXPECT_NE(environ.find("USER=alice\n"), std::string::npos) << environ;
  EXPECT_EQ(environ.find("DESKGATE_TEST_GATEWAY_ONLY"), std::string::npos) << environ;
  EXPECT_EQ(environ.find("right-secret"), std::string::npos);

  // xterm reached the display (with the Xauthority cookie) and stays: still running a moment later.
  std::this_thread::sleep_for(1500ms);
  auto seen = b.inspect("d1-abc");
  EXPECT_EQ(seen.status, instance_status::running) << seen.reason << "\n"
                                                   << read_whole_file(b.runtime_dir("d1-abc") / "session.log");

  b.stop("d1-abc", 10s);
  EXPECT_TRUE(nothing_runs_for(socket.string()));
  EXPECT_EQ(::kill(xvnc, 0), -1);
  EXPECT_EQ(::kill(session, 0), -1);
  EXPECT_FALSE(fs::exists(socket));
  EXPECT_FALSE(fs::exists("/tmp/.X" + std::to_string(state.at("display").get<int>()) + "-lock"));
  EXPECT_EQ(b.inspect("d1-abc").status, instance_status::stopped);
  EXPECT_EQ(state_of(b, "d1-abc").at("state"), "stopped");
  EXPECT_TRUE(fs::exists(b.runtime_dir("d1-abc")));
  EXPECT_FALSE(rfb::probe_banner(started.where, 1s).ok());
  b.stop("d1-abc", 10s);  // idempotent
}

TEST_F(local_backend_test, RestartAfterStopStartsAFreshXvnc) {
  require_root();
  local_backend b(cfg_, data_dir_);
  auto s = spec("d2");
  auto first = b.start(s, "");
  pid_t first_xvnc = state_of(b, "d2").at("xvnc_pid");
  b.stop("d2", 10s);
  ASSERT_EQ(b.inspect("d2").status, instance_status::stopped);

  s.secret = "a-new-secret";
  auto second = b.start(s, first.container_id);
  EXPECT_EQ(second.container_id, "d2");
  EXPECT_EQ(second.where.to_string(), first.where.to_string());
  EXPECT_NE(state_of(b, "d2").at("xvnc_pid").get<pid_t>(), first_xvnc);
  EXPECT_EQ(b.inspect("d2").status, instance_status::running);
  auto auth = rfb::probe_auth(second.where, "a-new-secret", 3s);
  EXPECT_TRUE(auth.ok()) << auth.error;
  EXPECT_EQ(rfb::probe_auth(second.where, "pw-12345", 3s).failure, rfb::probe_failure::authentication_failed);
}

TEST_F(local_backend_test, StartingARunningDesktopReturnsItAsItIs) {
  require_root();
  local_backend b(cfg_, data_dir_);
  auto s = spec("d3");
  auto first = b.start(s, "");
  pid_t xvnc = state_of(b, "d3").at("xvnc_pid");
  auto again = b.start(s, "d3");
  EXPECT_EQ(again.container_id, "d3");
  EXPECT_EQ(again.where.to_string(), first.where.to_string());
  EXPECT_EQ(state_of(b, "d3").at("xvnc_pid").get<pid_t>(), xvnc);
}

// Starts a desktop from a forked child that then dies by SIGKILL, as a crashed gateway would: the
// desktop is then nobody's child in this process.
void start_in_a_gateway_that_gets_killed(const local_backend_config& cfg, const fs::path& data_dir,
                                         const desktop_spec& s) {
  pid_t gateway = ::fork();
  ASSERT_GE(gateway, 0);
  if (gateway == 0) {
    try {
      local_backend b(cfg, data_dir);
      b.start(s, "");
    } catch (...) {
      ::_exit(3);
    }
    ::raise(SIGKILL);
    ::_exit(4);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(gateway, &status, 0), gateway);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "start failed in the child: " << status;
}

TEST_F(local_backend_test, ANewBackendAdoptsDesktopsOfAKilledGatewayAndStopsThem) {
  require_root();
  auto s = spec("adopt-1", "adopt-secret");
  start_in_a_gateway_that_gets_killed(cfg_, data_dir_, s);
  if (HasFatalFailure()) return;

  local_backend restarted(cfg_, data_dir_);
  auto all = restarted.list();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].container_id, "adopt-1");
  EXPECT_EQ(all[0].desktop_public_id, "adopt-1");
  EXPECT_EQ(all[0].user_id, 42);
  EXPECT_TRUE(all[0].running);
  EXPECT_EQ(restarted.inspect("adopt-1").status, instance_status::running);
  endpoint where;
  where.unix_path = (restarted.runtime_dir("adopt-1") / "vnc.sock").string();
  auto auth = rfb::probe_auth(where, "adopt-secret", 3s);
  EXPECT_TRUE(auth.ok()) << auth.error;

  restarted.stop("adopt-1", 10s);
  EXPECT_TRUE(wait_until([&] { return nothing_runs_for(where.unix_path); }, 3s));
  EXPECT_FALSE(fs::exists(where.unix_path));
  auto after = restarted.list();
  ASSERT_EQ(after.size(), 1u);
  EXPECT_FALSE(after[0].running);
}

TEST_F(local_backend_test, ASecondBackendObjectSeesAndStopsARunningDesktop) {
  require_root();
  local_backend first(cfg_, data_dir_);
  first.start(spec("shared-1"), "");
  local_backend second(cfg_, data_dir_);
  auto all = second.list();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_TRUE(all[0].running);
  second.stop("shared-1", 10s);
  EXPECT_EQ(first.inspect("shared-1").status, instance_status::stopped);
  EXPECT_TRUE(nothing_runs_for((first.runtime_dir("shared-1") / "vnc.sock").string()));
}

TEST_F(local_backend_test, XvncKilledIsReportedStoppedWithItsExitStatus) {
  require_root();
  local_backend b(cfg_, data_dir_);
  b.start(spec("crash-1"), "");
  auto state = state_of(b, "crash-1");
  pid_t xvnc = state.at("xvnc_pid");
  pid_t session = state.at("session_pid");
  int display = state.at("display");
  ASSERT_EQ(::kill(xvnc, SIGKILL), 0);

  instance_state seen;
  EXPECT_TRUE(wait_until([&] { return (seen = b.inspect("crash-1")).status == instance_status::stopped; }, 5s));
  EXPECT_EQ(seen.reason, "Xvnc was killed by signal 9 (Killed)");
  EXPECT_NE(::kill(session, 0), 0) << "the session went with Xvnc";
  EXPECT_FALSE(fs::exists("/tmp/.X" + std::to_string(display) + "-lock")) << "the stale lock is cleaned up";
  EXPECT_FALSE(fs::exists(b.runtime_dir("crash-1") / "vnc.sock"));
  EXPECT_EQ(b.inspect("crash-1").reason, seen.reason) << "the reason is kept";
}

TEST_F(local_backend_test, XvncDeadAfterAGatewayRestartIsReportedAsEnded) {
  require_root();
  auto s = spec("crash-2");
  start_in_a_gateway_that_gets_killed(cfg_, data_dir_, s);
  if (HasFatalFailure()) return;
  local_backend restarted(cfg_, data_dir_);
  pid_t xvnc = state_of(restarted, "crash-2").at("xvnc_pid");
  ASSERT_EQ(::kill(xvnc, SIGKILL), 0);
  instance_state seen;
  EXPECT_TRUE(wait_until([&] { return (seen = restarted.inspect("crash-2")).status == instance_status::stopped; }, 5s));
  EXPECT_EQ(seen.reason, "the desktop's processes ended");
}

TEST_F(local_backend_test, ASessionThatEndsTakesTheDesktopDown) {
  require_root();
  cfg_.session_command = "sleep 1";
  local_backend b(cfg_, data_dir_);
  auto started = b.start(spec("short-1"), "");
  EXPECT_EQ(b.inspect("short-1").status, instance_status::running);
  instance_state seen;
  EXPECT_TRUE(wait_until([&] { return (seen = b.inspect("short-1")).status == instance_status::stopped; }, 10s));
  EXPECT_EQ(seen.reason, "the session ended");
  EXPECT_TRUE(nothing_runs_for(started.where.unix_path)) << "Xvnc went with the session";
  EXPECT_FALSE(fs::exists(started.where.unix_path));
}

TEST_F(local_backend_test, MissingXvncIsAClearError) {
  cfg_.xvnc = "/nonexistent/Xvnc";
  local_backend b(cfg_, data_dir_);
  try {
    b.start(spec("nox-1"), "");
    FAIL() << "start succeeded without Xvnc";
  } catch (const error& e) {
    EXPECT_EQ(e.code(), errc::unavailable);
    EXPECT_NE(std::string(e.what()).find("Xvnc is not installed (apt-get install tigervnc-standalone-server)"),
              std::string::npos)
        << e.what();
  }
  cfg_.xvnc = "no-such-xvnc-binary";
  local_backend by_name(cfg_, data_dir_);
  EXPECT_THROW(by_name.start(spec("nox-2"), ""), error);
  EXPECT_EQ(by_name.inspect("nox-2").status, instance_status::missing);
}

TEST_F(local_backend_test, AUserIdPastTheLastUidIsAClearError) {
  require_root();
  cfg_.uid_base = 4294967290;
  local_backend b(cfg_, data_dir_);
  try {
    b.start(spec("noacct-1"), "");
    FAIL() << "start succeeded with uid " << cfg_.uid_base + alice_id;
  } catch (const error& e) {
    EXPECT_NE(std::string(e.what()).find("local.uid_base 4294967290 plus the id"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(processes_with("cmdline", data_dir_.string()).empty());
}

// Bob's desktop runs first; Alice's session then tries, as her desktop's account, to read Bob's home and
// his desktop's VNC password and X cookie, to list his home, to signal his Xvnc and to read a file of the
// data folder anyone could read (the database's place) and to list the homes, and writes what happened
// into her own home.
TEST_F(local_backend_test, OneUsersDesktopCannotReachAnothersFilesOrProcesses) {
  require_root();
  local_backend b(cfg_, data_dir_);
  auto bob = spec("iso-bob", "bob-secret", "bob", bob_id);
  fs::create_directories(bob.home_dir);
  std::ofstream(bob.home_dir / "diary.txt") << "private";  // written by root: the start hands it to Bob
  std::ofstream(data_dir_ / "deskgate.db") << "every password hash";
  ::chmod((data_dir_ / "deskgate.db").c_str(), 0644);
  b.start(bob, "");
  pid_t bob_xvnc = state_of(b, "iso-bob").at("xvnc_pid");
  const fs::path bob_runtime = b.runtime_dir("iso-bob");

  std::string probe;
  auto attempt = [&](const std::string& command, const char* success) {
    probe += "if " + command + " >/dev/null 2>&1; then echo " + success + "; else echo denied; fi >> probe.tmp\n";
  };
  for (const fs::path& f :
       {bob.home_dir / "diary.txt", bob_runtime / "passwd", bob_runtime / "Xauthority", data_dir_ / "deskgate.db"})
    attempt("cat '" + f.string() + "'", "read");
  attempt("ls '" + bob.home_dir.string() + "'", "listed");
  attempt("kill -0 " + std::to_string(bob_xvnc), "signalled");
  probe += "echo mine > own.txt && cat own.txt >> probe.tmp\n";
  attempt("ls '" + (data_dir_ / "homes").string() + "'", "listed");  // who has a home
  cfg_.session_command = probe + "mv probe.tmp probe.txt\nexec xterm";
  local_backend alice_backend(cfg_, data_dir_);
  auto alice = spec("iso-alice", "alice-secret", "alice", alice_id);
  alice_backend.start(alice, "");

  const fs::path result = alice.home_dir / "probe.txt";
  ASSERT_TRUE(wait_until([&] { return fs::exists(result); }, 20s))
      << read_whole_file(alice_backend.runtime_dir("iso-alice") / "session.log");
  EXPECT_EQ(read_whole_file(result), "denied\ndenied\ndenied\ndenied\ndenied\ndenied\nmine\ndenied\n");

  // Each desktop runs as its user's own uid, and its files are that uid's alone.
  EXPECT_EQ(real_uid_of(bob_xvnc), uid_of(bob_id));
  EXPECT_EQ(real_uid_of(state_of(alice_backend, "iso-alice").at("session_pid").get<pid_t>()), uid_of(alice_id));
  struct stat st {};
  for (const fs::path& p : {bob.home_dir, bob_runtime}) {
    ASSERT_EQ(::lstat(p.c_str(), &st), 0) << p;
    EXPECT_EQ(st.st_uid, uid_of(bob_id)) << p;
    EXPECT_EQ(st.st_gid, uid_of(bob_id)) << p;
    EXPECT_EQ(st.st_mode & 0777, 0700u) << p;
  }
  ASSERT_EQ(::lstat((bob.home_dir / "diary.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, uid_of(bob_id));
  for (const char* name : {"passwd", "Xauthority"}) {
    ASSERT_EQ(::lstat((bob_runtime / name).c_str(), &st), 0) << name;
    EXPECT_EQ(st.st_uid, uid_of(bob_id)) << name;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << name;
  }
  EXPECT_EQ(alice_backend.inspect("iso-alice").status, instance_status::running);
  EXPECT_EQ(b.inspect("iso-bob").status, instance_status::running);
}

TEST_F(local_backend_test, AFolderTheAccountCannotPassIsNamedWithTheFix) {
  require_root();
  ::chmod(data_dir_.c_str(), 0700);
  local_backend b(cfg_, data_dir_);
  try {
    b.start(spec("perm-1"), "");
    FAIL() << "start succeeded though " << data_dir_ << " is closed to the desktop account";
  } catch (const error& e) {
    std::string what = e.what();
    EXPECT_NE(what.find(data_dir_.string() + " is not searchable"), std::string::npos) << what;
    EXPECT_NE(what.find("chmod o+x " + data_dir_.string()), std::string::npos) << what;
  }
  EXPECT_TRUE(processes_with("cmdline", data_dir_.string()).empty());
}

// An assignment folder is opened name by name below its base when the desktop starts: a link there (one
// swapped in after the gateway checked the folder) fails the start instead of being followed.
TEST_F(local_backend_test, AMountSourceWithALinkBelowItsBaseIsRefused) {
  require_root();
  const fs::path teacher = data_dir_ / "homes" / "teacher";
  fs::create_directories(teacher / "Real" / "Week");
  fs::create_directories(data_dir_ / "elsewhere" / "Week");
  fs::create_directory_symlink(data_dir_ / "elsewhere", teacher / "Linked");
  local_backend b(cfg_, data_dir_);
  auto linked = spec("link-1");
  linked.mounts.push_back({teacher, "Public/Week", true, {"Linked", "Week"}});
  try {
    b.start(linked, "");
    FAIL() << "a link below the mount's base was followed";
  } catch (const error& e) {
    EXPECT_NE(std::string(e.what()).find("mounting a folder"), std::string::npos) << e.what();
  }
  auto real = spec("link-2", "pw-12345", "bob");
  real.mounts.push_back({teacher, "Public/Week", true, {"Real", "Week"}});
  EXPECT_NO_THROW(b.start(real, ""));
  b.stop("link-2", std::chrono::seconds(5));
}

TEST_F(local_backend_test, RemoveDeletesTheRuntimeFolderButNotTheHome) {
  require_root();
  local_backend b(cfg_, data_dir_);
  auto s = spec("rm-1");
  auto started = b.start(s, "");
  std::ofstream(s.home_dir / "notes.txt") << "keep me";
  b.remove("rm-1");
  EXPECT_FALSE(fs::exists(b.runtime_dir("rm-1")));
  EXPECT_TRUE(nothing_runs_for(started.where.unix_path));
  EXPECT_EQ(read_whole_file(s.home_dir / "notes.txt"), "keep me");
  EXPECT_EQ(b.inspect("rm-1").status, instance_status::missing);
  EXPECT_NO_THROW(b.remove("rm-1"));
  EXPECT_NO_THROW(b.stop("rm-1", 1s));
  EXPECT_TRUE(b.list().empty());
}

TEST_F(local_backend_test, TwoDesktopsGetTheirOwnDisplaysAndSecrets) {
  require_root();
  local_backend b(cfg_, data_dir_);
  auto one = b.start(spec("two-a", "secret-a", "alice"), "");
  auto two = b.start(spec("two-b", "secret-b", "bob"), "");
  EXPECT_NE(state_of(b, "two-a").at("display"), state_of(b, "two-b").at("display"));
  EXPECT_NE(one.where.unix_path, two.where.unix_path);
  EXPECT_TRUE(rfb::probe_auth(one.where, "secret-a", 3s).ok());
  EXPECT_TRUE(rfb::probe_auth(two.where, "secret-b", 3s).ok());
  EXPECT_EQ(rfb::probe_auth(one.where, "secret-b", 3s).failure, rfb::probe_failure::authentication_failed);
  EXPECT_EQ(b.list().size(), 2u);
  b.stop("two-a", 10s);
  EXPECT_EQ(b.inspect("two-b").status, instance_status::running) << "stopping one leaves the other alone";
}

TEST_F(local_backend_test, ADisplayTakenInAnotherNamespaceIsSkipped) {
  require_root();
  // Xvnc also listens on the abstract socket @/tmp/.X11-unix/X<n>; holding it (as an X server in a
  // container sharing the network would) makes Xvnc give up on <n> although no lock file shows it.
  std::vector<int> blocked;
  std::vector<int> holders;
  for (int n = local_backend::first_display; n <= local_backend::last_display && blocked.size() < 2; ++n) {
    std::string name = std::to_string(n);
    if (fs::exists("/tmp/.X" + name + "-lock") || fs::exists("/tmp/.X11-unix/X" + name)) continue;
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::string abstract = "/tmp/.X11-unix/X" + name;
    std::memcpy(a.sun_path + 1, abstract.data(), abstract.size());
    socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + abstract.size());
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), len) == 0 && ::listen(fd, 1) == 0) {
      blocked.push_back(n);
      holders.push_back(fd);
    } else {
      ::close(fd);
    }
  }
  ASSERT_EQ(blocked.size(), 2u);
  local_backend b(cfg_, data_dir_);
  auto started = b.start(spec("taken-1"), "");
  for (int fd : holders) ::close(fd);
  int display = state_of(b, "taken-1").at("display");
  EXPECT_EQ(std::find(blocked.begin(), blocked.end(), display), blocked.end()) << display;
  EXPECT_TRUE(rfb::probe_auth(started.where, "pw-12345", 3s).ok());
}

TEST_F(local_backend_test, UnknownAndMalformedIdsAreHarmless) {
  local_backend b(cfg_, data_dir_);
  for (const char* id : {"never-started", "../etc", "", "a/b", ".."}) {
    EXPECT_EQ(b.inspect(id).status, instance_status::missing) << id;
    EXPECT_NO_THROW(b.stop(id, 1s)) << id;
    EXPECT_NO_THROW(b.remove(id)) << id;
  }
  EXPECT_TRUE(b.list().empty());
  EXPECT_THROW(b.start(spec("../escape"), ""), error);
}

}  // namespace
}  // namespace deskgate::testing
