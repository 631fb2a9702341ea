// IPv4/IPv6 networks for the trusted-proxy check. Both families are kept as 16 bytes, IPv4 in its
// IPv4-mapped IPv6 form (::ffff:a.b.c.d, prefix + 96), so one bit comparison serves both and a peer
// reported as ::ffff:127.0.0.1 by a dual-stack socket matches 127.0.0.1/32.
#include "config/cidr.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <stdexcept>

namespace deskgate {

namespace {

constexpr int mapped_prefix = 96;  // bits of ::ffff: in front of an IPv4 address

struct address_bytes {
  std::array<std::uint8_t, 16> bytes{};
  bool v4 = false;  // written in dotted IPv4 form
};

// The address as 16 bytes (IPv4 mapped), or nullopt when it is neither family.
std::optional<address_bytes> to_bytes(std::string_view text) {
  // inet_pton reads up to a NUL: "1.2.3.4\0junk" must not pass as 1.2.3.4.
  if (text.find('\0') != std::string_view::npos) return std::nullopt;
  std::string c_text(text);
  address_bytes result;
  in_addr a4{};
  if (inet_pton(AF_INET, c_text.c_str(), &a4) == 1) {
    result.bytes[10] = 0xff;
    result.bytes[11] = 0xff;
    auto* p = reinterpret_cast<const std::uint8_t*>(&a4.s_addr);
    std::copy(p, p + 4, result.bytes.begin() + 12);
    result.v4 = true;
    return result;
  }
  in6_addr a6{};
  if (inet_pton(AF_INET6, c_text.c_str(), &a6) == 1) {
    std::copy(a6.s6_addr, a6.s6_addr + 16, result.bytes.begin());
    return result;
  }
  return std::nullopt;
}

bool is_v4_mapped(const std::array<std::uint8_t, 16>& b) {
  for (int i = 0; i < 10; ++i) {
    if (b[i] != 0) return false;
  }
  return b[10] == 0xff && b[11] == 0xff;
}

// True when the first `prefix` bits of a and b agree.
bool same_prefix(const std::array<std::uint8_t, 16>& a, const std::array<std::uint8_t, 16>& b, int prefix) {
  int full = prefix / 8;
  for (int i = 0; i < full; ++i) {
    if (a[i] != b[i]) return false;
  }
  int rest = prefix % 8;
  if (rest == 0) return true;
  auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (a[full] & mask) == (b[full] & mask);
}

}  // namespace

cidr cidr::parse(std::string_view text) {
  auto fail = [&](std::string_view why) {
    return std::invalid_argument("invalid CIDR \"" + std::string(text) + "\": " + std::string(why));
  };
  auto slash = text.find('/');
  auto address = to_bytes(text.substr(0, slash));
  if (!address) throw fail("not an IPv4 or IPv6 address");
  bool v4 = address->v4;

  int max_prefix = v4 ? 32 : 128;
  int prefix = max_prefix;
  if (slash != std::string_view::npos) {
    auto digits = text.substr(slash + 1);
    // from_chars alone would accept "8junk" as 8 and has no length limit, so check the whole text.
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
    if (digits.empty() || digits.size() > 3 || ec != std::errc{} || end != digits.data() + digits.size()) {
      throw fail("prefix length must be a number");
    }
    if (prefix < 0 || prefix > max_prefix) {
      throw fail(v4 ? "prefix length must be 0-32 for IPv4" : "prefix length must be 0-128 for IPv6");
    }
  }

  cidr result;
  result.prefix_ = v4 ? prefix + mapped_prefix : prefix;
  // A mapped IPv6 network that covers only IPv4 space is that IPv4 network; treat it as one so that
  // "::ffff:127.0.0.1/128" and "127.0.0.1/32" compare equal and print alike.
  result.v6_ = !(v4 || (is_v4_mapped(address->bytes) && prefix >= mapped_prefix));
  // Keep only the network bits: equal networks compare equal and print the network address.
  for (int i = 0; i < 16; ++i) {
    int bits = std::clamp(result.prefix_ - i * 8, 0, 8);
    result.bytes_[i] = static_cast<std::uint8_t>(address->bytes[i] & (0xff << (8 - bits)));
  }
  return result;
}

bool cidr::contains(std::string_view address) const {
  auto parsed = to_bytes(address);
  return parsed && same_prefix(parsed->bytes, bytes_, prefix_);
}

std::string cidr::to_string() const {
  char buffer[INET6_ADDRSTRLEN] = {};
  if (v6_) {
    in6_addr a6{};
    std::copy(bytes_.begin(), bytes_.end(), a6.s6_addr);
    inet_ntop(AF_INET6, &a6, buffer, sizeof buffer);
    return std::string(buffer) + "/" + std::to_string(prefix_);
  }
  in_addr a4{};
  std::copy(bytes_.begin() + 12, bytes_.end(), reinterpret_cast<std::uint8_t*>(&a4.s_addr));
  inet_ntop(AF_INET, &a4, buffer, sizeof buffer);
  return std::string(buffer) + "/" + std::to_string(prefix_ - mapped_prefix);
}

}  // namespace deskgate
