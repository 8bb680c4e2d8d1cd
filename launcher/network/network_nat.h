// SPDX-License-Identifier: Apache-2.0
// Published ports and outbound NAT of a veth network: one nftables table per plan-exec run,
// named after the run ("plan_exec_<pid>_<start time>") so `plan-exec --cleanup` finds the
// tables of runs that are gone. The table carries, besides its chains, the state other runs
// and --cleanup need: which host ports it publishes, and on which interfaces it needs IPv4
// forwarding (and which of those had forwarding off before plan-exec turned it on, so the
// last run that needs one turns it off again). Pure text here; nothing is applied.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "launcher/network/network_address.h"
#include "launcher/network/network_validate.h"
#include "plan/plan.h"

namespace launcher {

inline constexpr const char kNatTablePrefix[] = "plan_exec_";
// IPv6 has no per-interface forwarding switch that matters (net.ipv6.conf.all.forwarding rules
// all); the forwarding sets name it "all" for the IPv6 table.
inline constexpr const char kAllInterfaces[] = "all";

std::string nat_table_name(const InstanceId& instance);
std::optional<InstanceId> instance_of_nat_table(const std::string& name);

// What one run asks of nftables and the forwarding sysctls.
struct NatRequest {
  InstanceId instance;
  std::string host_ifname;               // the veth's host end
  IpAddress container_address;
  unsigned container_prefix = 24;
  std::vector<plan::PublishedPort> publish;
  bool outbound_nat = false;
  std::set<std::string> forwarding;          // interfaces that need forwarding, the host end excluded
  std::set<std::string> forwarding_restore;  // of those, the ones to turn off again when nobody needs them
};

// "ip" or "ip6": the table's family follows the container's address.
std::string nat_family(const IpAddress& container);
// The commands that create the whole table in one transaction.
std::string nat_table_commands(const NatRequest& request);
std::string delete_table_command(const std::string& family, const std::string& name);

// One table of ours as found on the host (parsed from `list ruleset` JSON).
struct NatTableState {
  std::string family;
  std::string name;
  InstanceId instance;
  std::vector<std::pair<std::string, unsigned>> published;  // ("tcp", 8080)
  std::set<std::string> forwarding;
  std::set<std::string> forwarding_restore;
};

// Every plan-exec table in the JSON of `list ruleset` (other tables are ignored). Throws
// StepError when the text is not nftables JSON.
std::vector<NatTableState> parse_nat_tables(const std::string& ruleset_json);

// The ports a host already uses, from /proc/net/{tcp,tcp6,udp,udp6} text: TCP sockets in LISTEN,
// and every bound UDP socket. Returns ("tcp", port) pairs.
std::set<std::pair<std::string, unsigned>> bound_ports(const std::string& proc_net_text, const std::string& protocol);

// Interfaces of the IPv4 default routes in /proc/net/route text.
std::set<std::string> default_route_interfaces(const std::string& proc_net_route);
// Interfaces of the IPv6 default routes in /proc/net/ipv6_route text.
std::set<std::string> default_route_interfaces6(const std::string& proc_net_ipv6_route);

}  // namespace launcher
