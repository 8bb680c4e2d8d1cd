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

#include "launcher/network_address.h"
#include "launcher/network_netlink.h"
#include "plan/plan.h"

namespace launcher {

// Host ends are named "pe-<plan-exec pid>" unless the plan pins a name, and always carry the
// alias "plan-exec:<pid>", so `plan-exec --cleanup` finds pinned names of dead instances too.
inline constexpr const char kHostIfnamePrefix[] = "pe-";
inline constexpr const char kInstanceAliasPrefix[] = "plan-exec:";
inline constexpr std::size_t kMaxIfnameLength = 15;  // IFNAMSIZ - 1

std::string derived_host_ifname(pid_t instance);
std::string instance_alias(pid_t instance);
// The plan-exec instance that made `iface`, from its alias or its "pe-<pid>" name; only veths.
std::optional<pid_t> instance_of(const HostInterface& iface);

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
};

// Pure: throws StepError(step "network") on the first broken rule. `gateway` may also be the
// word "host", meaning the host side's address.
ResolvedVeth resolve_veth(const plan::Veth& veth, pid_t instance);

// Throws when the host already has the host interface name, or either address, naming the
// interface that holds it and, for a plan-exec veth, whether its instance is still running.
void check_host_state(const ResolvedVeth& veth, const std::vector<HostInterface>& host,
                      const std::function<bool(pid_t)>& instance_running);

}  // namespace launcher
