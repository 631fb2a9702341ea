#include "cli/cli.hpp"
#include "cli/doctor.hpp"

#include <fmt/format.h>
#include <signal.h>
#include <termios.h>
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <iostream>

#include "app/application.hpp"
#include "auth/accounts.hpp"
#include "config/config.hpp"
#include "core/clock.hpp"
#include "core/crypto.hpp"
#include "core/error.hpp"
#include "log/log.hpp"
#include "store/store.hpp"

namespace deskgate::cli {
namespace {

struct options {
  std::string config_file;
  std::string username;
  std::string role_name = "student";
  std::string display_name;
  bool password_stdin = false;
};

config load(const options& o) {
  std::optional<std::filesystem::path> file;
  if (!o.config_file.empty()) file = o.config_file;
  return load_config(file, process_environment());
}

std::unique_ptr<store> open_migrated_store(const config& cfg, const clock& clk) {
  auto db = open_store(cfg.store.url, clk, 1, static_cast<int>(cfg.store.busy_timeout_ms.count()));
  db->migrate();
  return db;
}

std::string read_line_without_echo(const std::string& prompt) {
  std::cerr << prompt << std::flush;
  termios old{};
  bool tty = ::tcgetattr(STDIN_FILENO, &old) == 0;
  if (tty) {
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string line;
  std::getline(std::cin, line);
  if (tty) {
    ::tcsetattr(STDIN_FILENO, TCSANOW, &old);
    std::cerr << "\n";
  }
  return line;
}

// The new password: from stdin (--password-stdin), typed twice at a terminal, or generated and shown.
std::string obtain_password(const options& o, bool& generated) {
  generated = false;
  if (o.password_stdin) {
    std::string line;
    std::getline(std::cin, line);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
  }
  if (::isatty(STDIN_FILENO)) {
    auto first = read_line_without_echo("New password: ");
    auto second = read_line_without_echo("Repeat it: ");
    if (first != second) throw error(errc::bad_request, "The two passwords differ.");
    return first;
  }
  generated = true;
  return crypto::random_password(20);
}

int cmd_serve(const options& o) {
  auto cfg = load(o);
  log::setup(cfg.log);
  // Signals are taken by sigwait below, so no server thread is interrupted by them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  application app(cfg);
  app.start();
  if (const auto& admin = app.bootstrap_admin()) {
    std::cout << "\n  deskgate created the first administrator account. This is the only time its password\n"
              << "  is shown; change it after signing in (deskgate user passwd " << admin->username << ").\n\n"
              << "    username: " << admin->username << "\n"
              << "    password: " << admin->password << "\n\n"
              << "  Open " << cfg.server.public_url << " and sign in.\n\n"
              << std::flush;
  }
  int sig = 0;
  sigwait(&stop_signals, &sig);
  log::info("shutting down", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
  app.shutdown();
  app.wait();
  log::info("stopped");
  return 0;
}

int cmd_user_add(const options& o) {
  auto cfg = load(o);
  auto r = parse_role(o.role_name);
  if (!r) throw error(errc::bad_request, "--role must be admin, teacher or student.");
  system_clock clk;
  auto db = open_migrated_store(cfg, clk);
  bool generated = false;
  auto password = obtain_password(o, generated);
  auto u = auth::create_local_user(*db, o.username, password, *r, o.display_name);
  std::cout << fmt::format("created {} ({}, id {})\n", u.username, to_string(u.user_role), u.id);
  if (generated) std::cout << "password: " << password << "\n";
  return 0;
}

int cmd_user_passwd(const options& o) {
  auto cfg = load(o);
  system_clock clk;
  auto db = open_migrated_store(cfg, clk);
  if (!db->find_user_by_username(o.username)) {
    throw error(errc::not_found, "There is no user named " + o.username + ".");
  }
  bool generated = false;
  auto password = obtain_password(o, generated);
  auth::change_password(*db, o.username, password);
  std::cout << "password changed for " << o.username << "; their sessions were ended\n";
  if (generated) std::cout << "password: " << password << "\n";
  return 0;
}

int cmd_user_list(const options& o) {
  auto cfg = load(o);
  system_clock clk;
  auto db = open_migrated_store(cfg, clk);
  std::cout << fmt::format("{:>6}  {:<24} {:<8} {:<8} {}\n", "ID", "USERNAME", "ROLE", "STATE", "NAME");
  for (const auto& u : db->list_users()) {
    std::cout << fmt::format("{:>6}  {:<24} {:<8} {:<8} {}\n", u.id, u.username, to_string(u.user_role),
                             u.disabled ? "disabled" : "active", u.display_name);
  }
  return 0;
}

int cmd_migrate(const options& o) {
  auto cfg = load(o);
  system_clock clk;
  auto db = open_store(cfg.store.url, clk, 1, static_cast<int>(cfg.store.busy_timeout_ms.count()));
  int applied = db->migrate();
  std::cout << fmt::format("applied {} migration(s); schema version {}\n", applied, db->schema_version());
  return 0;
}

int cmd_check_config(const options& o) {
  auto cfg = load(o);
  std::cout << render_config(cfg);
  std::cerr << "configuration is valid\n";
  return 0;
}

}  // namespace

int run(int argc, char** argv) {
  crypto::init();
  options o;
  if (const char* env = std::getenv("DESKGATE_CONFIG")) o.config_file = env;

  CLI::App app{"deskgate: a desktop in the browser for everyone in a school", "deskgate"};
  app.set_version_flag("--version", DESKGATE_VERSION);
  app.add_option("-c,--config", o.config_file, "TOML configuration file (or DESKGATE_CONFIG)");
  app.require_subcommand(1);
  app.fallthrough();  // --config may also follow the subcommand: `deskgate serve --config FILE`

  auto* serve = app.add_subcommand("serve", "Run the gateway");
  auto* migrate = app.add_subcommand("migrate", "Apply pending database migrations");
  auto* check = app.add_subcommand("check-config", "Validate the configuration and print it (secrets masked)");

  auto* user = app.add_subcommand("user", "Manage local accounts");
  user->require_subcommand(1);
  user->fallthrough();
  auto* add = user->add_subcommand("add", "Create a local account");
  add->add_option("name", o.username, "Username")->required();
  add->add_option("--role", o.role_name, "admin, teacher or student")
      ->check(CLI::IsMember({"admin", "teacher", "student"}));
  add->add_option("--display-name", o.display_name, "Name shown in the UI");
  add->add_flag("--password-stdin", o.password_stdin, "Read the password from standard input");
  auto* passwd = user->add_subcommand("passwd", "Set a local account's password");
  passwd->add_option("name", o.username, "Username")->required();
  passwd->add_flag("--password-stdin", o.password_stdin, "Read the password from standard input");
  auto* list = user->add_subcommand("list", "List accounts");
  doctor_options doctor_opts;
  int doctor_seconds = 15;
  auto* doctor = add_doctor_subcommand(app, doctor_opts, doctor_seconds);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }

  try {
    if (serve->parsed()) return cmd_serve(o);
    if (migrate->parsed()) return cmd_migrate(o);
    if (check->parsed()) return cmd_check_config(o);
    if (add->parsed()) return cmd_user_add(o);
    if (passwd->parsed()) return cmd_user_passwd(o);
    if (list->parsed()) return cmd_user_list(o);
    if (doctor->parsed()) {
      doctor_opts.timeout = std::chrono::seconds(doctor_seconds);
      return run_doctor(doctor_opts, std::cout, std::cerr);
    }
  } catch (const config_error& e) {
    std::cerr << "deskgate: configuration error: " << e.what() << "\n";
    return 2;
  } catch (const error& e) {
    std::cerr << "deskgate: " << e.what() << "\n";
    return e.code() == errc::bad_request || e.code() == errc::conflict || e.code() == errc::not_found ? 2 : 1;
  } catch (const std::exception& e) {
    std::cerr << "deskgate: " << e.what() << "\n";
    return 1;
  }
  return 2;
}

}  // namespace deskgate::cli
