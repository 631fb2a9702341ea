// What every WebSocket route checks before it authorizes an upgrade: that it is a complete upgrade
// request (with the reverse-proxy fix when a proxy stripped the headers) from an acceptable Origin
// (cross-site WebSocket hijacking).
#pragma once

#include "api/services.hpp"

namespace deskgate::api {

// Throws 400 (not an upgrade, or headers stripped by a proxy) or 403 (foreign Origin).
void check_websocket_upgrade(services& s, const http::request& req);

}  // namespace deskgate::api
