// A desktop viewer for gateway tests: the browser's upgrade request (raw HTTP, for refusals), a viewer's
// WebSocket, and the RFB steps noVNC takes through the gateway (handshake, keys, pointer, updates).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "support/test_app.hpp"
#include "support/ws_client.hpp"

namespace deskgate::testing {

using header_list = std::vector<std::pair<std::string, std::string>>;

// A browser's upgrade request as raw HTTP; `strip` leaves out Upgrade/Connection as a bad proxy does.
http_answer upgrade_request(test_app& t, const std::string& target, const signed_in* who, header_list extra = {},
                            bool strip = false);

// Opens a viewer's WebSocket; connected when status() == 101.
std::unique_ptr<ws_client> open_viewer(test_app& t, const std::string& path, header_list headers,
                                       const std::string& protocol = "");

// Completes the RFB handshake as noVNC does and returns ServerInit's fixed part (24 bytes; "" on failure).
// The desktop's name that follows is read too.
std::string rfb_handshake(ws_client& c);

// Types `text` (printable ASCII; '\n' is Return) as key down/up events.
void rfb_type(ws_client& c, const std::string& text);
// Moves the pointer to (x, y) with no button pressed.
void rfb_pointer(ws_client& c, std::uint16_t x, std::uint16_t y);
// Asks for a non-incremental update of the 1x1 pixel at the origin and reads the FramebufferUpdate that
// answers it (32 bits per pixel, raw). Since the server handles one connection's messages in order, once
// it answers, everything sent before on the connection has been handled. False when none came.
bool rfb_round_trip(ws_client& c);

}  // namespace deskgate::testing
