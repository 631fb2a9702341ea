#include "http/forwarded.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

namespace deskgate::http {
namespace {

bool is_ip_address(const std::string& text) {
  if (text.find('\0') != std::string::npos) return false;  // inet_pton would stop reading there
  in_addr a4{};
  in6_addr a6{};
  return inet_pton(AF_INET, text.c_str(), &a4) == 1 || inet_pton(AF_INET6, text.c_str(), &a6) == 1;
}

bool is_trusted(const std::string& address, const std::vector<cidr>& trusted) {
  return std::any_of(trusted.begin(), trusted.end(), [&](const cidr& c) { return c.contains(address); });
}

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

// The first value of a possibly comma-separated header (proxies chain them: "https, http").
std::string first_value(std::string_view header) { return trim(header.substr(0, header.find(','))); }

bool plausible_host(std::string_view h) {
  return !h.empty() && h.size() <= 255 && std::all_of(h.begin(), h.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' || c == '[' ||
           c == ']' || c == '_';
  });
}

bool has_port(std::string_view host) {
  if (host.starts_with('[')) return host.find("]:") != std::string_view::npos;
  return host.find(':') != std::string_view::npos;
}

}  // namespace

forwarded_view resolve_forwarded(const header_map& headers, const std::string& peer,
                                 const std::vector<cidr>& trusted, const std::string& default_scheme) {
  forwarded_view view{peer, default_scheme, std::string(headers.get("Host")), false};
  if (!is_trusted(peer, trusted)) {
    return view;
  }

  // X-Forwarded-For: walk from the nearest hop outwards; the first address that is not one of our own
  // proxies is the client. Everything left of it could have been written by the client itself.
  std::string_view xff = headers.get("X-Forwarded-For");
  if (!xff.empty()) {
    view.via_trusted_proxy = true;
    std::vector<std::string> hops;
    std::size_t start = 0;
    while (start <= xff.size()) {
      auto comma = xff.find(',', start);
      if (comma == std::string_view::npos) comma = xff.size();
      hops.push_back(trim(xff.substr(start, comma - start)));
      start = comma + 1;
    }
    std::string client;
    for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
      if (it->empty()) continue;
      // Junk (e.g. a client's header passed on untouched) is no client address, and whatever stands
      // left of it cannot be believed either: the client is then the last trusted hop (or the peer).
      if (!is_ip_address(*it)) break;
      client = *it;
      if (!is_trusted(*it, trusted)) break;
    }
    if (!client.empty()) view.client_address = client;
  }

  std::string proto = first_value(headers.get("X-Forwarded-Proto"));
  std::transform(proto.begin(), proto.end(), proto.begin(), [](unsigned char c) { return std::tolower(c); });
  if (proto == "http" || proto == "https") {
    view.scheme = proto;
    view.via_trusted_proxy = true;
  }
  std::string host = first_value(headers.get("X-Forwarded-Host"));
  if (plausible_host(host)) {
    view.host = host;
    view.via_trusted_proxy = true;
  }
  std::string port = first_value(headers.get("X-Forwarded-Port"));
  if (!port.empty() && port.size() <= 5 && std::all_of(port.begin(), port.end(), ::isdigit) &&
      !has_port(view.host)) {
    bool default_port = (view.scheme == "https" && port == "443") || (view.scheme == "http" && port == "80");
    if (!default_port) view.host += ":" + port;
    view.via_trusted_proxy = true;
  }
  return view;
}

}  // namespace deskgate::http
