// A small blocking RFB client for readiness checks and tests: connects to a desktop's VNC server (TCP or
// unix socket), reads its banner, and optionally completes the whole handshake up to ServerInit with the
// desktop's secret. Every step shares one deadline; nothing blocks past it. Not for the relay: the
// gateway does its own asynchronous handshake.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "backends/backend.hpp"

namespace deskgate::rfb {

enum class probe_failure {
  none,
  connection_refused,     // nothing listens there (or the socket file does not exist)
  timed_out,              // the deadline passed first
  not_rfb,                // the peer does not speak RFB
  authentication_failed,  // SecurityResult said no (wrong secret)
  rejected,               // the server refused before authentication, with its reason
  unsupported,            // no security type this client can do
  connection_failed,      // anything else: permission denied, reset, closed mid-handshake
};

// "connection refused", "timed out", "not an RFB server", "authentication failed", ...
std::string_view to_string(probe_failure f);

struct banner_result {
  probe_failure failure = probe_failure::none;
  std::string error;    // to_string(failure), then ": detail" when there is one
  std::string version;  // "RFB 003.008" (without the newline)
  bool ok() const { return failure == probe_failure::none; }
};

struct auth_result {
  probe_failure failure = probe_failure::none;
  std::string error;
  std::uint16_t width = 0;
  std::uint16_t height = 0;
  std::string name;  // the desktop name from ServerInit
  bool ok() const { return failure == probe_failure::none; }
};

// Reads the server's ProtocolVersion and hangs up.
banner_result probe_banner(const endpoint& where, std::chrono::milliseconds timeout);

// Version handshake, VncAuth with `secret` (security type None when the server offers only that), a
// shared ClientInit, then ServerInit; hangs up after it.
auth_result probe_auth(const endpoint& where, std::string_view secret, std::chrono::milliseconds timeout);

}  // namespace deskgate::rfb
