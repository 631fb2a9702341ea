// A small WebSocket client for tests (Beast, synchronous API with timeouts): upgrades with a chosen
// path and headers, reads and writes binary and text messages, sees pings and the close code, and when
// the server refuses the upgrade keeps its HTTP status and body.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace deskgate::testing {

struct ws_client_options {
  std::string path = "/";
  std::vector<std::pair<std::string, std::string>> headers;  // Cookie, Origin, ...
  std::string protocol;                                      // Sec-WebSocket-Protocol offered ("" none)
  std::chrono::milliseconds timeout{5000};
  std::size_t read_message_max = 64 * 1024 * 1024;
};

struct ws_message {
  std::string data;
  bool text = false;
};

class ws_client {
 public:
  ws_client();
  ~ws_client();
  ws_client(const ws_client&) = delete;
  ws_client& operator=(const ws_client&) = delete;

  // Connects to 127.0.0.1:port and upgrades. False when refused (see status()/body()) or on error.
  bool connect(std::uint16_t port, const ws_client_options& opts = {});
  int status() const { return status_; }             // 101, or the refusal's status (0: no HTTP answer)
  const std::string& body() const { return body_; }  // the refusal's body
  const std::string& accepted_protocol() const { return protocol_; }
  const std::string& error() const { return error_; }

  bool write(std::string_view data, bool text = false);
  // The next message; nullopt on close (closed(), close_code()), error or timeout (timed_out()).
  std::optional<ws_message> read(std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));
  // Exactly `n` bytes across binary messages (RFB streams); nullopt on close/timeout.
  std::optional<std::string> read_bytes(std::size_t n,
                                        std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));
  bool closed() const { return closed_; }
  bool timed_out() const { return timed_out_; }
  int close_code() const { return close_code_; }
  std::string close_reason() const { return close_reason_; }
  // Sends a close frame with `code` and waits for the answer.
  void close(std::uint16_t code, std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));
  std::size_t pings_seen() const;
  // Abandons the connection without a close handshake.
  void drop();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
  std::string pending_;  // bytes read past what read_bytes returned
  int status_ = 0;
  std::string body_;
  std::string protocol_;
  std::string error_;
  bool closed_ = false;
  bool timed_out_ = false;
  int close_code_ = 0;
  std::string close_reason_;
};

}  // namespace deskgate::testing
