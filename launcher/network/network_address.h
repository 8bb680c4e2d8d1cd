// SPDX-License-Identifier: Apache-2.0
// IP addresses of the plan's veth section: parsing and subnet arithmetic, no side effects.
// Kept apart from netlink so validation is unit-testable without root.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

namespace launcher {

struct IpAddress {
  int family = 0;                       // AF_INET or AF_INET6
  std::array<std::uint8_t, 16> bytes{};  // network order; IPv4 uses the first 4
  std::string to_string() const;
  std::uint8_t max_prefix() const;      // 32 or 128
  bool operator==(const IpAddress&) const = default;
};

// Parses an IPv4 or IPv6 literal without a prefix ("10.200.0.1", "fd00::1"); nullopt otherwise.
std::optional<IpAddress> parse_ip(const std::string& text);

// True when `a` and `b` have the same family and agree on their first `prefix` bits.
bool same_subnet(const IpAddress& a, const IpAddress& b, unsigned prefix);

// "10.200.0.0/24": the network that `address`/`prefix` lies in.
std::string subnet_text(const IpAddress& address, unsigned prefix);

}  // namespace launcher
