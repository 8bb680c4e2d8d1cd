// SPDX-License-Identifier: Apache-2.0
// What the network step consults on the host, injectable so the step's logic runs in unit
// tests against a recording fake (prepare_network() and cleanup_network_leftovers() in
// network.h use the real environment).
#pragma once

#include <sys/types.h>

#include <functional>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "launcher/host/process_stat.h"  // process_start_time
#include "launcher/network/network.h"
#include "launcher/network/network_forwarding.h"
#include "launcher/network/network_netlink.h"
#include "launcher/network/network_validate.h"

namespace launcher {

struct NetworkEnvironment {
  std::shared_ptr<NetlinkOps> netlink;
  std::function<InstanceId(pid_t)> identify;    // pid -> InstanceId with its start time
  InstanceRunning instance_running;             // is that run still alive?
  // setup_host() re-checks the host and assigns the host address under flock() on this file,
  // so two plan-execs of one plan started at the same moment cannot both pass the check.
  // Empty: no lock (unit tests).
  std::string lock_path;
  // Published ports and outbound NAT: nftables and the sysctls (unused by other plans).
  NatHost nat;
};

inline constexpr const char kNetworkLockPath[] = "/run/plan-exec-network.lock";

NetworkEnvironment real_network_environment();

InstanceId identify_process(pid_t pid);
// True while the process lives and, when the id has a start time, it is the same process (not
// a later one that reused the pid). Without a start time, any process with the pid counts:
// when unsure, a veth is kept rather than pulled from under a running container.
bool is_instance_running(const InstanceId& instance);

std::unique_ptr<ContainerNetwork> prepare_network(const plan::Network& network, pid_t instance, bool rootless,
                                                  const NetworkEnvironment& env);
std::vector<std::string> find_network_leftovers(const NetworkEnvironment& env);
std::vector<std::string> cleanup_network_leftovers(const NetworkEnvironment& env);

}  // namespace launcher
