// A WebSocket load client for the benchmark (bench/run.sh): the same client measures deskgate, websockify,
// nginx, HAProxy and a direct WebSocket sink. One line of `key=value` results on stdout per run.
//
//   load_client MODE --port P [--host 127.0.0.1] [--path /] [--cookie "a=b"] [--origin URL] [--protocol binary]
//   throughput     --connections N --seconds T [--warmup S]      MB/s received (the sink sends continuously)
//   latency        --count K [--warmup W] [--preamble BYTES]     round trips of 16-byte binary messages
//   upgrades       --workers C --seconds T                       connect, upgrade, close; upgrades/s
//   hold           --connections N --seconds S [--parallel P]    N idle connections; prints "ready" when open
//   unauthenticated --connections N [--workers C]                upgrades without a cookie; statuses counted
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket.hpp>

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using net::awaitable;
using net::use_awaitable;
using clock_type = std::chrono::steady_clock;
using ws_stream = websocket::stream<beast::tcp_stream>;

namespace {

struct options {
  std::string mode;
  std::string host = "127.0.0.1";
  unsigned short port = 0;
  std::string path = "/";
  std::string cookie;
  std::string origin;
  std::string protocol;
  int connections = 1;
  int workers = 1;
  int parallel = 100;
  double seconds = 5;
  double warmup = 1;
  long count = 10000;
  long warmup_count = 1000;
  std::size_t preamble = 0;
};

options parse(int argc, char** argv) {
  if (argc < 2) throw std::runtime_error("usage: load_client MODE --port P [options]");
  options o;
  o.mode = argv[1];
  for (int i = 2; i < argc; i += 2) {
    std::string k = argv[i];
    if (i + 1 >= argc) throw std::runtime_error("missing value for " + k);
    std::string v = argv[i + 1];
    if (k == "--host")
      o.host = v;
    else if (k == "--port")
      o.port = static_cast<unsigned short>(std::stoi(v));
    else if (k == "--path")
      o.path = v;
    else if (k == "--cookie")
      o.cookie = v;
    else if (k == "--origin")
      o.origin = v;
    else if (k == "--protocol")
      o.protocol = v;
    else if (k == "--connections")
      o.connections = std::stoi(v);
    else if (k == "--workers")
      o.workers = std::stoi(v);
    else if (k == "--parallel")
      o.parallel = std::stoi(v);
    else if (k == "--seconds")
      o.seconds = std::stod(v);
    else if (k == "--warmup")
      o.warmup = std::stod(v);
    else if (k == "--count")
      o.count = std::stol(v);
    else if (k == "--warmup-count")
      o.warmup_count = std::stol(v);
    else if (k == "--preamble")
      o.preamble = static_cast<std::size_t>(std::stoul(v));
    else
      throw std::runtime_error("unknown option " + k);
  }
  if (o.port == 0) throw std::runtime_error("--port is required");
  return o;
}

void decorate(ws_stream& ws, const options& o, bool with_cookie) {
  ws.set_option(websocket::stream_base::decorator([cookie = with_cookie ? o.cookie : std::string(), origin = o.origin,
                                                   proto = o.protocol](websocket::request_type& req) {
    req.set(beast::http::field::user_agent, "deskgate-bench");
    if (!cookie.empty()) req.set(beast::http::field::cookie, cookie);
    if (!origin.empty()) req.set(beast::http::field::origin, origin);
    if (!proto.empty()) req.set(beast::http::field::sec_websocket_protocol, proto);
  }));
  websocket::stream_base::timeout t{};
  t.handshake_timeout = std::chrono::seconds(10);
  t.idle_timeout = websocket::stream_base::none();
  t.keep_alive_pings = false;
  ws.set_option(t);
  ws.read_message_max(0);
  ws.auto_fragment(false);
}

std::string host_header(const options& o) { return o.host + ":" + std::to_string(o.port); }

// Connect and upgrade. On an HTTP answer other than 101, `status` holds it and the stream is returned null.
awaitable<std::unique_ptr<ws_stream>> open_async(const options& o, bool with_cookie, unsigned& status) {
  auto ex = co_await net::this_coro::executor;
  auto ws = std::make_unique<ws_stream>(ex);
  decorate(*ws, o, with_cookie);
  auto& lowest = beast::get_lowest_layer(*ws);
  lowest.expires_after(std::chrono::seconds(15));
  co_await lowest.async_connect(tcp::endpoint(net::ip::make_address(o.host), o.port), use_awaitable);
  lowest.socket().set_option(tcp::no_delay(true));
  websocket::response_type res;
  auto [ec] = co_await ws->async_handshake(res, host_header(o), o.path, net::as_tuple(use_awaitable));
  status = res.result_int();
  if (ec) {
    if (ec == websocket::error::upgrade_declined) co_return nullptr;
    throw boost::system::system_error(ec);
  }
  lowest.expires_never();
  ws->binary(true);
  co_return ws;
}

double since(clock_type::time_point t0) { return std::chrono::duration<double>(clock_type::now() - t0).count(); }

awaitable<void> sleep_for(double seconds) {
  net::steady_timer t(co_await net::this_coro::executor);
  t.expires_after(std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(seconds)));
  co_await t.async_wait(use_awaitable);
}

// ---- throughput: bytes the server sends, received over N connections ----
struct throughput_state {
  std::uint64_t bytes = 0;
  int connected = 0;
  int errors = 0;
};

awaitable<void> flood_reader(const options& o, throughput_state& st) {
  try {
    unsigned status = 0;
    auto ws = co_await open_async(o, true, status);
    if (!ws) {
      ++st.errors;
      co_return;
    }
    ++st.connected;
    std::vector<char> buf(256 * 1024);
    for (;;) st.bytes += co_await ws->async_read_some(net::buffer(buf), use_awaitable);
  } catch (const std::exception&) {
    ++st.errors;
  }
}

int run_throughput(const options& o) {
  net::io_context ioc(1);
  throughput_state st;
  for (int i = 0; i < o.connections; ++i) net::co_spawn(ioc, flood_reader(o, st), net::detached);
  net::co_spawn(
      ioc,
      [&]() -> awaitable<void> {
        auto t0 = clock_type::now();
        while (st.connected + st.errors < o.connections && since(t0) < 15) co_await sleep_for(0.01);
        co_await sleep_for(o.warmup);
        auto b0 = st.bytes;
        auto t1 = clock_type::now();
        co_await sleep_for(o.seconds);
        double dt = since(t1);
        auto b1 = st.bytes;
        std::printf("mode=throughput connections=%d connected=%d errors=%d bytes=%llu seconds=%.3f mbps=%.1f\n",
                    o.connections, st.connected, st.errors, static_cast<unsigned long long>(b1 - b0), dt,
                    static_cast<double>(b1 - b0) / dt / 1e6);
        std::fflush(stdout);
        std::_Exit(st.errors == 0 && b1 > b0 ? 0 : 1);
      },
      net::detached);
  ioc.run();
  return 1;
}

// ---- latency: one connection, 16-byte messages to an echo ----
int run_latency(const options& o) {
  net::io_context ioc(1);
  ws_stream ws(ioc);
  decorate(ws, o, true);
  beast::get_lowest_layer(ws).connect(tcp::endpoint(net::ip::make_address(o.host), o.port));
  beast::get_lowest_layer(ws).socket().set_option(tcp::no_delay(true));
  ws.handshake(host_header(o), o.path);
  ws.binary(true);
  std::vector<char> buf(64 * 1024);
  std::size_t got = 0;
  while (got < o.preamble) got += ws.read_some(net::buffer(buf.data(), o.preamble - got));
  char msg[16];
  for (int i = 0; i < 16; ++i) msg[i] = static_cast<char>('a' + i);
  std::vector<double> us;
  us.reserve(static_cast<std::size_t>(o.count));
  for (long i = 0; i < o.warmup_count + o.count; ++i) {
    auto t0 = clock_type::now();
    ws.write(net::buffer(msg, sizeof msg));
    std::size_t back = 0;
    while (back < sizeof msg) back += ws.read_some(net::buffer(buf));
    if (back != sizeof msg) throw std::runtime_error("echo returned " + std::to_string(back) + " bytes");
    if (i >= o.warmup_count) us.push_back(since(t0) * 1e6);
  }
  std::sort(us.begin(), us.end());
  auto pct = [&](double p) {
    return us[std::min(us.size() - 1, static_cast<std::size_t>(p * static_cast<double>(us.size())))];
  };
  std::printf("mode=latency count=%zu p50_us=%.1f p99_us=%.1f p999_us=%.1f max_us=%.1f\n", us.size(), pct(0.50),
              pct(0.99), pct(0.999), us.back());
  std::fflush(stdout);
  std::_Exit(0);
}

// ---- upgrades and unauthenticated attempts: statuses counted ----
struct upgrade_state {
  long ok = 0;
  long errors = 0;
  long started = 0;
  std::map<unsigned, long> statuses;
};

awaitable<void> upgrade_worker(const options& o, upgrade_state& st, bool with_cookie, clock_type::time_point deadline,
                               long limit) {
  for (;;) {
    if (limit > 0 ? st.started >= limit : clock_type::now() >= deadline) co_return;
    ++st.started;
    try {
      unsigned status = 0;
      auto ws = co_await open_async(o, with_cookie, status);
      ++st.statuses[status];
      if (ws) {
        ++st.ok;
        boost::system::error_code ignored;
        auto& sock = beast::get_lowest_layer(*ws).socket();
        sock.shutdown(tcp::socket::shutdown_both, ignored);
        sock.close(ignored);
      }
    } catch (const std::exception&) {
      ++st.errors;
    }
  }
}

void print_statuses(const upgrade_state& st) {
  for (auto& [code, n] : st.statuses) std::printf(" status_%u=%ld", code, n);
  std::printf("\n");
}

int run_upgrades(const options& o) {
  net::io_context ioc(1);
  upgrade_state st;
  auto t0 = clock_type::now();
  auto deadline = t0 + std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(o.seconds));
  for (int i = 0; i < o.workers; ++i) net::co_spawn(ioc, upgrade_worker(o, st, true, deadline, 0), net::detached);
  ioc.run();
  double dt = since(t0);
  std::printf("mode=upgrades workers=%d ok=%ld errors=%ld seconds=%.3f per_second=%.0f", o.workers, st.ok, st.errors,
              dt, static_cast<double>(st.ok) / dt);
  print_statuses(st);
  return st.errors == 0 ? 0 : 1;
}

int run_unauthenticated(const options& o) {
  net::io_context ioc(1);
  upgrade_state st;
  auto t0 = clock_type::now();
  for (int i = 0; i < o.workers; ++i)
    net::co_spawn(ioc, upgrade_worker(o, st, false, clock_type::time_point::max(), o.connections), net::detached);
  ioc.run();
  double dt = since(t0);
  std::printf("mode=unauthenticated attempts=%ld upgraded=%ld errors=%ld seconds=%.3f", st.started, st.ok, st.errors,
              dt);
  print_statuses(st);
  return 0;
}

// ---- hold: N idle connections ----
struct hold_state {
  std::vector<std::unique_ptr<ws_stream>> conns;
  long next = 0;
  long held = 0;
  long errors = 0;
  long dropped = 0;
  bool stopping = false;
  std::map<unsigned, long> statuses;
};

awaitable<void> idle_reader(ws_stream& ws, hold_state& st) {
  std::vector<char> buf(64);  // the preamble (an RFB banner) or pings; nothing else is expected
  try {
    for (;;) co_await ws.async_read_some(net::buffer(buf), use_awaitable);
  } catch (const std::exception&) {
    if (!st.stopping) ++st.dropped;
  }
}

awaitable<void> hold_opener(const options& o, hold_state& st) {
  while (st.next < o.connections) {
    ++st.next;
    try {
      unsigned status = 0;
      auto ws = co_await open_async(o, true, status);
      ++st.statuses[status];
      if (!ws) {
        ++st.errors;
        continue;
      }
      ++st.held;
      st.conns.push_back(std::move(ws));
      net::co_spawn(co_await net::this_coro::executor, idle_reader(*st.conns.back(), st), net::detached);
    } catch (const std::exception& e) {
      if (st.errors++ == 0) std::fprintf(stderr, "hold: %s\n", e.what());
    }
  }
}

int run_hold(const options& o) {
  net::io_context ioc(1);
  hold_state st;
  st.conns.reserve(static_cast<std::size_t>(o.connections));
  auto t0 = clock_type::now();
  for (int i = 0; i < std::min(o.parallel, o.connections); ++i) net::co_spawn(ioc, hold_opener(o, st), net::detached);
  net::co_spawn(
      ioc,
      [&]() -> awaitable<void> {
        while (st.held + st.errors < o.connections) co_await sleep_for(0.02);
        std::printf("ready held=%ld errors=%ld open_seconds=%.2f\n", st.held, st.errors, since(t0));
        std::fflush(stdout);
        co_await sleep_for(o.seconds);
        std::printf("mode=hold connections=%d held=%ld errors=%ld dropped=%ld", o.connections, st.held, st.errors,
                    st.dropped);
        for (auto& [code, n] : st.statuses) std::printf(" status_%u=%ld", code, n);
        std::printf("\n");
        std::fflush(stdout);
        st.stopping = true;
        std::_Exit(st.errors == 0 && st.dropped == 0 ? 0 : 1);
      },
      net::detached);
  ioc.run();
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    auto o = parse(argc, argv);
    if (o.mode == "throughput") return run_throughput(o);
    if (o.mode == "latency") return run_latency(o);
    if (o.mode == "upgrades") return run_upgrades(o);
    if (o.mode == "hold") return run_hold(o);
    if (o.mode == "unauthenticated") return run_unauthenticated(o);
    throw std::runtime_error("unknown mode " + o.mode);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "load_client: %s\n", e.what());
    std::printf("error=\"%s\"\n", e.what());
    return 2;
  }
}
