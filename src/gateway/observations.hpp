// Who is watching whose desktop right now: view-only relays opened by someone other than the owner (a
// teacher of the owner's group, an admin). The owner's event stream shows them ("observed by ..."), so
// every change of a desktop's set of observers is published. Thread-safe: relays open and close on I/O
// threads.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/topic.hpp"
#include "relay/relay_target.hpp"

namespace deskgate {

struct observer_info {
  std::int64_t id = 0;
  std::string display_name;
};

// The observers of one desktop after a change (empty: the last one left).
struct observation_change {
  std::string public_id;
  std::int64_t owner_id = 0;
  std::vector<observer_info> observers;  // by id; one entry per person however many viewers they have open
};

class observation_registry {
 public:
  // Called for every relay that opens and ends; those that are not an observer's are ignored.
  void opened(const relay_target& t);
  void closed(const relay_target& t);
  // The desktops of `owner_id` that are being watched now.
  std::vector<observation_change> observed_desktops_of(std::int64_t owner_id);
  topic<observation_change>& changes() { return changes_; }

 private:
  struct viewer {
    std::string display_name;
    int connections = 0;
  };
  struct watched {
    std::int64_t owner_id = 0;
    std::map<std::int64_t, viewer> viewers;
  };
  static observation_change describe(const std::string& public_id, const watched& w);
  // Applies `delta` connections of t's viewer; returns the change when the set of people changed.
  std::optional<observation_change> count(const relay_target& t, int delta);

  std::mutex mutex_;
  std::map<std::string, watched> desktops_;
  topic<observation_change> changes_;
};

}  // namespace deskgate
