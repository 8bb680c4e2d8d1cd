// SPDX-License-Identifier: Apache-2.0
#include "launcher/network/network_validate.h"

#include <sys/socket.h>

#include <algorithm>
#include <charconv>

#include "launcher/host/error.h"
#include "plan/rules.h"

namespace launcher {

namespace {

[[noreturn]] void invalid(const std::string& what) { throw StepError("network", what); }

// A whole decimal number > 0, nothing else.
template <typename Number>
std::optional<Number> parse_number(std::string_view digits) {
  Number value = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || value <= 0) return std::nullopt;
  return value;
}

// "<pid>" or "<pid>:<start time>".
std::optional<InstanceId> parse_instance(std::string_view text) {
  const auto colon = text.find(':');
  const auto pid = parse_number<pid_t>(text.substr(0, colon));
  if (!pid) return std::nullopt;
  if (colon == std::string_view::npos) return InstanceId{*pid, std::nullopt};
  const auto start = parse_number<std::uint64_t>(text.substr(colon + 1));
  if (!start) return std::nullopt;
  return InstanceId{*pid, start};
}

IpAddress parse_address(const std::string& text, const std::string& field) {
  if (text.empty()) invalid("network veth: " + field + " address is missing; give one, e.g. 10.200.0.1/24");
  if (auto ip = parse_ip(text)) return *ip;
  invalid("network veth: " + field + " address \"" + text +
          "\" is not an IPv4 or IPv6 address (write it without a prefix, e.g. 10.200.0.1)");
}

// The ranges of plan/rules.h (which the loader has checked already): here for plans resolved after
// --instance moved them.
void check_prefix(const IpAddress& address, unsigned prefix, const std::string& field) {
  const unsigned minimum = address.family == AF_INET6 ? plan::kMinIpv6Prefix : plan::kMinIpv4Prefix;
  if (prefix > address.max_prefix() || prefix < minimum) {
    invalid("network veth: " + field + " prefix /" + std::to_string(prefix) + " of " + address.to_string() +
            " is out of range " + std::to_string(minimum) + ".." + std::to_string(address.max_prefix()));
  }
}

std::optional<IpAddress> resolve_gateway(const plan::Veth& veth, const ResolvedVeth& out) {
  if (veth.gateway.empty()) return std::nullopt;
  const IpAddress gateway = veth.gateway == "host" ? out.host_address : parse_address(veth.gateway, "gateway");
  if (gateway.family != out.container_address.family) {
    invalid("network veth: gateway " + gateway.to_string() + " and container address " +
            out.container_address.to_string() + " are of different IP families");
  }
  if (gateway == out.container_address) {
    invalid("network veth: gateway " + gateway.to_string() + " is the container's own address; use the host side's (gateway host)");
  }
  if (!same_subnet(gateway, out.container_address, out.container_prefix)) {
    invalid("network veth: gateway " + gateway.to_string() + " is outside the container's subnet " +
            subnet_text(out.container_address, out.container_prefix) +
            ", so the container could not reach it; use the host side's address (gateway host)");
  }
  return gateway;
}

void check_mtu(std::uint32_t mtu, int family) {
  if (mtu == 0) return;
  // 68 is IPv4's minimum; IPv6 refuses to run on links under 1280.
  const std::uint32_t minimum = family == AF_INET6 ? plan::kMinMtuIpv6 : plan::kMinMtuIpv4;
  if (mtu < minimum || mtu > plan::kMaxMtu) {
    invalid("network veth: mtu " + std::to_string(mtu) + " is out of range " + std::to_string(minimum) + ".." +
            std::to_string(plan::kMaxMtu));
  }
}

// "pe-123, the veth of plan-exec 123 (still running)" or "eth0".
std::string describe_owner(const HostInterface& iface, const InstanceRunning& instance_running) {
  const auto instance = instance_of(iface);
  if (!instance) return iface.name;
  const std::string pid = std::to_string(instance->pid);
  if (instance_running(*instance)) return iface.name + ", the veth of plan-exec " + pid + " (still running)";
  return iface.name + ", a veth left behind by plan-exec " + pid +
         ", which is no longer running (remove it with `plan-exec --cleanup`)";
}

}  // namespace

std::string derived_host_ifname(pid_t instance) { return kHostIfnamePrefix + std::to_string(instance); }
std::string instance_alias(const InstanceId& instance) {
  std::string alias = kInstanceAliasPrefix + std::to_string(instance.pid);
  if (instance.start_time) alias += ":" + std::to_string(*instance.start_time);
  return alias;
}

std::optional<InstanceId> instance_of(const HostInterface& iface) {
  if (iface.kind != "veth") return std::nullopt;
  const std::string_view alias = iface.alias;
  if (alias.starts_with(kInstanceAliasPrefix)) return parse_instance(alias.substr(sizeof kInstanceAliasPrefix - 1));
  const std::string_view name = iface.name;
  if (!name.starts_with(kHostIfnamePrefix)) return std::nullopt;
  const auto pid = parse_number<pid_t>(name.substr(sizeof kHostIfnamePrefix - 1));
  if (!pid) return std::nullopt;
  return InstanceId{*pid, std::nullopt};
}

void validate_ifname(const std::string& name, const std::string& role) {
  if (name.empty()) invalid("network veth: " + role + " is empty; give an interface name or leave it out");
  if (name.size() > kMaxIfnameLength) {
    invalid("network veth: " + role + " \"" + name + "\" is " + std::to_string(name.size()) +
            " characters; Linux interface names have at most 15");
  }
  const bool bad_char = std::any_of(name.begin(), name.end(), [](unsigned char c) {
    return c <= ' ' || c == '/' || c == ':' || c >= 0x7f;
  });
  if (bad_char || name == "." || name == "..") {
    invalid("network veth: " + role + " \"" + name + "\" is not a valid interface name (no spaces, '/' or ':')");
  }
}

ResolvedVeth resolve_veth(const plan::Veth& veth, pid_t instance) {
  ResolvedVeth out;
  out.host_ifname_pinned = !veth.host_ifname.empty();
  out.host_ifname = out.host_ifname_pinned ? veth.host_ifname : derived_host_ifname(instance);
  out.container_ifname = veth.container_ifname.empty() ? "eth0" : veth.container_ifname;
  validate_ifname(out.host_ifname, "host_name");
  validate_ifname(out.container_ifname, "container_name");
  if (out.container_ifname == "lo") invalid("network veth: container_name \"lo\" is the loopback's name; pick another, e.g. eth0");

  out.host_address = parse_address(veth.host_address, "host");
  out.container_address = parse_address(veth.container_address, "container");
  out.host_prefix = veth.host_prefix;
  out.container_prefix = veth.container_prefix;
  if (out.host_address.family != out.container_address.family) {
    invalid("network veth: host " + out.host_address.to_string() + " and container " +
            out.container_address.to_string() + " addresses are of different IP families");
  }
  check_prefix(out.host_address, out.host_prefix, "host");
  check_prefix(out.container_address, out.container_prefix, "container");
  if (out.host_address == out.container_address) {
    invalid("network veth: host and container have the same address " + out.host_address.to_string() + "; give each its own");
  }
  if (!same_subnet(out.host_address, out.container_address, out.host_prefix)) {
    invalid("network veth: container address " + out.container_address.to_string() + " is outside the host side's subnet " +
            subnet_text(out.host_address, out.host_prefix) +
            ", so the host could not reach it; put both in one subnet, e.g. host 10.200.0.1/24 container 10.200.0.2/24");
  }
  out.gateway = resolve_gateway(veth, out);
  out.mtu = veth.mtu;
  check_mtu(out.mtu, out.host_address.family);
  for (const auto& port : veth.publish) {
    if (port.protocol != "tcp" && port.protocol != "udp") invalid("network veth: publish protocol \"" + port.protocol + "\" is not tcp or udp");
    if (port.host_port == 0 || port.container_port == 0) invalid("network veth: publish " + port.protocol + " port 0 is not a port; use 1..65535");
    if (port.host_address.empty()) continue;
    const auto address = parse_ip(port.host_address);
    if (!address || address->family != out.container_address.family) {
      invalid("network veth: publish address " + port.host_address + " is not an address of the container's IP family");
    }
  }
  out.publish = veth.publish;
  out.outbound_nat = veth.outbound_nat;
  out.dns = veth.dns;
  if (!out.dns.empty() && out.dns != "host" && !parse_ip(out.dns)) {
    invalid("network veth: dns \"" + out.dns + "\" is neither \"host\" nor an IP address");
  }
  return out;
}

void check_host_state(const ResolvedVeth& veth, const std::vector<HostInterface>& host,
                      const InstanceRunning& instance_running) {
  for (const HostInterface& iface : host) {
    if (iface.name == veth.host_ifname) {
      const std::string hint = veth.host_ifname_pinned ? "pick another host_name in the policy, or leave it out to derive one"
                                                       : "remove it with `plan-exec --cleanup`";
      invalid("network veth: host interface " + veth.host_ifname + " already exists (" +
              describe_owner(iface, instance_running) + "); " + hint);
    }
  }
  for (const IpAddress* address : {&veth.host_address, &veth.container_address}) {
    for (const HostInterface& iface : host) {
      if (std::find(iface.addresses.begin(), iface.addresses.end(), *address) == iface.addresses.end()) continue;
      invalid("network veth: " + address->to_string() + " is already on " + describe_owner(iface, instance_running) +
              ": another container or host interface uses it; pick another address in the policy "
              "(to run another copy of the same plan, give it its own subnet: plan-exec --instance 1)");
    }
  }
}

}  // namespace launcher
