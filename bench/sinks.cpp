// The benchmark's sink servers (bench/run.sh), all on 127.0.0.1, in one process on one thread:
//   --tcp-flood P   TCP: sends the preamble, then writes 64 KiB blocks continuously
//   --tcp-echo P    TCP: sends the preamble, then echoes what it reads (idle until then)
//   --ws-flood P    WebSocket: sends 64 KiB binary messages continuously
//   --ws-echo P     WebSocket: echoes every message (idle until then)
//   --preamble S    the bytes the TCP sinks send first (default "RFB 003.008\n": deskgate's readiness probe
//                   of a static VNC type waits for an RFB banner)
// WebSocket sinks accept any path, ignore Authorization and Cookie, and echo the first offered subprotocol.
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using net::awaitable;
using net::use_awaitable;

namespace {

constexpr std::size_t block = 64 * 1024;
std::string preamble = "RFB 003.008\n";
const std::vector<char> flood_block(block, 'x');

awaitable<void> tcp_flood(tcp::socket s) {
  try {
    s.set_option(tcp::no_delay(true));
    co_await net::async_write(s, net::buffer(preamble), use_awaitable);
    for (;;) co_await net::async_write(s, net::buffer(flood_block), use_awaitable);
  } catch (const std::exception&) {
  }
}

awaitable<void> tcp_echo(tcp::socket s) {
  try {
    s.set_option(tcp::no_delay(true));
    co_await net::async_write(s, net::buffer(preamble), use_awaitable);
    char buf[16 * 1024];
    for (;;) {
      auto n = co_await s.async_read_some(net::buffer(buf), use_awaitable);
      co_await net::async_write(s, net::buffer(buf, n), use_awaitable);
    }
  } catch (const std::exception&) {
  }
}

// Reads the upgrade request, accepts it (echoing the first offered subprotocol) and returns the stream.
awaitable<std::shared_ptr<websocket::stream<tcp::socket>>> ws_accept(tcp::socket s) {
  s.set_option(tcp::no_delay(true));
  auto ws = std::make_shared<websocket::stream<tcp::socket>>(std::move(s));
  beast::flat_buffer buf;
  http::request<http::empty_body> req;
  co_await http::async_read(ws->next_layer(), buf, req, use_awaitable);
  std::string proto(req[http::field::sec_websocket_protocol]);
  if (auto comma = proto.find(','); comma != std::string::npos) proto.resize(comma);
  ws->set_option(websocket::stream_base::decorator([proto](websocket::response_type& res) {
    if (!proto.empty()) res.set(http::field::sec_websocket_protocol, proto);
  }));
  ws->read_message_max(0);
  ws->auto_fragment(false);
  co_await ws->async_accept(req, use_awaitable);
  ws->binary(true);
  co_return ws;
}

awaitable<void> ws_flood(tcp::socket s) {
  try {
    auto ws = co_await ws_accept(std::move(s));
    // A read stays pending so that pings and the close handshake are handled while writing.
    net::co_spawn(
        ws->get_executor(),
        [ws]() -> awaitable<void> {
          beast::flat_buffer b;
          try {
            for (;;) {
              co_await ws->async_read(b, use_awaitable);
              b.clear();
            }
          } catch (const std::exception&) {
          }
        },
        net::detached);
    for (;;) co_await ws->async_write(net::buffer(flood_block), use_awaitable);
  } catch (const std::exception&) {
  }
}

awaitable<void> ws_echo(tcp::socket s) {
  try {
    auto ws = co_await ws_accept(std::move(s));
    beast::flat_buffer b;
    for (;;) {
      co_await ws->async_read(b, use_awaitable);
      ws->binary(ws->got_binary());
      co_await ws->async_write(b.data(), use_awaitable);
      b.consume(b.size());
    }
  } catch (const std::exception&) {
  }
}

template <class Handler>
awaitable<void> listen(unsigned short port, Handler handler) {
  auto ex = co_await net::this_coro::executor;
  tcp::acceptor acc(ex);
  tcp::endpoint ep(net::ip::make_address("127.0.0.1"), port);
  acc.open(ep.protocol());
  acc.set_option(tcp::acceptor::reuse_address(true));
  acc.bind(ep);
  acc.listen(4096);
  for (;;) {
    auto [ec, s] = co_await acc.async_accept(net::as_tuple(use_awaitable));
    if (ec) continue;  // EMFILE and the like: keep serving the others
    net::co_spawn(ex, handler(std::move(s)), net::detached);
  }
}

}  // namespace

int main(int argc, char** argv) {
  net::io_context ioc(1);
  int listeners = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    if (k == "--preamble") {
      preamble = argv[i + 1];
      continue;
    }
    auto port = static_cast<unsigned short>(std::atoi(argv[i + 1]));
    if (k == "--tcp-flood")
      net::co_spawn(ioc, listen(port, tcp_flood), net::detached);
    else if (k == "--tcp-echo")
      net::co_spawn(ioc, listen(port, tcp_echo), net::detached);
    else if (k == "--ws-flood")
      net::co_spawn(ioc, listen(port, ws_flood), net::detached);
    else if (k == "--ws-echo")
      net::co_spawn(ioc, listen(port, ws_echo), net::detached);
    else {
      std::fprintf(stderr, "sinks: unknown option %s\n", k.c_str());
      return 2;
    }
    ++listeners;
  }
  if (listeners == 0) {
    std::fprintf(stderr, "usage: sinks [--tcp-flood P] [--tcp-echo P] [--ws-flood P] [--ws-echo P] [--preamble S]\n");
    return 2;
  }
  ioc.run();
}
