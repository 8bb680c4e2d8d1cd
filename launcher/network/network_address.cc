// SPDX-License-Identifier: Apache-2.0
#include "launcher/network/network_address.h"

#include <arpa/inet.h>
#include <sys/socket.h>

namespace launcher {

namespace {
// Total bytes of the address for its family (AF_INET 4, AF_INET6 16).
std::size_t length_of(int family) { return family == AF_INET ? 4 : 16; }

IpAddress masked(IpAddress address, unsigned prefix) {
  const std::size_t length = length_of(address.family);
  for (std::size_t i = 0; i < length; ++i) {
    const unsigned bits_before = static_cast<unsigned>(i * 8);
    if (prefix >= bits_before + 8) continue;
    const unsigned keep = prefix > bits_before ? prefix - bits_before : 0;
    address.bytes[i] &= static_cast<std::uint8_t>(0xff00u >> keep);
  }
  return address;
}
}  // namespace

std::optional<IpAddress> parse_ip(const std::string& text) {
  IpAddress out;
  if (inet_pton(AF_INET, text.c_str(), out.bytes.data()) == 1) {
    out.family = AF_INET;
    return out;
  }
  if (inet_pton(AF_INET6, text.c_str(), out.bytes.data()) == 1) {
    out.family = AF_INET6;
    return out;
  }
  return std::nullopt;
}

std::string IpAddress::to_string() const {
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(family, bytes.data(), text, sizeof text);
  return text;
}

std::uint8_t IpAddress::max_prefix() const { return family == AF_INET ? 32 : 128; }

bool same_subnet(const IpAddress& a, const IpAddress& b, unsigned prefix) {
  if (a.family != b.family) return false;
  return masked(a, prefix) == masked(b, prefix);
}

std::string subnet_text(const IpAddress& address, unsigned prefix) {
  return masked(address, prefix).to_string() + "/" + std::to_string(prefix);
}

}  // namespace launcher
