// SPDX-License-Identifier: Apache-2.0
#include "launcher/network/network_forwarding.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <sstream>

#include "launcher/host/error.h"

namespace launcher {

namespace {

std::string path_for(const std::string& ifname) {
  return ifname == kAllInterfaces ? std::string(kIpv6ForwardingPath) : ipv4_forwarding_path(ifname);
}

bool forwarding_on(const std::string& ifname, const NatHost& host) {
  const std::string value = host.read_file(path_for(ifname));
  return !value.empty() && value[0] != '0';
}

std::string owner_of(const NatTableState& table, const InstanceRunning& instance_running) {
  const std::string pid = std::to_string(table.instance.pid);
  if (instance_running(table.instance)) return "plan-exec " + pid + " (still running) publishes it";
  return "plan-exec " + pid + ", which is no longer running, left its table " + table.name +
         " (remove it with `plan-exec --cleanup`)";
}

}  // namespace

std::string ipv4_forwarding_path(const std::string& ifname) { return "/proc/sys/net/ipv4/conf/" + ifname + "/forwarding"; }

NatHost real_nat_host() {
  NatHost host;
  host.nft = [] {
    static std::shared_ptr<NftOps> ops = make_nft_ops();
    return ops;
  };
  host.read_file = [](const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  };
  host.write_file = [](const std::string& path, const std::string& value) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) throw StepError("network", "open " + path + " to write " + value, errno);
    const bool written = ::write(fd, value.data(), value.size()) == static_cast<ssize_t>(value.size());
    const int err = errno;
    ::close(fd);
    if (!written) throw StepError("network", "write " + value + " to " + path, err);
  };
  return host;
}

std::vector<NatTableState> list_nat_tables(const NatHost& host) {
  return parse_nat_tables(host.nft()->list_json("list ruleset"));
}

void check_ports_free(const std::vector<plan::PublishedPort>& publish, const std::vector<NatTableState>& tables,
                      const NatHost& host, const InstanceRunning& instance_running) {
  std::set<std::pair<std::string, unsigned>> bound;
  for (const char* protocol : {"tcp", "udp"}) {
    for (const char* suffix : {"", "6"}) {
      const auto ports = bound_ports(host.read_file(std::string("/proc/net/") + protocol + suffix), protocol);
      bound.insert(ports.begin(), ports.end());
    }
  }
  for (const auto& port : publish) {
    const std::string what = port.protocol + " port " + std::to_string(port.host_port);
    for (const auto& table : tables) {
      const std::pair<std::string, unsigned> key{port.protocol, port.host_port};
      if (std::find(table.published.begin(), table.published.end(), key) != table.published.end()) {
        throw StepError("network", "publish " + what + ": the port is already published: " + owner_of(table, instance_running) +
                                       "; pick another host port in the policy");
      }
    }
    if (bound.count({port.protocol, port.host_port})) {
      throw StepError("network", "publish " + what + ": a socket on this host is already bound to it (" +
                                     (port.protocol == "tcp" ? "listening" : "bound") +
                                     "; see `ss -lntup`); pick another host port in the policy, or stop that program");
    }
  }
}

std::set<std::string> interfaces_needing_forwarding(const NatRequest& request, const std::vector<HostInterface>& host,
                                                    const NatHost& nat_host) {
  const bool ipv6 = request.container_address.family == AF_INET6;
  bool from_outside = false;  // a published port that other hosts or namespaces may reach
  for (const auto& port : request.publish) {
    const auto address = parse_ip(port.host_address);
    if (!address || !(address->family == AF_INET ? address->bytes[0] == 127 : port.host_address == "::1")) from_outside = true;
  }
  if (!from_outside && !request.outbound_nat) return {};
  if (ipv6) return {kAllInterfaces};
  std::set<std::string> out;
  // Connections to a published port arrive on the interfaces that hold the addresses it is
  // published on (all of them for "every address"); replies to outbound traffic arrive on the
  // default route's interface. Packets arriving there must be forwarded to the container.
  for (const auto& port : request.publish) {
    for (const auto& iface : host) {
      if (iface.name == "lo" || instance_of(iface) || iface.name == request.host_ifname) continue;
      const bool has_ipv4 = std::any_of(iface.addresses.begin(), iface.addresses.end(),
                                        [](const IpAddress& a) { return a.family == AF_INET; });
      const auto wanted = parse_ip(port.host_address);
      const bool holds = wanted ? std::find(iface.addresses.begin(), iface.addresses.end(), *wanted) != iface.addresses.end()
                                : has_ipv4;
      if (holds) out.insert(iface.name);
    }
  }
  if (request.outbound_nat) {
    const auto defaults = default_route_interfaces(nat_host.read_file("/proc/net/route"));
    out.insert(defaults.begin(), defaults.end());
  }
  return out;
}

void apply_nat(NatRequest& request, const NatHost& host) {
  const auto tables = list_nat_tables(host);
  request.forwarding_restore.clear();
  std::vector<std::string> turn_on;
  for (const auto& ifname : request.forwarding) {
    if (!forwarding_on(ifname, host)) {
      request.forwarding_restore.insert(ifname);  // off before us: whoever is last turns it off
      turn_on.push_back(ifname);
      continue;
    }
    // On already: when another run turned it on, the duty to turn it off again passes on to us.
    for (const auto& table : tables) {
      if (table.forwarding_restore.count(ifname)) request.forwarding_restore.insert(ifname);
    }
  }
  // The table first: a run killed between the two leaves a table that --cleanup reads to undo
  // the sysctls, never a sysctl nobody knows to restore.
  host.nft()->run(nat_table_commands(request));
  for (const auto& ifname : turn_on) host.write_file(path_for(ifname), "1\n");
}

bool remove_nat(const NatTableState& table, const NatHost& host) {
  const auto before = list_nat_tables(host);
  const bool present = std::any_of(before.begin(), before.end(), [&](const NatTableState& t) {
    return t.family == table.family && t.name == table.name;
  });
  if (present) host.nft()->run(delete_table_command(table.family, table.name));
  for (const auto& ifname : table.forwarding_restore) {
    const bool still_needed = std::any_of(before.begin(), before.end(), [&](const NatTableState& t) {
      return !(t.family == table.family && t.name == table.name) && t.forwarding.count(ifname);
    });
    // An interface that is gone meanwhile has no sysctl left to restore.
    if (!still_needed && !host.read_file(path_for(ifname)).empty()) host.write_file(path_for(ifname), "0\n");
  }
  return present;
}

}  // namespace launcher
