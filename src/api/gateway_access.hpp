// What the gateway's routes (desktop WebSockets, the http relay mode, /api/events) check before they let a
// request through to a desktop or open a socket: a complete upgrade request (with the reverse-proxy fix
// when a proxy stripped the headers) from an acceptable Origin (cross-site WebSocket hijacking), and a
// running desktop the caller may use.
#pragma once

#include <memory>

#include "api/services.hpp"
#include "relay/relay_target.hpp"

namespace deskgate::api {

// Throws 400 (not an upgrade, or headers stripped by a proxy) or 403 (foreign Origin).
void check_websocket_upgrade(services& s, const http::request& req);

// A relay to `upstream` for the caller (who and which session, for the registry); the caller fills in
// the mode and the credentials.
std::shared_ptr<relay_target> relay_target_for(const http::context& ctx, const desktop& d, const endpoint& upstream);

// The answer of a route that authorized an upgrade: never sent, the relay or push socket answers 101.
http::response upgrade_placeholder();

// Whether the request asks for a WebSocket (and so must pass check_websocket_upgrade).
bool wants_websocket(const http::request& req);

struct usable_desktop {
  desktop row;
  desktop_type type;
  bool observer = false;  // someone else watching view-only (a teacher of the owner, or an admin)
};

// The running desktop `public_id` if the caller may use it: 404 when it does not exist or is someone
// else's (admins may use any), 409 when it is not running, 503 when it has no address yet. With
// `view_only` (a connection whose input the gateway drops) a teacher who shares a group with the owner
// may watch it too; 409 when the desktop's protocol cannot be filtered for input.
usable_desktop running_desktop_for(services& s, const http::context& ctx, std::string_view public_id,
                                   bool view_only = false);

// Whether someone of role `viewer_role` may watch (view-only) the desktops of `owner_id`: admins anyone,
// teachers the members of their own groups.
bool may_observe(store& db, role viewer_role, std::int64_t viewer_id, std::int64_t owner_id);

// Closes the observers' relays whose viewer may no longer watch (close code 4003): after an admin
// changed a group, and periodically for groups that changed at a sign-in through the identity provider.
void close_unauthorized_observers(services& s);

}  // namespace deskgate::api
