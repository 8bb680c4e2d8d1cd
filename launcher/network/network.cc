// SPDX-License-Identifier: Apache-2.0
// The plan's network section: which ContainerNetwork each mode gets, and the veth's steps.
// Validation lives in network_validate.cc, netlink calls in network_netlink.cc.
#include "launcher/network/network.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>

#include "launcher/host/error.h"
#include "launcher/network/network_env.h"
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
  VethNetwork(NetworkEnvironment env, ResolvedVeth veth, InstanceId instance)
      : env_(std::move(env)), netlink_(env_.netlink), veth_(std::move(veth)), instance_(instance) {}

  // Parent: the pair appears with its container end already inside the child's namespace.
  void setup_host(pid_t child) override {
    HostLock lock(env_.lock_path);
    // prepare() checked the host, but another plan-exec may have taken the addresses since.
    check_host_state(veth_, netlink_->interfaces(), env_.instance_running);
    netlink_->create_veth({veth_.host_ifname, veth_.container_ifname, child, veth_.mtu});
    created_ = true;
    try {
      netlink_->add_address(veth_.host_ifname, veth_.host_address, veth_.host_prefix);
      netlink_->disable_ipv4_forwarding(veth_.host_ifname);  // no forwarding, no NAT: the host end only
      // The alias marks the interface as ours even when the plan pinned its name.
      netlink_->set_up(veth_.host_ifname, instance_alias(instance_));
    } catch (...) {
      teardown();  // leave nothing half-made behind; the caller reports the error
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

  // Deleting the host end deletes the peer. Only what setup_host created: a pinned name may
  // belong to someone else when setup_host failed to create it.
  void teardown() override {
    if (!created_) return;
    netlink_->delete_link(veth_.host_ifname);
    created_ = false;
  }

  std::string describe() const override {
    std::string text = "network veth: host " + veth_.host_ifname + " " + veth_.host_address.to_string() + "/" +
                       std::to_string(veth_.host_prefix) + " <-> container " + veth_.container_ifname + " " +
                       veth_.container_address.to_string() + "/" + std::to_string(veth_.container_prefix);
    if (veth_.gateway) text += ", default route via " + veth_.gateway->to_string();
    if (veth_.mtu) text += ", mtu " + std::to_string(veth_.mtu);
    return text + "; no forwarding or NAT";
  }

 private:
  NetworkEnvironment env_;
  std::shared_ptr<NetlinkOps> netlink_;
  ResolvedVeth veth_;
  InstanceId instance_;
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
  return std::make_unique<VethNetwork>(env, std::move(veth), env.identify(instance));
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

}  // namespace

std::optional<std::uint64_t> process_start_time(pid_t pid) {
  std::ifstream stat_file("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!std::getline(stat_file, text)) return std::nullopt;
  // "pid (comm) state ppid ...": comm may hold spaces and ')', so count fields after the last ')'.
  const auto close = text.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  for (int number = 3; number <= 22 && fields >> field; ++number) {
    if (number == 22) return std::stoull(field);
  }
  return std::nullopt;
}

InstanceId identify_process(pid_t pid) { return {pid, process_start_time(pid)}; }

bool is_instance_running(const InstanceId& instance) {
  const auto start = process_start_time(instance.pid);
  if (!start) return false;
  return !instance.start_time || *instance.start_time == *start;
}

NetworkEnvironment real_network_environment() {
  return {make_netlink_ops(), identify_process, is_instance_running, kNetworkLockPath};
}

std::unique_ptr<ContainerNetwork> prepare_network(const plan::Network& network, pid_t instance, bool rootless,
                                                  const NetworkEnvironment& env) {
  switch (network.mode) {
    case plan::NetworkMode::Host: return std::make_unique<HostNetwork>();
    case plan::NetworkMode::None: return std::make_unique<IsolatedNetwork>(env.netlink, false);
    case plan::NetworkMode::Loopback: return std::make_unique<IsolatedNetwork>(env.netlink, true);
    case plan::NetworkMode::Veth: return prepare_veth(network, instance, rootless, env);
  }
  throw StepError("network", "unknown network mode in the plan; recompile the policy");
}

std::unique_ptr<ContainerNetwork> prepare_network(const plan::Network& network, pid_t instance, bool rootless) {
  return prepare_network(network, instance, rootless, real_network_environment());
}

std::vector<std::string> find_network_leftovers(const NetworkEnvironment& env) {
  std::vector<std::string> out;
  for (const HostInterface& iface : leftovers(env)) out.push_back(leftover_text(iface));
  return out;
}

std::vector<std::string> cleanup_network_leftovers(const NetworkEnvironment& env) {
  std::vector<std::string> out;
  for (const HostInterface& iface : leftovers(env)) {
    // false: it vanished meanwhile (its namespace died), which is what we wanted anyway.
    if (env.netlink->delete_link(iface.name)) out.push_back(leftover_text(iface));
  }
  return out;
}

std::vector<std::string> cleanup_network_leftovers() { return cleanup_network_leftovers(real_network_environment()); }

}  // namespace launcher
