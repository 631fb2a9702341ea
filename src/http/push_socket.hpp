// The server side of a push WebSocket: accepts the upgrade, keeps it alive with pings, discards what the
// client sends (small messages only), and writes the feed's messages one at a time from a bounded queue.
// Internal to the server: names Beast types, included only by http/server.cpp and push_socket.cpp.
#pragma once

#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <memory>

#include "http/push_feed.hpp"

namespace deskgate {
class relay_handle;
}

namespace deskgate::http {

// Returns a handle for the gateway's registry of open WebSockets (closed on logout, session expiry and
// shutdown like the desktop relays); its target names only the user and session.
std::shared_ptr<relay_handle> start_push_socket(boost::beast::tcp_stream stream,
                                                boost::beast::http::request<boost::beast::http::string_body> upgrade,
                                                std::shared_ptr<push_feed> feed,
                                                std::chrono::milliseconds ping_interval);

}  // namespace deskgate::http
