// Server-push WebSockets (WS /api/events): the route authorizes the upgrade like any request and hands
// the server a feed; the server opens the socket and the feed sends text messages into it until either
// side ends. No Beast here: routes and tests use only these two interfaces.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace deskgate::http {

// The open socket as a feed sees it.
class push_channel {
 public:
  virtual ~push_channel() = default;
  // Thread-safe; messages go out in order. A client that falls too far behind is closed (it reconnects
  // and reloads what it shows, which is cheaper than an unbounded queue).
  virtual void send(std::string text) = 0;
};

// What a push route hands the server: who opened it (so logout and session expiry close it like a desktop
// relay) and what to do when the socket opens and ends.
class push_feed {
 public:
  push_feed(std::int64_t user_id, std::int64_t session_id) : user_id_(user_id), session_id_(session_id) {}
  virtual ~push_feed() = default;

  // The socket is open: start sending. Called once, on the socket's strand.
  virtual void open(std::shared_ptr<push_channel> channel) = 0;
  // The socket has ended: stop sending and let go of the channel. Called once.
  virtual void closed() = 0;

  std::int64_t user_id() const { return user_id_; }
  std::int64_t session_id() const { return session_id_; }

 private:
  std::int64_t user_id_;
  std::int64_t session_id_;
};

}  // namespace deskgate::http
