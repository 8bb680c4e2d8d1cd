// SPDX-License-Identifier: Apache-2.0
// `plan-exec --instance K`: several copies of one plan, each on its own subnet.
#include "launcher/host/error.h"
#include "launcher/network/network.h"
#include "launcher/network/network_address.h"
#include "launcher/network/network_validate.h"

namespace launcher {
namespace {

// address + instance * (size of a /prefix subnet); false when that leaves the address space.
bool add_subnets(IpAddress& address, unsigned prefix, unsigned instance) {
  const unsigned bits = address.max_prefix();
  if (prefix == 0 || prefix > bits) return false;
  const unsigned host_bits = bits - prefix;  // the shift adds instance << host_bits
  const unsigned bytes = bits / 8;
  // The address as a big-endian integer of up to 128 bits.
  unsigned __int128 value = 0;
  for (unsigned i = 0; i < bytes; ++i) value = (value << 8) | address.bytes[i];
  const unsigned __int128 step = static_cast<unsigned __int128>(1) << host_bits;
  const unsigned __int128 max = bits == 128 ? ~static_cast<unsigned __int128>(0)
                                            : (static_cast<unsigned __int128>(1) << bits) - 1;
  const unsigned __int128 delta = step * instance;
  if (instance != 0 && (delta / instance != step || max - value < delta)) return false;
  value += delta;
  for (int i = static_cast<int>(bytes) - 1; i >= 0; --i) {
    address.bytes[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(value & 0xff);
    value >>= 8;
  }
  return true;
}

std::string shifted(const std::string& text, unsigned prefix, unsigned instance) {
  auto address = parse_ip(text);
  if (!address || !add_subnets(*address, prefix, instance)) {
    throw StepError("network", "--instance " + std::to_string(instance) + " moves " + text + "/" +
                                   std::to_string(prefix) + " out of the address space: use a smaller instance number");
  }
  return address->to_string();
}

// A host name the policy pins is one interface on the host: two copies cannot both have it.
// Copy K takes "<name>-K" instead, still at most 15 characters (IFNAMSIZ - 1).
std::string instance_ifname(const std::string& pinned, unsigned instance) {
  const std::string name = pinned + "-" + std::to_string(instance);
  if (name.size() > kMaxIfnameLength) {
    throw StepError("network", "--instance " + std::to_string(instance) + " names the pinned host_name \"" + pinned +
                                   "\" \"" + name + "\", longer than the 15 characters of a Linux interface name: "
                                   "pin a shorter host_name in the policy (or leave it out for pe-<pid>)");
  }
  return name;
}

}  // namespace

void shift_to_instance(plan::Network& network, unsigned instance) {
  if (instance == 0 || !network.veth) return;
  plan::Veth& v = *network.veth;
  if (!v.host_ifname.empty()) v.host_ifname = instance_ifname(v.host_ifname, instance);
  v.host_address = shifted(v.host_address, v.host_prefix, instance);
  v.container_address = shifted(v.container_address, v.container_prefix, instance);
  if (!v.gateway.empty() && v.gateway != "host") v.gateway = shifted(v.gateway, v.container_prefix, instance);
}

}  // namespace launcher
