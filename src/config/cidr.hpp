// An IPv4 or IPv6 network (address/prefix), for trusted-proxy checks.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace deskgate {

class cidr {
 public:
  // "10.0.0.0/8", "::1/128", or a bare address (a /32 or /128). Throws std::invalid_argument.
  static cidr parse(std::string_view text);
  // True when `address` (textual IPv4 or IPv6; IPv4-mapped IPv6 counts as IPv4) lies inside.
  bool contains(std::string_view address) const;
  std::string to_string() const;
  bool operator==(const cidr&) const = default;

 private:
  bool v6_ = false;
  std::array<std::uint8_t, 16> bytes_{};
  int prefix_ = 0;
};

}  // namespace deskgate
