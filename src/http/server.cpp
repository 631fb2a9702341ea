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
#include <array>
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
// Streamed bodies move in pieces of this size, each read or written within body_timeout.
constexpr std::size_t stream_piece_bytes = 64 * 1024;
// After answering a request whose body was not read (a refused upload), the rest of the body is read and
// dropped for at most this long before closing: closing with unread data would reset the connection and
// the client might never see the answer.
constexpr std::chrono::seconds linger_timeout{5};

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
    // The body limit depends on the route, known once the header is in (on_header).
    parser_->body_limit(boost::none);
    stream_.expires_after(timeout);
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             [self = shared_from_this()](beast::error_code ec, std::size_t) {
                               if (ec) return self->on_read_error(ec);
                               self->on_header();
                             });
  }

  void on_header() {
    if (streams_body()) return handle_streamed_request();
    auto length = parser_->content_length();
    if (length && *length > srv_.opts.max_body_bytes) return on_read_error(bhttp::error::body_limit);
    parser_->body_limit(srv_.opts.max_body_bytes);
    read_body();
  }

  bool streams_body() const {
    if (!srv_.opts.streams_body) return false;
    const auto& head = parser_->get();
    return srv_.opts.streams_body(parse_method(head.method_string()), head.target());
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

  // deskgate's request and the start of its log entry, from what Beast parsed.
  std::pair<converted_request, request_log> convert(bhttp::request<bhttp::string_body>&& msg) {
    auto started = steady::now();
    auto converted =
        from_beast(std::move(msg), peer_, srv_.opts.trusted_proxies, [this] { return srv_.next_request_id(); });
    request_log entry{converted.req.method_text,
                      converted.req.path,
                      converted.req.request_id,
                      converted.req.client_address,
                      "unmatched",
                      std::nullopt,
                      started};
    return {std::move(converted), std::move(entry)};
  }

  // Answers a request that could not be read completely, then closes: the stream position is unknown.
  void refuse(errc code, std::string message) {
    busy_ = true;
    closing_ = true;
    write(error_response(code, message), false, std::nullopt);
  }

  void handle_request() {
    busy_ = true;
    // An upgrade request is kept as Beast parsed it: the relay answers it with 101 after authorization.
    std::optional<bhttp::request<bhttp::string_body>> upgrade_request;
    if (websocket::is_upgrade(parser_->get())) upgrade_request = parser_->get();
    auto [converted, entry] = convert(parser_->release());
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

  // ---- streamed request bodies (uploads) ----

  // The body, read in pieces into the sink the handler returned; the piece in flight is in buffer.
  struct upload_state {
    bhttp::request_parser<bhttp::buffer_body> parser;
    std::shared_ptr<body_sink> sink;
    std::vector<char> buffer = std::vector<char>(stream_piece_bytes);
    bool keep_alive = true;
    request_log entry;
  };

  // The handler runs on the headers alone: authorization, CSRF and the route's own checks (size, quota,
  // conflicts) answer before a single body byte is accepted.
  void handle_streamed_request() {
    busy_ = true;
    // The header only: the body is still on the wire.
    auto [converted, entry] = convert(bhttp::request<bhttp::string_body>(parser_->get()));
    asio::post(srv_.workers, [self = shared_from_this(), req = std::move(converted.req), entry = std::move(entry),
                              guard = asio::make_work_guard(srv_.ioc)]() mutable {
      outcome out = self->srv_.handler(req);
      entry.route = std::move(out.route);
      entry.user_id = out.user_id;
      asio::post(self->stream_.get_executor(),
                 [self, keep_alive = req.keep_alive, out = std::move(out), entry = std::move(entry)]() mutable {
                   if (!out.sink || self->parser_->is_done()) {
                     if (out.sink) return self->finish_upload(std::move(out.sink), keep_alive, std::move(entry));
                     self->body_unread_ = !self->parser_->is_done();
                     return self->write(std::move(out.res), keep_alive && !self->body_unread_, std::move(entry));
                   }
                   self->receive_body(std::move(out.sink), keep_alive, std::move(entry));
                 });
    });
  }

  void receive_body(std::shared_ptr<body_sink> sink, bool keep_alive, request_log entry) {
    upload_.reset(new upload_state{bhttp::request_parser<bhttp::buffer_body>(std::move(*parser_)), std::move(sink)});
    upload_->keep_alive = keep_alive;
    upload_->entry = std::move(entry);
    upload_->parser.body_limit(boost::none);  // the sink enforces the route's own limits
    parser_.reset();
    if (!beast::iequals(upload_->parser.get()[bhttp::field::expect], "100-continue")) return read_piece();
    static const std::string continue_line = "HTTP/1.1 100 Continue\r\n\r\n";
    stream_.expires_after(srv_.opts.body_timeout);
    asio::async_write(stream_, asio::buffer(continue_line),
                      [self = shared_from_this()](beast::error_code ec, std::size_t) {
                        if (ec) return self->abandon_upload(ec);
                        self->read_piece();
                      });
  }

  void read_piece() {
    auto& body = upload_->parser.get().body();
    body.data = upload_->buffer.data();
    body.size = upload_->buffer.size();
    // Per piece, not per request: a large upload over a slow line is fine while it keeps moving.
    stream_.expires_after(srv_.opts.body_timeout);
    bhttp::async_read(
        stream_, buffer_, upload_->parser, [self = shared_from_this()](beast::error_code ec, std::size_t) {
          if (ec == bhttp::error::need_buffer) ec = {};
          if (ec) return self->abandon_upload(ec);
          auto& u = *self->upload_;
          std::size_t got = u.buffer.size() - u.parser.get().body().size;
          bool done = u.parser.is_done();
          asio::post(self->srv_.workers, [self, got, done, guard = asio::make_work_guard(self->srv_.ioc)] {
            auto& u = *self->upload_;
            std::optional<response> refusal;
            try {
              if (got > 0) u.sink->write(std::string_view(u.buffer.data(), got));
            } catch (const std::exception& e) {
              refusal = answer_for(e, u.entry.request_id);
              u.sink.reset();  // nothing of the body may remain
            }
            asio::post(self->stream_.get_executor(), [self, done, refusal = std::move(refusal)]() mutable {
              auto& u = *self->upload_;
              if (refusal) {
                self->body_unread_ = !done;
                auto entry = std::move(u.entry);
                self->upload_.reset();
                return self->write(std::move(*refusal), false, std::move(entry));
              }
              if (!done) return self->read_piece();
              auto sink = std::move(u.sink);
              bool keep_alive = u.keep_alive;
              auto entry = std::move(u.entry);
              self->upload_.reset();
              self->finish_upload(std::move(sink), keep_alive, std::move(entry));
            });
          });
        });
  }

  void finish_upload(std::shared_ptr<body_sink> sink, bool keep_alive, request_log entry) {
    asio::post(srv_.workers, [self = shared_from_this(), sink = std::move(sink), keep_alive, entry = std::move(entry),
                              guard = asio::make_work_guard(srv_.ioc)]() mutable {
      response answer;
      try {
        answer = sink->finish();
      } catch (const std::exception& e) {
        answer = answer_for(e, entry.request_id);
      }
      sink.reset();
      asio::post(self->stream_.get_executor(),
                 [self, answer = std::move(answer), keep_alive, entry = std::move(entry)]() mutable {
                   self->write(std::move(answer), keep_alive, std::move(entry));
                 });
    });
  }

  // The body did not arrive whole (the client went away, timed out, or sent broken chunking): the sink is
  // dropped, on the worker pool since dropping it deletes what it wrote.
  void abandon_upload(beast::error_code ec) {
    asio::post(srv_.workers, [sink = std::move(upload_->sink)]() mutable { sink.reset(); });
    log::info("request body cut off", {{"request_id", upload_->entry.request_id}, {"error", ec.message()}});
    log_request(upload_->entry, 400, 0);
    upload_.reset();
    busy_ = false;
    on_read_error(ec);
  }

  // The error answer for a sink that threw.
  static response answer_for(const std::exception& e, const std::string& request_id) {
    if (auto* known = dynamic_cast<const deskgate::error*>(&e)) return error_response(*known);
    log::error("upload failed", {{"request_id", request_id}, {"error", e.what()}});
    return error_response(errc::internal, "Something went wrong on the server. The request id is " + request_id + ".");
  }

  // Reads and drops what the client still sends, then closes (see linger_timeout).
  void linger_close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.expires_after(linger_timeout);
    drain();
  }

  void drain() {
    stream_.async_read_some(asio::buffer(drain_buffer_),
                            [self = shared_from_this()](beast::error_code ec, std::size_t) {
                              if (ec) return self->close();
                              self->drain();
                            });
  }

  // ---- streamed response bodies (downloads, zip) ----

  struct download_state {
    bhttp::response<bhttp::buffer_body> msg;
    std::optional<bhttp::response_serializer<bhttp::buffer_body>> serializer;
    std::shared_ptr<body_source> source;
    std::vector<char> buffer = std::vector<char>(stream_piece_bytes);
    bool keep_alive = true;
  };

  void write_streamed(response res, bool keep_alive, std::optional<request_log> entry) {
    auto d = std::make_shared<download_state>();
    copy_head(res, entry, d->msg);
    auto size = res.stream->size();
    if (size) {
      d->msg.content_length(*size);
    } else {
      d->msg.chunked(true);
    }
    d->msg.keep_alive(keep_alive);
    d->msg.body().data = nullptr;
    d->msg.body().more = true;
    d->serializer.emplace(d->msg);
    d->source = std::move(res.stream);
    d->keep_alive = keep_alive;
    if (entry) log_request(*entry, res.status, size.value_or(0));
    stream_.expires_after(srv_.opts.body_timeout);
    bhttp::async_write_header(stream_, *d->serializer,
                              [self = shared_from_this(), d](beast::error_code ec, std::size_t) {
                                if (ec) return self->close();
                                self->send_piece(d);
                              });
  }

  void send_piece(const std::shared_ptr<download_state>& d) {
    asio::post(srv_.workers, [self = shared_from_this(), d, guard = asio::make_work_guard(srv_.ioc)] {
      std::optional<std::size_t> n;
      try {
        n = d->source->read(d->buffer.data(), d->buffer.size());
      } catch (const std::exception& e) {
        log::warn("streamed answer failed", {{"error", e.what()}});
      }
      asio::post(self->stream_.get_executor(), [self, d, n] {
        if (!n) return self->close();  // the status line is out: only the cut tells the client
        auto& body = d->msg.body();
        body.data = *n > 0 ? d->buffer.data() : nullptr;
        body.size = *n;
        body.more = *n > 0;
        self->stream_.expires_after(self->srv_.opts.body_timeout);
        bhttp::async_write(self->stream_, *d->serializer, [self, d, last = *n == 0](beast::error_code ec, std::size_t) {
          if (ec == bhttp::error::need_buffer) ec = {};
          if (ec) return self->close();
          if (!last) return self->send_piece(d);
          self->busy_ = false;
          if (!d->keep_alive) return self->close();
          self->wait_for_next_request();
        });
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
    if (res.stream) return write_streamed(std::move(res), keep_alive, std::move(entry));
    auto out = std::make_shared<bhttp::response<bhttp::string_body>>();
    std::string content_length = copy_head(res, entry, *out);
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
      if (!ec && self->body_unread_) return self->linger_close();
      if (ec || !keep_alive) return self->close();
      self->wait_for_next_request();
    });
  }

  // The status and header fields of `res` onto a Beast answer; returns a Content-Length given explicitly
  // (a HEAD answer's), which the caller sets instead of the body's.
  template <class Body>
  std::string copy_head(const response& res, const std::optional<request_log>& entry, bhttp::response<Body>& out) {
    out.version(11);
    out.result(static_cast<unsigned>(res.status));
    std::string content_length;
    for (const auto& [name, value] : res.headers.fields()) {
      if (beast::iequals(name, "Content-Length")) {
        content_length = value;
      } else {
        out.insert(name, value);
      }
    }
    out.set(bhttp::field::server, "deskgate");
    if (entry) out.set("X-Request-Id", entry->request_id);
    return content_length;
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
  std::unique_ptr<upload_state> upload_;  // while a streamed request body is being received
  std::array<char, 4096> drain_buffer_{};
  bool body_unread_ = false;  // the answer goes out before the request body was read (linger, then close)
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
