// WS /api/events: the web UI's live updates. Every desktop state change the caller may see (their own;
// teachers: also their groups' members'; admins: all) goes out as one JSON text message, so no page polls.
// The first message is a hello: a client that (re)connects reloads its lists then and applies changes
// from there on. Owners also hear who watches their desktops (observation messages, current state first).
#include <functional>
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

std::string observation_message(const observation_change& c) {
  auto observers = nlohmann::json::array();
  for (const auto& o : c.observers) observers.push_back({{"id", o.id}, {"display_name", o.display_name}});
  return nlohmann::json{{"type", "observation"}, {"desktop", c.public_id}, {"observers", std::move(observers)}}.dump();
}

// Which desktops' events a user sees: their own; teachers also those of the members of their groups
// (their class view); admins all.
std::function<bool(const desktop_event&)> desktop_filter(store& db, const http::principal& who) {
  if (who.user_role == role::admin) return [](const desktop_event&) { return true; };
  if (who.user_role == role::teacher) {
    return [&db, user = who.user_id](const desktop_event& e) {
      return e.user_id == user || db.shares_group(user, e.user_id);
    };
  }
  return [user = who.user_id](const desktop_event& e) { return e.user_id == user; };
}

class desktop_event_feed : public http::push_feed {
 public:
  desktop_event_feed(services& s, const http::principal& who)
      : push_feed(who.user_id, who.session_id), s_(s), sees_(desktop_filter(s.db, who)) {}

  void open(std::shared_ptr<http::push_channel> channel) override {
    std::weak_ptr<http::push_channel> weak = channel;
    // Subscribed before the hello, so nothing that happens after the client's reload is missed.
    auto desktops = s_.desktops.events().subscribe([weak, sees = sees_](const desktop_event& e) {
      if (!sees(e)) return;
      if (auto ch = weak.lock()) ch->send(event_message(e));
    });
    auto observed = s_.observations.changes().subscribe([weak, user = user_id()](const observation_change& c) {
      if (c.owner_id != user) return;
      if (auto ch = weak.lock()) ch->send(observation_message(c));
    });
    {
      std::lock_guard lock(mutex_);
      desktops_ = std::move(desktops);
      observed_ = std::move(observed);
    }
    channel->send(R"({"type":"hello"})");
    for (const auto& c : s_.observations.observed_desktops_of(user_id())) channel->send(observation_message(c));
  }

  void closed() override {
    event_bus::subscription desktops_gone;
    topic<observation_change>::subscription observed_gone;
    std::lock_guard lock(mutex_);
    // Both unsubscribe when they go out of scope, after the lock.
    desktops_gone = std::move(desktops_);
    observed_gone = std::move(observed_);
  }

 private:
  services& s_;
  std::function<bool(const desktop_event&)> sees_;
  std::mutex mutex_;
  event_bus::subscription desktops_;
  topic<observation_change>::subscription observed_;
};

http::response open_events(services& s, http::context& ctx) {
  check_websocket_upgrade(s, ctx.req);
  ctx.push = std::make_shared<desktop_event_feed>(s, *ctx.user);
  return upgrade_placeholder();
}

}  // namespace

void add_event_routes(http::router& r, services& s) {
  r.add({method::get, "/api/events", access::signed_in, bind_handler(s, open_events)});
}

}  // namespace deskgate::api
