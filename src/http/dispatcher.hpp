// Turns one request into one response: route lookup, the caller's identity, the route's authorization
// rule, Origin and CSRF checks for unsafe methods, the handler, and the error mapping — in that order,
// for every route. Runs on the worker pool (authentication reads the store).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "http/message.hpp"
#include "http/router.hpp"
#include "http/static_files.hpp"
#include "relay/relay_target.hpp"

namespace deskgate::http {

// Who is behind a request (session cookie → user). Implemented by the auth module.
class authenticator {
 public:
  virtual ~authenticator() = default;
  virtual std::optional<principal> authenticate(const request& req) = 0;
};

struct outcome {
  response res;
  std::string route;  // the matched pattern, or "static"/"unmatched", for metrics and logs
  std::optional<std::int64_t> user_id;
  // Set when the request is an authorized WebSocket upgrade: the server hands the connection to the relay.
  std::shared_ptr<const relay_target> upgrade;
  // Set when the request is an authorized push WebSocket: the server opens it and the feed writes to it.
  std::shared_ptr<push_feed> push;
  // Set when a streamed-body route accepted the body: the server feeds it here, and finish() answers.
  std::shared_ptr<body_sink> sink;
};

// Whether an Origin header value is acceptable: the public URL's origin, or the origin the request was
// addressed to (Host, or a trusted proxy's X-Forwarded-Proto/Host).
bool origin_matches(const request& req, std::string_view origin, std::string_view public_origin);

class dispatcher {
 public:
  dispatcher(router routes, authenticator& auth, static_files files, std::string public_origin);

  outcome handle(const request& req) const;

  // True when the request's route takes its body as a stream: the server then calls handle() as soon as
  // the headers are in, with an empty body, and reads the body only into the sink handle() returns.
  // `target` is the raw request target. Asked on the I/O thread for every request, so a method no
  // streamed route has (every GET, every WebSocket upgrade) is answered without decoding or matching.
  bool streams_body(method verb, std::string_view target) const;

  // True when an Origin header value is acceptable for this request: the public URL's origin, or the
  // origin the request was addressed to (Host, or a trusted proxy's X-Forwarded-Proto/Host).
  bool origin_allowed(const request& req, std::string_view origin) const;

 private:
  // Fills `out` as it goes, so the route and user survive an exception for the request log and metrics.
  void run(const request& req, outcome& out) const;

  router routes_;
  std::vector<method> streamed_verbs_;  // the methods of the routes with streamed_body
  authenticator& auth_;
  static_files files_;
  std::string public_origin_;
};

}  // namespace deskgate::http
