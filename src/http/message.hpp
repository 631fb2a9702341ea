// deskgate's own request and response types: plain strings, no Beast. Handlers, the router and the
// authorization layer see only these, so they are tested without sockets and compile without Beast.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace deskgate::http {

enum class method { get, head, post, put, patch, del, options, other };
std::string_view to_string(method m);
method parse_method(std::string_view text);
bool is_unsafe(method m);  // methods that change state: POST, PUT, PATCH, DELETE

// Header fields in arrival order; names compared case-insensitively.
class header_map {
 public:
  void add(std::string name, std::string value);
  void set(std::string name, std::string value);  // replaces every field of that name
  // The first field of that name, or "" when absent.
  std::string_view get(std::string_view name) const;
  bool has(std::string_view name) const;
  const std::vector<std::pair<std::string, std::string>>& fields() const { return fields_; }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

struct request {
  method verb = method::get;
  std::string method_text;  // as received (for logs and for `other`)
  std::string target;       // path + query, as received
  std::string path;         // percent-decoded path, without the query
  std::string query;        // raw query string, without '?'
  header_map headers;
  std::string body;
  bool keep_alive = true;

  // Filled by the server from the socket and trusted X-Forwarded-* headers.
  std::string peer_address;    // the TCP peer
  std::string client_address;  // the browser, as far as trusted proxies say
  std::string scheme = "http";
  std::string host;  // Host header or trusted X-Forwarded-Host[:Port]
  std::string request_id;

  // A query parameter, percent-decoded; nullopt when absent.
  std::optional<std::string> query_param(std::string_view name) const;
};

struct response;

// A response body produced piece by piece (a file range, a zip being built), read on the worker pool so
// nothing is held in memory whole. The server writes Content-Length when size() is known, chunked otherwise.
class body_source {
 public:
  virtual ~body_source() = default;
  virtual std::optional<std::uint64_t> size() const = 0;
  // Fills up to `capacity` bytes; 0 means the end. Throws when the body cannot be completed (the server
  // then cuts the connection: the status line is already sent).
  virtual std::size_t read(char* buffer, std::size_t capacity) = 0;
};

// A request body taken piece by piece (a file upload), on the worker pool, by a route declared with
// `streamed_body`. Destroyed without finish(): the body did not arrive whole, and nothing may remain of it.
class body_sink {
 public:
  virtual ~body_sink() = default;
  // Throws deskgate::error to refuse the rest (too large, over quota): that error is the answer.
  virtual void write(std::string_view chunk) = 0;
  // The whole body arrived: the answer.
  virtual response finish() = 0;
};

struct response {
  int status = 200;
  header_map headers;
  std::string body;
  std::shared_ptr<body_source> stream;  // set: the body comes from here instead of `body`

  static response json(int status, std::string body);
  static response no_content();
};

// Percent-decodes `text`; '+' stays '+' unless `plus_as_space`. nullopt on a malformed escape or a NUL.
std::optional<std::string> percent_decode(std::string_view text, bool plus_as_space = false);

}  // namespace deskgate::http
