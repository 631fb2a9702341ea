// "Ready" means the desktop answers (DESIGN.md §3), not that its container runs: for protocol vnc the
// RFB banner arrives; for protocol websocket its server accepts a TCP connection (the full upstream
// WebSocket handshake belongs to the gateway's relay).
#pragma once

#include <chrono>

#include "desktops/desktop_manager.hpp"

namespace deskgate {

readiness_probe desktop_readiness_probe(std::chrono::milliseconds per_attempt = std::chrono::milliseconds(1000));

}  // namespace deskgate
