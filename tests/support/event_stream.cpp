#include "support/event_stream.hpp"

#include <gtest/gtest.h>

namespace deskgate::testing {

std::unique_ptr<ws_client> open_events(test_app& t, const signed_in* who,
                                       std::vector<std::pair<std::string, std::string>> headers) {
  if (who) headers.emplace_back("Cookie", who->cookie);
  auto c = std::make_unique<ws_client>();
  c->connect(t.port(), {"/api/events", std::move(headers)});
  return c;
}

nlohmann::json next_event(ws_client& c, std::chrono::milliseconds timeout) {
  auto m = c.read(timeout);
  if (!m) return nullptr;
  EXPECT_TRUE(m->text);
  return nlohmann::json::parse(m->data);
}

nlohmann::json next_observation(ws_client& c) {
  for (;;) {
    auto e = next_event(c, std::chrono::seconds(10));
    if (e.is_null() || e["type"] == "observation") return e;
  }
}

}  // namespace deskgate::testing
