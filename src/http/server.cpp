#include "http/server.hpp"

#include <fmt/format.h>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include "core/crypto.hpp"
#include "http/beast_request.hpp"
#include "http/errors.hpp"
#include "log/log.hpp"
#include "http/push_socket.hpp"
#include "relay/relay_session.hpp"

namespace deskgate::http {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using steady = std::chrono::steady_clock;

namespace {

class connection;

// How long to wait before accepting again after the process ran out of file descriptors.
constexpr std::chrono::milliseconds accept_retry_delay{100};

std::string address_text(const asio::ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6()).to_string();
  }
  return a.to_string();
}

}  // namespace

struct server::impl {
  impl(server_options o, request_handler h, metrics& m)
      : opts(std::move(o)),
        handler(std::move(h)),
        stats(m),
        workers(static_cast<std::size_t>(std::max(1, opts.worker_threads))),
        acceptor(ioc),
        accept_retry(ioc),
        grace_timer(ioc),
        id_prefix(crypto::random_token(6).substr(0, 8)) {}

  void do_accept();
  void add(std::uint64_t id, const std::shared_ptr<connection>& c);
  void remove(std::uint64_t id);
  template <class Fn>
  void for_each_connection(Fn fn);
  std::string next_request_id() { return fmt::format("{}-{:06}", id_prefix, ++request_counter); }

  server_options opts;
  request_handler handler;
  metrics& stats;
  asio::io_context ioc;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work{ioc.get_executor()};
  asio::thread_pool workers;
  tcp::acceptor acceptor;
  asio::steady_timer accept_retry;
  asio::steady_timer grace_timer;
  std::vector<std::thread> io_threads;
  std::atomic<bool> stopping{false};

  std::mutex connections_mutex;
  std::unordered_map<std::uint64_t, std::weak_ptr<connection>> connections;
  std::uint64_t next_connection_id = 0;

  std::string id_prefix;
  std::atomic<std::uint64_t> request_counter{0};
};

namespace {

// One client connection. Every member is touched only on the connection's strand, except that the
// request handler runs on the worker pool with its own copy of the request.
class connection : public std::enable_shared_from_this<connection> {
 public:
  connection(tcp::socket&& socket, server::impl& srv, std::uint64_t id)
      : stream_(std::move(socket)), srv_(srv), id_(id) {
    beast::error_code ec;
    auto ep = stream_.socket().remote_endpoint(ec);
    peer_ = ec ? "" : address_text(ep.address());
    stream_.socket().set_option(tcp::no_delay(true), ec);
    srv_.stats.connection_opened();
  }

  ~connection() {
    srv_.stats.connection_closed();
    srv_.remove(id_);
  }

  void start() {
    asio::dispatch(stream_.get_executor(),
                   [self = shared_from_this()] { self->read_header(self->srv_.opts.header_timeout); });
  }

  // Graceful shutdown: an idle connection closes now, a busy one after its current answer.
  void stop_when_idle() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] {
      self->closing_ = true;
      if (!self->busy_) self->close();
    });
  }

  void force_close() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] { self->close(); });
  }

 private:
  // Between keep-alive requests: wait up to keepalive_timeout for the first byte, then the whole header
  // must arrive within header_timeout (a client dribbling a header byte by byte is cut off).
  void wait_for_next_request() {
    if (buffer_.size() > 0) {
      read_header(srv_.opts.header_timeout);
      return;
    }
    stream_.expires_after(srv_.opts.keepalive_timeout);
    stream_.async_read_some(buffer_.prepare(4096), [self = shared_from_this()](beast::error_code ec, std::size_t n) {
      if (ec) return self->close();
      self->buffer_.commit(n);
      self->read_header(self->srv_.opts.header_timeout);
    });
  }

  void read_header(std::chrono::milliseconds timeout) {
    if (closing_) return close();
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(srv_.opts.max_header_bytes));
    parser_->body_limit(srv_.opts.max_body_bytes);
    stream_.expires_after(timeout);
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             [self = shared_from_this()](beast::error_code ec, std::size_t) {
                               if (ec) return self->on_read_error(ec);
                               self->read_body();
                             });
  }

  void read_body() {
    if (parser_->is_done()) return handle_request();
    stream_.expires_after(srv_.opts.body_timeout);
    bhttp::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->on_read_error(ec);
      self->handle_request();
    });
  }

  void on_read_error(beast::error_code ec) {
    if (ec == bhttp::error::header_limit) {
      srv_.stats.count_refusal("header_too_large");
      return refuse(errc::headers_too_large,
                    fmt::format("The request headers are larger than {} bytes.", srv_.opts.max_header_bytes));
    }
    if (ec == bhttp::error::body_limit) {
      srv_.stats.count_refusal("body_too_large");
      return refuse(errc::payload_too_large,
                    fmt::format("The request body is larger than {} bytes.", srv_.opts.max_body_bytes));
    }
    if (ec == beast::error::timeout) {
      // tcp_stream has already closed the socket: a slow client gets no answer, only the cut.
      srv_.stats.count_refusal("timeout");
      return;
    }
    bool http_syntax_error = ec.category() == beast::error_code(bhttp::error::bad_method).category() &&
                             ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message;
    if (http_syntax_error) {
      srv_.stats.count_refusal("bad_request");
      return refuse(errc::bad_request, "The request is not valid HTTP/1.1.");
    }
    close();
  }

  // What the request log line and the metrics say about an answered request.
  struct request_log {
    std::string method;
    std::string path;
    std::string request_id;
    std::string client;
    std::string route;
    std::optional<std::int64_t> user_id;
    steady::time_point started;
  };

  // Answers a request that could not be read completely, then closes: the stream position is unknown.
  void refuse(errc code, std::string message) {
    busy_ = true;
    closing_ = true;
    write(error_response(code, message), false, std::nullopt);
  }

  void handle_request() {
    busy_ = true;
    auto started = steady::now();
    // An upgrade request is kept as Beast parsed it: the relay answers it with 101 after authorization.
    std::optional<bhttp::request<bhttp::string_body>> upgrade_request;
    if (websocket::is_upgrade(parser_->get())) upgrade_request = parser_->get();
    auto converted =
        from_beast(parser_->release(), peer_, srv_.opts.trusted_proxies, [this] { return srv_.next_request_id(); });
    request_log entry{converted.req.method_text,
                      converted.req.path,
                      converted.req.request_id,
                      converted.req.client_address,
                      "unmatched",
                      std::nullopt,
                      started};
    if (!converted.valid_path) {
      srv_.stats.count_refusal("bad_request");
      return write(error_response(errc::bad_request, "The request path is not a valid URL path."), false,
                   std::move(entry));
    }

    // The guard keeps the io_context running while no socket operation is pending on this connection.
    asio::post(srv_.workers,
               [self = shared_from_this(), req = std::move(converted.req), entry = std::move(entry),
                upgrade_request = std::move(upgrade_request), guard = asio::make_work_guard(srv_.ioc)]() mutable {
                 outcome out = self->srv_.handler(req);
                 entry.route = std::move(out.route);
                 entry.user_id = out.user_id;
                 asio::post(self->stream_.get_executor(),
                            [self, keep_alive = req.keep_alive, out = std::move(out), entry = std::move(entry),
                             upgrade_request = std::move(upgrade_request)]() mutable {
                              if (out.upgrade && upgrade_request && self->srv_.opts.upgrades.options) {
                                return self->hand_over(std::move(*upgrade_request), *out.upgrade, std::move(entry));
                              }
                              if (out.push && upgrade_request) {
                                return self->hand_over_push(std::move(*upgrade_request), std::move(out.push),
                                                            std::move(entry));
                              }
                              self->write(std::move(out.res), keep_alive, std::move(entry));
                            });
               });
  }

  // The connection becomes a relay: the stream and the upgrade request move into it; this object ends.
  void hand_over(bhttp::request<bhttp::string_body> upgrade_request, relay_target target, request_log entry) {
    log_request(entry, 101, 0);
    handed_over_ = true;
    stream_.expires_never();
    const auto& support = srv_.opts.upgrades;
    auto handle = start_relay(std::move(stream_), std::move(upgrade_request), std::move(target), *support.options,
                              support.events ? *support.events : relay_events{});
    if (support.on_started) support.on_started(std::move(handle));
  }

  // The connection becomes a push socket (/api/events).
  void hand_over_push(bhttp::request<bhttp::string_body> upgrade_request, std::shared_ptr<push_feed> feed,
                      request_log entry) {
    log_request(entry, 101, 0);
    handed_over_ = true;
    stream_.expires_never();
    const auto& support = srv_.opts.upgrades;
    auto handle =
        start_push_socket(std::move(stream_), std::move(upgrade_request), std::move(feed), support.push_ping_interval);
    if (support.on_push_started) support.on_push_started(std::move(handle));
  }

  // Writes one answer; `entry` is absent for refusals of requests that were never read completely.
  void write(response res, bool keep_alive, std::optional<request_log> entry) {
    keep_alive = keep_alive && !closing_ && !srv_.stopping;
    auto out = std::make_shared<bhttp::response<bhttp::string_body>>();
    out->version(11);
    out->result(static_cast<unsigned>(res.status));
    std::string content_length;
    for (auto& [name, value] : res.headers.fields()) {
      if (beast::iequals(name, "Content-Length")) {
        content_length = value;
      } else {
        out->insert(name, value);
      }
    }
    out->set(bhttp::field::server, "deskgate");
    if (entry) out->set("X-Request-Id", entry->request_id);
    out->body() = std::move(res.body);
    if (!content_length.empty() && out->body().empty()) {
      out->set(bhttp::field::content_length, content_length);  // HEAD: the GET answer's length
    } else {
      out->prepare_payload();
    }
    out->keep_alive(keep_alive);

    stream_.expires_after(srv_.opts.body_timeout);
    // Counted before the write: a client that reads the answer and asks /metrics at once sees it.
    if (entry) log_request(*entry, res.status, out->body().size());
    bhttp::async_write(stream_, *out, [self = shared_from_this(), out, keep_alive](beast::error_code ec, std::size_t) {
      self->busy_ = false;
      if (ec || !keep_alive) return self->close();
      self->wait_for_next_request();
    });
  }

  void log_request(const request_log& e, int status, std::size_t body_bytes) {
    double seconds = std::chrono::duration<double>(steady::now() - e.started).count();
    srv_.stats.record_request(e.route, e.method, status, seconds);
    log::info("request", {{"request_id", e.request_id},
                          {"method", e.method},
                          {"path", e.path},
                          {"status", std::to_string(status)},
                          {"ms", fmt::format("{:.1f}", seconds * 1000)},
                          {"body_bytes", std::to_string(body_bytes)},
                          {"client", e.client},
                          {"user", e.user_id ? std::to_string(*e.user_id) : ""}});
  }

  void close() {
    if (handed_over_) return;
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.close();
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  server::impl& srv_;
  std::uint64_t id_;
  std::string peer_;
  bool busy_ = false;         // a request is being handled or its answer written
  bool closing_ = false;      // close after the current answer
  bool handed_over_ = false;  // the stream now belongs to a relay
};

// Over max_connections: a short 503 and close, without reading the request.
void refuse_connection(tcp::socket socket) {
  static const std::string answer =
      "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nConnection: close\r\n"
      "Content-Length: 94\r\n\r\n"
      R"({"error":{"code":"unavailable","message":"The server is at its connection limit; try again."}})";
  auto s = std::make_shared<tcp::socket>(std::move(socket));
  asio::async_write(*s, asio::buffer(answer), [s](beast::error_code, std::size_t) {
    beast::error_code ec;
    s->shutdown(tcp::socket::shutdown_both, ec);
    s->close(ec);
  });
}

}  // namespace

void server::impl::do_accept() {
  acceptor.async_accept(asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (stopping) return;
    if (ec) {
      if (ec == asio::error::operation_aborted) return;
      log::warn("accept failed", {{"error", ec.message()}});
      accept_retry.expires_after(accept_retry_delay);
      accept_retry.async_wait([this](beast::error_code) { do_accept(); });
      return;
    }
    if (static_cast<std::size_t>(stats.open_connections()) >= opts.max_connections) {
      stats.count_refusal("max_connections");
      refuse_connection(std::move(socket));
    } else {
      std::uint64_t id;
      {
        std::lock_guard lock(connections_mutex);
        id = ++next_connection_id;
      }
      auto c = std::make_shared<connection>(std::move(socket), *this, id);
      add(id, c);
      c->start();
    }
    do_accept();
  });
}

void server::impl::add(std::uint64_t id, const std::shared_ptr<connection>& c) {
  std::lock_guard lock(connections_mutex);
  connections.emplace(id, c);
}

void server::impl::remove(std::uint64_t id) {
  std::lock_guard lock(connections_mutex);
  connections.erase(id);
  if (stopping && connections.empty()) {
    asio::post(ioc, [this] { grace_timer.cancel(); });
  }
}

template <class Fn>
void server::impl::for_each_connection(Fn fn) {
  std::vector<std::shared_ptr<connection>> live;
  {
    std::lock_guard lock(connections_mutex);
    for (auto& [id, weak] : connections) {
      if (auto c = weak.lock()) live.push_back(std::move(c));
    }
  }
  for (auto& c : live) fn(*c);
}

server::server(server_options opts, request_handler handler, metrics& m)
    : impl_(std::make_unique<impl>(std::move(opts), std::move(handler), m)) {}

server::~server() {
  if (!impl_->io_threads.empty()) {
    shutdown(std::chrono::milliseconds(0));
    wait();
  }
}

void server::start() {
  auto& s = *impl_;
  std::string host = s.opts.host;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  tcp::endpoint ep(asio::ip::make_address(host), s.opts.port);
  s.acceptor.open(ep.protocol());
  s.acceptor.set_option(asio::socket_base::reuse_address(true));
  s.acceptor.bind(ep);
  s.acceptor.listen(asio::socket_base::max_listen_connections);
  s.do_accept();
  for (int i = 0; i < std::max(1, s.opts.io_threads); ++i) {
    s.io_threads.emplace_back([&s] { s.ioc.run(); });
  }
}

std::uint16_t server::port() const { return impl_->acceptor.local_endpoint().port(); }

void server::shutdown(std::chrono::milliseconds grace) {
  auto& s = *impl_;
  asio::post(s.ioc, [&s, grace] {
    if (s.stopping.exchange(true)) return;
    beast::error_code ec;
    s.acceptor.close(ec);
    s.accept_retry.cancel();
    s.for_each_connection([](connection& c) { c.stop_when_idle(); });
    {
      std::lock_guard lock(s.connections_mutex);
      if (s.connections.empty()) {
        s.work.reset();
        return;
      }
    }
    s.grace_timer.expires_after(grace);
    s.grace_timer.async_wait(
        [&s](beast::error_code) { s.for_each_connection([](connection& c) { c.force_close(); }); });
    s.work.reset();
  });
}

void server::wait() {
  for (auto& t : impl_->io_threads) {
    if (t.joinable()) t.join();
  }
  impl_->io_threads.clear();
  impl_->workers.join();
}

void server::post_blocking(std::function<void()> fn) { asio::post(impl_->workers, std::move(fn)); }

}  // namespace deskgate::http
