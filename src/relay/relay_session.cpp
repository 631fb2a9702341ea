// The relay session: one browser WebSocket ⇄ one desktop. relay_core holds what every mode shares (the
// browser stream, the pre-upgrade HTTP answer, the handshake/idle timers, closing once, the events and
// logs); byte_relay speaks RFB or raw bytes to a TCP or unix socket upstream; ws_relay<> speaks WebSocket
// (ws or wss) upstream, message for message. Everything runs on the browser stream's strand: handlers
// never race, and relay_handle::close() posts onto it.
//
// Flow control: each direction is a loop "read one side → write the other → read again", so a side is
// not read while the other side's write is pending, each stream has at most one user write in flight,
// and the two buffers (growing with the traffic up to options.buffer_bytes each) are the only data buffers.
#include "relay/relay_session.hpp"

#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <nlohmann/json.hpp>

#include <atomic>
#include <optional>
#include <vector>

#include "core/crypto.hpp"
#include "log/log.hpp"
#include "relay/rfb_proxy.hpp"

namespace deskgate {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace websocket = boost::beast::websocket;
using error_code = boost::system::error_code;
using steady = std::chrono::steady_clock;

namespace {

std::atomic<std::uint64_t> next_connection_id{1};
// What a relay's buffers start with (each direction); they grow with the traffic (relay_core::grow).
constexpr std::size_t initial_buffer_bytes = 2048;

std::string_view mode_name(relay_mode m) {
  switch (m) {
    case relay_mode::rfb_auth:
      return "rfb_auth";
    case relay_mode::raw:
      return "raw";
    case relay_mode::websocket:
      return "websocket";
  }
  return "?";
}

// Whether a comma-separated Sec-WebSocket-Protocol list names `proto`.
bool offers_protocol(std::string_view list, std::string_view proto) {
  while (!list.empty()) {
    auto comma = list.find(',');
    auto item = list.substr(0, comma);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (item == proto) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

websocket::close_reason make_reason(std::uint16_t code, std::string_view why) {
  websocket::close_reason r(code);
  r.reason = std::string(why.substr(0, 120));  // a close frame's payload is at most 125 bytes
  return r;
}

// Resolves a TCP upstream and calls `done(ec, results)`. A numeric address (what deskgate's own backends
// record) is converted right here: asio's async_resolve would run getaddrinfo on its background thread,
// two thread switches per upgrade for nothing to look up.
template <class Done>
void resolve_upstream(net::ip::tcp::resolver& resolver, const endpoint& where, Done done) {
  const std::string port = std::to_string(where.port);
  error_code ec;
  auto numeric = resolver.resolve(where.host, port,
                                  net::ip::resolver_base::numeric_host | net::ip::resolver_base::numeric_service, ec);
  if (!ec) return done(ec, std::move(numeric));
  resolver.async_resolve(where.host, port, net::ip::resolver_base::numeric_service, std::move(done));
}

// --------------------------------------------------------------------------------------------------
class relay_core : public std::enable_shared_from_this<relay_core> {
 public:
  relay_core(beast::tcp_stream browser, bhttp::request<bhttp::string_body> upgrade, relay_target target,
             relay_options options, relay_events events)
      : ws_(std::move(browser)),
        upgrade_(std::move(upgrade)),
        target_(std::move(target)),
        options_(options),
        events_(std::move(events)),
        handshake_timer_(ws_.get_executor()),
        idle_timer_(ws_.get_executor()),
        kill_timer_(ws_.get_executor()),
        conn_id_("r" + std::to_string(next_connection_id++)),
        b2u_(std::min<std::size_t>(initial_buffer_bytes, std::max<std::size_t>(options_.buffer_bytes, 64))),
        u2b_(b2u_.size()) {}

  relay_core(const relay_core&) = delete;
  relay_core& operator=(const relay_core&) = delete;

  virtual ~relay_core() {
    auto lived = std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - started_);
    if (reason_.empty()) reason_ = "relay stopped";
    log::info("relay closed", {{"conn", conn_id_},
                               {"desktop", target_.public_id},
                               {"reason", reason_},
                               {"to_browser", std::to_string(to_browser_)},
                               {"to_desktop", std::to_string(to_desktop_)},
                               {"lived_ms", std::to_string(lived.count())}});
    if (events_.on_close) {
      try {
        events_.on_close(target_, to_browser_, to_desktop_, lived, reason_);
      } catch (...) {
      }
    }
  }

  const relay_target& target() const { return target_; }
  net::any_io_executor executor() { return ws_.get_executor(); }

  void run() {
    started_ = steady::now();
    log::info("relay open", {{"conn", conn_id_},
                             {"desktop", target_.public_id},
                             {"mode", mode_name(target_.mode)},
                             {"upstream", target_.upstream.to_string()}});
    handshake_timer_.expires_after(options_.handshake_timeout);
    handshake_timer_.async_wait([weak = weak_from_this()](error_code ec) {
      if (ec) return;
      if (auto self = weak.lock()) self->on_handshake_timeout();
    });
    start_upstream();
  }

  // From relay_handle::close, on the strand.
  void close_from_outside(std::uint16_t code, const std::string& why) {
    if (closing_) return;
    if (phase_ == phase::connecting) {
      upstream_failed(503, "unavailable", "the relay was closed: " + why);
    } else if (phase_ == phase::accepting) {
      browser_done_ = true;  // the 101 may still be in flight: no close frame, just the socket
      beast::get_lowest_layer(ws_).close();
      shutdown("closed before the browser's handshake completed: " + why, make_reason(code, why),
               make_reason(websocket::close_code::going_away, "closed"));
    } else {
      shutdown("closed by the gateway: " + why, make_reason(code, why),
               make_reason(websocket::close_code::going_away, "closed by the gateway"));
    }
  }

 protected:
  enum class phase { connecting, accepting, rfb_handshake, relaying };

  virtual void start_upstream() = 0;
  // Stops the upstream at once (cancels its pending operations).
  virtual void abort_upstream() = 0;
  // Ends the upstream side: a close handshake where the protocol has one (code), else a socket close.
  virtual void close_upstream(const websocket::close_reason& code) = 0;
  // The browser has its 101: start relaying (or the browser-side RFB handshake).
  virtual void on_browser_open() = 0;

  // Connected (and authenticated) upstream: answer the browser's upgrade.
  void upstream_ready(std::string chosen_protocol) {
    if (closing_) return;
    phase_ = phase::accepting;
    websocket::stream_base::timeout t{};
    t.handshake_timeout = options_.handshake_timeout;
    if (options_.ping_interval.count() > 0) {
      // Beast pings after half the idle timeout without traffic and gives up after the whole of it.
      t.idle_timeout = options_.ping_interval * 2;
      t.keep_alive_pings = true;
    } else {
      t.idle_timeout = websocket::stream_base::none();
      t.keep_alive_pings = false;
    }
    beast::get_lowest_layer(ws_).expires_never();
    ws_.set_option(t);
    ws_.set_option(
        websocket::stream_base::decorator([proto = std::move(chosen_protocol)](websocket::response_type& res) {
          res.set(bhttp::field::server, "deskgate");
          if (!proto.empty()) res.set(bhttp::field::sec_websocket_protocol, proto);
        }));
    ws_.read_message_max(options_.max_message_bytes);
    ws_.auto_fragment(false);
    ws_.binary(true);
    ws_.async_accept(upgrade_, [self = shared_from_this()](error_code ec) {
      if (ec) {
        self->browser_done_ = true;
        beast::get_lowest_layer(self->ws_).close();
        self->shutdown("the browser's WebSocket handshake failed: " + ec.message(), {},
                       make_reason(websocket::close_code::going_away, "browser gone"));
        return;
      }
      if (self->closing_) return;
      self->upgrade_ = {};
      self->phase_ = self->target_.mode == relay_mode::rfb_auth ? phase::rfb_handshake : phase::relaying;
      if (self->phase_ == phase::relaying) self->handshake_timer_.cancel();
      self->last_traffic_ = steady::now();
      self->arm_idle_timer(self->options_.idle_timeout);
      self->on_browser_open();
    });
  }

  // The desktop could not be reached or refused us: a plain HTTP answer, nothing is upgraded.
  void upstream_failed(int status, std::string_view code, std::string message) {
    if (answered_) return;
    answered_ = true;
    closing_ = true;
    reason_ = message;
    handshake_timer_.cancel();
    abort_upstream();
    log::warn(
        "relay upstream failed",
        {{"conn", conn_id_}, {"desktop", target_.public_id}, {"status", std::to_string(status)}, {"reason", message}});
    nlohmann::json body = {{"error", {{"code", code}, {"message", message}}}};
    auto res =
        std::make_shared<bhttp::response<bhttp::string_body>>(static_cast<bhttp::status>(status), upgrade_.version());
    res->set(bhttp::field::server, "deskgate");
    res->set(bhttp::field::content_type, "application/json");
    res->set(bhttp::field::cache_control, "no-store");
    res->keep_alive(false);
    res->body() = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    res->prepare_payload();
    auto& stream = beast::get_lowest_layer(ws_);
    stream.expires_after(std::chrono::seconds(5));
    bhttp::async_write(stream, *res, [self = shared_from_this(), res](error_code, std::size_t) {
      error_code ignored;
      beast::get_lowest_layer(self->ws_).socket().shutdown(net::ip::tcp::socket::shutdown_send, ignored);
      beast::get_lowest_layer(self->ws_).close();
    });
  }

  // Ends the relay once: closes the browser with `to_browser` and the upstream with `to_upstream`
  // (sides already finished are left alone), and remembers why.
  void shutdown(std::string why, const websocket::close_reason& to_browser,
                const websocket::close_reason& to_upstream) {
    if (closing_) return;
    closing_ = true;
    reason_ = std::move(why);
    handshake_timer_.cancel();
    idle_timer_.cancel();
    close_upstream(to_upstream);
    close_browser(to_browser);
    // Whatever hangs (a peer that never answers the close) is cut after the handshake timeout; the
    // timer does not keep the session alive.
    kill_timer_.expires_after(options_.handshake_timeout);
    kill_timer_.async_wait([weak = weak_from_this()](error_code ec) {
      if (ec) return;
      if (auto self = weak.lock()) {
        beast::get_lowest_layer(self->ws_).close();
        self->abort_upstream();
      }
    });
  }

  void close_browser(const websocket::close_reason& code) {
    if (browser_done_ || browser_closing_) return;
    browser_closing_ = true;
    if (browser_writing_) {
      pending_browser_close_ = code;
      return;
    }
    ws_.async_close(code, [self = shared_from_this()](error_code) { self->browser_done_ = true; });
  }

  // One browser write at a time; `next` continues the loop that issued it.
  template <class Next>
  void write_browser(bool text, bool fin, const void* data, std::size_t n, Next next) {
    browser_writing_ = true;
    ws_.text(text);
    ws_.async_write_some(fin, net::buffer(data, n),
                         [self = shared_from_this(), next = std::move(next)](error_code ec, std::size_t written) {
                           self->browser_writing_ = false;
                           self->to_browser_ += written;
                           if (self->pending_browser_close_) {
                             auto code = *std::exchange(self->pending_browser_close_, std::nullopt);
                             self->ws_.async_close(code, [self](error_code) { self->browser_done_ = true; });
                             return;
                           }
                           if (ec) {
                             self->browser_failed(ec);
                             return;
                           }
                           if (self->closing_) return;
                           next();
                         });
  }

  // A browser read or write ended with `ec`.
  void browser_failed(const error_code& ec) {
    if (ec == websocket::error::closed) {
      browser_done_ = true;
      auto r = ws_.reason();
      shutdown("the browser closed the connection (code " + std::to_string(r.code) + ")", websocket::close_reason{}, r);
    } else if (ec == websocket::error::message_too_big) {
      browser_done_ = true;  // Beast has sent 1009 and closed
      shutdown("a browser message exceeded " + std::to_string(options_.max_message_bytes) + " bytes (1009)",
               websocket::close_reason{}, make_reason(websocket::close_code::going_away, "browser gone"));
    } else if (closing_) {
      browser_done_ = true;
    } else {
      browser_done_ = true;
      beast::get_lowest_layer(ws_).close();
      shutdown("browser connection lost: " + ec.message(), websocket::close_reason{},
               make_reason(websocket::close_code::going_away, "browser gone"));
    }
  }

  // Traffic either way (for the idle timeout) and browser input (for on_activity, throttled).
  void note_activity() {
    auto now = steady::now();
    if (!events_.on_activity) return;
    if (activity_reported_ && now - last_activity_ < events_.activity_interval) return;
    activity_reported_ = true;
    last_activity_ = now;
    events_.on_activity(target_);
  }
  void note_traffic() { last_traffic_ = steady::now(); }

  void on_handshake_timeout() {
    if (closing_ || phase_ == phase::relaying) return;
    auto ms = std::to_string(options_.handshake_timeout.count());
    switch (phase_) {
      case phase::connecting:
        upstream_failed(504, "upstream_timeout", "the desktop did not complete its handshake within " + ms + " ms");
        break;
      case phase::accepting:
        browser_done_ = true;
        beast::get_lowest_layer(ws_).close();
        shutdown("the browser's WebSocket handshake timed out", {},
                 make_reason(websocket::close_code::going_away, "timeout"));
        break;
      case phase::rfb_handshake:
        shutdown("the browser did not complete the RFB handshake within " + ms + " ms",
                 make_reason(websocket::close_code::policy_error, "RFB handshake timed out"),
                 make_reason(websocket::close_code::going_away, "timeout"));
        break;
      case phase::relaying:
        break;
    }
  }

  void arm_idle_timer(std::chrono::milliseconds after) {
    if (options_.idle_timeout.count() <= 0) return;
    idle_timer_.expires_after(after);
    idle_timer_.async_wait([weak = weak_from_this()](error_code ec) {
      if (ec) return;
      auto self = weak.lock();
      if (!self || self->closing_) return;
      auto idle = std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - self->last_traffic_);
      if (idle >= self->options_.idle_timeout) {
        self->shutdown("idle for " + std::to_string(idle.count()) + " ms",
                       make_reason(websocket::close_code::going_away, "idle timeout"),
                       make_reason(websocket::close_code::going_away, "idle timeout"));
      } else {
        self->arm_idle_timer(self->options_.idle_timeout - idle);
      }
    });
  }

  websocket::stream<beast::tcp_stream> ws_;
  bhttp::request<bhttp::string_body> upgrade_;
  relay_target target_;
  relay_options options_;
  relay_events events_;
  net::steady_timer handshake_timer_;
  net::steady_timer idle_timer_;
  net::steady_timer kill_timer_;
  std::string conn_id_;
  std::vector<std::uint8_t> b2u_;  // browser → upstream
  std::vector<std::uint8_t> u2b_;  // upstream → browser
  bool b2u_filled_ = false;        // the last read filled b2u_: grow it before the next one
  bool u2b_filled_ = false;

  // Buffers start small and double, up to options.buffer_bytes, while reads fill them: a busy relay
  // reads in large chunks, an idle one (most of them) costs a few KiB. Called only before a read, when
  // no write uses the buffer.
  void grow(std::vector<std::uint8_t>& buffer, bool& filled) {
    if (filled && buffer.size() < options_.buffer_bytes)
      buffer.resize(std::min(buffer.size() * 2, options_.buffer_bytes));
    filled = false;
  }

  phase phase_ = phase::connecting;
  bool closing_ = false;
  bool answered_ = false;
  bool browser_done_ = false;
  bool browser_closing_ = false;
  bool browser_writing_ = false;
  std::optional<websocket::close_reason> pending_browser_close_;
  std::string reason_;
  std::uint64_t to_browser_ = 0;
  std::uint64_t to_desktop_ = 0;
  steady::time_point started_ = steady::now();
  steady::time_point last_traffic_ = steady::now();
  steady::time_point last_activity_{};
  bool activity_reported_ = false;
};

// --------------------------------------------------------------------------------------------------
// rfb_auth and raw: RFB (or any bytes) over a TCP or unix socket.
class byte_relay final : public relay_core {
 public:
  byte_relay(beast::tcp_stream browser, bhttp::request<bhttp::string_body> upgrade, relay_target target,
             relay_options options, relay_events events)
      : relay_core(std::move(browser), std::move(upgrade), std::move(target), options, std::move(events)),
        up_(ws_.get_executor()),
        resolver_(ws_.get_executor()),
        client_hs_(target_.secret),
        parser_(target_.view_only) {
    runs_.reserve(64);
  }

 private:
  std::shared_ptr<byte_relay> self() { return std::static_pointer_cast<byte_relay>(shared_from_this()); }

  void start_upstream() override {
    if (target_.upstream.is_unix()) {
      net::local::stream_protocol::endpoint ep(target_.upstream.unix_path);
      up_.async_connect(net::generic::stream_protocol::endpoint(ep),
                        [s = self()](error_code ec) { s->on_connect(ec); });
      return;
    }
    resolve_upstream(resolver_, target_.upstream,
                     [s = self()](error_code ec, net::ip::tcp::resolver::results_type results) {
                       if (ec) return s->on_connect(ec);
                       s->addresses_.assign(results.begin(), results.end());
                       s->try_address(0);
                     });
  }

  void try_address(std::size_t i) {
    if (closing_) return;
    error_code ignored;
    up_.close(ignored);
    up_.async_connect(net::generic::stream_protocol::endpoint(addresses_[i].endpoint()),
                      [s = self(), i](error_code ec) {
                        if (ec && !s->closing_ && i + 1 < s->addresses_.size()) return s->try_address(i + 1);
                        s->on_connect(ec);
                      });
  }

  void on_connect(error_code ec) {
    if (closing_) return;
    if (ec) {
      upstream_failed(503, "unavailable",
                      "the desktop is not reachable (" + target_.upstream.to_string() + ": " + ec.message() + ")");
      return;
    }
    if (!target_.upstream.is_unix()) up_.set_option(net::ip::tcp::no_delay(true), ec);
    if (target_.mode == relay_mode::rfb_auth) {
      read_upstream_handshake();
    } else {
      upstream_ready(offers_protocol(upgrade_[bhttp::field::sec_websocket_protocol], "binary") ? "binary" : "");
    }
  }

  // deskgate as the RFB client: the desktop's version, security types, VncAuth challenge, result.
  void read_upstream_handshake() {
    up_.async_read_some(net::buffer(u2b_), [s = self()](error_code ec, std::size_t n) {
      if (s->closing_) return;
      if (ec) {
        s->upstream_failed(502, "upstream_failed",
                           "the desktop closed the connection during the RFB handshake (" + ec.message() + ")");
        return;
      }
      s->client_hs_.feed(std::span<const std::uint8_t>(s->u2b_.data(), n));
      if (s->client_hs_.failed()) {
        s->upstream_failed(502, "upstream_failed", s->client_hs_.error());
        return;
      }
      s->up_hs_out_ = s->client_hs_.take_output();
      if (s->up_hs_out_.empty()) return s->after_upstream_handshake_step();
      net::async_write(s->up_, net::buffer(s->up_hs_out_), [s](error_code ec, std::size_t) {
        if (s->closing_) return;
        if (ec) {
          s->upstream_failed(502, "upstream_failed", "writing to the desktop failed: " + ec.message());
          return;
        }
        s->after_upstream_handshake_step();
      });
    });
  }

  void after_upstream_handshake_step() {
    if (!client_hs_.done()) return read_upstream_handshake();
    upstream_ready(offers_protocol(upgrade_[bhttp::field::sec_websocket_protocol], "binary") ? "binary" : "");
  }

  void on_browser_open() override {
    if (target_.mode == relay_mode::raw) {
      read_upstream();
      read_browser();
      return;
    }
    browser_hs_out_ = server_hs_.take_output();  // "RFB 003.008\n"
    write_browser(false, true, browser_hs_out_.data(), browser_hs_out_.size(), [s = self()] { s->read_browser(); });
  }

  void read_browser() {
    grow(b2u_, b2u_filled_);
    ws_.async_read_some(net::buffer(b2u_), [s = self()](error_code ec, std::size_t n) {
      s->b2u_filled_ = n == s->b2u_.size();
      if (ec) return s->browser_failed(ec);
      if (s->closing_) return;
      s->note_traffic();
      s->on_browser_bytes(n);
    });
  }

  void on_browser_bytes(std::size_t n) {
    std::span<std::uint8_t> data(b2u_.data(), n);
    if (target_.mode == relay_mode::raw) {
      note_activity();
      return write_upstream(data.data(), n);
    }
    if (!server_hs_.done()) {
      std::size_t used = server_hs_.feed(data);
      browser_hs_out_ = server_hs_.take_output();
      if (server_hs_.failed()) {
        auto why = server_hs_.error();
        if (browser_hs_out_.empty()) {
          shutdown(why, make_reason(websocket::close_code::protocol_error, why),
                   make_reason(websocket::close_code::going_away, "closed"));
          return;
        }
        write_browser(false, true, browser_hs_out_.data(), browser_hs_out_.size(), [s = self(), why] {
          s->shutdown(why, make_reason(websocket::close_code::protocol_error, why),
                      make_reason(websocket::close_code::going_away, "closed"));
        });
        return;
      }
      auto continue_with = [s = self(), used, n] {
        if (!s->server_hs_.done()) return s->read_browser();  // feed() took every byte it could
        // ClientInit was the last byte used: it goes upstream first, right before the messages after it.
        s->phase_ = phase::relaying;
        s->handshake_timer_.cancel();
        s->read_upstream();
        s->frame_and_forward(used - 1, 1, n);
      };
      if (browser_hs_out_.empty()) return continue_with();
      write_browser(false, true, browser_hs_out_.data(), browser_hs_out_.size(), std::move(continue_with));
      return;
    }
    frame_and_forward(0, 0, n);
  }

  // Frames b2u_[from + keep, end) and forwards b2u_[from, from + keep) plus the kept messages.
  void frame_and_forward(std::size_t from, std::size_t keep, std::size_t end) {
    runs_.clear();
    std::span<std::uint8_t> msgs(b2u_.data() + from + keep, end - from - keep);
    if (!parser_.feed(msgs, runs_)) {
      auto why = parser_.error();
      shutdown(why, make_reason(websocket::close_code::protocol_error, "cannot frame the RFB stream"),
               make_reason(websocket::close_code::going_away, "closed"));
      return;
    }
    for (const auto& r : runs_) {
      if (r.type == rfb::msg::key_event || r.type == rfb::msg::pointer_event || r.type == rfb::msg::qemu) {
        note_activity();
        break;
      }
    }
    std::size_t kept = rfb::client_message_parser::compact(msgs, runs_);
    write_upstream(b2u_.data() + from, keep + kept);
  }

  void write_upstream(const std::uint8_t* data, std::size_t n) {
    if (n == 0) return read_browser();
    net::async_write(up_, net::buffer(data, n), [s = self()](error_code ec, std::size_t written) {
      s->to_desktop_ += written;
      if (s->closing_) return;
      if (ec) {
        s->shutdown("writing to the desktop failed: " + ec.message(),
                    make_reason(websocket::close_code::internal_error, "desktop connection lost"), {});
        return;
      }
      s->read_browser();
    });
  }

  void read_upstream() {
    grow(u2b_, u2b_filled_);
    up_.async_read_some(net::buffer(u2b_), [s = self()](error_code ec, std::size_t n) {
      s->u2b_filled_ = n == s->u2b_.size();
      if (s->closing_) return;
      if (ec) {
        bool eof = ec == net::error::eof;
        s->shutdown(eof ? "the desktop closed the connection" : "desktop connection lost: " + ec.message(),
                    eof ? make_reason(websocket::close_code::normal, "the desktop closed the connection")
                        : make_reason(websocket::close_code::internal_error, "desktop connection lost"),
                    {});
        return;
      }
      s->note_traffic();
      s->write_browser(false, true, s->u2b_.data(), n, [s] { s->read_upstream(); });
    });
  }

  void abort_upstream() override {
    error_code ignored;
    resolver_.cancel();
    up_.close(ignored);
  }

  void close_upstream(const websocket::close_reason&) override {
    error_code ignored;
    if (up_.is_open()) up_.shutdown(net::socket_base::shutdown_both, ignored);
    abort_upstream();
  }

  net::generic::stream_protocol::socket up_;
  net::ip::tcp::resolver resolver_;
  std::vector<net::ip::tcp::resolver::results_type::value_type> addresses_;
  rfb::client_handshake client_hs_;
  rfb::server_handshake server_hs_;
  rfb::client_message_parser parser_;
  std::vector<rfb::client_segment> runs_;
  std::string up_hs_out_;
  std::string browser_hs_out_;
};

// --------------------------------------------------------------------------------------------------
// websocket: the desktop's own WebSocket server, over ws (Stream = tcp_stream) or wss.
template <class Stream>
class ws_relay final : public relay_core {
  static constexpr bool tls = !std::is_same_v<Stream, beast::tcp_stream>;

 public:
  ws_relay(beast::tcp_stream browser, bhttp::request<bhttp::string_body> upgrade, relay_target target,
           relay_options options, relay_events events, std::unique_ptr<net::ssl::context> ctx)
      : relay_core(std::move(browser), std::move(upgrade), std::move(target), options, std::move(events)),
        ctx_(std::move(ctx)),
        up_(make_stream()),
        resolver_(ws_.get_executor()) {}

 private:
  Stream make_stream() {
    if constexpr (tls) {
      return Stream(ws_.get_executor(), *ctx_);
    } else {
      return Stream(ws_.get_executor());
    }
  }

  std::shared_ptr<ws_relay> self() { return std::static_pointer_cast<ws_relay>(shared_from_this()); }

  void start_upstream() override {
    if (target_.upstream.is_unix()) {
      upstream_failed(502, "upstream_failed", "a WebSocket desktop on a unix socket is not supported");
      return;
    }
    resolve_upstream(resolver_, target_.upstream,
                     [s = self()](error_code ec, net::ip::tcp::resolver::results_type results) {
                       if (s->closing_) return;
                       if (ec) return s->unreachable(ec);
                       beast::get_lowest_layer(s->up_).async_connect(
                           results, [s](error_code ec, const net::ip::tcp::endpoint&) { s->on_connect(ec); });
                     });
  }

  void unreachable(const error_code& ec) {
    upstream_failed(503, "unavailable",
                    "the desktop is not reachable (" + target_.upstream.to_string() + ": " + ec.message() + ")");
  }

  void on_connect(error_code ec) {
    if (closing_) return;
    if (ec) return unreachable(ec);
    beast::get_lowest_layer(up_).socket().set_option(net::ip::tcp::no_delay(true), ec);
    if constexpr (tls) {
      auto& ssl = up_.next_layer();
      error_code addr_ec;
      net::ip::make_address(target_.upstream.host, addr_ec);
      if (addr_ec) SSL_set_tlsext_host_name(ssl.native_handle(), target_.upstream.host.c_str());
      if (target_.tls_verify) {
        ssl.set_verify_mode(net::ssl::verify_peer);
        ssl.set_verify_callback(net::ssl::host_name_verification(target_.upstream.host));
      } else {
        ssl.set_verify_mode(net::ssl::verify_none);
      }
      ssl.async_handshake(net::ssl::stream_base::client, [s = self()](error_code ec) {
        if (s->closing_) return;
        if (ec) {
          s->upstream_failed(502, "upstream_failed", "TLS handshake with the desktop failed: " + ec.message());
          return;
        }
        s->ws_handshake();
      });
    } else {
      ws_handshake();
    }
  }

  void ws_handshake() {
    beast::get_lowest_layer(up_).expires_never();
    auto t = websocket::stream_base::timeout::suggested(beast::role_type::client);
    t.handshake_timeout = options_.handshake_timeout;
    up_.set_option(t);
    std::string auth;
    if (!target_.secret.empty() || !target_.basic_user.empty()) {
      auth = "Basic " + crypto::base64_encode(target_.basic_user + ":" + target_.secret);
    }
    std::string offered(upgrade_[bhttp::field::sec_websocket_protocol]);
    up_.set_option(websocket::stream_base::decorator([auth = std::move(auth), offered](websocket::request_type& req) {
      req.set(bhttp::field::user_agent, "deskgate");
      if (!auth.empty()) req.set(bhttp::field::authorization, auth);
      if (!offered.empty()) req.set(bhttp::field::sec_websocket_protocol, offered);
    }));
    up_.read_message_max(0);  // the desktop is trusted to size its messages; we stream them in pieces
    up_.auto_fragment(false);
    std::string host = target_.upstream.host;
    if (host.find(':') != std::string::npos) host = "[" + host + "]";
    host += ":" + std::to_string(target_.upstream.port);
    up_.async_handshake(res_, host, target_.upstream_path, [s = self()](error_code ec) {
      if (s->closing_) return;
      if (ec) {
        std::string why = "the desktop refused the WebSocket upgrade";
        if (s->res_.result_int() != 0) why += " (HTTP " + std::to_string(s->res_.result_int()) + ")";
        s->upstream_failed(502, "upstream_failed", why + ": " + ec.message());
        return;
      }
      s->upstream_ready(std::string(s->res_[bhttp::field::sec_websocket_protocol]));
    });
  }

  void on_browser_open() override {
    res_ = {};
    read_browser();
    read_upstream();
  }

  void read_browser() {
    grow(b2u_, b2u_filled_);
    ws_.async_read_some(net::buffer(b2u_), [s = self()](error_code ec, std::size_t n) {
      s->b2u_filled_ = n == s->b2u_.size();
      if (ec) return s->browser_failed(ec);
      if (s->closing_) return;
      s->note_traffic();
      s->note_activity();
      s->upstream_writing_ = true;
      s->up_.text(s->ws_.got_text());
      s->up_.async_write_some(s->ws_.is_message_done(), net::buffer(s->b2u_.data(), n),
                              [s](error_code ec, std::size_t written) {
                                s->upstream_writing_ = false;
                                s->to_desktop_ += written;
                                if (s->pending_upstream_close_) {
                                  auto code = *std::exchange(s->pending_upstream_close_, std::nullopt);
                                  s->up_.async_close(code, [s](error_code) {});
                                  return;
                                }
                                if (s->closing_) return;
                                if (ec) return s->upstream_failed_while_relaying(ec);
                                s->read_browser();
                              });
    });
  }

  void read_upstream() {
    grow(u2b_, u2b_filled_);
    up_.async_read_some(net::buffer(u2b_), [s = self()](error_code ec, std::size_t n) {
      s->u2b_filled_ = n == s->u2b_.size();
      if (ec) {
        s->upstream_done_ = true;
        if (s->closing_) return;
        if (ec == websocket::error::closed) {
          auto r = s->up_.reason();
          s->shutdown("the desktop closed the connection (code " + std::to_string(r.code) + ")", r, {});
        } else {
          s->upstream_failed_while_relaying(ec);
        }
        return;
      }
      if (s->closing_) return;
      s->note_traffic();
      s->write_browser(s->up_.got_text(), s->up_.is_message_done(), s->u2b_.data(), n, [s] { s->read_upstream(); });
    });
  }

  void upstream_failed_while_relaying(const error_code& ec) {
    upstream_done_ = true;
    abort_upstream();
    shutdown("desktop connection lost: " + ec.message(),
             make_reason(websocket::close_code::internal_error, "desktop connection lost"), {});
  }

  void abort_upstream() override {
    resolver_.cancel();
    beast::get_lowest_layer(up_).close();
  }

  void close_upstream(const websocket::close_reason& code) override {
    if (upstream_done_ || !up_.is_open()) {
      abort_upstream();
      return;
    }
    upstream_done_ = true;
    if (upstream_writing_) {
      pending_upstream_close_ = code;
      return;
    }
    up_.async_close(code, [s = self()](error_code) {});
  }

  std::unique_ptr<net::ssl::context> ctx_;
  websocket::stream<Stream> up_;
  net::ip::tcp::resolver resolver_;
  websocket::response_type res_;
  bool upstream_writing_ = false;
  bool upstream_done_ = false;
  std::optional<websocket::close_reason> pending_upstream_close_;
};

class handle_impl final : public relay_handle {
 public:
  handle_impl(std::weak_ptr<relay_core> session, net::any_io_executor ex, relay_target target)
      : session_(std::move(session)), ex_(std::move(ex)), target_(std::move(target)) {}

  void close(std::uint16_t code, std::string reason) override {
    net::post(ex_, [weak = session_, code, reason = std::move(reason)] {
      if (auto s = weak.lock()) s->close_from_outside(code, reason);
    });
  }
  const relay_target& target() const override { return target_; }
  bool alive() const override { return !session_.expired(); }

 private:
  std::weak_ptr<relay_core> session_;
  net::any_io_executor ex_;
  relay_target target_;
};

}  // namespace

std::shared_ptr<relay_handle> start_relay(beast::tcp_stream browser, bhttp::request<bhttp::string_body> upgrade,
                                          relay_target target, relay_options options, relay_events events) {
  std::shared_ptr<relay_core> session;
  relay_target copy = target;
  if (target.mode != relay_mode::websocket) {
    session = std::make_shared<byte_relay>(std::move(browser), std::move(upgrade), std::move(target), options,
                                           std::move(events));
  } else if (target.tls) {
    auto ctx = std::make_unique<net::ssl::context>(net::ssl::context::tls_client);
    if (target.tls_verify) ctx->set_default_verify_paths();
    session = std::make_shared<ws_relay<beast::ssl_stream<beast::tcp_stream>>>(
        std::move(browser), std::move(upgrade), std::move(target), options, std::move(events), std::move(ctx));
  } else {
    session = std::make_shared<ws_relay<beast::tcp_stream>>(std::move(browser), std::move(upgrade), std::move(target),
                                                            options, std::move(events), nullptr);
  }
  auto handle = std::make_shared<handle_impl>(session, session->executor(), std::move(copy));
  net::post(session->executor(), [session] { session->run(); });
  return handle;
}

}  // namespace deskgate
