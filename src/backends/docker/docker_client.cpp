#include "backends/docker/docker_client.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/basic_stream.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <cctype>
#include <limits>

#include "core/error.hpp"
#include "http/http_client.hpp"

namespace deskgate::docker {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using json = nlohmann::json;
using local_stream = beast::basic_stream<net::local::stream_protocol>;
using tls_stream = ssl::stream<beast::tcp_stream>;

constexpr std::string_view api_prefix = "/v1.41";
// A response read whole (everything but pull output) larger than this is refused.
constexpr std::size_t max_response_bytes = 64 * 1024 * 1024;

struct engine_address {
  bool unix_socket = false;
  bool tls = false;
  std::string path;  // unix socket
  std::string host;  // tcp
  std::string port;
};

engine_address parse_url(const client_options& o) {
  engine_address a;
  std::string_view url = o.url;
  bool any_tls = !o.tls_ca.empty() || !o.tls_cert.empty() || !o.tls_key.empty();
  auto bad = [&](std::string_view why) {
    return error{errc::bad_request, fmt::format("docker host {}: cannot use url \"{}\": {}", o.host_name, o.url, why)};
  };
  if (url.starts_with("unix://")) {
    a.unix_socket = true;
    a.path = std::string(url.substr(7));
    if (a.path.empty() || a.path.front() != '/') throw bad("expected unix:///absolute/path");
    return a;
  }
  std::string_view rest;
  if (url.starts_with("tcp://")) {
    rest = url.substr(6);
    a.tls = any_tls;
  } else if (url.starts_with("https://")) {
    rest = url.substr(8);
    a.tls = true;
  } else if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else {
    throw bad("expected unix:///path or tcp://host:port");
  }
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    if (rest.substr(slash) != "/") throw bad("a path after host:port is not supported");
    rest = rest.substr(0, slash);
  }
  if (rest.starts_with('[')) {  // [IPv6]:port
    auto close = rest.find(']');
    if (close == std::string_view::npos) throw bad("unbalanced [");
    a.host = std::string(rest.substr(1, close - 1));
    rest = rest.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') throw bad("expected :port after ]");
    a.port = rest.empty() ? "" : std::string(rest.substr(1));
  } else {
    auto colon = rest.rfind(':');
    a.host = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) a.port = std::string(rest.substr(colon + 1));
  }
  if (a.host.empty()) throw bad("no host");
  if (a.port.empty()) a.port = a.tls ? "2376" : "2375";
  if (!std::all_of(a.port.begin(), a.port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    throw bad("the port is not a number");
  }
  return a;
}

std::string describe(const beast::error_code& ec, std::chrono::milliseconds timeout) {
  if (ec == beast::error::timeout || ec == net::error::timed_out || ec == net::error::operation_aborted) {
    return fmt::format("no answer within {} ms", timeout.count());
  }
  return ec.message();
}

// The engine's own explanation: {"message": "..."} (Docker and Podman), else the body's text.
std::string engine_message(const std::string& body) {
  auto parsed = json::parse(body, nullptr, false);
  if (parsed.is_object()) {
    for (const char* key : {"message", "cause", "error"}) {
      if (auto it = parsed.find(key); it != parsed.end() && it->is_string()) return it->get<std::string>();
    }
  }
  std::string text = body.substr(0, 500);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  return text.empty() ? "no message" : text;
}

bool contains_nocase(std::string_view haystack, std::string_view needle) {
  auto it = std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(), [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
  });
  return it != haystack.end();
}

// Splits an image reference into fromImage and tag for /images/create.
std::pair<std::string, std::string> split_image_reference(const std::string& name) {
  if (name.find('@') != std::string::npos) return {name, ""};
  auto colon = name.rfind(':');
  auto slash = name.rfind('/');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
    return {name.substr(0, colon), name.substr(colon + 1)};
  }
  return {name, "latest"};
}

}  // namespace

std::string url_encode(std::string_view text) { return deskgate::http::form_encode(text); }

struct client::impl {
  client_options opts;
  engine_address address;
  std::unique_ptr<ssl::context> tls;

  struct response {
    unsigned status = 0;
    std::string body;
  };
  using body_sink = std::function<void(std::string_view)>;

  explicit impl(client_options o) : opts(std::move(o)), address(parse_url(opts)) {
    if (!address.tls) return;
    tls = std::make_unique<ssl::context>(ssl::context::tls_client);
    tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                     ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    beast::error_code ec;
    auto load = [&](std::string_view what, const std::string& file) {
      if (ec) {
        throw error{errc::internal, fmt::format("docker host {}: cannot load the TLS {} {}: {}", opts.host_name, what,
                                                file, ec.message())};
      }
    };
    if (!opts.tls_ca.empty()) {
      tls->load_verify_file(opts.tls_ca, ec);
      load("CA file", opts.tls_ca);
    } else {
      tls->set_default_verify_paths(ec);
      load("default CA paths", "");
    }
    if (!opts.tls_cert.empty()) {
      tls->use_certificate_chain_file(opts.tls_cert, ec);
      load("client certificate", opts.tls_cert);
    }
    if (!opts.tls_key.empty()) {
      tls->use_private_key_file(opts.tls_key, ssl::context::pem, ec);
      load("client key", opts.tls_key);
    }
    tls->set_verify_mode(ssl::verify_peer);
  }

  [[noreturn]] void unreachable(const std::string& reason) const {
    throw error{errc::unavailable, fmt::format("the Docker engine at {} does not answer: {}", opts.url, reason)};
  }

  // Runs `ioc` until the operation `start` launches has called its handler; returns its error.
  template <class Start>
  static beast::error_code run(net::io_context& ioc, Start&& start) {
    beast::error_code result;
    bool done = false;
    start([&](beast::error_code ec, auto&&...) {
      result = ec;
      done = true;
    });
    while (!done) {
      if (ioc.stopped()) ioc.restart();
      if (ioc.run_one() == 0 && !done) return net::error::operation_aborted;
    }
    return result;
  }

  // One request/response exchange on a connected stream. When `sink` is set and the status is 2xx, the
  // body goes to it piece by piece as it arrives (chunked or not) instead of into the response.
  template <class Stream>
  response exchange(net::io_context& ioc, Stream& stream, http::request<http::string_body>& req,
                    std::chrono::milliseconds read_timeout, const body_sink* sink) {
    auto& lowest = beast::get_lowest_layer(stream);
    lowest.expires_after(opts.timeout);
    if (auto ec = run(ioc, [&](auto handler) { http::async_write(stream, req, std::move(handler)); })) {
      unreachable(describe(ec, opts.timeout));
    }
    beast::flat_buffer buffer;
    http::response_parser<http::buffer_body> parser;
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    lowest.expires_after(read_timeout);
    if (auto ec =
            run(ioc, [&](auto handler) { http::async_read_header(stream, buffer, parser, std::move(handler)); })) {
      unreachable(describe(ec, read_timeout));
    }
    response res;
    res.status = parser.get().result_int();
    bool streaming = sink && *sink && res.status / 100 == 2;
    std::array<char, 16 * 1024> chunk;
    while (!parser.is_done()) {
      parser.get().body().data = chunk.data();
      parser.get().body().size = chunk.size();
      lowest.expires_after(read_timeout);
      auto ec = run(ioc, [&](auto handler) { http::async_read(stream, buffer, parser, std::move(handler)); });
      if (ec == http::error::need_buffer) ec = {};
      if (ec) unreachable(describe(ec, read_timeout));
      std::string_view got(chunk.data(), chunk.size() - parser.get().body().size);
      if (streaming) {
        (*sink)(got);
      } else {
        if (res.body.size() + got.size() > max_response_bytes) {
          throw error{errc::internal, fmt::format("the Docker engine at {} sent a response larger than {} bytes",
                                                  opts.url, max_response_bytes)};
        }
        res.body.append(got);
      }
    }
    beast::error_code ignored;
    lowest.socket().shutdown(net::socket_base::shutdown_both, ignored);
    return res;
  }

  // Resolves and connects a TCP stream within the timeout.
  void connect_tcp(net::io_context& ioc, beast::tcp_stream& stream) {
    net::ip::tcp::resolver resolver(ioc);
    net::steady_timer timer(ioc);
    timer.expires_after(opts.timeout);
    bool timed_out = false;
    timer.async_wait([&](beast::error_code ec) {
      if (!ec) {
        timed_out = true;
        resolver.cancel();
      }
    });
    net::ip::tcp::resolver::results_type endpoints;
    auto ec = run(ioc, [&](auto handler) {
      resolver.async_resolve(address.host, address.port,
                             [&, handler = std::move(handler)](beast::error_code e, auto results) mutable {
                               endpoints = std::move(results);
                               handler(e);
                             });
    });
    timer.cancel();
    if (timed_out) unreachable(fmt::format("resolving {} took longer than {} ms", address.host, opts.timeout.count()));
    if (ec) unreachable(fmt::format("cannot resolve {}: {}", address.host, ec.message()));
    stream.expires_after(opts.timeout);
    ec = run(ioc, [&](auto handler) { stream.async_connect(endpoints, std::move(handler)); });
    if (ec) unreachable(describe(ec, opts.timeout));
  }

  response call(http::verb verb, const std::string& path, const json* body = nullptr,
                std::optional<std::chrono::milliseconds> read_timeout = std::nullopt, const body_sink* sink = nullptr) {
    http::request<http::string_body> req{verb, std::string(api_prefix) + path, 11};
    req.set(http::field::host, address.unix_socket ? std::string("docker") : address.host);
    req.set(http::field::user_agent, "deskgate");
    req.set(http::field::accept, "application/json");
    req.keep_alive(false);
    if (body) {
      req.set(http::field::content_type, "application/json");
      req.body() = body->dump();
    }
    req.prepare_payload();
    auto timeout = read_timeout.value_or(opts.timeout);

    net::io_context ioc(1);
    if (address.unix_socket) {
      local_stream stream(ioc);
      stream.expires_after(opts.timeout);
      auto ec = run(ioc, [&](auto handler) {
        stream.async_connect(net::local::stream_protocol::endpoint(address.path), std::move(handler));
      });
      if (ec) unreachable(describe(ec, opts.timeout));
      return exchange(ioc, stream, req, timeout, sink);
    }
    if (!tls) {
      beast::tcp_stream stream(ioc);
      connect_tcp(ioc, stream);
      return exchange(ioc, stream, req, timeout, sink);
    }
    tls_stream stream(ioc, *tls);
    connect_tcp(ioc, beast::get_lowest_layer(stream));
    beast::error_code not_ip;
    net::ip::make_address(address.host, not_ip);
    if (not_ip && !SSL_set_tlsext_host_name(stream.native_handle(), address.host.c_str())) {
      unreachable("cannot set the TLS server name");
    }
    stream.set_verify_callback(ssl::host_name_verification(address.host));
    beast::get_lowest_layer(stream).expires_after(opts.timeout);
    auto ec = run(ioc, [&](auto handler) { stream.async_handshake(ssl::stream_base::client, std::move(handler)); });
    if (ec) unreachable(fmt::format("TLS handshake failed: {}", describe(ec, opts.timeout)));
    return exchange(ioc, stream, req, timeout, sink);
  }

  [[noreturn]] void fail(const response& res, std::string_view what) const {
    std::string message = engine_message(res.body);
    if (res.status == 404) throw error{errc::not_found, fmt::format("{}: {}", what, message)};
    // Podman answers a name in use (and a taken port) with 500 where Docker says 409.
    if (res.status == 409 || (res.status == 500 && contains_nocase(message, "already in use"))) {
      throw error{errc::conflict, fmt::format("{}: {}", what, message)};
    }
    throw error{errc::internal,
                fmt::format("{}: the Docker engine at {} answered {}: {}", what, opts.url, res.status, message)};
  }

  std::string container_path(const std::string& id) const { return "/containers/" + url_encode(id); }
};

client::client(client_options options) : impl_(std::make_unique<impl>(std::move(options))) {}
client::~client() = default;

const client_options& client::options() const { return impl_->opts; }

void client::ping() {
  auto res = impl_->call(http::verb::get, "/_ping");
  if (res.status != 200) impl_->fail(res, "ping");
}

std::string client::create_container(const std::string& name, const json& body) {
  auto res = impl_->call(http::verb::post, "/containers/create?name=" + url_encode(name), &body);
  if (res.status == 201 || res.status == 200) {
    auto parsed = json::parse(res.body, nullptr, false);
    if (parsed.is_object() && parsed.contains("Id") && parsed["Id"].is_string()) return parsed["Id"].get<std::string>();
    throw error{errc::internal, fmt::format("creating container {}: the Docker engine at {} sent no container id", name,
                                            impl_->opts.url)};
  }
  if (res.status == 404) {
    std::string message = engine_message(res.body);
    if (contains_nocase(message, "no such image") || contains_nocase(message, "image not known")) {
      throw error{errc::not_found, fmt::format("image {} is not available on docker host {}",
                                               body.value("Image", std::string("?")), impl_->opts.host_name)};
    }
  }
  impl_->fail(res, fmt::format("creating container {}", name));
}

void client::start(const std::string& id) {
  auto res = impl_->call(http::verb::post, impl_->container_path(id) + "/start");
  if (res.status != 204 && res.status != 304) impl_->fail(res, fmt::format("starting container {}", id));
}

void client::stop(const std::string& id, int timeout_seconds) {
  timeout_seconds = std::max(timeout_seconds, 0);
  auto res = impl_->call(http::verb::post, impl_->container_path(id) + "/stop?t=" + std::to_string(timeout_seconds),
                         nullptr, impl_->opts.timeout + std::chrono::seconds(timeout_seconds));
  if (res.status != 204 && res.status != 304) impl_->fail(res, fmt::format("stopping container {}", id));
}

void client::remove(const std::string& id, bool force) {
  auto res =
      impl_->call(http::verb::delete_, impl_->container_path(id) + "?v=1&force=" + std::string(force ? "1" : "0"));
  if (res.status != 204 && res.status != 200) impl_->fail(res, fmt::format("removing container {}", id));
}

std::optional<json> client::inspect(const std::string& id) {
  auto res = impl_->call(http::verb::get, impl_->container_path(id) + "/json");
  if (res.status == 404) return std::nullopt;
  if (res.status != 200) impl_->fail(res, fmt::format("inspecting container {}", id));
  auto parsed = json::parse(res.body, nullptr, false);
  if (!parsed.is_object()) {
    throw error{errc::internal, fmt::format("inspecting container {}: the Docker engine sent no JSON object", id)};
  }
  return parsed;
}

std::vector<json> client::list_containers(const std::string& label_filter, bool all) {
  json filters = json::object();
  if (!label_filter.empty()) filters["label"] = json::array({label_filter});
  auto res = impl_->call(http::verb::get, std::string("/containers/json?all=") + (all ? "1" : "0") +
                                              "&filters=" + url_encode(filters.dump()));
  if (res.status != 200) impl_->fail(res, "listing containers");
  auto parsed = json::parse(res.body, nullptr, false);
  if (!parsed.is_array()) throw error{errc::internal, "listing containers: the Docker engine sent no JSON array"};
  return parsed.get<std::vector<json>>();
}

bool client::image_exists(const std::string& name) {
  auto res = impl_->call(http::verb::get, "/images/" + url_encode(name) + "/json");
  if (res.status == 200) return true;
  if (res.status == 404) return false;
  impl_->fail(res, fmt::format("looking up image {}", name));
}

void client::pull_image(const std::string& name, const std::function<void(const json&)>& progress) {
  auto [from, tag] = split_image_reference(name);
  std::string path = "/images/create?fromImage=" + url_encode(from);
  if (!tag.empty()) path += "&tag=" + url_encode(tag);

  // The engine streams one JSON object per line; a line may arrive split over several reads.
  std::string pending;
  std::string stream_error;
  auto handle_line = [&](std::string_view line) {
    if (line.find_first_not_of(" \r\t") == std::string_view::npos) return;
    auto parsed = json::parse(line, nullptr, false);
    if (!parsed.is_object()) return;
    if (auto it = parsed.find("error"); it != parsed.end() && stream_error.empty()) {
      stream_error = it->is_string() ? it->get<std::string>() : it->dump();
    }
    if (progress) progress(parsed);
  };
  impl::body_sink sink = [&](std::string_view piece) {
    pending.append(piece);
    std::size_t start = 0;
    for (auto nl = pending.find('\n'); nl != std::string::npos; nl = pending.find('\n', start)) {
      handle_line(std::string_view(pending).substr(start, nl - start));
      start = nl + 1;
    }
    pending.erase(0, start);
  };
  auto res = impl_->call(http::verb::post, path, nullptr, impl_->opts.pull_timeout, &sink);
  if (res.status != 200) impl_->fail(res, fmt::format("pulling image {}", name));
  handle_line(pending);
  if (!stream_error.empty()) {
    throw error{errc::internal, fmt::format("pulling image {} failed: {}", name, stream_error)};
  }
}

}  // namespace deskgate::docker
