#include "desktops/readiness.hpp"

#include "rfb/rfb_probe.hpp"

namespace deskgate {

readiness_probe desktop_readiness_probe(std::chrono::milliseconds per_attempt) {
  return [per_attempt](const endpoint& where, const desktop_type& type) {
    auto banner = rfb::probe_banner(where, per_attempt);
    if (type.protocol == "vnc") return banner.ok();
    // A WebSocket server answers the probe's silence with nothing or an HTTP error: it listens.
    return banner.ok() || banner.failure == rfb::probe_failure::not_rfb ||
           banner.failure == rfb::probe_failure::timed_out;
  };
}

}  // namespace deskgate
