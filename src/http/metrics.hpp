// In-process metrics, rendered as Prometheus text at /metrics: requests by route and status, latency
// histograms by route, open connections, and counters of refused or malformed traffic.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>

namespace deskgate::http {

class metrics {
 public:
  // `route` is the route pattern (bounded cardinality), never the raw path.
  void record_request(std::string_view route, std::string_view method, int status, double seconds);
  void connection_opened() { ++open_connections_; ++accepted_connections_; }
  void connection_closed() { --open_connections_; }
  // Refusals before a request reaches a route: "max_connections", "header_too_large", "bad_request", ...
  void count_refusal(std::string_view reason);

  // Desktop relays: opened, and closed with the bytes carried each way and how long they lived.
  void relay_opened() { ++open_relays_; }
  void relay_closed(std::uint64_t to_browser, std::uint64_t to_desktop, double seconds);

  std::int64_t open_connections() const { return open_connections_.load(); }
  std::string render() const;

  static constexpr std::array<double, 12> buckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                    0.1,   0.25,   0.5,   1.0,  2.5,   10.0};

 private:
  struct histogram {
    std::array<std::uint64_t, buckets.size()> counts{};
    std::uint64_t total = 0;
    double sum = 0;
  };

  mutable std::mutex mutex_;
  std::map<std::tuple<std::string, std::string, int>, std::uint64_t> requests_;
  std::map<std::string, histogram> latencies_;
  std::map<std::string, std::uint64_t> refusals_;
  std::atomic<std::int64_t> open_connections_{0};
  std::atomic<std::uint64_t> accepted_connections_{0};
  std::atomic<std::int64_t> open_relays_{0};
  std::uint64_t relays_closed_ = 0;
  std::uint64_t relay_bytes_to_browser_ = 0;
  std::uint64_t relay_bytes_to_desktop_ = 0;
  double relay_seconds_ = 0;
};

}  // namespace deskgate::http
