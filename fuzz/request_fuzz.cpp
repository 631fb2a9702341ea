// Fuzzes what a client controls before any handler runs: HTTP/1.1 parsing with the server's limits, the
// conversion into deskgate's request (path decoding, trusted-proxy headers), routing with parameters,
// cookie parsing and the authorization/CSRF/Origin checks of the dispatcher.
#include <boost/asio/buffer.hpp>
#include <boost/beast/http/parser.hpp>

#include <cstddef>
#include <cstdint>

#include "http/beast_request.hpp"
#include "http/cookies.hpp"
#include "http/dispatcher.hpp"

namespace {

using namespace deskgate;

// Stands in for the session store: the cookie value names the role (fuzzing has no database).
class cookie_role_authenticator final : public http::authenticator {
 public:
  std::optional<http::principal> authenticate(const http::request& req) override {
    auto token = http::find_cookie(req.headers.get("Cookie"), "deskgate_session");
    if (!token) return std::nullopt;
    // The store is not linked here: the three role names are spelled out.
    std::optional<role> r;
    if (*token == "student") r = role::student;
    if (*token == "teacher") r = role::teacher;
    if (*token == "admin") r = role::admin;
    if (!r) return std::nullopt;
    return http::principal{1, "fuzz", "Fuzz", *r, 1, "csrf-token", 0};
  }
};

http::response echo_params(http::context& ctx) {
  return http::response::json(200, std::string(ctx.params.get("id")) + std::string(ctx.params.get("rest")));
}

struct fuzz_env {
  fuzz_env() : dispatch(make_router(), auth, http::static_files(""), "http://127.0.0.1:8080") {}

  static http::router make_router() {
    using http::access;
    using http::method;
    http::router r;
    r.add({method::get, "/healthz", access::anyone, echo_params});
    r.add({method::post, "/api/auth/login", access::anyone, echo_params, false});
    r.add({method::get, "/api/desktops/{id}", access::signed_in, echo_params});
    r.add({method::del, "/api/desktops/{id}", access::signed_in, echo_params});
    r.add({method::get, "/api/class/{id}/desktops", access::teacher, echo_params});
    r.add({method::patch, "/api/admin/users/{id}", access::admin, echo_params});
    r.add({method::get, "/desktop/{id}/http/{rest*}", access::signed_in, echo_params});
    return r;
  }

  cookie_role_authenticator auth;
  http::dispatcher dispatch;
  std::vector<cidr> trusted{cidr::parse("127.0.0.1/32")};
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static fuzz_env env;
  std::string_view input(reinterpret_cast<const char*>(data), size);

  namespace bhttp = boost::beast::http;
  bhttp::request_parser<bhttp::string_body> parser;
  parser.header_limit(16 * 1024);
  parser.body_limit(1024 * 1024);
  parser.eager(true);
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(data, size), ec);
  if (!ec && parser.is_done()) {
    auto converted = http::from_beast(parser.release(), "127.0.0.1", env.trusted, [] { return "fuzz"; });
    if (converted.valid_path) {
      auto out = env.dispatch.handle(converted.req);
      if (out.res.status < 200 || out.res.status > 599) __builtin_trap();
    }
  }

  http::find_cookie(input, "deskgate_session");
  http::percent_decode(input, true);
  return 0;
}
