// WS /api/events: the web UI's live updates. Every desktop state change the caller may see (their own;
// admins: all) goes out as one JSON text message, so no page polls. The first message is a hello: a
// client that (re)connects reloads its lists then and applies changes from there on.
#include <mutex>

#include <nlohmann/json.hpp>

#include "api/gateway_access.hpp"
#include "api/services.hpp"
#include "http/push_feed.hpp"

namespace deskgate::api {
namespace {

using http::access;
using http::method;

std::string event_message(const desktop_event& e) {
  nlohmann::json desktop = {{"id", e.public_id}, {"type", e.type_slug},   {"state", to_string(e.state)},
                            {"error", e.error},  {"owner_id", e.user_id}, {"at", e.at}};
  return nlohmann::json{{"type", "desktop"}, {"desktop", std::move(desktop)}, {"removed", e.removed}}.dump();
}

class desktop_event_feed : public http::push_feed {
 public:
  desktop_event_feed(event_bus& bus, const http::principal& who)
      : push_feed(who.user_id, who.session_id), bus_(bus), sees_all_(who.user_role == role::admin) {}

  void open(std::shared_ptr<http::push_channel> channel) override {
    std::weak_ptr<http::push_channel> weak = channel;
    // Subscribed before the hello, so nothing that happens after the client's reload is missed.
    auto sub = bus_.subscribe([weak, user = user_id(), all = sees_all_](const desktop_event& e) {
      if (!all && e.user_id != user) return;
      if (auto ch = weak.lock()) ch->send(event_message(e));
    });
    {
      std::lock_guard lock(mutex_);
      subscription_ = std::move(sub);
    }
    channel->send(R"({"type":"hello"})");
  }

  void closed() override {
    event_bus::subscription gone;
    std::lock_guard lock(mutex_);
    gone = std::move(subscription_);  // unsubscribes when it goes out of scope, after the lock
  }

 private:
  event_bus& bus_;
  bool sees_all_;
  std::mutex mutex_;
  event_bus::subscription subscription_;
};

http::response open_events(services& s, http::context& ctx) {
  check_websocket_upgrade(s, ctx.req);
  ctx.push = std::make_shared<desktop_event_feed>(s.desktops.events(), *ctx.user);
  return upgrade_placeholder();
}

}  // namespace

void add_event_routes(http::router& r, services& s) {
  r.add({method::get, "/api/events", access::signed_in, bind_handler(s, open_events)});
}

}  // namespace deskgate::api
