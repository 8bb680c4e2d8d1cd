// SPDX-License-Identifier: Apache-2.0
// Checks of the `network` section: the mode, the namespace it needs, and a veth's addresses,
// gateway, MTU and interface names.
#include <algorithm>

#include "compiler/check/check_internal.h"
#include "compiler/values/values.h"
#include "plan/rules.h"

namespace policyc::check::detail {
namespace {

const std::vector<std::string> kModes = {"none", "loopback", "host", "veth"};

std::optional<lower::Cidr> checked_cidr(const std::optional<ast::Word>& word, const std::string& what,
                                        const Location& block, Diagnostics& diags) {
  if (!word) {
    diags.error(block, "veth needs a " + what + " address", "add `" + what + " 10.0.0.1/24` to the veth block");
    return std::nullopt;
  }
  std::string why;
  auto cidr = lower::parse_cidr(word->text, why);
  if (!cidr) {
    diags.error(word->where, "bad " + what + " address: " + why, "write e.g. 10.0.0.2/24");
    return cidr;
  }
  const unsigned minimum = cidr->ipv6 ? plan::kMinIpv6Prefix : plan::kMinIpv4Prefix;
  if (cidr->prefix < minimum) {
    diags.error(word->where, what + " prefix /" + std::to_string(cidr->prefix) + " is shorter than /" +
                                 std::to_string(minimum) + ", a subnet far larger than a veth pair needs",
                "give a smaller subnet, e.g. " + std::string(cidr->ipv6 ? "fd00::1/64" : "10.0.0.1/24"));
  }
  return cidr;
}

void check_veth(const ast::VethDecl& veth, Diagnostics& diags) {
  auto host = checked_cidr(veth.host, "host", veth.where, diags);
  auto container = checked_cidr(veth.container, "container", veth.where, diags);
  if (host && container) {
    if (host->ipv6 != container->ipv6) {
      diags.error(veth.container->where, "the host and container addresses are of different IP versions",
                  "use IPv4 for both or IPv6 for both");
    } else if (host->address == container->address) {
      diags.error(veth.container->where, "the container address is the same as the host address",
                  "give each end its own address in one subnet");
    } else if (!lower::in_subnet(*container, host->address)) {
      diags.error(veth.host->where, "host address " + host->address + " is outside the container's subnet " +
                                        container->address + "/" + std::to_string(container->prefix),
                  "put both ends in one subnet, e.g. 10.0.0.1/24 and 10.0.0.2/24");
    } else if (!lower::in_subnet(*host, container->address)) {
      diags.error(veth.container->where, "container address " + container->address + " is outside the host's subnet " +
                                             host->address + "/" + std::to_string(host->prefix),
                  "put both ends in one subnet, e.g. 10.0.0.1/24 and 10.0.0.2/24");
    }
  }
  if (veth.gateway && container) {
    std::string gateway = veth.gateway->text == "host" ? (host ? host->address : "") : veth.gateway->text;
    std::string why;
    auto parsed = lower::parse_cidr(gateway, why);
    if (veth.gateway->text != "host" && (!parsed || gateway.find('/') != std::string::npos)) {
      diags.error(veth.gateway->where, "bad gateway: " + (parsed ? "a gateway takes no prefix" : why),
                  "write `gateway host` or an address such as 10.0.0.1");
    } else if (gateway == container->address) {
      diags.error(veth.gateway->where, "gateway " + gateway + " is the container's own address",
                  "write `gateway host` to route through the host side");
    } else if (!gateway.empty() && !lower::in_subnet(*container, gateway)) {
      diags.error(veth.gateway->where, "gateway " + gateway + " is outside the container's subnet " +
                                           container->address + "/" + std::to_string(container->prefix),
                  "the default route must go through an address the container can reach directly");
    }
  }
  if (veth.mtu) {
    std::string why;
    const bool ipv6 = container && container->ipv6;
    const std::uint32_t minimum = ipv6 ? plan::kMinMtuIpv6 : plan::kMinMtuIpv4;
    auto mtu = lower::parse_uint(veth.mtu->text, plan::kMaxMtu, why);
    if (!mtu || *mtu < minimum) {
      diags.error(veth.mtu->where, "mtu " + veth.mtu->text + " is out of range",
                  "use " + std::to_string(minimum) + " to 65535" + (ipv6 ? " (IPv6 needs at least 1280)" : ""));
    }
  }
  for (const auto* name : {&veth.host_name, &veth.container_name}) {
    std::string why;
    if (*name && !lower::valid_ifname((*name)->text, why)) diags.error((*name)->where, why);
  }
}

}  // namespace

void check_network(const ast::Container& c, Diagnostics& diags) {
  if (!c.network) return;
  const auto& net = *c.network;
  const std::string& mode = net.mode.text;
  if (std::find(kModes.begin(), kModes.end(), mode) == kModes.end()) {
    diags.error(net.mode.where, "unknown network mode " + in_quotes(mode), suggestion(mode, kModes));
    return;
  }
  bool own_netns = has_namespace(c, "net");
  if (mode != "host" && !own_netns) {
    diags.error(net.mode.where, "network " + mode + " needs the net namespace",
                "add `net` to the namespaces, or the container would use the host's network");
  }
  if (mode == "host" && own_netns) {
    diags.error(net.mode.where, "network host shares the host's network, but the namespaces ask for net",
                "remove `net` from the namespaces, or choose network none, loopback or veth");
  }
  if (mode == "veth" && !net.veth) {
    diags.error(net.where, "network veth needs its addresses",
                "write network veth { host 10.0.0.1/24 container 10.0.0.2/24 }");
  }
  if (mode != "veth" && net.veth) {
    diags.error(net.veth->where, "only network veth takes a { ... } block", "write network veth { ... }");
  }
  if (mode == "veth" && net.veth) check_veth(*net.veth, diags);
}

}  // namespace policyc::check::detail
