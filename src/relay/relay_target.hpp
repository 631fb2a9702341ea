// What the gateway's authorization step decides for one WebSocket upgrade, handed to the relay: where
// the desktop is, how to speak to it, and who is asking. Plain data, no Beast.
#pragma once

#include <cstdint>
#include <string>

#include "backends/backend.hpp"

namespace deskgate {

enum class relay_mode {
  rfb_auth,   // upstream RFB with VncAuth done by deskgate (the secret); the browser is offered None
  raw,        // bytes relayed untouched from the first one (auth = "none": websockify's role)
  websocket,  // the desktop speaks WebSocket itself: an upstream ws/wss connection, message for message
};

struct relay_target {
  std::int64_t desktop_id = 0;
  std::string public_id;
  std::int64_t user_id = 0;
  std::int64_t session_id = 0;  // the browser session that opened it (re-checked while open)
  endpoint upstream;
  relay_mode mode = relay_mode::rfb_auth;
  std::string secret;                    // rfb_auth: the VNC password; websocket: the Basic auth password
  std::string basic_user = "kasm_user";  // websocket: the Basic auth user (Kasm's convention)
  std::string upstream_path = "/";       // websocket: the path requested upstream
  bool tls = false;                      // websocket: wss
  bool tls_verify = true;                // websocket: verify the desktop's certificate
  bool view_only = false;                // drop the browser's key, pointer and clipboard messages
  std::int64_t observed_owner_id = 0;    // set: someone else watching (view-only) the desktop of this user
  std::string viewer_name;               // the watcher's display name (shown to the owner)
};

}  // namespace deskgate
