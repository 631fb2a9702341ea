// Tests for the Prometheus text rendered at /metrics: request counters, cumulative latency histograms,
// refusals, the connection gauge, and label escaping.
#include "http/metrics.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace deskgate::http {
namespace {

// The value of the sample whose name-and-labels part is exactly `series`, or nullopt when absent.
std::optional<double> sample(const std::string& text, const std::string& series) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 && line[series.size()] == ' ') {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  return std::nullopt;
}

struct bucket {
  double le;
  double count;
};

// The histogram buckets of one route in the order rendered; +Inf is returned as infinity.
std::vector<bucket> buckets_of(const std::string& text, const std::string& route) {
  const std::string prefix = "deskgate_http_request_duration_seconds_bucket{route=\"" + route + "\",le=\"";
  std::vector<bucket> out;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.compare(0, prefix.size(), prefix) != 0) continue;
    auto close = line.find("\"}", prefix.size());
    std::string le = line.substr(prefix.size(), close - prefix.size());
    double bound = le == "+Inf" ? std::numeric_limits<double>::infinity() : std::stod(le);
    out.push_back({bound, std::stod(line.substr(close + 3))});
  }
  return out;
}

double count_at(const std::vector<bucket>& buckets, double le) {
  for (const auto& b : buckets) {
    if (b.le == le) return b.count;
  }
  ADD_FAILURE() << "no bucket le=" << le;
  return -1;
}

TEST(http_metrics, request_counters_by_route_method_and_status) {
  metrics m;
  m.record_request("/api/desktops", "GET", 200, 0.01);
  m.record_request("/api/desktops", "GET", 200, 0.02);
  m.record_request("/api/desktops", "GET", 404, 0.01);
  m.record_request("/api/desktops", "POST", 200, 0.01);
  auto text = m.render();
  EXPECT_EQ(sample(text, R"(deskgate_http_requests_total{route="/api/desktops",method="GET",status="200"})"), 2);
  EXPECT_EQ(sample(text, R"(deskgate_http_requests_total{route="/api/desktops",method="GET",status="404"})"), 1);
  EXPECT_EQ(sample(text, R"(deskgate_http_requests_total{route="/api/desktops",method="POST",status="200"})"), 1);
  EXPECT_EQ(sample(text, R"(deskgate_http_requests_total{route="/api/desktops",method="POST",status="404"})"),
            std::nullopt);
}

TEST(http_metrics, families_are_declared_with_their_types) {
  auto text = metrics{}.render();
  EXPECT_NE(text.find("# TYPE deskgate_http_requests_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE deskgate_http_request_duration_seconds histogram\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE deskgate_http_refusals_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE deskgate_http_open_connections gauge\n"), std::string::npos);
}

TEST(http_metrics, histogram_has_every_bucket_then_inf) {
  metrics m;
  m.record_request("/healthz", "GET", 200, 0.002);
  auto b = buckets_of(m.render(), "/healthz");
  ASSERT_EQ(b.size(), metrics::buckets.size() + 1);
  for (std::size_t i = 0; i < metrics::buckets.size(); ++i) EXPECT_DOUBLE_EQ(b[i].le, metrics::buckets[i]);
  EXPECT_TRUE(std::isinf(b.back().le));
}

TEST(http_metrics, histogram_buckets_are_cumulative) {
  metrics m;
  for (double s : {0.0005, 0.003, 0.003, 0.03, 0.7, 3.0, 42.0}) m.record_request("/api/x", "GET", 200, s);
  auto b = buckets_of(m.render(), "/api/x");
  EXPECT_EQ(count_at(b, 0.001), 1);
  EXPECT_EQ(count_at(b, 0.0025), 1);
  EXPECT_EQ(count_at(b, 0.005), 3);
  EXPECT_EQ(count_at(b, 0.05), 4);
  EXPECT_EQ(count_at(b, 0.5), 4);
  EXPECT_EQ(count_at(b, 1.0), 5);
  EXPECT_EQ(count_at(b, 2.5), 5);
  EXPECT_EQ(count_at(b, 10.0), 6);
  for (std::size_t i = 1; i < b.size(); ++i) EXPECT_LE(b[i - 1].count, b[i].count) << "bucket " << i;
}

TEST(http_metrics, a_value_on_a_bound_falls_into_that_bucket) {
  metrics m;
  m.record_request("/api/x", "GET", 200, 0.005);
  auto b = buckets_of(m.render(), "/api/x");
  EXPECT_EQ(count_at(b, 0.0025), 0);
  EXPECT_EQ(count_at(b, 0.005), 1);
}

TEST(http_metrics, inf_bucket_equals_count_and_sum_adds_up) {
  metrics m;
  for (double s : {0.1, 0.2, 30.0}) m.record_request("/api/x", "GET", 200, s);
  m.record_request("/api/x", "POST", 500, 0.4);
  auto text = m.render();
  auto b = buckets_of(text, "/api/x");
  ASSERT_FALSE(b.empty());
  auto count = sample(text, R"(deskgate_http_request_duration_seconds_count{route="/api/x"})");
  EXPECT_EQ(count, 4);
  EXPECT_EQ(b.back().count, count);
  EXPECT_EQ(count_at(b, 10.0), 3);  // 30 s is only in +Inf
  auto sum = sample(text, R"(deskgate_http_request_duration_seconds_sum{route="/api/x"})");
  ASSERT_TRUE(sum);
  EXPECT_NEAR(*sum, 30.7, 1e-9);
}

TEST(http_metrics, histograms_are_kept_per_route) {
  metrics m;
  m.record_request("/a", "GET", 200, 0.001);
  m.record_request("/b", "GET", 200, 5.0);
  m.record_request("/b", "GET", 200, 5.0);
  auto text = m.render();
  EXPECT_EQ(sample(text, R"(deskgate_http_request_duration_seconds_count{route="/a"})"), 1);
  EXPECT_EQ(sample(text, R"(deskgate_http_request_duration_seconds_count{route="/b"})"), 2);
  EXPECT_EQ(count_at(buckets_of(text, "/a"), 0.001), 1);
  EXPECT_EQ(count_at(buckets_of(text, "/b"), 0.001), 0);
}

TEST(http_metrics, refusals_are_counted_by_reason) {
  metrics m;
  m.count_refusal("max_connections");
  m.count_refusal("max_connections");
  m.count_refusal("header_too_large");
  auto text = m.render();
  EXPECT_EQ(sample(text, R"(deskgate_http_refusals_total{reason="max_connections"})"), 2);
  EXPECT_EQ(sample(text, R"(deskgate_http_refusals_total{reason="header_too_large"})"), 1);
  EXPECT_EQ(sample(text, R"(deskgate_http_refusals_total{reason="bad_request"})"), std::nullopt);
}

TEST(http_metrics, open_connections_gauge_and_accepted_total) {
  metrics m;
  m.connection_opened();
  m.connection_opened();
  m.connection_opened();
  m.connection_closed();
  EXPECT_EQ(m.open_connections(), 2);
  auto text = m.render();
  EXPECT_EQ(sample(text, "deskgate_http_open_connections"), 2);
  EXPECT_EQ(sample(text, "deskgate_http_connections_total"), 3);
}

TEST(http_metrics, label_values_are_escaped) {
  metrics m;
  m.record_request("/api/\"quoted\"\\back\nslash", "GET", 200, 0.01);
  m.count_refusal("odd\"reason");
  auto text = m.render();
  EXPECT_EQ(
      sample(text, R"(deskgate_http_requests_total{route="/api/\"quoted\"\\back\nslash",method="GET",status="200"})"),
      1);
  EXPECT_EQ(sample(text, R"(deskgate_http_refusals_total{reason="odd\"reason"})"), 1);
}

TEST(http_metrics, every_line_is_a_comment_or_a_sample) {
  metrics m;
  m.record_request("/api/\"x\"\n# injected 1", "GET", 200, 0.01);
  std::istringstream lines(m.render());
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("# HELP ") || line.starts_with("# TYPE ")) continue;
    EXPECT_TRUE(line.starts_with("deskgate_")) << line;
  }
}

}  // namespace
}  // namespace deskgate::http
