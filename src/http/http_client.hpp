// A small, synchronous HTTP/1.1 client for calls deskgate makes to other servers over http:// or https://
// (the OpenID provider's discovery, JWKS, token and userinfo endpoints; a desktop's web port in the http
// relay mode). Each call opens its own
// connection on a private io_context, and the whole call (resolve, connect, TLS, write, read) must finish
// within the timeout. https verifies the certificate chain and the host name. Errors are deskgate::error:
//   errc::timeout      no complete answer within the timeout
//   errc::unavailable  the server cannot be reached (refused, name unknown, TLS failure)
//   errc::bad_gateway  a broken answer, or one larger than max_response_bytes
//   errc::bad_request  a URL the client cannot use
// Thread-safe: calls share only immutable options and the TLS context. Beast stays inside the .cpp.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace deskgate::http {

struct client_options {
  std::chrono::milliseconds timeout{10'000};
  std::size_t max_response_bytes = 1024 * 1024;
  std::string ca_file;  // empty: the system's trusted certificates
};

struct client_request {
  std::string method = "GET";
  std::string url;                                           // http://host[:port]/path?query or https://...
  std::vector<std::pair<std::string, std::string>> headers;  // replace the client's Host/User-Agent by name
  std::string body;
  bool verify_tls = true;  // false: accept any certificate (desktops with self-signed ones, when a type says so)
};

struct client_response {
  int status = 0;
  std::string content_type;
  std::vector<std::pair<std::string, std::string>> headers;  // as received
  std::string body;                                          // empty for HEAD
};

class http_client {
 public:
  explicit http_client(client_options options = {});
  ~http_client();
  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;

  client_response send(const client_request& request) const;
  const client_options& options() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

// application/x-www-form-urlencoded encoding of one value (RFC 3986 unreserved characters kept).
std::string form_encode(std::string_view text);

}  // namespace deskgate::http
