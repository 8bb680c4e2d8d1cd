// SPDX-License-Identifier: Apache-2.0
// The host side of published ports and outbound NAT: the instance's nftables table and the
// forwarding sysctls it needs, shared between runs by reference counting through the state in
// the tables (network_nat.h). Every call runs under the network lock (network.cc's HostLock),
// so two runs never read the tables and sysctls at the same moment.
#pragma once

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "launcher/network/network_nat.h"
#include "launcher/network/network_netlink.h"
#include "launcher/network/nft.h"

namespace launcher {

// What the NAT step reads and writes on the host besides netlink; fakes in unit tests.
struct NatHost {
  std::function<std::shared_ptr<NftOps>()> nft;                           // loaded at first use
  std::function<std::string(const std::string& path)> read_file;          // "" when unreadable
  std::function<void(const std::string& path, const std::string& value)> write_file;  // throws StepError
};
NatHost real_nat_host();

std::string ipv4_forwarding_path(const std::string& ifname);  // /proc/sys/net/ipv4/conf/IF/forwarding
inline constexpr const char kIpv6ForwardingPath[] = "/proc/sys/net/ipv6/conf/all/forwarding";

// Refuses, naming the run or socket that holds it, a host port already published by another
// plan-exec run or bound by a socket on this host (its own published ports count too).
void check_ports_free(const std::vector<plan::PublishedPort>& publish, const std::vector<NatTableState>& tables,
                      const NatHost& host, const InstanceRunning& instance_running);

// The interfaces that need forwarding for `request` (IPv4: by name; IPv6: "all").
std::set<std::string> interfaces_needing_forwarding(const NatRequest& request, const std::vector<HostInterface>& host,
                                                    const NatHost& nat_host);

// Creates the table and turns forwarding on where needed; fills request.forwarding_restore.
void apply_nat(NatRequest& request, const NatHost& host);
// Deletes the table and turns forwarding off where no other table still needs it and it was
// off before plan-exec. Returns false when the table was already gone.
bool remove_nat(const NatTableState& table, const NatHost& host);

std::vector<NatTableState> list_nat_tables(const NatHost& host);

}  // namespace launcher
