#include "http/push_socket.hpp"

#include <boost/asio/post.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>

#include <atomic>
#include <deque>
#include <optional>
#include <string>
#include <utility>

#include "relay/relay_session.hpp"

namespace deskgate::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

// Past this many unsent messages the client is not keeping up; it is closed and reconnects.
constexpr std::size_t max_queued_messages = 1024;
// Clients only ever send the occasional small message (or none): anything bigger is a protocol error.
constexpr std::size_t max_client_message_bytes = 4096;

class push_socket : public relay_handle, public push_channel, public std::enable_shared_from_this<push_socket> {
 public:
  push_socket(beast::tcp_stream stream, std::shared_ptr<push_feed> feed)
      : ws_(std::move(stream)), feed_(std::move(feed)) {
    identity_.user_id = feed_->user_id();
    identity_.session_id = feed_->session_id();
  }

  void start(beast::http::request<beast::http::string_body> upgrade, std::chrono::milliseconds ping_interval) {
    websocket::stream_base::timeout t{};
    t.handshake_timeout = std::chrono::seconds(10);
    t.idle_timeout = ping_interval * 2;  // Beast pings after half of it without traffic
    t.keep_alive_pings = true;
    ws_.set_option(t);
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(beast::http::field::server, "deskgate"); }));
    ws_.read_message_max(max_client_message_bytes);
    ws_.text(true);
    auto request = std::make_shared<beast::http::request<beast::http::string_body>>(std::move(upgrade));
    ws_.async_accept(*request, [self = shared_from_this(), request](beast::error_code ec) {
      if (ec) return self->finish();
      self->open_ = true;
      self->feed_->open(self);
      self->read_next();
      self->write_next();
    });
  }

  void send(std::string text) override {
    asio::post(ws_.get_executor(), [self = shared_from_this(), text = std::move(text)]() mutable {
      if (self->closing_ || self->ended_) return;
      if (self->queue_.size() >= max_queued_messages) {
        return self->close_now(websocket::close_code::try_again_later, "too far behind; reconnect");
      }
      self->queue_.push_back(std::move(text));
      self->write_next();
    });
  }

  void close(std::uint16_t code, std::string reason) override {
    asio::post(ws_.get_executor(),
               [self = shared_from_this(), code, reason = std::move(reason)] { self->close_now(code, reason); });
  }

  const relay_target& target() const override { return identity_; }
  bool alive() const override { return !ended_flag_.load(); }

 private:
  void read_next() {
    ws_.async_read(incoming_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->finish();
      self->incoming_.consume(self->incoming_.size());  // nothing to do with what clients say
      self->read_next();
    });
  }

  void write_next() {
    if (!open_ || writing_ || closing_ || queue_.empty()) return;
    writing_ = true;
    ws_.async_write(asio::buffer(queue_.front()), [self = shared_from_this()](beast::error_code ec, std::size_t) {
      self->writing_ = false;
      if (self->ended_) return;
      self->queue_.pop_front();
      if (ec) return self->finish();
      if (auto pending = std::exchange(self->pending_close_, std::nullopt)) {
        return self->close_now(pending->first, pending->second);
      }
      self->write_next();
    });
  }

  void close_now(std::uint16_t code, const std::string& reason) {
    if (closing_ || ended_) return;
    if (!open_) return finish();
    if (writing_) {  // a close frame may not overtake a message being written
      pending_close_.emplace(code, reason);
      return;
    }
    closing_ = true;
    queue_.clear();
    websocket::close_reason why(code);
    why.reason = reason;
    ws_.async_close(why, [self = shared_from_this()](beast::error_code) { self->finish(); });
  }

  void finish() {
    if (ended_) return;
    ended_ = true;
    ended_flag_ = true;
    queue_.clear();
    feed_->closed();
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
  }

  websocket::stream<beast::tcp_stream> ws_;
  std::shared_ptr<push_feed> feed_;
  relay_target identity_;
  beast::flat_buffer incoming_;
  std::deque<std::string> queue_;
  std::optional<std::pair<std::uint16_t, std::string>> pending_close_;  // code, reason
  bool open_ = false;
  bool writing_ = false;
  bool closing_ = false;
  bool ended_ = false;
  std::atomic<bool> ended_flag_{false};  // alive() is asked from other threads
};

}  // namespace

std::shared_ptr<relay_handle> start_push_socket(beast::tcp_stream stream,
                                                beast::http::request<beast::http::string_body> upgrade,
                                                std::shared_ptr<push_feed> feed,
                                                std::chrono::milliseconds ping_interval) {
  auto socket = std::make_shared<push_socket>(std::move(stream), std::move(feed));
  socket->start(std::move(upgrade), ping_interval);
  return socket;
}

}  // namespace deskgate::http
