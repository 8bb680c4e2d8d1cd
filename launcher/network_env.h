// What the network step consults on the host, injectable so the step's logic runs in unit
// tests against a recording fake (prepare_network() and cleanup_network_leftovers() in
// network.h use the real environment).
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "launcher/network.h"
#include "launcher/network_netlink.h"

namespace launcher {

struct NetworkEnvironment {
  std::shared_ptr<NetlinkOps> netlink;
  std::function<bool(pid_t)> instance_running;  // is `pid` a live plan-exec?
  // setup_host() re-checks the host and assigns the host address under flock() on this file,
  // so two plan-execs of one plan started at the same moment cannot both pass the check.
  // Empty: no lock (unit tests).
  std::string lock_path;
};

inline constexpr const char kNetworkLockPath[] = "/run/plan-exec-network.lock";

NetworkEnvironment real_network_environment();

// True when /proc/<pid>/comm is "plan-exec": a reused pid of another program does not count.
bool is_plan_exec_running(pid_t pid);

std::unique_ptr<ContainerNetwork> prepare_network(const plan::Network& network, pid_t instance, bool rootless,
                                                  const NetworkEnvironment& env);
std::vector<std::string> find_network_leftovers(const NetworkEnvironment& env);
std::vector<std::string> cleanup_network_leftovers(const NetworkEnvironment& env);

}  // namespace launcher
