// SPDX-License-Identifier: Apache-2.0
// Validation of the plan's veth section, without side effects: names, addresses, and the
// host's current interfaces (read through NetlinkOps::interfaces()). prepare_network() runs
// all of it before anything is created, so a bad plan changes nothing on the host.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "launcher/network/network_address.h"
#include "launcher/network/network_netlink.h"
#include "plan/plan.h"

namespace launcher {

// Host ends are named "pe-<plan-exec pid>" unless the plan pins a name, and always carry the
// alias "plan-exec:<pid>:<start time>", so `plan-exec --cleanup` finds pinned names of dead
// instances too, and never mistakes a live process that reused the pid for the instance.
inline constexpr const char kHostIfnamePrefix[] = "pe-";
inline constexpr const char kInstanceAliasPrefix[] = "plan-exec:";
inline constexpr std::size_t kMaxIfnameLength = 15;  // IFNAMSIZ - 1

// One plan-exec run: its pid, and the pid's start time (field 22 of /proc/PID/stat, clock ticks
// after boot), which tells the run apart from a later process given the same pid.
struct InstanceId {
  pid_t pid = 0;
  std::optional<std::uint64_t> start_time;  // absent: only the pid is known (a "pe-<pid>" name)
  bool operator==(const InstanceId&) const = default;
};

std::string derived_host_ifname(pid_t instance);
std::string instance_alias(const InstanceId& instance);
// The plan-exec run that made `iface`, from its alias or its "pe-<pid>" name; only veths.
std::optional<InstanceId> instance_of(const HostInterface& iface);

using InstanceRunning = std::function<bool(const InstanceId&)>;

// Throws StepError naming `role` ("host_ifname") when `name` is not a usable interface name.
void validate_ifname(const std::string& name, const std::string& role);

// The veth section with names derived, addresses parsed, and every rule checked.
struct ResolvedVeth {
  std::string host_ifname;
  bool host_ifname_pinned = false;
  std::string container_ifname;
  IpAddress host_address;
  unsigned host_prefix = 24;
  IpAddress container_address;
  unsigned container_prefix = 24;
  std::optional<IpAddress> gateway;  // default route inside
  std::uint32_t mtu = 0;
  std::vector<plan::PublishedPort> publish;
  bool outbound_nat = false;
  std::string dns;                   // "", "host" or an address
  bool needs_nat() const { return !publish.empty() || outbound_nat; }
};

// Pure: throws StepError(step "network") on the first broken rule. `gateway` may also be the
// word "host", meaning the host side's address.
ResolvedVeth resolve_veth(const plan::Veth& veth, pid_t instance);

// Throws when the host already has the host interface name, or either address, naming the
// interface that holds it and, for a plan-exec veth, whether its instance is still running.
void check_host_state(const ResolvedVeth& veth, const std::vector<HostInterface>& host,
                      const InstanceRunning& instance_running);

}  // namespace launcher
