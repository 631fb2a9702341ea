// Tests for resolve_forwarded: X-Forwarded-* are believed only from trusted proxies, and then only as far
// as the chain of trusted proxies reaches.
#include "http/forwarded.hpp"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

namespace deskgate::http {
namespace {

const std::vector<cidr> trusted = {cidr::parse("127.0.0.1/32"), cidr::parse("10.0.0.0/8"),
                                   cidr::parse("::1/128"), cidr::parse("fd00::/8")};

forwarded_view resolve(const std::string& peer,
                       std::initializer_list<std::pair<std::string, std::string>> headers) {
  header_map h;
  h.add("Host", "127.0.0.1:8080");
  for (const auto& [name, value] : headers) h.add(name, value);
  return resolve_forwarded(h, peer, trusted, "http");
}

TEST(http_forwarded, without_headers_the_peer_is_the_client) {
  auto v = resolve("203.0.113.9", {});
  EXPECT_EQ(v.client_address, "203.0.113.9");
  EXPECT_EQ(v.scheme, "http");
  EXPECT_EQ(v.host, "127.0.0.1:8080");
  EXPECT_FALSE(v.via_trusted_proxy);
}

TEST(http_forwarded, untrusted_peer_forwarded_headers_are_ignored) {
  auto v = resolve("203.0.113.9", {{"X-Forwarded-For", "198.51.100.1"},
                                   {"X-Forwarded-Proto", "https"},
                                   {"X-Forwarded-Host", "desk.example.org"},
                                   {"X-Forwarded-Port", "8443"}});
  EXPECT_EQ(v.client_address, "203.0.113.9");
  EXPECT_EQ(v.scheme, "http");
  EXPECT_EQ(v.host, "127.0.0.1:8080");
  EXPECT_FALSE(v.via_trusted_proxy);
}

TEST(http_forwarded, trusted_peer_without_forwarded_headers_is_the_client) {
  auto v = resolve("127.0.0.1", {});
  EXPECT_EQ(v.client_address, "127.0.0.1");
  EXPECT_FALSE(v.via_trusted_proxy);
}

TEST(http_forwarded, trusted_peer_single_forwarded_for) {
  auto v = resolve("127.0.0.1", {{"X-Forwarded-For", "198.51.100.7"}});
  EXPECT_EQ(v.client_address, "198.51.100.7");
  EXPECT_TRUE(v.via_trusted_proxy);
}

TEST(http_forwarded, spoofed_left_entries_are_not_believed) {
  // The client sent "X-Forwarded-For: 1.1.1.1, 10.0.0.9"; our proxy appended the real address.
  auto v = resolve("127.0.0.1", {{"X-Forwarded-For", "1.1.1.1, 10.0.0.9, 198.51.100.7"}});
  EXPECT_EQ(v.client_address, "198.51.100.7");
}

TEST(http_forwarded, a_chain_of_trusted_proxies_is_walked_through) {
  auto v = resolve("10.0.0.3", {{"X-Forwarded-For", "6.6.6.6, 198.51.100.7, 10.0.0.1, 10.0.0.2"}});
  EXPECT_EQ(v.client_address, "198.51.100.7");
}

TEST(http_forwarded, when_every_hop_is_trusted_the_farthest_one_is_the_client) {
  auto v = resolve("127.0.0.1", {{"X-Forwarded-For", "10.0.0.5, 10.0.0.6"}});
  EXPECT_EQ(v.client_address, "10.0.0.5");
}

TEST(http_forwarded, repeated_forwarded_for_fields_use_the_first_one) {
  header_map h;
  h.add("X-Forwarded-For", "198.51.100.7");
  h.add("X-Forwarded-For", "6.6.6.6");
  auto v = resolve_forwarded(h, "127.0.0.1", trusted, "http");
  EXPECT_EQ(v.client_address, "198.51.100.7");
}

TEST(http_forwarded, ipv6_peer_and_client) {
  auto v = resolve("::1", {{"X-Forwarded-For", "2001:db8::7"}});
  EXPECT_EQ(v.client_address, "2001:db8::7");
  EXPECT_TRUE(v.via_trusted_proxy);
}

TEST(http_forwarded, ipv6_trusted_hops_are_skipped) {
  auto v = resolve("::1", {{"X-Forwarded-For", "2001:db8::66, 2001:db8::7, fd00::2"}});
  EXPECT_EQ(v.client_address, "2001:db8::7");
}

TEST(http_forwarded, ipv4_mapped_peer_counts_as_its_ipv4_address) {
  auto v = resolve("::ffff:127.0.0.1", {{"X-Forwarded-For", "198.51.100.7"}});
  EXPECT_EQ(v.client_address, "198.51.100.7");
}

TEST(http_forwarded, untrusted_ipv6_peer_is_ignored) {
  auto v = resolve("2001:db8::99", {{"X-Forwarded-For", "198.51.100.7"}});
  EXPECT_EQ(v.client_address, "2001:db8::99");
}

TEST(http_forwarded, empty_or_blank_forwarded_for_keeps_the_peer) {
  EXPECT_EQ(resolve("127.0.0.1", {{"X-Forwarded-For", ""}}).client_address, "127.0.0.1");
  EXPECT_EQ(resolve("127.0.0.1", {{"X-Forwarded-For", "  "}}).client_address, "127.0.0.1");
  EXPECT_EQ(resolve("127.0.0.1", {{"X-Forwarded-For", " , ,"}}).client_address, "127.0.0.1");
}

TEST(http_forwarded, empty_entries_between_hops_are_skipped) {
  auto v = resolve("127.0.0.1", {{"X-Forwarded-For", "198.51.100.7,, 10.0.0.2 ,"}});
  EXPECT_EQ(v.client_address, "198.51.100.7");
}

TEST(http_forwarded, garbage_left_of_the_client_is_ignored) {
  auto v = resolve("127.0.0.1", {{"X-Forwarded-For", "<script>, not-an-ip, 198.51.100.7"}});
  EXPECT_EQ(v.client_address, "198.51.100.7");
}

TEST(http_forwarded, garbage_is_never_taken_as_the_client_address) {
  auto v = resolve("127.0.0.1", {{"X-Forwarded-For", "not-an-ip"}});
  EXPECT_EQ(v.client_address, "127.0.0.1");
  auto spaced = resolve("127.0.0.1", {{"X-Forwarded-For", "198.51.100.7 junk"}});
  EXPECT_EQ(spaced.client_address, "127.0.0.1");
  auto with_nul = resolve("127.0.0.1", {{"X-Forwarded-For", std::string("198.51.100.7\0junk", 17)}});
  EXPECT_EQ(with_nul.client_address, "127.0.0.1");
}

TEST(http_forwarded, garbage_behind_trusted_hops_stops_at_the_last_trusted_hop) {
  // Nothing left of an entry that is not an address can be believed.
  auto v = resolve("127.0.0.1", {{"X-Forwarded-For", "198.51.100.7, junk, 10.0.0.2"}});
  EXPECT_EQ(v.client_address, "10.0.0.2");
}

TEST(http_forwarded, forwarded_proto_sets_the_scheme) {
  auto v = resolve("127.0.0.1", {{"X-Forwarded-Proto", "https"}});
  EXPECT_EQ(v.scheme, "https");
  EXPECT_TRUE(v.via_trusted_proxy);
}

TEST(http_forwarded, forwarded_proto_is_case_insensitive_and_takes_the_first_of_a_list) {
  EXPECT_EQ(resolve("127.0.0.1", {{"X-Forwarded-Proto", "HTTPS"}}).scheme, "https");
  EXPECT_EQ(resolve("127.0.0.1", {{"X-Forwarded-Proto", " https , http"}}).scheme, "https");
}

TEST(http_forwarded, unknown_forwarded_proto_is_ignored) {
  auto v = resolve("127.0.0.1", {{"X-Forwarded-Proto", "javascript"}});
  EXPECT_EQ(v.scheme, "http");
  EXPECT_FALSE(v.via_trusted_proxy);
}

TEST(http_forwarded, forwarded_host_replaces_the_host_header) {
  auto v = resolve("127.0.0.1", {{"X-Forwarded-Host", "desk.example.org"}});
  EXPECT_EQ(v.host, "desk.example.org");
  EXPECT_TRUE(v.via_trusted_proxy);
}

TEST(http_forwarded, forwarded_host_takes_the_first_of_a_list) {
  auto v = resolve("127.0.0.1", {{"X-Forwarded-Host", "desk.example.org, internal.lan"}});
  EXPECT_EQ(v.host, "desk.example.org");
}

TEST(http_forwarded, implausible_forwarded_host_is_ignored) {
  for (const char* bad : {"evil.example/path", "a b.example", "user@evil.example", "evil.example\"x", ""}) {
    auto v = resolve("127.0.0.1", {{"X-Forwarded-Host", bad}});
    EXPECT_EQ(v.host, "127.0.0.1:8080") << bad;
  }
  auto too_long = resolve("127.0.0.1", {{"X-Forwarded-Host", std::string(300, 'a')}});
  EXPECT_EQ(too_long.host, "127.0.0.1:8080");
}

TEST(http_forwarded, forwarded_port_is_appended_when_not_the_default) {
  auto v = resolve("127.0.0.1", {{"X-Forwarded-Proto", "https"},
                                 {"X-Forwarded-Host", "desk.example.org"},
                                 {"X-Forwarded-Port", "8443"}});
  EXPECT_EQ(v.host, "desk.example.org:8443");
}

TEST(http_forwarded, default_https_port_is_elided) {
  auto v = resolve("127.0.0.1", {{"X-Forwarded-Proto", "https"},
                                 {"X-Forwarded-Host", "desk.example.org"},
                                 {"X-Forwarded-Port", "443"}});
  EXPECT_EQ(v.scheme, "https");
  EXPECT_EQ(v.host, "desk.example.org");
}

TEST(http_forwarded, default_http_port_is_elided) {
  auto v = resolve("127.0.0.1", {{"X-Forwarded-Host", "desk.example.org"}, {"X-Forwarded-Port", "80"}});
  EXPECT_EQ(v.host, "desk.example.org");
}

TEST(http_forwarded, port_default_for_the_other_scheme_is_kept) {
  auto https_on_80 = resolve("127.0.0.1", {{"X-Forwarded-Proto", "https"},
                                           {"X-Forwarded-Host", "desk.example.org"},
                                           {"X-Forwarded-Port", "80"}});
  EXPECT_EQ(https_on_80.host, "desk.example.org:80");
  auto http_on_443 = resolve("127.0.0.1", {{"X-Forwarded-Host", "desk.example.org"}, {"X-Forwarded-Port", "443"}});
  EXPECT_EQ(http_on_443.host, "desk.example.org:443");
}

TEST(http_forwarded, port_is_not_added_to_a_host_that_has_one) {
  auto v = resolve("127.0.0.1", {{"X-Forwarded-Host", "desk.example.org:9000"}, {"X-Forwarded-Port", "8443"}});
  EXPECT_EQ(v.host, "desk.example.org:9000");
  auto from_host_header = resolve("127.0.0.1", {{"X-Forwarded-Port", "8443"}});
  EXPECT_EQ(from_host_header.host, "127.0.0.1:8080");
}

TEST(http_forwarded, port_is_added_to_a_bracketed_ipv6_host) {
  auto v = resolve("127.0.0.1", {{"X-Forwarded-Host", "[2001:db8::1]"}, {"X-Forwarded-Port", "8443"}});
  EXPECT_EQ(v.host, "[2001:db8::1]:8443");
  auto with_port = resolve("127.0.0.1", {{"X-Forwarded-Host", "[2001:db8::1]:9000"}, {"X-Forwarded-Port", "8443"}});
  EXPECT_EQ(with_port.host, "[2001:db8::1]:9000");
}

TEST(http_forwarded, non_numeric_or_oversized_port_is_ignored) {
  for (const char* bad : {"80abc", "-1", "123456", "8 0", ""}) {
    auto v = resolve("127.0.0.1", {{"X-Forwarded-Host", "desk.example.org"}, {"X-Forwarded-Port", bad}});
    EXPECT_EQ(v.host, "desk.example.org") << bad;
  }
}

TEST(http_forwarded, default_scheme_is_the_listener_scheme) {
  header_map h;
  h.add("Host", "desk.example.org");
  auto v = resolve_forwarded(h, "203.0.113.9", trusted, "https");
  EXPECT_EQ(v.scheme, "https");
  EXPECT_EQ(v.host, "desk.example.org");
}

TEST(http_forwarded, no_trusted_proxies_configured_trusts_nobody) {
  header_map h;
  h.add("X-Forwarded-For", "198.51.100.7");
  h.add("X-Forwarded-Proto", "https");
  auto v = resolve_forwarded(h, "127.0.0.1", {}, "http");
  EXPECT_EQ(v.client_address, "127.0.0.1");
  EXPECT_EQ(v.scheme, "http");
}

}  // namespace
}  // namespace deskgate::http
