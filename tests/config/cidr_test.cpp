// Tests for cidr: parsing, canonical printing, membership across IPv4, IPv6 and IPv4-mapped IPv6.
#include "config/cidr.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

namespace deskgate {
namespace {

TEST(cidr, ipv4_network_contains_its_addresses_only) {
  auto net = cidr::parse("10.0.0.0/8");
  EXPECT_TRUE(net.contains("10.0.0.0"));
  EXPECT_TRUE(net.contains("10.1.2.3"));
  EXPECT_TRUE(net.contains("10.255.255.255"));
  EXPECT_FALSE(net.contains("11.0.0.0"));
  EXPECT_FALSE(net.contains("9.255.255.255"));
}

TEST(cidr, prefix_not_on_a_byte_boundary) {
  auto v4 = cidr::parse("192.168.0.0/23");
  EXPECT_TRUE(v4.contains("192.168.1.255"));
  EXPECT_FALSE(v4.contains("192.168.2.0"));
  auto v6 = cidr::parse("fe80::/10");
  EXPECT_TRUE(v6.contains("febf::1"));
  EXPECT_FALSE(v6.contains("fec0::1"));
}

TEST(cidr, slash_32_is_one_address) {
  auto host = cidr::parse("127.0.0.1/32");
  EXPECT_TRUE(host.contains("127.0.0.1"));
  EXPECT_FALSE(host.contains("127.0.0.2"));
  EXPECT_FALSE(host.contains("127.0.0.0"));
}

TEST(cidr, ipv4_slash_0_is_all_ipv4_but_no_ipv6) {
  auto all = cidr::parse("0.0.0.0/0");
  EXPECT_TRUE(all.contains("0.0.0.0"));
  EXPECT_TRUE(all.contains("203.0.113.9"));
  EXPECT_TRUE(all.contains("255.255.255.255"));
  EXPECT_TRUE(all.contains("::ffff:8.8.8.8"));
  EXPECT_FALSE(all.contains("::1"));
  EXPECT_FALSE(all.contains("2001:db8::1"));
}

TEST(cidr, slash_128_is_one_address) {
  auto host = cidr::parse("::1/128");
  EXPECT_TRUE(host.contains("::1"));
  EXPECT_TRUE(host.contains("0:0:0:0:0:0:0:1"));
  EXPECT_FALSE(host.contains("::2"));
  EXPECT_FALSE(host.contains("127.0.0.1"));
}

TEST(cidr, ipv6_network) {
  auto net = cidr::parse("2001:db8::/64");
  EXPECT_TRUE(net.contains("2001:db8::1"));
  EXPECT_TRUE(net.contains("2001:DB8::ffff:ffff:ffff:ffff"));
  EXPECT_FALSE(net.contains("2001:db8:0:1::1"));
  EXPECT_FALSE(net.contains("10.0.0.1"));
}

TEST(cidr, ipv6_slash_0_is_every_address) {
  // IPv4 addresses are compared in their mapped form, which ::/0 covers as well.
  auto all = cidr::parse("::/0");
  EXPECT_TRUE(all.contains("::"));
  EXPECT_TRUE(all.contains("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
  EXPECT_TRUE(all.contains("10.0.0.1"));
}

TEST(cidr, ipv4_mapped_ipv6_address_counts_as_ipv4) {
  EXPECT_TRUE(cidr::parse("127.0.0.1/32").contains("::ffff:127.0.0.1"));
  EXPECT_TRUE(cidr::parse("10.0.0.0/8").contains("::ffff:10.9.8.7"));
  EXPECT_TRUE(cidr::parse("10.0.0.0/8").contains("::FFFF:a00:1"));  // hex spelling of 10.0.0.1
  EXPECT_FALSE(cidr::parse("10.0.0.0/8").contains("::ffff:11.0.0.1"));
  // Not mapped: ::127.0.0.1 is the deprecated IPv4-compatible form, a different IPv6 address.
  EXPECT_FALSE(cidr::parse("127.0.0.1/32").contains("::127.0.0.1"));
}

TEST(cidr, ipv4_mapped_network_is_the_ipv4_network) {
  auto mapped = cidr::parse("::ffff:127.0.0.1/128");
  EXPECT_EQ(mapped, cidr::parse("127.0.0.1/32"));
  EXPECT_EQ(mapped.to_string(), "127.0.0.1/32");
  EXPECT_TRUE(mapped.contains("127.0.0.1"));
  EXPECT_TRUE(cidr::parse("::ffff:0:0/96").contains("192.0.2.1"));
  EXPECT_EQ(cidr::parse("::ffff:0:0/96").to_string(), "0.0.0.0/0");
}

TEST(cidr, bare_address_is_a_single_host) {
  EXPECT_EQ(cidr::parse("192.0.2.7").to_string(), "192.0.2.7/32");
  EXPECT_EQ(cidr::parse("192.0.2.7"), cidr::parse("192.0.2.7/32"));
  EXPECT_EQ(cidr::parse("::1").to_string(), "::1/128");
  EXPECT_EQ(cidr::parse("::1"), cidr::parse("::1/128"));
}

TEST(cidr, to_string_prints_the_canonical_network) {
  EXPECT_EQ(cidr::parse("10.1.2.3/8").to_string(), "10.0.0.0/8");
  EXPECT_EQ(cidr::parse("10.1.2.3/8"), cidr::parse("10.0.0.0/8"));
  EXPECT_EQ(cidr::parse("2001:DB8:0:0::1/32").to_string(), "2001:db8::/32");
  EXPECT_EQ(cidr::parse("0.0.0.0/0").to_string(), "0.0.0.0/0");
  EXPECT_EQ(cidr::parse("1.2.3.4/0").to_string(), "0.0.0.0/0");
  EXPECT_EQ(cidr::parse("::/0").to_string(), "::/0");
  EXPECT_EQ(cidr::parse("fe80::1/10").to_string(), "fe80::/10");
}

TEST(cidr, to_string_parses_back_to_the_same_network) {
  for (const char* text : {"10.0.0.0/8", "192.168.0.0/23", "::1/128", "2001:db8::/48", "0.0.0.0/0", "::/0"}) {
    SCOPED_TRACE(text);
    auto net = cidr::parse(text);
    EXPECT_EQ(cidr::parse(net.to_string()), net);
    EXPECT_EQ(net.to_string(), text);
  }
}

TEST(cidr, different_networks_are_not_equal) {
  EXPECT_NE(cidr::parse("10.0.0.0/8"), cidr::parse("10.0.0.0/16"));
  EXPECT_NE(cidr::parse("10.0.0.0/8"), cidr::parse("11.0.0.0/8"));
  EXPECT_NE(cidr::parse("::1/128"), cidr::parse("127.0.0.1/32"));
}

TEST(cidr, rejects_bad_input_with_a_message_naming_it) {
  const std::string cases[] = {
      "",
      "garbage",
      "10.0.0.0/33",
      "::/129",
      "10.0.0.0/",
      "/8",
      "10.0.0.0/8/8",
      "10.0.0.0/-1",
      "10.0.0.0/+8",
      "10.0.0.0/ 8",
      "10.0.0.0 /8",
      "10.0.0.0/8x",
      "10.0.0.0/0008",
      "10.0.0/8",
      "256.0.0.0/8",
      "1.2.3.4.5",
      "[::1]/128",
      "fe80::1%eth0",
      "::1::2/64",
      std::string("1.2.3.4\0junk", 12),
  };
  for (const auto& text : cases) {
    SCOPED_TRACE(text);
    try {
      cidr::parse(text);
      ADD_FAILURE() << "accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("invalid CIDR"), std::string::npos) << e.what();
    }
  }
}

TEST(cidr, prefix_out_of_range_message_gives_the_range) {
  try {
    cidr::parse("10.0.0.0/33");
    FAIL() << "accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("10.0.0.0/33"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("0-32"), std::string::npos) << e.what();
  }
  try {
    cidr::parse("::/129");
    FAIL() << "accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("0-128"), std::string::npos) << e.what();
  }
}

TEST(cidr, contains_is_false_for_text_that_is_no_address) {
  auto all = cidr::parse("::/0");
  EXPECT_FALSE(all.contains(""));
  EXPECT_FALSE(all.contains("localhost"));
  EXPECT_FALSE(all.contains("[::1]"));
  EXPECT_FALSE(all.contains("10.0.0.1:8080"));
  EXPECT_FALSE(all.contains(std::string("10.0.0.1\0", 9)));
}

}  // namespace
}  // namespace deskgate
