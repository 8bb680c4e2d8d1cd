// SPDX-License-Identifier: Apache-2.0
// Checks of the `network` section: the mode, the namespace it needs, and a veth's addresses,
// gateway, MTU and interface names.
#include <algorithm>

#include "compiler/check/check_internal.h"
#include "compiler/values/values.h"
#include "plan/rules.h"

namespace policyc::check::detail {
namespace {

const std::vector<std::string> kModes = {"none", "loopback", "host", "veth", "user", "join"};

// Each `publish`: protocol, the mapping, the address family (`family_ipv6`: the container's,
// unknown for `network user`), and no host port published twice for one protocol.
void check_publish(const std::vector<ast::PublishDecl>& ports, std::optional<bool> family_ipv6, Diagnostics& diags) {
  struct Published { std::string protocol, address; unsigned port; Location where; };
  std::vector<Published> seen;
  for (const auto& port : ports) {
    const std::string protocol = port.protocol ? port.protocol->text : "tcp";
    if (protocol != "tcp" && protocol != "udp") {
      diags.error(port.protocol->where, "unknown protocol " + in_quotes(protocol) + " for publish",
                  "write publish tcp 8080:80 or publish udp 5353");
      continue;
    }
    if (port.gap) {
      diags.error(port.spec.where, "publish takes one port mapping written without spaces, found " + in_quotes(port.spec.text),
                  "write one publish per port, e.g. publish tcp 8080:80  publish tcp 8443:443");
      continue;
    }
    std::string why;
    const auto mapping = lower::parse_port_mapping(port.spec.text, why);
    if (!mapping) {
      diags.error(port.spec.where, "bad port mapping: " + why,
                  "write HOSTPORT:CONTAINERPORT, PORT, ADDRESS:HOSTPORT:CONTAINERPORT or [IPv6]:HOSTPORT:CONTAINERPORT");
      continue;
    }
    if (family_ipv6 && !mapping->host_address.empty() && mapping->ipv6 != *family_ipv6) {
      diags.error(port.spec.where, "host address " + mapping->host_address + " is IPv" + (mapping->ipv6 ? "6" : "4") +
                                       " but the container's address is IPv" + (*family_ipv6 ? "6" : "4"),
                  "publish on an address of the container's IP version, or on all addresses (leave it out)");
      continue;
    }
    for (const auto& other : seen) {
      const bool overlap = other.address.empty() || mapping->host_address.empty() || other.address == mapping->host_address;
      if (other.protocol == protocol && other.port == mapping->host_port && overlap) {
        diags.error(port.spec.where, protocol + " port " + std::to_string(mapping->host_port) + " is already published at line " +
                                         std::to_string(other.where.line),
                    "publish each host port once");
        break;
      }
    }
    seen.push_back({protocol, mapping->host_address, mapping->host_port, port.spec.where});
  }
}

// `network user { publish ... outbound }`: pasta chooses the addresses, so only these two.
void check_user_block(const ast::VethDecl& block, Diagnostics& diags) {
  const std::string hint = "network user takes only publish and outbound (pasta picks the addresses)";
  for (const auto* key : {&block.host, &block.container, &block.gateway, &block.mtu, &block.host_name, &block.container_name}) {
    if (*key) diags.error((*key)->where, "network user does not take " + in_quotes((*key)->text), hint);
  }
  for (const auto& dns : block.dns) diags.error(dns.where, "network user does not take dns", "pasta forwards DNS itself; " + hint);
  for (std::size_t i = 0; i < block.outbound.size(); ++i) {
    const auto& out = block.outbound[i];
    if (i > 0) diags.error(out.where, "outbound is given twice", "write it once");
    else if (!out.text.empty()) diags.error(out.where, "network user takes a bare `outbound`, found outbound " + in_quotes(out.text),
                                            "write outbound");
  }
  check_publish(block.publish, std::nullopt, diags);
}

// `dns` writes /etc/resolv.conf into the private layer of the container's rootfs (plan-exec
// never writes the host's tree), so it needs a rootfs that has one.
void check_dns_rootfs(const ast::Container& c, const ast::VethDecl& veth, Diagnostics& diags) {
  if (veth.dns.empty()) return;
  const Location& where = veth.dns.front().where;
  if (!c.rootfs) {
    diags.error(where, "dns writes the container's /etc/resolv.conf into its rootfs's private layer, but this container has no rootfs",
                "add `rootfs \"/path/to/tree\"` (its writes go to a private layer thrown away at exit), or remove dns");
  } else if (c.rootfs->readonly) {
    diags.error(where, "dns needs a writable rootfs: /etc/resolv.conf is written into its private layer, and this rootfs is readonly",
                "drop `readonly` from the rootfs line (writes still go to a private layer, never to the tree), or remove dns");
  } else if (c.rootfs->writethrough) {
    diags.error(where, "dns needs a rootfs with a private layer: with writethrough, /etc/resolv.conf would be written into the host's tree",
                "drop `writethrough` from the rootfs line, or remove dns");
  }
}

void check_join(const ast::NetworkDecl& net, Diagnostics& diags) {
  if (net.veth) {
    diags.error(net.veth->where, "network join takes no { ... } block", "write network join \"/run/netns/NAME\" or network join pid 1234");
    return;
  }
  if (!net.join_path && !net.join_pid) {
    diags.error(net.where, "network join needs the namespace to enter",
                "write network join \"/run/netns/NAME\" or network join pid 1234");
    return;
  }
  if (net.join_path && (net.join_path->text.empty() || net.join_path->text[0] != '/')) {
    diags.error(net.join_path->where, "network join path " + in_quotes(net.join_path->text) + " is not absolute",
                "write the net namespace file's full path, e.g. /run/netns/NAME");
  }
  if (net.join_pid) {
    std::string why;
    const auto pid = lower::parse_uint(net.join_pid->text, 0x7fffffff, why);
    if (!pid || *pid == 0) diags.error(net.join_pid->where, "network join pid " + net.join_pid->text + " is not a process id",
                                       "write a pid from 1 to 2147483647");
  }
}

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
  check_publish(veth.publish, container ? std::optional<bool>(container->ipv6) : std::nullopt, diags);
  for (std::size_t i = 0; i < veth.outbound.size(); ++i) {
    const auto& out = veth.outbound[i];
    if (i > 0) diags.error(out.where, "outbound is given twice", "write it once");
    else if (out.text != "nat") diags.error(out.where, "network veth reaches out only through NAT", "write outbound nat");
  }
  for (std::size_t i = 0; i < veth.dns.size(); ++i) {
    const auto& dns = veth.dns[i];
    std::string why;
    const auto cidr = dns.text == "host" ? std::nullopt : lower::parse_cidr(dns.text, why);
    if (i > 0) diags.error(dns.where, "dns is given twice", "give one name server, or dns host");
    else if (dns.text != "host" && (!cidr || dns.text.find('/') != std::string::npos)) {
      diags.error(dns.where, "bad dns: " + (cidr ? "a name server address takes no prefix" : why),
                  "write dns host (the host's resolv.conf) or dns \"10.0.0.53\"");
    }
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
  if (mode == "join") return check_join(net, diags);
  if (net.join_path || net.join_pid) {
    const Location& where = net.join_path ? net.join_path->where : net.join_pid->where;
    diags.error(where, "only network join takes a namespace", "write network join \"/run/netns/NAME\"");
  }
  if (mode == "user") {
    if (net.veth) check_user_block(*net.veth, diags);
    return;
  }
  if (mode == "veth" && !net.veth) {
    diags.error(net.where, "network veth needs its addresses",
                "write network veth { host 10.0.0.1/24 container 10.0.0.2/24 }");
  }
  if (mode != "veth" && net.veth) {
    diags.error(net.veth->where, "only network veth and network user take a { ... } block", "write network veth { ... }");
  }
  if (mode == "veth" && net.veth) {
    check_veth(*net.veth, diags);
    check_dns_rootfs(c, *net.veth, diags);
  }
}

}  // namespace policyc::check::detail
