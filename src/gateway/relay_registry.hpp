// The open desktop relays of this gateway, so they can be closed when what allowed them ends: the desktop
// stops, the user signs out or their session expires, or the gateway shuts down. Holds the relays'
// handles (which do not keep a relay alive); handles of relays that ended are dropped as it goes. An
// observer's relay (view-only, of someone else's desktop) also ends when its viewer may no longer watch.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace deskgate {

class relay_handle;

// Close codes the browser sees (the web UI explains them).
inline constexpr std::uint16_t close_desktop_stopped = 4001;
inline constexpr std::uint16_t close_session_ended = 4002;
inline constexpr std::uint16_t close_observation_ended = 4003;  // the watcher no longer teaches the owner
inline constexpr std::uint16_t close_going_away = 1001;

class relay_registry {
 public:
  void add(std::shared_ptr<relay_handle> relay);
  void close_desktop(const std::string& public_id, std::uint16_t code, const std::string& reason);
  void close_session(std::int64_t session_id, std::uint16_t code, const std::string& reason);
  void close_all(std::uint16_t code, const std::string& reason);
  // Closes relays whose session `still_valid` says is gone (called periodically).
  void recheck_sessions(const std::function<bool(std::int64_t session_id)>& still_valid);
  // Closes observers' relays whose viewer `still_allowed` now refuses for the desktop's owner (a teacher
  // taken out of the owner's groups, a group deleted); called periodically and after group changes.
  void recheck_observers(const std::function<bool(std::int64_t viewer_id, std::int64_t owner_id)>& still_allowed);
  std::size_t open_count();
  // Drops every handle, once the server's I/O has stopped: a push socket's handle is the socket itself,
  // and it must go before the I/O context it was made on.
  void forget_all();

 private:
  // Live relays matching `pick`; prunes the ended ones on the way.
  std::vector<std::shared_ptr<relay_handle>> collect(const std::function<bool(const relay_handle&)>& pick);

  std::mutex mutex_;
  std::vector<std::shared_ptr<relay_handle>> relays_;
};

}  // namespace deskgate
