// The RFB pieces of the relay, as pure state machines without sockets (unit-tested and fuzzed on their
// own): the client side of the security handshake toward the desktop (VncAuth with the desktop's
// secret), the server side toward the browser (offering only None), and the incremental framing of the
// browser's client-to-server messages after the handshake (for view-only filtering and activity).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace deskgate::rfb {

// "RFB 003.008\n" → 8, "RFB 003.007\n" → 7, "RFB 003.003\n" (and the unofficial 3.4/3.5/3.6) → 3,
// anything newer than 3.8 → 8; 0 when the 12 bytes are not an RFB ProtocolVersion.
int parse_protocol_version(std::string_view twelve_bytes);

// deskgate as the RFB client toward the desktop. Feed what the desktop sends; send what output() holds.
class client_handshake {
 public:
  enum class state {
    version,
    security_count,
    security_list,
    security_type_33,
    reason_length,
    reason,
    challenge,
    result,
    done,
    failed
  };

  explicit client_handshake(std::string secret) : secret_(std::move(secret)) {}

  // Consumes bytes from the desktop; returns how many were used (the rest belongs to what follows the
  // handshake: nothing, as the desktop waits for ClientInit).
  std::size_t feed(std::span<const std::uint8_t> bytes);
  // Bytes to send to the desktop; cleared by take_output().
  std::string take_output() { return std::exchange(output_, {}); }

  bool done() const { return state_ == state::done; }
  bool failed() const { return state_ == state::failed; }
  // Why it failed, for the browser's 502 and the log (never contains the secret).
  const std::string& error() const { return error_; }
  int version() const { return version_; }
  // True when the failure was the desktop refusing the secret (SecurityResult failed).
  bool auth_rejected() const { return auth_rejected_; }

 private:
  void fail(std::string why) {
    error_ = std::move(why);
    state_ = state::failed;
  }
  std::string secret_;
  state state_ = state::version;
  int version_ = 0;
  std::string output_;
  std::string pending_;        // bytes of the current field gathered so far
  std::size_t need_ = 12;      // bytes the current field needs
  std::string reason_prefix_;  // what a reason string explains
  std::string error_;
  bool auth_rejected_ = false;
};

// deskgate as the RFB server toward the browser: offers only security type None, then takes the
// browser's ClientInit (one byte, forwarded to the desktop). 3.3, 3.7 and 3.8 clients are handled.
class server_handshake {
 public:
  enum class state { version, security_choice, client_init, done, failed };

  server_handshake() : output_("RFB 003.008\n") {}

  // Consumes browser bytes; returns how many were used. Once done(), the rest are client messages.
  std::size_t feed(std::span<const std::uint8_t> bytes);
  std::string take_output() { return std::exchange(output_, {}); }

  bool done() const { return state_ == state::done; }
  bool failed() const { return state_ == state::failed; }
  const std::string& error() const { return error_; }
  int version() const { return version_; }
  // The browser's ClientInit byte (shared flag), valid once done().
  std::uint8_t client_init() const { return client_init_; }

 private:
  void fail(std::string why) {
    error_ = std::move(why);
    state_ = state::failed;
  }
  state state_ = state::version;
  int version_ = 0;
  std::string output_;
  std::string pending_;
  std::string error_;
  std::uint8_t client_init_ = 0;
};

// Client-to-server message types deskgate knows how to frame.
namespace msg {
inline constexpr std::uint8_t set_pixel_format = 0;
inline constexpr std::uint8_t set_encodings = 2;
inline constexpr std::uint8_t framebuffer_update_request = 3;
inline constexpr std::uint8_t key_event = 4;
inline constexpr std::uint8_t pointer_event = 5;
inline constexpr std::uint8_t client_cut_text = 6;
inline constexpr std::uint8_t enable_continuous_updates = 150;
inline constexpr std::uint8_t fence = 248;
inline constexpr std::uint8_t xvp = 250;
inline constexpr std::uint8_t set_desktop_size = 251;
inline constexpr std::uint8_t qemu = 255;
}  // namespace msg

// One run of input bytes belonging to one message: `length` bytes of the fed input, in order.
struct client_segment {
  std::uint8_t type = 0;
  std::size_t length = 0;
  bool forward = true;       // false: view-only drops it
  bool message_end = false;  // this run completes the message
};

// Incremental framing of the browser's messages. feed() splits the input into runs (appended to `out`,
// which the caller reuses: no allocation in steady state) and returns false when a message cannot be
// framed (unknown type, fence too long): the relay must then close, as nothing after it can be trusted.
class client_message_parser {
 public:
  explicit client_message_parser(bool view_only = false) : view_only_(view_only) {}

  bool feed(std::span<const std::uint8_t> bytes, std::vector<client_segment>& out);
  const std::string& error() const { return error_; }
  bool failed() const { return !error_.empty(); }

  // Compacts `data` in place so it holds only the forwarded bytes, given the runs feed() produced for
  // it; returns the new size.
  static std::size_t compact(std::span<std::uint8_t> data, const std::vector<client_segment>& runs);

 private:
  // How many header bytes are needed to know the length of a message of type `type`; 0 for unknown.
  static std::size_t header_size(std::uint8_t type);
  // Total length from a complete header; 0 when it cannot be framed (error_ set).
  std::uint64_t total_length();

  bool view_only_;
  std::array<std::uint8_t, 12> header_{};
  std::size_t header_have_ = 0;
  std::size_t header_need_ = 0;
  std::uint64_t remaining_ = 0;  // bytes of the current message after its header
  bool in_message_ = false;
  bool length_known_ = false;
  std::uint8_t type_ = 0;
  std::string error_;
};

}  // namespace deskgate::rfb
