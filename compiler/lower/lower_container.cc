// SPDX-License-Identifier: Apache-2.0
#include "compiler/lower/lower_container.h"

#include <sys/mount.h>

#include <algorithm>

#include "compiler/values/defaults.h"
#include "compiler/values/values.h"

namespace policyc::lower {
namespace {

plan::MountKind mount_kind_of(const std::string& kind) {
  static const std::pair<const char*, plan::MountKind> kKinds[] = {
      {"proc", plan::MountKind::Proc}, {"sysfs", plan::MountKind::Sysfs}, {"tmpfs", plan::MountKind::Tmpfs},
      {"bind", plan::MountKind::Bind}, {"dev", plan::MountKind::Dev},     {"mqueue", plan::MountKind::Mqueue},
      {"devpts", plan::MountKind::Devpts}};
  for (const auto& [name, value] : kKinds) if (kind == name) return value;
  return plan::MountKind::Tmpfs;   // unreachable after the checks
}

plan::NetworkMode network_mode_of(const std::string& mode) {
  if (mode == "none") return plan::NetworkMode::None;
  if (mode == "loopback") return plan::NetworkMode::Loopback;
  if (mode == "veth") return plan::NetworkMode::Veth;
  if (mode == "join") return plan::NetworkMode::Join;
  if (mode == "user") return plan::NetworkMode::User;
  return plan::NetworkMode::Host;
}

std::vector<plan::PublishedPort> lower_published_ports(const std::vector<ast::PublishDecl>& decls) {
  std::vector<plan::PublishedPort> out;
  for (const auto& decl : decls) {
    std::string why;
    const auto mapping = parse_port_mapping(decl.spec.text, why);  // the checks passed it
    if (!mapping) continue;
    out.push_back({decl.protocol ? decl.protocol->text : "tcp", mapping->host_address,
                   static_cast<std::uint16_t>(mapping->host_port), static_cast<std::uint16_t>(mapping->container_port)});
  }
  return out;
}

std::uint64_t size_or_zero(const std::string& text) {
  std::string why;
  return parse_size(text, why).value_or(0);
}

std::uint32_t id_or_zero(const std::string& text) {
  std::string why;
  return static_cast<std::uint32_t>(parse_uint(text, 4294967294u, why).value_or(0));
}

// tmpfs options in the order mount(8) prints them.
std::string tmpfs_data(const ast::MountDecl& m, const std::string& default_mode) {
  std::string data;
  if (m.size) data = "size=" + std::to_string(size_or_zero(m.size->text));
  std::string mode = m.mode ? m.mode->text : default_mode;
  if (!mode.empty()) data += (data.empty() ? "" : ",") + ("mode=" + mode);
  return data;
}

plan::Mount lower_mount(const ast::MountDecl& m) {
  plan::Mount out;
  out.kind = mount_kind_of(m.kind.text);
  out.target = m.target.text;
  const std::uint64_t hardened = MS_NOSUID | MS_NODEV | MS_NOEXEC;
  switch (out.kind) {
    case plan::MountKind::Proc:
      out = {out.kind, "proc", out.target, "proc", hardened, "", false};
      break;
    case plan::MountKind::Sysfs:
      out = {out.kind, "sysfs", out.target, "sysfs", hardened | MS_RDONLY, "", false};
      break;
    case plan::MountKind::Tmpfs:
      out = {out.kind, "tmpfs", out.target, "tmpfs", MS_NOSUID | MS_NODEV, tmpfs_data(m, ""), false};
      break;
    case plan::MountKind::Bind:
      // nodev: a bound host directory may hold device nodes (plan-exec adds it anyway).
      out = {out.kind, m.source ? m.source->text : "", out.target, "", MS_BIND | MS_REC | MS_NODEV, "", m.readonly};
      break;
    case plan::MountKind::Dev:
      // A tmpfs the launcher fills with null, zero, full, random, urandom, tty, pts, shm.
      out = {out.kind, "tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_STRICTATIME, tmpfs_data(m, "755"), false};
      break;
    case plan::MountKind::Mqueue:
      out = {out.kind, "mqueue", out.target, "mqueue", hardened, "", false};
      break;
    case plan::MountKind::Devpts:
      out = {out.kind, "devpts", out.target, "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620", false};
      break;
  }
  if (m.readonly && out.kind != plan::MountKind::Bind) out.flags |= MS_RDONLY;
  return out;
}

void lower_paths(const ast::Container& c, plan::Plan& plan) {
  bool mask_none = std::any_of(c.masked_paths.begin(), c.masked_paths.end(), [](const ast::Word& w) { return w.text == "none"; });
  bool proc_mounted = std::any_of(plan.mounts.begin(), plan.mounts.end(),
                                  [](const plan::Mount& m) { return m.kind == plan::MountKind::Proc; });
  auto add_unique = [](std::vector<std::string>& list, const std::string& path) {
    if (std::find(list.begin(), list.end(), path) == list.end()) list.push_back(path);
  };
  if (proc_mounted && !mask_none) {
    for (const auto& p : default_masked_paths()) add_unique(plan.masked_paths, p);
    for (const auto& p : default_readonly_paths()) add_unique(plan.readonly_paths, p);
  }
  if (!mask_none) for (const auto& w : c.masked_paths) add_unique(plan.masked_paths, w.text);
  for (const auto& w : c.readonly_paths) add_unique(plan.readonly_paths, w.text);
}

plan::Network lower_network(const ast::Container& c, bool own_netns) {
  plan::Network net;
  std::string mode = c.network ? c.network->mode.text : own_netns ? "loopback" : "host";
  net.mode = network_mode_of(mode);
  if (net.mode == plan::NetworkMode::Join) {
    std::string why;
    plan::NetworkJoin join;
    if (c.network->join_path) join.path = c.network->join_path->text;
    if (c.network->join_pid) join.pid = static_cast<std::int32_t>(parse_uint(c.network->join_pid->text, 0x7fffffff, why).value_or(0));
    net.join = join;
    return net;
  }
  if (net.mode == plan::NetworkMode::User) {
    plan::UserNetwork user;
    if (c.network->veth) {
      user.publish = lower_published_ports(c.network->veth->publish);
      user.outbound = !c.network->veth->outbound.empty();
    }
    net.user = user;
    return net;
  }
  if (net.mode != plan::NetworkMode::Veth || !c.network->veth) return net;
  const ast::VethDecl& decl = *c.network->veth;
  plan::Veth veth;
  std::string why;
  auto host = parse_cidr(decl.host->text, why);
  auto container = parse_cidr(decl.container->text, why);
  veth.host_address = host->address;
  veth.host_prefix = static_cast<std::uint8_t>(host->prefix);
  veth.container_address = container->address;
  veth.container_prefix = static_cast<std::uint8_t>(container->prefix);
  if (decl.gateway) veth.gateway = decl.gateway->text == "host" ? host->address : decl.gateway->text;
  if (decl.mtu) veth.mtu = static_cast<std::uint32_t>(parse_uint(decl.mtu->text, 65535, why).value_or(0));
  if (decl.host_name) veth.host_ifname = decl.host_name->text;
  veth.container_ifname = decl.container_name ? decl.container_name->text : "eth0";
  veth.publish = lower_published_ports(decl.publish);
  veth.outbound_nat = !decl.outbound.empty();
  if (!decl.dns.empty()) veth.dns = decl.dns.front().text;
  net.veth = veth;
  return net;
}

// The granted nodes in policy order, once each, without those the minimal /dev has anyway.
std::vector<std::string> lower_devices(const ast::Container& c) {
  const auto& defaults = minimal_dev_nodes();
  std::vector<std::string> out;
  for (const auto& device : c.devices) {
    const std::string& path = device.text;
    const bool minimal = path.rfind("/dev/", 0) == 0 &&
                         std::find(defaults.begin(), defaults.end(), path.substr(5)) != defaults.end();
    if (!minimal && std::find(out.begin(), out.end(), path) == out.end()) out.push_back(path);
  }
  return out;
}

std::vector<int> lower_capabilities(const ast::Container& c) {
  if (!c.capabilities_keep) return default_capabilities();
  std::vector<int> caps;
  for (const auto& name : *c.capabilities_keep) {
    if (auto number = capability_number(name.text)) caps.push_back(*number);
  }
  std::sort(caps.begin(), caps.end());
  caps.erase(std::unique(caps.begin(), caps.end()), caps.end());
  return caps;
}

std::vector<plan::Rlimit> lower_rlimits(const ast::Container& c) {
  std::vector<plan::Rlimit> out;
  for (const auto& r : c.rlimits) {
    std::string why;
    auto resource = rlimit_number(r.resource.text);
    auto soft = parse_rlimit_value(r.soft.text, why);
    auto hard = r.hard ? parse_rlimit_value(r.hard->text, why) : soft;
    if (resource && soft && hard) out.push_back({*resource, r.resource.text, *soft, *hard});
  }
  return out;
}

std::vector<plan::IdMapping> lower_id_maps(const std::vector<ast::IdMapDecl>& maps) {
  std::vector<plan::IdMapping> out;
  for (const auto& m : maps) {
    out.push_back({id_or_zero(m.inside.text), id_or_zero(m.outside.text), id_or_zero(m.count.text)});
  }
  return out;
}

plan::User lower_user(const ast::Container& c) {
  plan::User user;
  if (c.user) {
    user.uid = id_or_zero(c.user->uid.text);
    user.gid = c.user->gid ? id_or_zero(c.user->gid->text) : user.uid;   // `user 1000` = 1000:1000
    for (const auto& g : c.user->groups) user.groups.push_back(id_or_zero(g.text));
  }
  user.uid_map = lower_id_maps(c.uid_map);
  user.gid_map = lower_id_maps(c.gid_map);
  return user;
}

std::vector<std::string> lower_env(const ast::Container& c) {
  std::vector<std::string> env;
  bool has_path = false;
  for (const auto& e : c.env) {
    env.push_back(e.key.text + "=" + e.value.text);
    has_path = has_path || e.key.text == "PATH";
  }
  if (!has_path) env.insert(env.begin(), std::string("PATH=") + kDefaultPath);
  return env;
}

}  // namespace

const std::vector<std::string>& default_masked_paths() {
  static const std::vector<std::string> paths = {
      "/proc/acpi",        "/proc/asound",      "/proc/kcore",       "/proc/keys",
      "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
      "/proc/scsi",        "/sys/firmware",     "/sys/devices/virtual/powercap"};
  return paths;
}

const std::vector<std::string>& default_readonly_paths() {
  static const std::vector<std::string> paths = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                                                 "/proc/sysrq-trigger"};
  return paths;
}

void lower_container(const ast::Container& c, plan::Plan& plan) {
  plan.name = c.name.text;
  for (const auto& ns : c.namespaces) {
    auto value = plan::namespace_from_string(ns.text);
    if (value && !plan.has_namespace(*value)) plan.namespaces.push_back(*value);
  }
  if (c.rootfs) {
    plan.rootfs = plan::Rootfs{c.rootfs->archive ? plan::RootfsKind::Archive : plan::RootfsKind::Directory,
                               c.rootfs->path.text, c.rootfs->readonly, c.rootfs->chroot};
    plan.rootfs->writethrough = c.rootfs->writethrough;
  }
  for (const auto& m : c.mounts) plan.mounts.push_back(lower_mount(m));
  lower_paths(c, plan);
  plan.devices = lower_devices(c);
  if (c.hostname) plan.hostname = c.hostname->text;
  plan.network = lower_network(c, plan.has_namespace(plan::Namespace::Net));
  if (c.limits_where) plan.cgroups = lower_limits(c.limits);
  plan.capabilities = lower_capabilities(c);
  plan.rlimits = lower_rlimits(c);
  plan.user = lower_user(c);
  plan.env = lower_env(c);
  plan.cwd = c.cwd ? c.cwd->text : "/";
  for (const auto& arg : c.command) plan.command.push_back(arg.text);
  plan.command_is_init = c.init && c.init->text == "none";
  plan.no_new_privs = true;
  if (c.landlock) plan.landlock = lower_landlock(*c.landlock);
}

}  // namespace policyc::lower
