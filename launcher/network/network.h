// SPDX-License-Identifier: Apache-2.0
// The plan's network section: veth through netlink (libnl-route-3), never the `ip` command.
// The sequence calls these, in this order:
//   prepare()      parent, before any side effect: validate everything (pinned names free,
//                  addresses not already on the host, rootless + veth is an error)
//   setup_host()   parent, after clone, before releasing the child: create the veth pair with
//                  the peer directly in the child's net namespace; host side address + up
//   setup_inside() child, in its own net namespace, before pivot_root: lo up (loopback, veth),
//                  container side address, up, default route
//   teardown()     parent, after the container exited: delete what is left (idempotent)
// Interface names derive from the instance id (plan-exec's pid) unless the plan pins one:
// host side "pe-<pid>", so `plan-exec --cleanup` can find leftovers of dead instances.
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "plan/plan.h"

namespace launcher {

// The two ends of a veth as `plan-exec ps` and the start-up line show them.
struct VethEnds {
  std::string host_ifname, container_ifname;
  std::string host_address, container_address;  // "10.200.0.1/24"
};

class ContainerNetwork {
 public:
  virtual ~ContainerNetwork() = default;
  virtual void setup_host(pid_t child) = 0;
  virtual void setup_inside() = 0;
  virtual void teardown() = 0;
  virtual std::string describe() const = 0;   // for --dry-run
  virtual std::optional<VethEnds> veth_ends() const { return std::nullopt; }  // veth mode only
  // False for `network join`: the container enters an existing namespace, so clone() must
  // not make one (the sequence drops CLONE_NEWNET).
  virtual bool makes_namespace() const { return true; }
  // Around clone() in the parent, on the thread that clones: `network join` sits in the target
  // namespace in between, so the child is born there. Nothing for the other modes.
  virtual void enter_for_clone() {}
  virtual void leave_after_clone() {}
  // `dns`: the text of the container's /etc/resolv.conf, which the sequence writes into its
  // private layer before pivot_root; empty: the file is left as the rootfs has it.
  virtual std::string resolv_conf() const { return ""; }
};

// Throws StepError(step "network") on invalid input. `instance` is plan-exec's pid.
std::unique_ptr<ContainerNetwork> prepare_network(const plan::Network& network, pid_t instance, bool rootless);

// For `plan-exec --cleanup`: removes interfaces left by plan-exec instances that are no
// longer running; returns a line per thing removed.
std::vector<std::string> cleanup_network_leftovers();

}  // namespace launcher

namespace launcher {

// `plan-exec --instance K`: the K-th copy of one plan moves its veth addresses K subnets up
// (10.200.0.1/24 and .2/24 become 10.200.K.1 and .2 for K < 256; gateway likewise) and a pinned
// host name "veth-h" becomes "veth-h-K" (one name is one interface on the host), so several
// copies of the same plan run at once, each on its own subnet. K = 0 leaves the plan as is.
// Throws StepError(step "network") when the shift leaves the address space.
void shift_to_instance(plan::Network& network, unsigned instance);

}  // namespace launcher
