#include "relay/http_forward.hpp"

#include <fmt/format.h>

#include <array>

#include "core/error.hpp"
#include "core/text.hpp"

namespace deskgate {
namespace {

std::string url_of(const http_upstream& up, std::string_view target) {
  bool ipv6 = up.where.host.find(':') != std::string::npos;
  return fmt::format("{}://{}{}{}:{}{}", up.tls ? "https" : "http", ipv6 ? "[" : "", up.where.host, ipv6 ? "]" : "",
                     up.where.port, target);
}

// The client's errors name the desktop's address; the browser gets the same verdict without it.
[[noreturn]] void rethrow_for_browser(const error& e, const http::client_options& limits) {
  switch (e.code()) {
    case errc::timeout:
      throw error(errc::gateway_timeout,
                  fmt::format("The desktop's web server did not answer within {} ms.", limits.timeout.count()));
    case errc::bad_gateway:
      throw error(errc::bad_gateway, fmt::format("The desktop's web server sent a broken answer, or one larger than "
                                                 "the gateway forwards ({} bytes).",
                                                 limits.max_response_bytes));
    default:
      throw error(errc::unavailable, "The desktop's web server cannot be reached.");
  }
}

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

http::response forward_http(const http::http_client& client, const http_upstream& upstream, const http::request& req) {
  if (upstream.where.is_unix()) throw error(errc::unavailable, "The desktop's web port is not reachable over TCP.");
  http::client_request out{.method = req.method_text,
                           .url = url_of(upstream, req.target),
                           .headers = req.headers.fields(),
                           .body = req.body,
                           .verify_tls = upstream.tls_verify};
  http::client_response in;
  try {
    in = client.send(out);
  } catch (const error& e) {
    rethrow_for_browser(e, client.options());
  }
  bool head = req.verb == http::method::head;
  http::response res;
  res.status = in.status;
  for (auto& [name, value] : in.headers) {
    // The server sets Content-Length for the body it sends; for HEAD it keeps the GET answer's.
    if (is_hop_by_hop(name) || (iequals(name, "Content-Length") && !head)) continue;
    res.headers.add(std::move(name), std::move(value));
  }
  res.body = std::move(in.body);
  return res;
}

}  // namespace deskgate
