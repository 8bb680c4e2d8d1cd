// SPDX-License-Identifier: Apache-2.0
// The plan's network section: which ContainerNetwork each mode gets, and the veth's steps.
// Validation lives in network_validate.cc, netlink calls in network_netlink.cc.
#include "launcher/network/network.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <sys/socket.h>

#include <cerrno>
#include <fstream>
#include <optional>
#include <utility>
#include <sstream>

#include "launcher/host/error.h"
#include "launcher/network/network_dns.h"
#include "launcher/network/network_env.h"
#include "launcher/network/network_join.h"
#include "launcher/network/network_pasta.h"
#include "launcher/network/network_validate.h"

namespace launcher {

namespace {

// `network host`: the container shares the host's stack; nothing to do.
class HostNetwork final : public ContainerNetwork {
 public:
  void setup_host(pid_t) override {}
  void setup_inside() override {}
  void teardown() override {}
  std::string describe() const override { return "network host: shares the host's network (no isolation)"; }
};

// `network none` and `network loopback`: the net namespace comes from clone(); loopback only
// has to bring lo up (a new namespace starts with lo down).
class IsolatedNetwork final : public ContainerNetwork {
 public:
  IsolatedNetwork(std::shared_ptr<NetlinkOps> netlink, bool loopback) : netlink_(std::move(netlink)), loopback_(loopback) {}
  void setup_host(pid_t) override {}
  void setup_inside() override {
    if (loopback_) netlink_->set_up("lo", "");
  }
  void teardown() override {}
  std::string describe() const override {
    return loopback_ ? "network loopback: own net namespace, lo up, no other interface"
                     : "network none: own net namespace, no interface up (lo down)";
  }

 private:
  std::shared_ptr<NetlinkOps> netlink_;
  bool loopback_;
};

// An exclusive flock() held for its lifetime; no-op for an empty path.
class HostLock {
 public:
  explicit HostLock(const std::string& path) {
    if (path.empty()) return;
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ < 0) throw StepError("network", "open the lock file " + path + " (is /run writable?)", errno);
    if (::flock(fd_, LOCK_EX) != 0) {
      const int err = errno;
      ::close(fd_);
      throw StepError("network", "lock " + path, err);
    }
  }
  ~HostLock() {
    if (fd_ >= 0) ::close(fd_);  // closing releases the lock
  }
  HostLock(const HostLock&) = delete;
  HostLock& operator=(const HostLock&) = delete;

 private:
  int fd_ = -1;
};

class VethNetwork final : public ContainerNetwork {
 public:
  VethNetwork(NetworkEnvironment env, ResolvedVeth veth, InstanceId instance, std::string resolv_conf)
      : env_(std::move(env)), netlink_(env_.netlink), veth_(std::move(veth)), instance_(instance),
        resolv_conf_(std::move(resolv_conf)) {}

  std::string resolv_conf() const override { return resolv_conf_; }

  // Parent: the pair appears with its container end already inside the child's namespace.
  void setup_host(pid_t child) override {
    HostLock lock(env_.lock_path);
    // prepare() checked the host, but another plan-exec may have taken the addresses since.
    check_host_state(veth_, netlink_->interfaces(), env_.instance_running);
    if (!veth_.publish.empty()) check_ports_free(veth_.publish, list_nat_tables(env_.nat), env_.nat, env_.instance_running);
    netlink_->create_veth({veth_.host_ifname, veth_.container_ifname, child, veth_.mtu});
    created_ = true;
    try {
      netlink_->add_address(veth_.host_ifname, veth_.host_address, veth_.host_prefix);
      if (veth_.needs_nat()) {
        prepare_host_end_for_nat();
      } else {
        netlink_->disable_ipv4_forwarding(veth_.host_ifname);  // no forwarding, no NAT: the host end only
      }
      // The alias marks the interface as ours even when the plan pinned its name.
      netlink_->set_up(veth_.host_ifname, instance_alias(instance_));
      if (veth_.needs_nat()) apply_nat_locked();
    } catch (...) {
      teardown_locked();  // leave nothing half-made behind; the caller reports the error
      throw;
    }
  }

  // Child, inside its namespace: the container end exists (setup_host ran before release).
  void setup_inside() override {
    netlink_->set_up("lo", "");
    netlink_->add_address(veth_.container_ifname, veth_.container_address, veth_.container_prefix);
    netlink_->set_up(veth_.container_ifname, "");
    if (veth_.gateway) netlink_->add_default_route(veth_.container_ifname, *veth_.gateway);
  }

  void teardown() override {
    if (!created_ && !nat_) return;
    HostLock lock(env_.lock_path);
    teardown_locked();
  }

  std::string describe() const override {
    std::string text = "network veth: host " + veth_.host_ifname + " " + veth_.host_address.to_string() + "/" +
                       std::to_string(veth_.host_prefix) + " <-> container " + veth_.container_ifname + " " +
                       veth_.container_address.to_string() + "/" + std::to_string(veth_.container_prefix);
    if (veth_.gateway) text += ", default route via " + veth_.gateway->to_string();
    if (veth_.mtu) text += ", mtu " + std::to_string(veth_.mtu);
    if (!veth_.needs_nat()) return text + "; no forwarding or NAT";
    for (const auto& port : veth_.publish) {
      text += ", publish " + port.protocol + " " + (port.host_address.empty() ? "*" : port.host_address) + ":" +
              std::to_string(port.host_port) + " -> " + std::to_string(port.container_port);
    }
    if (veth_.outbound_nat) text += ", outbound through NAT";
    return text + " (nftables table " + nat_family(veth_.container_address) + " " + nat_table_name(instance_) + ")";
  }

  std::optional<VethEnds> veth_ends() const override {
    return VethEnds{veth_.host_ifname, veth_.container_ifname,
                    veth_.host_address.to_string() + "/" + std::to_string(veth_.host_prefix),
                    veth_.container_address.to_string() + "/" + std::to_string(veth_.container_prefix)};
  }

 private:
  // Packets for the container that arrive from elsewhere are forwarded, so the host end must
  // forward their replies back (IPv4 decides by the arriving interface). route_localnet lets a
  // connection to 127.0.0.1, redirected to the container in the output chain, leave the host at
  // all (docker does the same on its bridge); the postrouting masquerade then gives it the host
  // end's address as its source, so 127.0.0.1 never appears on the wire. Both sysctls belong to
  // our interface and die with it.
  void prepare_host_end_for_nat() {
    if (veth_.container_address.family != AF_INET) return;
    const std::string conf = "/proc/sys/net/ipv4/conf/" + veth_.host_ifname;
    env_.nat.write_file(conf + "/forwarding", "1\n");
    if (!veth_.publish.empty()) env_.nat.write_file(conf + "/route_localnet", "1\n");
  }

  void apply_nat_locked() {
    NatRequest request{instance_, veth_.host_ifname, veth_.container_address, veth_.container_prefix,
                       veth_.publish, veth_.outbound_nat, {}, {}};
    request.forwarding = interfaces_needing_forwarding(request, netlink_->interfaces(), env_.nat);
    NatTableState state{nat_family(veth_.container_address), nat_table_name(instance_), instance_, {}, {}, {}};
    nat_ = state;  // from here on teardown tries to remove it (remove_nat tolerates a missing table)
    apply_nat(request, env_.nat);
    nat_->forwarding = request.forwarding;
    nat_->forwarding_restore = request.forwarding_restore;
  }

  // Deleting the host end deletes the peer. Only what setup_host created: a pinned name may
  // belong to someone else when setup_host failed to create it.
  void teardown_locked() {
    if (created_) {
      netlink_->delete_link(veth_.host_ifname);
      created_ = false;
    }
    if (auto table = std::exchange(nat_, std::nullopt)) remove_nat(*table, env_.nat);
  }

  NetworkEnvironment env_;
  std::shared_ptr<NetlinkOps> netlink_;
  ResolvedVeth veth_;
  InstanceId instance_;
  std::string resolv_conf_;
  std::optional<NatTableState> nat_;
  bool created_ = false;
};

std::unique_ptr<ContainerNetwork> prepare_veth(const plan::Network& network, pid_t instance, bool rootless,
                                               const NetworkEnvironment& env) {
  if (rootless) {
    throw StepError("network",
                    "network veth needs CAP_NET_ADMIN on the host to create the interface pair, which a rootless run "
                    "does not have; use `network loopback` in the policy, or run plan-exec as root");
  }
  if (!network.veth) throw StepError("network", "network mode veth without a veth section in the plan; recompile the policy");
  ResolvedVeth veth = resolve_veth(*network.veth, instance);
  check_host_state(veth, env.netlink->interfaces(), env.instance_running);
  // Also loads libnftables: a host without it fails here, before anything is made.
  if (veth.needs_nat()) {
    const auto tables = list_nat_tables(env.nat);
    if (!veth.publish.empty()) check_ports_free(veth.publish, tables, env.nat, env.instance_running);
  }
  std::string resolv_conf;
  if (!veth.dns.empty()) {
    resolv_conf = resolv_conf_text(veth.dns, veth.dns == "host" && env.nat.read_file ? env.nat.read_file("/etc/resolv.conf") : "");
  }
  return std::make_unique<VethNetwork>(env, std::move(veth), env.identify(instance), std::move(resolv_conf));
}

// The veths of plan-exec instances that are no longer running.
std::vector<HostInterface> leftovers(const NetworkEnvironment& env) {
  std::vector<HostInterface> out;
  for (HostInterface& iface : env.netlink->interfaces()) {
    const auto instance = instance_of(iface);
    if (instance && !env.instance_running(*instance)) out.push_back(std::move(iface));
  }
  return out;
}

std::string leftover_text(const HostInterface& iface) {
  return "veth " + iface.name + " of plan-exec " + std::to_string(instance_of(iface)->pid) + ", which is no longer running";
}

// Tables of runs that are gone (SIGKILL: nothing of plan-exec ran at its end). None can exist
// where libnftables cannot be loaded: then there is nothing to look at.
std::vector<NatTableState> dead_nat_tables(const NetworkEnvironment& env) {
  if (!env.nat.nft) return {};
  try {
    env.nat.nft();
  } catch (const StepError&) {
    return {};
  }
  std::vector<NatTableState> out;
  for (auto& table : list_nat_tables(env.nat)) {
    if (!env.instance_running(table.instance)) out.push_back(std::move(table));
  }
  return out;
}

std::string leftover_text(const NatTableState& table) {
  return "nftables table " + table.family + " " + table.name + " of plan-exec " + std::to_string(table.instance.pid) +
         ", which is no longer running" + (table.forwarding_restore.empty() ? "" : " (forwarding restored where it was off)");
}

}  // namespace

InstanceId identify_process(pid_t pid) { return {pid, process_start_time(pid)}; }

bool is_instance_running(const InstanceId& instance) {
  const auto start = process_start_time(instance.pid);
  if (!start) return false;
  return !instance.start_time || *instance.start_time == *start;
}

NetworkEnvironment real_network_environment() {
  return {make_netlink_ops(), identify_process, is_instance_running, kNetworkLockPath, real_nat_host()};
}

std::unique_ptr<ContainerNetwork> prepare_network(const plan::Network& network, pid_t instance, bool rootless,
                                                  const NetworkEnvironment& env) {
  switch (network.mode) {
    case plan::NetworkMode::Host: return std::make_unique<HostNetwork>();
    case plan::NetworkMode::None: return std::make_unique<IsolatedNetwork>(env.netlink, false);
    case plan::NetworkMode::Loopback: return std::make_unique<IsolatedNetwork>(env.netlink, true);
    case plan::NetworkMode::Veth: return prepare_veth(network, instance, rootless, env);
    case plan::NetworkMode::Join:
      if (!network.join) throw StepError("network", "network mode join without a join section in the plan; recompile the policy");
      return prepare_join(*network.join);
    case plan::NetworkMode::User:
      if (!network.user) throw StepError("network", "network mode user without a user section in the plan; recompile the policy");
      return prepare_pasta(*network.user, rootless);
  }
  throw StepError("network", "unknown network mode in the plan; recompile the policy");
}

std::unique_ptr<ContainerNetwork> prepare_network(const plan::Network& network, pid_t instance, bool rootless) {
  return prepare_network(network, instance, rootless, real_network_environment());
}

std::vector<std::string> find_network_leftovers(const NetworkEnvironment& env) {
  std::vector<std::string> out;
  for (const auto& table : dead_nat_tables(env)) out.push_back(leftover_text(table));
  for (const HostInterface& iface : leftovers(env)) out.push_back(leftover_text(iface));
  return out;
}

std::vector<std::string> cleanup_network_leftovers(const NetworkEnvironment& env) {
  std::vector<std::string> out;
  {
    HostLock lock(env.lock_path);
    for (const auto& table : dead_nat_tables(env)) {
      if (remove_nat(table, env.nat)) out.push_back(leftover_text(table));
    }
  }
  for (const HostInterface& iface : leftovers(env)) {
    // false: it vanished meanwhile (its namespace died), which is what we wanted anyway.
    if (env.netlink->delete_link(iface.name)) out.push_back(leftover_text(iface));
  }
  return out;
}

std::vector<std::string> cleanup_network_leftovers() { return cleanup_network_leftovers(real_network_environment()); }

}  // namespace launcher
