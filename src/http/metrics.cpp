#include "http/metrics.hpp"

#include <fmt/format.h>

namespace deskgate::http {
namespace {

// Label values are route patterns and fixed words, but escape anyway so the output always parses.
std::string escape_label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

}  // namespace

void metrics::record_request(std::string_view route, std::string_view method, int status, double seconds) {
  std::lock_guard lock(mutex_);
  ++requests_[{std::string(route), std::string(method), status}];
  auto& h = latencies_[std::string(route)];
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    if (seconds <= buckets[i]) ++h.counts[i];
  }
  ++h.total;
  h.sum += seconds;
}

void metrics::relay_closed(std::uint64_t to_browser, std::uint64_t to_desktop, double seconds) {
  --open_relays_;
  std::lock_guard lock(mutex_);
  ++relays_closed_;
  relay_bytes_to_browser_ += to_browser;
  relay_bytes_to_desktop_ += to_desktop;
  relay_seconds_ += seconds;
}

void metrics::count_refusal(std::string_view reason) {
  std::lock_guard lock(mutex_);
  ++refusals_[std::string(reason)];
}

std::string metrics::render() const {
  std::lock_guard lock(mutex_);
  std::string out;
  out += "# HELP deskgate_http_requests_total HTTP requests by route pattern, method and status.\n";
  out += "# TYPE deskgate_http_requests_total counter\n";
  for (const auto& [key, count] : requests_) {
    const auto& [route, method, status] = key;
    out += fmt::format("deskgate_http_requests_total{{route=\"{}\",method=\"{}\",status=\"{}\"}} {}\n",
                       escape_label(route), escape_label(method), status, count);
  }
  out += "# HELP deskgate_http_request_duration_seconds Time from a complete request to its response.\n";
  out += "# TYPE deskgate_http_request_duration_seconds histogram\n";
  for (const auto& [route, h] : latencies_) {
    auto label = escape_label(route);
    for (std::size_t i = 0; i < buckets.size(); ++i) {
      out += fmt::format("deskgate_http_request_duration_seconds_bucket{{route=\"{}\",le=\"{}\"}} {}\n", label,
                         buckets[i], h.counts[i]);
    }
    out +=
        fmt::format("deskgate_http_request_duration_seconds_bucket{{route=\"{}\",le=\"+Inf\"}} {}\n", label, h.total);
    out += fmt::format("deskgate_http_request_duration_seconds_sum{{route=\"{}\"}} {}\n", label, h.sum);
    out += fmt::format("deskgate_http_request_duration_seconds_count{{route=\"{}\"}} {}\n", label, h.total);
  }
  out += "# HELP deskgate_http_refusals_total Connections or requests refused before routing, by reason.\n";
  out += "# TYPE deskgate_http_refusals_total counter\n";
  for (const auto& [reason, count] : refusals_) {
    out += fmt::format("deskgate_http_refusals_total{{reason=\"{}\"}} {}\n", escape_label(reason), count);
  }
  out += "# HELP deskgate_http_open_connections Client connections open now.\n";
  out += "# TYPE deskgate_http_open_connections gauge\n";
  out += fmt::format("deskgate_http_open_connections {}\n", open_connections_.load());
  out += "# HELP deskgate_http_connections_total Client connections accepted since start.\n";
  out += "# TYPE deskgate_http_connections_total counter\n";
  out += fmt::format("deskgate_http_connections_total {}\n", accepted_connections_.load());
  out += "# HELP deskgate_relays_open Desktop WebSocket relays open now.\n";
  out += "# TYPE deskgate_relays_open gauge\n";
  out += fmt::format("deskgate_relays_open {}\n", open_relays_.load());
  out += "# HELP deskgate_relays_closed_total Desktop relays that ended.\n";
  out += "# TYPE deskgate_relays_closed_total counter\n";
  out += fmt::format("deskgate_relays_closed_total {}\n", relays_closed_);
  out += "# HELP deskgate_relay_bytes_total Bytes relayed, by direction (of relays that ended).\n";
  out += "# TYPE deskgate_relay_bytes_total counter\n";
  out += fmt::format("deskgate_relay_bytes_total{{direction=\"to_browser\"}} {}\n", relay_bytes_to_browser_);
  out += fmt::format("deskgate_relay_bytes_total{{direction=\"to_desktop\"}} {}\n", relay_bytes_to_desktop_);
  out += "# HELP deskgate_relay_seconds_total Lifetime of relays that ended, summed.\n";
  out += "# TYPE deskgate_relay_seconds_total counter\n";
  out += fmt::format("deskgate_relay_seconds_total {}\n", relay_seconds_);
  return out;
}

}  // namespace deskgate::http
