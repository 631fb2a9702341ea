#include "http/http_client.hpp"

#include <fmt/format.h>

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
#include <cctype>
#include <optional>

#include "core/error.hpp"
#include "core/text.hpp"

namespace deskgate::http {
namespace {

namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using steady = std::chrono::steady_clock;

struct parsed_url {
  bool https = false;
  std::string host;  // without brackets
  std::string port;
  std::string target;
  std::string host_header;  // host[:port] as written in the URL
};

parsed_url parse_url(const std::string& url) {
  parsed_url u;
  std::string_view rest = url;
  if (rest.starts_with("https://")) {
    u.https = true;
    rest.remove_prefix(8);
  } else if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
  } else {
    throw error{errc::bad_request, fmt::format("cannot call \"{}\": only http:// and https:// URLs work", url)};
  }
  auto path_start = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, path_start);
  u.target = path_start == std::string_view::npos ? "/" : std::string(rest.substr(path_start));
  if (u.target.front() == '?') u.target.insert(0, "/");
  u.host_header = std::string(authority);
  if (authority.find('@') != std::string_view::npos) {
    throw error{errc::bad_request, fmt::format("cannot call \"{}\": credentials in URLs are not supported", url)};
  }
  std::string_view port;
  if (authority.starts_with('[')) {
    auto close = authority.find(']');
    if (close == std::string_view::npos) throw error{errc::bad_request, fmt::format("cannot call \"{}\": ']'", url)};
    u.host = std::string(authority.substr(1, close - 1));
    if (close + 1 < authority.size() && authority[close + 1] == ':') port = authority.substr(close + 2);
  } else {
    auto colon = authority.rfind(':');
    u.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (u.host.empty()) throw error{errc::bad_request, fmt::format("cannot call \"{}\": no host", url)};
  u.port = port.empty() ? (u.https ? "443" : "80") : std::string(port);
  return u;
}

// One call: every asynchronous step runs on `ioc` until it completes or the call's deadline passes.
class call {
 public:
  call(const std::string& url, const client_options& options)
      : url_(url),
        timeout_(options.timeout),
        max_response_bytes_(options.max_response_bytes),
        deadline_(steady::now() + options.timeout) {}

  // Starts `op` (which takes a completion handler) and runs until it finishes. A step still running at
  // the deadline is cancelled through `cancel` and reported as errc::timeout.
  template <class Op, class Cancel>
  void step(std::string_view what, Op&& op, Cancel&& cancel, errc failure = errc::unavailable) {
    std::optional<beast::error_code> result;
    op([&result](beast::error_code ec, auto&&...) { result = ec; });
    ioc_.restart();
    auto left = deadline_ - steady::now();
    if (left > steady::duration::zero()) ioc_.run_for(left);
    if (!result) {
      cancel();
      ioc_.restart();
      ioc_.poll();
      throw error{errc::timeout, fmt::format("{} did not answer within {} ms", url_, timeout_.count())};
    }
    if (*result == bhttp::error::body_limit) {
      throw error{errc::bad_gateway, fmt::format("{}: the answer is larger than {} bytes", url_, max_response_bytes_)};
    }
    if (*result) throw error{failure, fmt::format("{}: {} failed: {}", url_, what, result->message())};
  }

  net::io_context& ioc() { return ioc_; }

 private:
  net::io_context ioc_{1};
  const std::string& url_;
  std::chrono::milliseconds timeout_;
  std::size_t max_response_bytes_;
  steady::time_point deadline_;
};

}  // namespace

struct http_client::impl {
  client_options options;
  // Streams need them non-const; they are not changed after construction.
  mutable ssl::context tls{ssl::context::tls_client};
  mutable ssl::context trusting{ssl::context::tls_client};  // for requests with verify_tls = false

  explicit impl(client_options o) : options(std::move(o)) {
    for (auto* context : {&tls, &trusting}) {
      context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                           ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    }
    trusting.set_verify_mode(ssl::verify_none);
    beast::error_code ec;
    if (options.ca_file.empty()) {
      tls.set_default_verify_paths(ec);
    } else {
      tls.load_verify_file(options.ca_file, ec);
    }
    if (ec) throw error{errc::internal, fmt::format("cannot load trusted certificates: {}", ec.message())};
    tls.set_verify_mode(ssl::verify_peer);
  }

  template <class Stream>
  client_response exchange(call& c, Stream& stream, bhttp::request<bhttp::string_body>& req) const {
    auto cancel = [&] { beast::get_lowest_layer(stream).cancel(); };
    c.step(
        "sending the request", [&](auto h) { bhttp::async_write(stream, req, std::move(h)); }, cancel,
        errc::bad_gateway);
    beast::flat_buffer buffer;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(options.max_response_bytes);
    parser.skip(req.method() == bhttp::verb::head);
    c.step(
        "reading the answer", [&](auto h) { bhttp::async_read(stream, buffer, parser, std::move(h)); }, cancel,
        errc::bad_gateway);
    auto& res = parser.get();
    client_response out{
        static_cast<int>(res.result_int()), std::string(res[bhttp::field::content_type]), {}, std::move(res.body())};
    for (const auto& field : res) out.headers.emplace_back(field.name_string(), field.value());
    return out;
  }

  client_response send(const client_request& r) const {
    auto url = parse_url(r.url);
    bhttp::request<bhttp::string_body> req{bhttp::string_to_verb(r.method), url.target, 11};
    req.set(bhttp::field::host, url.host_header);
    req.set(bhttp::field::user_agent, "deskgate");
    // A name given replaces the client's own field; a name given twice (forwarded headers) keeps both.
    for (const auto& [name, value] : r.headers) {
      if (iequals(name, "Host") || iequals(name, "User-Agent")) req.erase(name);
    }
    for (const auto& [name, value] : r.headers) req.insert(name, value);
    req.keep_alive(false);
    req.body() = r.body;
    req.prepare_payload();

    call c(r.url, options);
    net::ip::tcp::resolver resolver(c.ioc());
    net::ip::tcp::resolver::results_type endpoints;
    c.step(
        "resolving the host",
        [&](auto h) {
          resolver.async_resolve(url.host, url.port, [&, h = std::move(h)](beast::error_code ec, auto results) mutable {
            endpoints = std::move(results);
            h(ec);
          });
        },
        [&] { resolver.cancel(); });

    if (!url.https) {
      beast::tcp_stream stream(c.ioc());
      c.step(
          "connecting", [&](auto h) { stream.async_connect(endpoints, std::move(h)); }, [&] { stream.cancel(); });
      return exchange(c, stream, req);
    }
    ssl::stream<beast::tcp_stream> stream(c.ioc(), r.verify_tls ? tls : trusting);
    auto cancel = [&] { beast::get_lowest_layer(stream).cancel(); };
    c.step(
        "connecting", [&](auto h) { beast::get_lowest_layer(stream).async_connect(endpoints, std::move(h)); }, cancel);
    beast::error_code not_ip;
    net::ip::make_address(url.host, not_ip);
    if (not_ip && !SSL_set_tlsext_host_name(stream.native_handle(), url.host.c_str())) {
      throw error{errc::unavailable, fmt::format("{}: cannot set the TLS server name", r.url)};
    }
    if (r.verify_tls) stream.set_verify_callback(ssl::host_name_verification(url.host));
    c.step(
        "the TLS handshake", [&](auto h) { stream.async_handshake(ssl::stream_base::client, std::move(h)); }, cancel);
    return exchange(c, stream, req);
  }
};

http_client::http_client(client_options options) : impl_(std::make_unique<impl>(std::move(options))) {}
http_client::~http_client() = default;

client_response http_client::send(const client_request& request) const { return impl_->send(request); }

const client_options& http_client::options() const { return impl_->options; }

std::string form_encode(std::string_view text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() * 3);
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 0xf]);
    }
  }
  return out;
}

}  // namespace deskgate::http
