// WS /api/events for tests: a signed-in user's stream of live messages, read as JSON.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/test_app.hpp"
#include "support/ws_client.hpp"

namespace deskgate::testing {

// Opens the stream as `who` (nullptr: without a session); connected when status() == 101.
std::unique_ptr<ws_client> open_events(test_app& t, const signed_in* who,
                                       std::vector<std::pair<std::string, std::string>> headers = {});

// The next message as JSON; a null json on close or timeout.
nlohmann::json next_event(ws_client& c, std::chrono::milliseconds timeout = std::chrono::seconds(10));

// The next observation message (others are skipped); a null json on close or timeout.
nlohmann::json next_observation(ws_client& c);

}  // namespace deskgate::testing
