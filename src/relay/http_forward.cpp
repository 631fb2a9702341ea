#include "relay/http_forward.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <array>

#include "core/error.hpp"
#include "core/text.hpp"

namespace deskgate {
namespace {

namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;

constexpr std::size_t max_response_header_bytes = 64 * 1024;

// One TLS context per verification policy, shared by all requests (contexts are thread-safe to use).
ssl::context& client_context(bool verify) {
  static ssl::context verifying = [] {
    ssl::context c(ssl::context::tls_client);
    c.set_default_verify_paths();
    c.set_verify_mode(ssl::verify_peer);
    return c;
  }();
  static ssl::context trusting = [] {
    ssl::context c(ssl::context::tls_client);
    c.set_verify_mode(ssl::verify_none);  // the type says the desktop's certificate is self-signed
    return c;
  }();
  return verify ? verifying : trusting;
}

// Runs one asynchronous operation on the private io_context to completion; its socket's expiry bounds it.
template <class Start>
beast::error_code run_one(net::io_context& ioc, Start&& start) {
  beast::error_code result;
  start([&result](beast::error_code ec, auto&&...) { result = ec; });
  ioc.restart();
  ioc.run();
  return result;
}

class exchange {
 public:
  exchange(const http_upstream& up, const forward_limits& limits) : up_(up), limits_(limits), tcp_(ioc_) {}

  http::response run(const http::request& req) {
    bhttp::request<bhttp::string_body> out{bhttp::string_to_verb(req.method_text), req.target, 11};
    for (const auto& [name, value] : req.headers.fields()) out.insert(name, value);
    out.body() = req.body;
    out.keep_alive(false);
    out.prepare_payload();

    connect();
    if (up_.tls) {
      ssl::stream<beast::tcp_stream&> tls(tcp_, client_context(up_.tls_verify));
      handshake(tls);
      return transfer(tls, out, req.verb == http::method::head);
    }
    return transfer(tcp_, out, req.verb == http::method::head);
  }

 private:
  void connect() {
    if (up_.where.is_unix()) throw error(errc::unavailable, "The desktop's web port is not reachable over TCP.");
    net::ip::tcp::resolver resolver(ioc_);
    beast::error_code ec;
    auto addresses = resolver.resolve(up_.where.host, std::to_string(up_.where.port), ec);
    if (ec) throw error(errc::unavailable, "The desktop's address cannot be resolved: " + ec.message());
    tcp_.expires_after(limits_.timeout);
    ec = run_one(ioc_, [&](auto done) { tcp_.async_connect(addresses, done); });
    fail_on(ec, "connecting to the desktop's web port");
    tcp_.socket().set_option(net::ip::tcp::no_delay(true), ec);
  }

  void handshake(ssl::stream<beast::tcp_stream&>& tls) {
    if (!SSL_set_tlsext_host_name(tls.native_handle(), up_.where.host.c_str())) {
      throw error(errc::bad_gateway, "TLS to the desktop cannot be set up.");
    }
    if (up_.tls_verify) tls.set_verify_callback(ssl::host_name_verification(up_.where.host));
    tcp_.expires_after(limits_.timeout);
    auto ec = run_one(ioc_, [&](auto done) { tls.async_handshake(ssl::stream_base::client, done); });
    fail_on(ec, "the TLS handshake with the desktop");
  }

  template <class Stream>
  http::response transfer(Stream& stream, bhttp::request<bhttp::string_body>& out, bool head) {
    tcp_.expires_after(limits_.timeout);
    fail_on(run_one(ioc_, [&](auto done) { bhttp::async_write(stream, out, done); }), "sending the request");

    bhttp::response_parser<bhttp::string_body> parser;
    parser.header_limit(max_response_header_bytes);
    parser.body_limit(limits_.max_response_bytes);
    parser.skip(head);
    beast::flat_buffer buffer;
    tcp_.expires_after(limits_.timeout);
    fail_on(run_one(ioc_, [&](auto done) { bhttp::async_read(stream, buffer, parser, done); }),
            "reading the desktop's answer");

    auto in = parser.release();
    http::response res;
    res.status = static_cast<int>(in.result_int());
    for (const auto& field : in) {
      if (is_hop_by_hop(field.name_string())) continue;
      std::string name(field.name_string());
      // HEAD: the GET answer's length, kept so the server reports it instead of 0.
      if (iequals(name, "Content-Length") && !head) continue;
      res.headers.add(std::move(name), std::string(field.value()));
    }
    res.body = std::move(in.body());
    return res;
  }

  void fail_on(const beast::error_code& ec, std::string_view doing) {
    if (!ec) return;
    if (ec == beast::error::timeout) {
      throw error(errc::gateway_timeout,
                  "The desktop's web server did not answer within " + std::to_string(limits_.timeout.count()) + " ms.");
    }
    if (ec == bhttp::error::body_limit) {
      throw error(errc::bad_gateway, "The desktop's answer is larger than the gateway forwards (" +
                                         std::to_string(limits_.max_response_bytes) + " bytes).");
    }
    if (ec == net::error::connection_refused) {
      throw error(errc::unavailable, "The desktop's web server is not running (connection refused).");
    }
    throw error(errc::bad_gateway, "The desktop's web server failed while " + std::string(doing) + ": " + ec.message());
  }

  const http_upstream& up_;
  const forward_limits& limits_;
  net::io_context ioc_;
  beast::tcp_stream tcp_;
};

}  // namespace

bool is_hop_by_hop(std::string_view name) {
  static constexpr std::array<std::string_view, 9> names = {
      "connection", "keep-alive",        "proxy-connection", "proxy-authenticate", "proxy-authorization", "te",
      "trailer",    "transfer-encoding", "upgrade"};
  for (auto n : names) {
    if (iequals(name, n)) return true;
  }
  return false;
}

http::response forward_http(const http_upstream& upstream, const http::request& req, const forward_limits& limits) {
  return exchange(upstream, limits).run(req);
}

}  // namespace deskgate
