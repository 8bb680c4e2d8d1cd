// SPDX-License-Identifier: Apache-2.0
// The few netlink operations the network step needs, behind an interface so the step's logic
// (validation, order of calls, rollback, cleanup) is unit-tested with a recording fake, and
// runs for real through libnl-route-3 (never the `ip` command).
//
// Every operation acts on the net namespace of the CALLING process at the time of the call:
// the real implementation opens a fresh netlink socket per call, because a socket stays bound
// to the namespace it was created in, and setup_inside() runs in the child after it entered
// its own namespace.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "launcher/network/network_address.h"

namespace launcher {

struct HostInterface {
  std::string name;
  std::string kind;                  // "veth", "" for physical/loopback
  std::string alias;                 // IFLA_IFALIAS; plan-exec marks its host ends "plan-exec:<pid>"
  std::vector<IpAddress> addresses;
};

struct VethRequest {
  std::string host_ifname;
  std::string container_ifname;
  pid_t container_pid = 0;           // the peer is created directly in this process's net namespace
  std::uint32_t mtu = 0;             // on both ends; 0 = kernel default
};

class NetlinkOps {
 public:
  virtual ~NetlinkOps() = default;
  virtual std::vector<HostInterface> interfaces() = 0;
  virtual void create_veth(const VethRequest& request) = 0;
  // Brings the link up; a non-empty alias is set in the same request.
  virtual void set_up(const std::string& ifname, const std::string& alias) = 0;
  virtual void add_address(const std::string& ifname, const IpAddress& address, unsigned prefix) = 0;
  virtual void add_default_route(const std::string& ifname, const IpAddress& gateway) = 0;
  // net.ipv4.conf.<ifname>.forwarding = 0: IPv4 packets arriving on the interface are never
  // routed on, even on a host with ip_forward=1 (a Docker host), so the container reaches the
  // host end's address and nothing beyond. (A sysctl file, not netlink; it belongs here anyway.)
  virtual void disable_ipv4_forwarding(const std::string& ifname) = 0;
  // Returns false when there is no such interface (teardown is idempotent).
  virtual bool delete_link(const std::string& ifname) = 0;
};

// libnl-route-3. Errors throw StepError(step "network") naming the operation and interface.
std::unique_ptr<NetlinkOps> make_netlink_ops();

}  // namespace launcher
