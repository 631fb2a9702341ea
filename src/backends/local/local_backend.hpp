// The local backend: each desktop is an Xvnc server plus a session command (openbox and an xterm by
// default), run as local processes in one process group led by Xvnc. Xvnc listens only on a unix socket
// (mode 0600) in the desktop's runtime folder <data_dir>/desktops/<public_id>/, so only the gateway
// (root, or the account deskgate runs as) can reach it, and only with the desktop's VNC password.
//
// The desktops are not children that die with the gateway: a state file in the runtime folder records
// their processes, so a restarted gateway finds them again (list, inspect, stop). When deskgate runs as
// root each user's desktops run as an account of their own: uid and gid local.uid_base + the user's id.
//
// Calls block (process start-up, SIGTERM grace); the manager runs them on its own threads and calls
// them for one desktop at a time. Different desktops may be started concurrently.
#pragma once

#include <chrono>
#include <filesystem>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "backends/backend.hpp"
#include "config/config.hpp"

namespace deskgate {

namespace local {
struct account;
struct desktop_record;
struct process_info;
}  // namespace local

class local_backend final : public backend {
 public:
  local_backend(local_backend_config cfg, std::filesystem::path data_dir);

  std::string kind() const override { return "local"; }
  bool needs_host_port() const override { return false; }
  bool host_port_usable(std::uint16_t) const override { return true; }

  // container_id is the desktop's public id (the runtime folder's name); the endpoint is
  // unix:<runtime folder>/vnc.sock.
  started_instance start(const desktop_spec& spec, const std::string& existing) override;
  void stop(const std::string& container_id, std::chrono::seconds grace) override;
  // Stops the desktop and deletes its runtime folder; the user's home stays.
  void remove(const std::string& container_id) override;
  // running while Xvnc and the session command live. A session command that ended takes Xvnc down with
  // it (closing the last window ends the desktop): stopped, "the session ended".
  instance_state inspect(const std::string& container_id) override;
  std::vector<managed_instance> list() override;
  // Local desktops have no web port of their own (several would contend for one port on this machine).
  std::optional<endpoint> web_endpoint(const std::string&, const desktop_type&) override { return std::nullopt; }

  // <data_dir>/desktops/<id>
  std::filesystem::path runtime_dir(const std::string& container_id) const;

  // How long Xvnc may take to listen on its socket.
  static constexpr std::chrono::seconds xvnc_start_timeout{15};
  // SIGTERM → SIGKILL when the backend itself ends a desktop whose session or Xvnc ended.
  static constexpr std::chrono::seconds cleanup_grace{5};
  // remove() stops a desktop still running with this grace.
  static constexpr std::chrono::seconds remove_grace{10};
  static constexpr int first_display = 100;
  static constexpr int last_display = 999;

 private:
  local::account desktop_account(const desktop_spec& spec) const;
  std::optional<uid_t> expected_uid(const std::string& id) const;
  std::filesystem::path resolve_xvnc() const;
  void prepare_folders(const desktop_spec& spec, const std::filesystem::path& runtime,
                       const local::account& acct) const;
  int reserve_display(const std::set<int>& tried);
  void release_display(int display);
  void start_xvnc(const desktop_spec& spec, const std::filesystem::path& xvnc, const local::account* run_as,
                  local::desktop_record& record);
  void start_session(const desktop_spec& spec, const local::account* run_as, local::desktop_record& record);

  bool is_our_xvnc(const local::desktop_record& r, const local::process_info& info) const;
  bool xvnc_alive(const local::desktop_record& r) const;
  void await_xvnc_exit(const local::desktop_record& r) const;
  bool session_alive(const local::desktop_record& r) const;
  bool group_is_ours(const local::desktop_record& r) const;
  void end_processes(const local::desktop_record& r, std::chrono::milliseconds grace) const;
  void clean_up_after(const local::desktop_record& r) const;
  void mark_stopped(local::desktop_record& r, const std::string& reason) const;
  std::optional<local::desktop_record> read_record(const std::string& id) const;
  void write_record(const local::desktop_record& r) const;

  local_backend_config cfg_;
  std::filesystem::path data_dir_;
  std::filesystem::path desktops_dir_;

  mutable std::mutex mu_;
  std::set<int> reserved_displays_;  // being started by this object
  std::set<int> unusable_displays_;  // refused by Xvnc though no lock file exists (another namespace)
  std::set<std::string> starting_;   // ids inside start()
};

}  // namespace deskgate
