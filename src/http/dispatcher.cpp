#include "http/dispatcher.hpp"

#include <algorithm>
#include <cctype>

#include "core/crypto.hpp"
#include "core/text.hpp"
#include "http/errors.hpp"
#include "log/log.hpp"

namespace deskgate::http {
namespace {

std::string allow_header(const std::vector<method>& allowed) {
  std::string out;
  for (auto m : allowed) {
    if (!out.empty()) out += ", ";
    out += to_string(m);
  }
  return out;
}

}  // namespace

dispatcher::dispatcher(router routes, authenticator& auth, static_files files, std::string public_origin)
    : routes_(std::move(routes)), auth_(auth), files_(std::move(files)), public_origin_(to_lower(public_origin)) {
  for (const auto& r : routes_.routes()) {
    if (r.streamed_body && std::find(streamed_verbs_.begin(), streamed_verbs_.end(), r.verb) == streamed_verbs_.end()) {
      streamed_verbs_.push_back(r.verb);
    }
  }
}

bool origin_matches(const request& req, std::string_view origin, std::string_view public_origin) {
  std::string o = to_lower(origin);
  return o == to_lower(public_origin) || (!req.host.empty() && o == to_lower(req.scheme + "://" + req.host));
}

bool dispatcher::origin_allowed(const request& req, std::string_view origin) const {
  return origin_matches(req, origin, public_origin_);
}

outcome dispatcher::handle(const request& req) const {
  outcome out;
  try {
    run(req, out);
  } catch (const deskgate::error& e) {
    out.res = error_response(e);
  } catch (const std::exception& e) {
    log::error("handler failed", {{"request_id", req.request_id}, {"path", req.path}, {"error", e.what()}});
    out.res =
        error_response(errc::internal, "Something went wrong on the server. The request id is " + req.request_id + ".");
  }
  out.res.headers.set("X-Content-Type-Options", "nosniff");
  out.res.headers.set("Referrer-Policy", "same-origin");
  if (req.verb == method::head) {
    // Keep the length of the GET answer, drop the body (the server writes headers only).
    auto size = out.res.stream ? out.res.stream->size() : std::optional<std::uint64_t>(out.res.body.size());
    if (size) out.res.headers.set("Content-Length", std::to_string(*size));
    out.res.body.clear();
    out.res.stream.reset();
  }
  return out;
}

bool dispatcher::streams_body(method verb, std::string_view target) const {
  if (std::find(streamed_verbs_.begin(), streamed_verbs_.end(), verb) == streamed_verbs_.end()) return false;
  auto path = percent_decode(target.substr(0, target.find('?')));
  if (!path) return false;
  auto match = routes_.match(verb, *path);
  return match.matched && match.matched->streamed_body;
}

void dispatcher::run(const request& req, outcome& out) const {
  auto match = routes_.match(req.verb, req.path);
  if (!match.matched) {
    if (!match.allowed.empty()) {
      out.route = "unmatched";
      out.res =
          error_response(errc::method_not_allowed, std::string(to_string(req.verb)) + " is not allowed here; use " +
                                                       allow_header(match.allowed) + ".");
      out.res.headers.set("Allow", allow_header(match.allowed));
      return;
    }
    bool api_path = req.path == "/api" || req.path.starts_with("/api/");
    if (!api_path) {
      if (auto file = files_.serve(req)) {
        out.route = "static";
        out.res = std::move(*file);
        return;
      }
    }
    out.route = "unmatched";
    out.res = error_response(errc::not_found, "There is nothing at " + req.path + ".");
    return;
  }

  const route& r = *match.matched;
  out.route = r.pattern;
  context ctx{req, std::move(match.params), auth_.authenticate(req), std::nullopt};
  if (ctx.user) out.user_id = ctx.user->user_id;

  if (!allows(r.rule, ctx.user)) {
    if (!ctx.user) throw deskgate::error(errc::unauthenticated, "Please sign in first.");
    throw deskgate::error(errc::forbidden, "Your account is not allowed to do this.");
  }
  if (is_unsafe(req.verb)) {
    std::string_view origin = req.headers.get("Origin");
    if (!origin.empty() && !origin_allowed(req, origin)) {
      throw deskgate::error(errc::bad_origin, "Requests from " + std::string(origin) + " are not accepted.");
    }
    if (r.csrf && ctx.user &&
        (ctx.user->csrf_token.empty() ||
         !crypto::constant_time_equal(req.headers.get("X-CSRF-Token"), ctx.user->csrf_token))) {
      throw deskgate::error(errc::csrf_failed,
                            "The X-CSRF-Token header is missing or wrong; reload the page and try again.");
    }
  }

  out.res = r.fn(ctx);
  if (ctx.acting_user_id) out.user_id = ctx.acting_user_id;
  out.upgrade = std::move(ctx.upgrade);
  out.push = std::move(ctx.push);
  out.sink = std::move(ctx.sink);
}

}  // namespace deskgate::http
