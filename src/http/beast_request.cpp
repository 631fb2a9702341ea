#include "http/beast_request.hpp"

#include <algorithm>
#include <cctype>

#include "http/forwarded.hpp"

namespace deskgate::http {
namespace {

bool plausible_request_id(std::string_view id) {
  return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

}  // namespace

converted_request from_beast(boost::beast::http::request<boost::beast::http::string_body>&& msg,
                             const std::string& peer, const std::vector<cidr>& trusted_proxies,
                             const std::function<std::string()>& make_request_id) {
  converted_request out;
  request& req = out.req;
  req.method_text = std::string(msg.method_string());
  req.verb = parse_method(req.method_text);
  req.target = std::string(msg.target());
  auto qmark = req.target.find('?');
  if (qmark != std::string::npos) req.query = req.target.substr(qmark + 1);
  for (const auto& field : msg) {
    req.headers.add(std::string(field.name_string()), std::string(field.value()));
  }
  req.keep_alive = msg.keep_alive();
  req.body = std::move(msg.body());
  req.peer_address = peer;
  auto fwd = resolve_forwarded(req.headers, peer, trusted_proxies, "http");
  req.client_address = fwd.client_address;
  req.scheme = fwd.scheme;
  req.host = fwd.host;
  std::string_view incoming_id = req.headers.get("X-Request-Id");
  req.request_id =
      fwd.via_trusted_proxy && plausible_request_id(incoming_id) ? std::string(incoming_id) : make_request_id();

  auto decoded = percent_decode(std::string_view(req.target).substr(0, qmark));
  out.valid_path = decoded && decoded->starts_with('/');
  req.path = out.valid_path ? std::move(*decoded) : "(invalid)";
  return out;
}

}  // namespace deskgate::http
