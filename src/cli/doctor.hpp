// `deskgate doctor URL`: sends a WebSocket-style upgrade request through the reverse proxy at URL to
// deskgate's GET /api/diagnostics/upgrade, and reports, item by item, which headers arrived and what to
// change in Apache, nginx or HAProxy when one did not. Exit status: 0 all essentials pass, 1 at least one
// essential fails, 2 usage or connection errors (nothing could be diagnosed).
#pragma once

#include <CLI/CLI.hpp>

#include <chrono>
#include <iosfwd>
#include <string>
#include <vector>

namespace deskgate::cli {

struct doctor_options {
  std::string url;                   // the public URL users open: https://desktops.example.org[/prefix]
  std::vector<std::string> cookies;  // extra NAME=VALUE cookies sent besides deskgate_doctor=1
  bool insecure = false;             // skip TLS certificate verification
  std::chrono::seconds timeout{15};
};

// Runs the diagnosis and prints it to `out` (errors to `err`); returns the exit status.
int run_doctor(const doctor_options& o, std::ostream& out, std::ostream& err);

// Registers `doctor` and its options on the deskgate command line, filling `opts` and `seconds` (the
// timeout) when parsed; the caller then runs run_doctor.
CLI::App* add_doctor_subcommand(CLI::App& app, doctor_options& opts, int& seconds);

}  // namespace deskgate::cli
