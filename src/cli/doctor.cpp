#include "cli/doctor.hpp"

#include "core/crypto.hpp"

#include <fmt/format.h>
#include <openssl/ssl.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <nlohmann/json.hpp>

#include <array>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <optional>
#include <random>

namespace deskgate::cli {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using json = nlohmann::json;

struct target_url {
  std::string scheme;  // http | https
  std::string host;    // without brackets
  std::string port;
  std::string prefix;  // path before /api/..., without a trailing '/'
  bool default_port = true;

  std::string host_header() const {
    std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    return default_port ? h : h + ":" + port;
  }
  std::string origin() const { return scheme + "://" + host_header(); }
};

std::optional<target_url> parse_url(const std::string& text, std::string& why) {
  target_url u;
  auto sep = text.find("://");
  if (sep == std::string::npos) {
    why = "the URL needs a scheme: http://... or https://...";
    return std::nullopt;
  }
  u.scheme = text.substr(0, sep);
  std::transform(u.scheme.begin(), u.scheme.end(), u.scheme.begin(), [](unsigned char c) { return std::tolower(c); });
  if (u.scheme != "http" && u.scheme != "https") {
    why = "only http:// and https:// URLs can be checked";
    return std::nullopt;
  }
  std::string rest = text.substr(sep + 3);
  auto slash = rest.find_first_of("/?#");
  std::string authority = rest.substr(0, slash);
  u.prefix = slash == std::string::npos ? "" : rest.substr(slash);
  u.prefix = u.prefix.substr(0, u.prefix.find_first_of("?#"));
  while (!u.prefix.empty() && u.prefix.back() == '/') u.prefix.pop_back();
  if (authority.find('@') != std::string::npos) {
    why = "leave user names and passwords out of the URL";
    return std::nullopt;
  }
  std::string port;
  if (authority.starts_with('[')) {
    auto close = authority.find(']');
    if (close == std::string::npos) {
      why = "unbalanced [ in the URL's host";
      return std::nullopt;
    }
    u.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') {
        why = "unexpected text after the URL's host";
        return std::nullopt;
      }
      port = authority.substr(close + 2);
    }
  } else {
    auto colon = authority.rfind(':');
    u.host = authority.substr(0, colon);
    if (colon != std::string::npos) port = authority.substr(colon + 1);
  }
  if (u.host.empty()) {
    why = "the URL has no host";
    return std::nullopt;
  }
  std::string fallback = u.scheme == "https" ? "443" : "80";
  if (port.empty()) port = fallback;
  if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos || std::stoi(port) == 0 ||
      std::stoi(port) > 65535) {
    why = "the URL's port is not a number between 1 and 65535";
    return std::nullopt;
  }
  u.port = port;
  u.default_port = port == fallback;
  return u;
}

std::string websocket_key() {
  std::random_device rd;
  std::array<unsigned char, 16> bytes{};
  for (auto& b : bytes) b = static_cast<unsigned char>(rd());
  return crypto::base64_encode(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

bool is_ip_literal(const std::string& host) {
  boost::system::error_code ec;
  net::ip::make_address(host, ec);
  return !ec;
}

struct fetched {
  unsigned status = 0;
  std::string body;
};

bhttp::request<bhttp::empty_body> make_request(const target_url& u, const doctor_options& o) {
  bhttp::request<bhttp::empty_body> req{bhttp::verb::get, u.prefix + "/api/diagnostics/upgrade", 11};
  req.set(bhttp::field::host, u.host_header());
  req.set(bhttp::field::user_agent, "deskgate-doctor/" DESKGATE_VERSION);
  req.set(bhttp::field::upgrade, "websocket");
  req.set(bhttp::field::connection, "Upgrade");
  req.set(bhttp::field::sec_websocket_key, websocket_key());
  req.set(bhttp::field::sec_websocket_version, "13");
  req.set(bhttp::field::origin, u.origin());
  std::string cookie = "deskgate_doctor=1";
  for (const auto& c : o.cookies) cookie += "; " + c;
  req.set(bhttp::field::cookie, cookie);
  return req;
}

// Every step is asynchronous so that beast::tcp_stream's deadline applies (synchronous operations would
// wait forever on a proxy that accepts and never answers).
template <class Stream>
net::awaitable<fetched> exchange(Stream& stream, beast::tcp_stream& timed, const target_url& u,
                                 const doctor_options& o) {
  auto req = make_request(u, o);
  timed.expires_after(o.timeout);
  co_await bhttp::async_write(stream, req, net::use_awaitable);
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(1 << 20);
  timed.expires_after(o.timeout);
  co_await bhttp::async_read(stream, buffer, parser, net::use_awaitable);
  co_return fetched{parser.get().result_int(), parser.get().body()};
}

net::awaitable<fetched> fetch_async(const target_url& u, const doctor_options& o) {
  auto executor = co_await net::this_coro::executor;
  tcp::resolver resolver(executor);
  auto endpoints = co_await resolver.async_resolve(u.host, u.port, net::use_awaitable);
  beast::tcp_stream tcp_stream(executor);
  tcp_stream.expires_after(o.timeout);
  co_await tcp_stream.async_connect(endpoints, net::use_awaitable);
  if (u.scheme == "http") {
    auto result = co_await exchange(tcp_stream, tcp_stream, u, o);
    boost::system::error_code ignored;
    tcp_stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    co_return result;
  }
  net::ssl::context ctx(net::ssl::context::tls_client);
  if (o.insecure) {
    ctx.set_verify_mode(net::ssl::verify_none);
  } else {
    ctx.set_default_verify_paths();
    ctx.set_verify_mode(net::ssl::verify_peer);
  }
  beast::ssl_stream<beast::tcp_stream> tls(std::move(tcp_stream), ctx);
  if (!o.insecure) tls.set_verify_callback(net::ssl::host_name_verification(u.host));
  if (!is_ip_literal(u.host)) SSL_set_tlsext_host_name(tls.native_handle(), u.host.c_str());
  beast::get_lowest_layer(tls).expires_after(o.timeout);
  co_await tls.async_handshake(net::ssl::stream_base::client, net::use_awaitable);
  auto result = co_await exchange(tls, beast::get_lowest_layer(tls), u, o);
  // The answer is complete; a proxy that does not close TLS politely changes nothing.
  beast::get_lowest_layer(tls).close();
  co_return result;
}

fetched fetch(const target_url& u, const doctor_options& o) {
  net::io_context io;
  std::exception_ptr failure;
  fetched result;
  net::co_spawn(io, fetch_async(u, o), [&](std::exception_ptr e, fetched r) {
    failure = e;
    result = std::move(r);
  });
  io.run();
  if (failure) std::rethrow_exception(failure);
  return result;
}

// What to change, per proxy, when an item fails.
struct fixes {
  std::string apache;
  std::string nginx;
  std::string haproxy;
};

const fixes upgrade_fix{
    "`ProxyPass / http://DESKGATE:8080/ upgrade=websocket` (mod_proxy_http + mod_proxy_wstunnel). A "
    "`RewriteRule ... http://... [P]` without upgrade=websocket forwards the handshake as a plain GET.",
    "`proxy_http_version 1.1;` and `proxy_set_header Upgrade $http_upgrade;` in the location.",
    "`mode http` in the frontend and backend (HAProxy then passes the upgrade as it is); remove any "
    "`http-request del-header Upgrade`.",
};
const fixes connection_fix{
    "`ProxyPass / http://DESKGATE:8080/ upgrade=websocket` (Apache rewrites Connection itself otherwise).",
    "`map $http_upgrade $connection_upgrade { default upgrade; '' close; }` in http{} and "
    "`proxy_set_header Connection $connection_upgrade;` in the location (nginx sends `Connection: close` "
    "otherwise).",
    "`mode http`; remove `option httpclose`-style rules or `http-request set-header Connection ...`.",
};
const fixes cookie_fix{
    "remove `RequestHeader unset Cookie` (mod_proxy forwards Cookie unless told not to).",
    "remove `proxy_set_header Cookie \"\"` and `proxy_pass_request_headers off`.",
    "remove `http-request del-header Cookie`.",
};
const fixes origin_missing_fix{
    "remove `RequestHeader unset Origin`.",
    "remove `proxy_set_header Origin \"\"`.",
    "remove `http-request del-header Origin`.",
};
const fixes origin_mismatch_fix{
    "keep `ProxyPreserveHost On` and `RequestHeader set X-Forwarded-Proto \"https\"`, and set deskgate's "
    "server.public_url to the address users open.",
    "`proxy_set_header Host $http_host;`, `proxy_set_header X-Forwarded-Host $http_host;`, "
    "`proxy_set_header X-Forwarded-Proto $scheme;`, and set deskgate's server.public_url to the address "
    "users open.",
    "`option forwardfor`, `http-request set-header X-Forwarded-Proto https if { ssl_fc }`, and set deskgate's "
    "server.public_url to the address users open.",
};
const fixes xff_fix{
    "mod_proxy adds it by itself; remove `ProxyAddHeaders Off`.",
    "`proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;`",
    "`option forwardfor` in the defaults or backend.",
};
const fixes xfp_fix{
    "`RequestHeader set X-Forwarded-Proto \"https\"` in the TLS <VirtualHost> (mod_headers).",
    "`proxy_set_header X-Forwarded-Proto $scheme;`",
    "`http-request set-header X-Forwarded-Proto https if { ssl_fc }` and "
    "`http-request set-header X-Forwarded-Proto http if !{ ssl_fc }`.",
};
const fixes xfh_fix{
    "mod_proxy adds X-Forwarded-Host by itself (remove `ProxyAddHeaders Off`); also keep `ProxyPreserveHost On`.",
    "`proxy_set_header X-Forwarded-Host $http_host;`",
    "`http-request set-header X-Forwarded-Host %[req.hdr(host)]`",
};

std::string text_or(const json& v, const char* absent = "(missing)") {
  if (v.is_string()) return v.get<std::string>().empty() ? "(empty)" : v.get<std::string>();
  return absent;
}

bool contains_token(const json& v, std::string_view token) {
  if (!v.is_string()) return false;
  std::string s = v.get<std::string>();
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s.find(token) != std::string::npos;
}

class report {
 public:
  explicit report(std::ostream& out) : out_(out) {}

  void pass(std::string_view item, const std::string& detail) { out_ << fmt::format("✓ {:<18} {}\n", item, detail); }
  void fail(std::string_view item, const std::string& detail, const fixes& f, bool essential) {
    if (essential) essential_failed_ = true;
    out_ << fmt::format("✗ {:<18} {}{}\n", item, detail, essential ? "" : " (recommended, not essential)");
    out_ << "    fix, Apache:  " << f.apache << "\n";
    out_ << "    fix, nginx:   " << f.nginx << "\n";
    out_ << "    fix, HAProxy: " << f.haproxy << "\n";
  }
  void fail_plain(std::string_view item, const std::string& detail, const std::string& fix, bool essential) {
    if (essential) essential_failed_ = true;
    out_ << fmt::format("✗ {:<18} {}{}\n", item, detail, essential ? "" : " (recommended, not essential)");
    out_ << "    fix: " << fix << "\n";
  }
  void skip(std::string_view item, const std::string& detail) { out_ << fmt::format("– {:<18} {}\n", item, detail); }
  bool essential_failed() const { return essential_failed_; }

 private:
  std::ostream& out_;
  bool essential_failed_ = false;
};

int judge(const target_url& u, const json& r, std::ostream& out) {
  report rep(out);
  out << fmt::format("deskgate answered: peer {}{}, client seen as {}, scheme {}, host {}\n\n",
                     r.value("peer_address", "?"), r.value("peer_trusted_proxy", false) ? " (a trusted proxy)" : "",
                     r.value("client_address", "?"), r.value("scheme", "?"), r.value("derived_host", "?"));

  if (contains_token(r["upgrade"], "websocket")) {
    rep.pass("Upgrade", "websocket arrived");
  } else {
    rep.fail("Upgrade",
             "arrived as " + text_or(r["upgrade"]) +
                 ": the proxy dropped the WebSocket upgrade, "
                 "so desktops cannot connect",
             upgrade_fix, true);
  }
  if (contains_token(r["connection"], "upgrade")) {
    rep.pass("Connection", text_or(r["connection"]) + " arrived");
  } else {
    rep.fail("Connection", "arrived as " + text_or(r["connection"]) + " instead of Upgrade", connection_fix, true);
  }
  if (r.value("cookie_present", false)) {
    rep.pass("Cookie", r.value("signed_in", false) ? "arrived, with a valid deskgate session (values are not reported)"
                                                   : "arrived (values are not reported)");
  } else {
    rep.fail("Cookie", "did not arrive: nobody would be signed in on the desktop connection", cookie_fix, true);
  }
  const json& origin = r["origin"];
  if (!origin.is_string()) {
    rep.fail("Origin", "did not arrive: deskgate cannot refuse cross-site WebSocket connections", origin_missing_fix,
             true);
  } else if (r.value("origin_accepted", false)) {
    rep.pass("Origin", origin.get<std::string>() + " arrived and is accepted");
  } else {
    rep.fail("Origin",
             origin.get<std::string>() + " is refused: deskgate's public URL is " + r.value("public_origin", "?") +
                 " and it sees " + r.value("scheme", "?") + "://" + r.value("derived_host", "?") +
                 "; browsers would get 403",
             origin_mismatch_fix, true);
  }

  bool any_forwarded =
      r["x_forwarded_for"].is_string() || r["x_forwarded_proto"].is_string() || r["x_forwarded_host"].is_string();
  if (!any_forwarded) {
    const std::string none =
        "not sent: no reverse proxy seen (deskgate reached directly, or the proxy adds no "
        "X-Forwarded-* headers)";
    rep.skip("X-Forwarded-For", none);
    rep.skip("X-Forwarded-Proto", none);
    rep.skip("X-Forwarded-Host", none);
    rep.skip("trusted proxy", "not needed without a proxy");
  } else {
    if (r["x_forwarded_for"].is_string()) {
      rep.pass("X-Forwarded-For", r["x_forwarded_for"].get<std::string>());
    } else {
      rep.fail("X-Forwarded-For",
               "missing: deskgate logs and throttles the proxy's address instead of the "
               "browser's",
               xff_fix, false);
    }
    if (r["x_forwarded_proto"].is_string() && contains_token(r["x_forwarded_proto"], u.scheme) &&
        r.value("scheme", "") == u.scheme) {
      rep.pass("X-Forwarded-Proto", r["x_forwarded_proto"].get<std::string>());
    } else if (r["x_forwarded_proto"].is_string() && r.value("scheme", "") != u.scheme &&
               r.value("peer_trusted_proxy", false)) {
      rep.fail("X-Forwarded-Proto", "says " + r["x_forwarded_proto"].get<std::string>() + " but the URL is " + u.scheme,
               xfp_fix, false);
    } else if (r["x_forwarded_proto"].is_string()) {
      rep.skip("X-Forwarded-Proto", r["x_forwarded_proto"].get<std::string>() + " (not honoured: see trusted proxy)");
    } else {
      rep.fail("X-Forwarded-Proto", "missing: deskgate cannot tell the browser used " + u.scheme, xfp_fix, false);
    }
    if (r["x_forwarded_host"].is_string()) {
      rep.pass("X-Forwarded-Host", r["x_forwarded_host"].get<std::string>());
    } else if (r["host"].is_string() && r["host"].get<std::string>() == u.host_header()) {
      rep.pass("X-Forwarded-Host", "not sent, but Host is preserved (" + u.host_header() + ")");
    } else {
      rep.fail("X-Forwarded-Host", "missing and Host is " + text_or(r["host"]) + ", not " + u.host_header(), xfh_fix,
               false);
    }
    if (r.value("peer_trusted_proxy", false)) {
      rep.pass("trusted proxy", r.value("peer_address", "?") + " is in server.trusted_proxies");
    } else {
      rep.fail_plain("trusted proxy",
                     r.value("peer_address", "?") +
                         " sends X-Forwarded-* but is not in server.trusted_proxies, "
                         "so they are ignored",
                     "add it to deskgate's config: [server] trusted_proxies = [\"" + r.value("peer_address", "?") +
                         "/32\"] (or DESKGATE_SERVER_TRUSTED_PROXIES)",
                     false);
    }
  }

  out << "\n";
  if (rep.essential_failed()) {
    out << "verdict: desktops will NOT connect through " << u.origin() << " until the ✗ items above are fixed\n";
    return 1;
  }
  out << "verdict: WebSocket upgrades reach deskgate through " << u.origin() << " with everything they need\n";
  return 0;
}

}  // namespace

int run_doctor(const doctor_options& o, std::ostream& out, std::ostream& err) {
  std::string why;
  auto u = parse_url(o.url, why);
  if (!u) {
    err << "deskgate doctor: " << why << " (got \"" << o.url << "\")\n";
    return 2;
  }
  for (const auto& c : o.cookies) {
    if (c.find('=') == std::string::npos || c.find_first_of(";\r\n") != std::string::npos) {
      err << "deskgate doctor: --cookie wants NAME=VALUE\n";
      return 2;
    }
  }
  std::string url = u->origin() + u->prefix + "/api/diagnostics/upgrade";
  out << "deskgate doctor: sending a WebSocket upgrade to " << url << "\n";
  fetched answer;
  try {
    answer = fetch(*u, o);
  } catch (const boost::system::system_error& e) {
    std::string hint;
    if (e.code().category() == net::error::get_ssl_category() ||
        e.code().category() == net::ssl::error::get_stream_category()) {
      hint = o.insecure ? "" : " (a self-signed certificate? --insecure skips verification)";
      err << "deskgate doctor: TLS with " << u->host_header() << " failed: " << e.code().message() << hint << "\n";
    } else {
      err << "deskgate doctor: cannot reach " << u->host_header() << ": " << e.code().message() << "\n";
    }
    return 2;
  } catch (const std::exception& e) {
    err << "deskgate doctor: " << e.what() << "\n";
    return 2;
  }
  auto report_json = json::parse(answer.body, nullptr, false);
  if (answer.status != 200 || !report_json.is_object() || !report_json.contains("upgrade_ok")) {
    err << "deskgate doctor: " << url << " answered " << answer.status
        << " without deskgate's diagnosis: the URL does not lead to deskgate (check the proxy's "
           "ProxyPass/proxy_pass/backend target), or deskgate is older than `doctor`.\n";
    std::string excerpt = answer.body.substr(0, 300);
    if (!excerpt.empty()) err << "  answer began with: " << excerpt << "\n";
    return 2;
  }
  return judge(*u, report_json, out);
}

CLI::App* add_doctor_subcommand(CLI::App& app, doctor_options& opts, int& seconds) {
  auto* cmd = app.add_subcommand("doctor", "Check that a reverse proxy passes WebSocket upgrades to deskgate");
  cmd->add_option("url", opts.url, "The public URL users open, e.g. https://desktops.example.org")->required();
  cmd->add_option("--cookie", opts.cookies, "Also send this cookie (NAME=VALUE; repeatable)");
  cmd->add_flag("--insecure", opts.insecure, "Do not verify the TLS certificate");
  cmd->add_option("--timeout", seconds, "Seconds to wait for connect and answer")->check(CLI::Range(1, 600));
  return cmd;
}

}  // namespace deskgate::cli
