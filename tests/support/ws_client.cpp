#include "support/ws_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket.hpp>

#include <atomic>
#include <cstdio>
#include <cstdlib>

namespace deskgate::testing {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
using error_code = boost::system::error_code;

struct ws_client::impl {
  net::io_context ioc;
  websocket::stream<beast::tcp_stream> ws{ioc};
  beast::flat_buffer buffer;
  std::atomic<std::size_t> pings{0};

  // Runs until `done` or the timeout; on timeout closes the socket and drains the aborted operation.
  bool run(const bool& done, std::chrono::milliseconds timeout) {
    ioc.restart();
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done && std::chrono::steady_clock::now() < deadline) {
      ioc.run_one_until(deadline);
      if (ioc.stopped()) ioc.restart();
    }
    if (done) return true;
    beast::get_lowest_layer(ws).close();
    ioc.restart();
    while (!done) {
      if (ioc.run_one_for(std::chrono::seconds(2)) == 0) break;
    }
    return false;
  }
};

ws_client::ws_client() : impl_(std::make_unique<impl>()) {}
ws_client::~ws_client() = default;

bool ws_client::connect(std::uint16_t port, const ws_client_options& opts) {
  auto& ws = impl_->ws;
  bool done = false;
  error_code result;
  net::ip::tcp::endpoint ep(net::ip::make_address("127.0.0.1"), port);
  websocket::response_type res;
  ws.read_message_max(opts.read_message_max);
  ws.control_callback([this](websocket::frame_type kind, beast::string_view) {
    if (kind == websocket::frame_type::ping) ++impl_->pings;
  });
  ws.set_option(websocket::stream_base::decorator([opts](websocket::request_type& req) {
    for (const auto& [name, value] : opts.headers) req.set(name, value);
    if (!opts.protocol.empty()) req.set(beast::http::field::sec_websocket_protocol, opts.protocol);
  }));
  beast::get_lowest_layer(ws).async_connect(ep, [&](error_code ec) {
    if (ec) {
      result = ec;
      done = true;
      return;
    }
    ws.async_handshake(res, "127.0.0.1:" + std::to_string(port), opts.path, [&](error_code ec) {
      result = ec;
      done = true;
    });
  });
  if (!impl_->run(done, opts.timeout)) {
    error_ = "timeout";
    timed_out_ = true;
    status_ = res.result_int();
    body_ = res.body();
    return false;
  }
  status_ = res.result_int();
  body_ = res.body();
  protocol_ = std::string(res[beast::http::field::sec_websocket_protocol]);
  if (result) {
    error_ = result.message();
    return false;
  }
  return true;
}

bool ws_client::write(std::string_view data, bool text) {
  auto& ws = impl_->ws;
  bool done = false;
  error_code result;
  ws.text(text);
  ws.async_write(net::buffer(data.data(), data.size()), [&](error_code ec, std::size_t) {
    result = ec;
    done = true;
  });
  if (!impl_->run(done, std::chrono::seconds(10))) {
    error_ = "write timeout";
    return false;
  }
  if (result) error_ = result.message();
  return !result;
}

std::optional<ws_message> ws_client::read(std::chrono::milliseconds timeout) {
  timed_out_ = false;
  auto& ws = impl_->ws;
  bool done = false;
  error_code result;
  impl_->buffer.clear();
  ws.async_read(impl_->buffer, [&](error_code ec, std::size_t) {
    result = ec;
    done = true;
  });
  if (!impl_->run(done, timeout)) {
    timed_out_ = true;
    error_ = "read timeout";
    return std::nullopt;
  }
  if (result) {
    error_ = result.message();
    // A close frame may have arrived even when the teardown after it failed (the peer reset first).
    if (result == websocket::error::closed || ws.reason().code != websocket::close_code::none) {
      closed_ = true;
      close_code_ = ws.reason().code;
      close_reason_ = std::string(ws.reason().reason.c_str());
    }
    return std::nullopt;
  }
  return ws_message{beast::buffers_to_string(impl_->buffer.data()), ws.got_text()};
}

std::optional<std::string> ws_client::read_bytes(std::size_t n, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (pending_.size() < n) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out_ = true;
      return std::nullopt;
    }
    auto m = read(left);
    if (!m) return std::nullopt;
    pending_ += m->data;
  }
  std::string out = pending_.substr(0, n);
  pending_.erase(0, n);
  return out;
}

void ws_client::close(std::uint16_t code, std::chrono::milliseconds timeout) {
  bool done = false;
  impl_->ws.async_close(websocket::close_reason(code), [&](error_code) { done = true; });
  impl_->run(done, timeout);
}

std::size_t ws_client::pings_seen() const { return impl_->pings.load(); }

void ws_client::drop() { beast::get_lowest_layer(impl_->ws).close(); }

}  // namespace deskgate::testing
