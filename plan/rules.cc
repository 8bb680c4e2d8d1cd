// SPDX-License-Identifier: Apache-2.0
// The rules of docs/plan.md "Rules", one function per section of the plan. Each violation names
// the key and says what to do; the compiler's located checks (compiler/check/) refuse the same
// things in the policy, so a plan policyc writes passes and a tampered one does not.
#include "plan/rules.h"

#include <arpa/inet.h>
#include <linux/seccomp.h>
#include <sys/mount.h>
#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <map>
#include <set>

#include "plan/bpf_check.h"
#include "plan/bpf_interp.h"
#include "plan/plan_json.h"
#include "plan/source_map.h"

namespace plan {
namespace {

using Violations = std::vector<RuleViolation>;

std::string quoted(const std::string& text) { return "\"" + text + "\""; }
std::string indexed(const std::string& key, std::size_t i) { return key + "[" + std::to_string(i) + "]"; }

// ---- namespaces ---------------------------------------------------------------------------

void need_namespace(const Plan& p, Namespace ns, const std::string& key, const std::string& what, Violations& out) {
  if (p.has_namespace(ns)) return;
  out.push_back({key, what + " needs the " + to_string(ns) + " namespace: add " + to_string(ns) +
                          " to the policy's namespaces"});
}

void check_namespaces(const Plan& p, Violations& out) {
  std::set<Namespace> seen;
  for (std::size_t i = 0; i < p.namespaces.size(); ++i) {
    if (!seen.insert(p.namespaces[i]).second) {
      out.push_back({indexed("plan.namespaces", i), to_string(p.namespaces[i]) + " is listed twice; list it once"});
    }
  }
  if (p.rootfs) need_namespace(p, Namespace::Mount, "plan.rootfs", "a rootfs", out);
  if (!p.hostname.empty()) need_namespace(p, Namespace::Uts, "plan.hostname", "setting the hostname", out);
  if (!p.user.uid_map.empty()) need_namespace(p, Namespace::User, "plan.user.uid_map", "a uid map", out);
  if (!p.user.gid_map.empty()) need_namespace(p, Namespace::User, "plan.user.gid_map", "a gid map", out);
  const bool netns = p.has_namespace(Namespace::Net);
  if (p.network.mode != NetworkMode::Host && !netns) {
    need_namespace(p, Namespace::Net, "plan.network.mode", "network " + to_string(p.network.mode), out);
  }
  if (p.network.mode == NetworkMode::Host && netns) {
    out.push_back({"plan.network.mode", "\"host\" contradicts the net namespace in plan.namespaces; use network "
                                        "none, loopback or veth, or drop net"});
  }
}

// ---- rootfs, mounts and paths ----------------------------------------------------------------

// A path inside the container or on the host: absolute, no "..", and not the root itself.
void check_path(const std::string& key, const std::string& path, const std::string& what, Violations& out) {
  const auto normal = normal_path(path);
  if (!normal) {
    out.push_back({key, what + " " + quoted(path) + " is not an absolute path without \"..\""});
  } else if (*normal == "/") {
    out.push_back({key, what + " " + quoted(path) + " is the root \"/\" itself; name a directory below it"});
  }
}

void check_rootfs(const Plan& p, Violations& out) {
  if (!p.rootfs) return;
  check_path("plan.rootfs.path", p.rootfs->path, "rootfs", out);
  const std::string& path = p.rootfs->path;
  if (p.rootfs->kind == RootfsKind::Archive && !path.ends_with(".tar") && !path.ends_with(".tar.gz") &&
      !path.ends_with(".tgz")) {
    out.push_back({"plan.rootfs.path", "archive " + quoted(path) + " is not a .tar, .tar.gz or .tgz file"});
  }
  if (p.rootfs->writethrough && (p.rootfs->kind == RootfsKind::Archive || p.rootfs->readonly)) {
    out.push_back({"plan.rootfs.writethrough", "only a writable directory rootfs can write through to the host (drop it)"});
  }
}

struct MountShape {
  const char* source;  // nullptr: a host path (bind)
  const char* fstype;
};

MountShape shape_of(MountKind kind) {
  switch (kind) {
    case MountKind::Proc: return {"proc", "proc"};
    case MountKind::Sysfs: return {"sysfs", "sysfs"};
    case MountKind::Tmpfs: return {"tmpfs", "tmpfs"};
    case MountKind::Bind: return {nullptr, ""};
    case MountKind::Dev: return {"tmpfs", "tmpfs"};
    case MountKind::Mqueue: return {"mqueue", "mqueue"};
    case MountKind::Devpts: return {"devpts", "devpts"};
  }
  return {"", ""};
}

bool octal_mode(std::string_view text) {
  return !text.empty() && text.size() <= 5 &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '7'; });
}
bool digits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); });
}

// The mount options each kind may carry: what the lowering writes, nothing that changes what is
// mounted or where (no "uid=", no "mode" on devpts' ptmx beyond octal, no NUL, no commas tricks).
bool valid_mount_option(MountKind kind, std::string_view option) {
  const auto eq = option.find('=');
  const std::string_view name = option.substr(0, eq);
  const std::string_view value = eq == std::string_view::npos ? std::string_view() : option.substr(eq + 1);
  switch (kind) {
    case MountKind::Tmpfs: case MountKind::Dev:
      return (name == "size" && digits(value)) || (name == "mode" && octal_mode(value));
    case MountKind::Devpts:
      return (option == "newinstance") || ((name == "ptmxmode" || name == "mode") && octal_mode(value)) ||
             (name == "gid" && digits(value));
    default:
      return false;
  }
}

void check_mount_data(const Mount& m, const std::string& key, Violations& out) {
  if (m.data.empty()) return;
  std::size_t start = 0;
  while (start <= m.data.size()) {
    const std::size_t end = std::min(m.data.find(',', start), m.data.size());
    const std::string_view option = std::string_view(m.data).substr(start, end - start);
    if (!valid_mount_option(m.kind, option)) {
      out.push_back({key + ".data", "option " + quoted(std::string(option)) + " is not one a " + to_string(m.kind) +
                                        " mount takes (" + (m.kind == MountKind::Tmpfs || m.kind == MountKind::Dev
                                                                ? "size=BYTES, mode=OCTAL"
                                                                : m.kind == MountKind::Devpts
                                                                      ? "newinstance, ptmxmode=, mode=, gid="
                                                                      : "none") + ")"});
      return;
    }
    start = end + 1;
  }
}

void check_mount(const Mount& m, const std::string& key, Violations& out) {
  check_path(key + ".target", m.target, "mount target", out);
  const MountShape shape = shape_of(m.kind);
  if (!shape.source) {
    check_path(key + ".source", m.source, "bind source", out);
  } else if (m.source != shape.source) {
    out.push_back({key + ".source", "a " + to_string(m.kind) + " mount takes no source (it is always " +
                                        quoted(shape.source) + "); only bind mounts name a host path"});
  }
  if (m.fstype != shape.fstype) {
    out.push_back({key + ".fstype", quoted(m.fstype) + " is not the file system of a " + to_string(m.kind) +
                                        " mount (" + quoted(shape.fstype) + ")"});
  }
  const std::uint64_t extra = m.flags & ~allowed_mount_flags(m.kind);
  if (extra) {
    out.push_back({key + ".flags", "flags " + std::to_string(extra) + " are not ones a " + to_string(m.kind) +
                                       " mount takes (only MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC and atime flags" +
                                       (m.kind == MountKind::Bind ? ", MS_BIND and MS_REC" : "") + ")"});
  }
  const std::uint64_t missing = required_mount_flags(m.kind) & ~m.flags;
  if (missing) {
    out.push_back({key + ".flags", "lacks flags " + std::to_string(missing) + " a " + to_string(m.kind) +
                                       " mount always has (nosuid/nodev/noexec as policyc writes them)"});
  }
  check_mount_data(m, key, out);
  if (m.kind == MountKind::Dev && normal_path(m.target) != std::optional<std::string>("/dev")) {
    out.push_back({key + ".target", "the minimal /dev is mounted at /dev only"});
  }
}

void check_mounts(const Plan& p, Violations& out) {
  std::map<std::string, std::size_t> targets;
  for (std::size_t i = 0; i < p.mounts.size(); ++i) {
    const Mount& m = p.mounts[i];
    const std::string key = indexed("plan.mounts", i);
    need_namespace(p, Namespace::Mount, key, "a mount", out);
    check_mount(m, key, out);
    if (m.kind == MountKind::Proc) {
      need_namespace(p, Namespace::Pid, key, "mounting proc (without it /proc shows every host process)", out);
    }
    if (auto normal = normal_path(m.target)) {
      auto [it, inserted] = targets.emplace(*normal, i);
      if (!inserted) {
        out.push_back({key + ".target", quoted(m.target) + " is already the target of plan.mounts[" +
                                            std::to_string(it->second) + "]; remove one"});
      }
    }
  }
  auto check_list = [&](const std::vector<std::string>& paths, const std::string& key, const std::string& what) {
    for (std::size_t i = 0; i < paths.size(); ++i) {
      need_namespace(p, Namespace::Mount, indexed(key, i), what, out);
      check_path(indexed(key, i), paths[i], what, out);
    }
  };
  check_list(p.masked_paths, "plan.masked_paths", "masked path");
  check_list(p.readonly_paths, "plan.readonly_paths", "read-only path");
  for (std::size_t i = 0; i < p.devices.size(); ++i) {
    if (!normal_path(p.devices[i])) {
      out.push_back({indexed("plan.devices", i), quoted(p.devices[i]) + " is not an absolute path without \"..\""});
    } else if (!p.devices[i].starts_with("/dev/")) {
      out.push_back({indexed("plan.devices", i), quoted(p.devices[i]) + " is not a device under /dev"});
    }
  }
}

// ---- network ----------------------------------------------------------------------------------

struct Address {
  int family = 0;
  std::array<unsigned char, 16> bytes{};
  unsigned bits() const { return family == AF_INET6 ? 128 : 32; }
  bool operator==(const Address&) const = default;
};

std::optional<Address> parse_address(const std::string& text) {
  Address a;
  if (inet_pton(AF_INET, text.c_str(), a.bytes.data()) == 1) {
    a.family = AF_INET;
  } else if (inet_pton(AF_INET6, text.c_str(), a.bytes.data()) == 1) {
    a.family = AF_INET6;
  } else {
    return std::nullopt;
  }
  return a;
}

bool same_subnet(const Address& a, const Address& b, unsigned prefix) {
  for (unsigned bit = 0; bit < prefix; ++bit) {
    const unsigned mask = 0x80u >> (bit % 8);
    if ((a.bytes[bit / 8] & mask) != (b.bytes[bit / 8] & mask)) return false;
  }
  return true;
}

void check_ifname(const std::string& name, const std::string& key, bool may_be_empty, Violations& out) {
  if (name.empty() && may_be_empty) return;
  const bool bad = name.empty() || name.size() > kMaxIfnameLength || name == "." || name == ".." ||
                   std::any_of(name.begin(), name.end(), [](unsigned char c) {
                     return c <= ' ' || c == '/' || c == ':' || c >= 0x7f;
                   });
  if (bad) {
    out.push_back({key, "interface name " + quoted(name) + " must be 1 to 15 characters without spaces, '/' or ':'"});
  }
}

void check_prefix(const Address& a, unsigned prefix, const std::string& key, Violations& out) {
  const unsigned minimum = a.family == AF_INET6 ? kMinIpv6Prefix : kMinIpv4Prefix;
  if (prefix < minimum || prefix > a.bits()) {
    out.push_back({key, "/" + std::to_string(prefix) + " is outside " + std::to_string(minimum) + ".." +
                            std::to_string(a.bits()) + " for an IPv" + (a.family == AF_INET6 ? "6" : "4") +
                            " veth; give a smaller subnet"});
  }
}

// Protocol, ports 1..65535, a host address of the container's family (0: any family), and no
// host port twice for one protocol.
void check_published_ports(const std::vector<PublishedPort>& ports, int family, const std::string& key,
                           Violations& out) {
  for (std::size_t i = 0; i < ports.size(); ++i) {
    const PublishedPort& port = ports[i];
    const std::string at = key + "[" + std::to_string(i) + "]";
    if (port.protocol != "tcp" && port.protocol != "udp") {
      out.push_back({at + ".protocol", quoted(port.protocol) + " is not tcp or udp"});
    }
    if (port.host_port == 0) out.push_back({at + ".host_port", "0 is not a port; use 1..65535"});
    if (port.container_port == 0) out.push_back({at + ".container_port", "0 is not a port; use 1..65535"});
    if (!port.host_address.empty()) {
      const auto address = parse_address(port.host_address);
      if (!address) {
        out.push_back({at + ".host_address", quoted(port.host_address) + " is not an IPv4 or IPv6 address"});
      } else if (family != 0 && address->family != family) {
        out.push_back({at + ".host_address", port.host_address + " is not of the container address's IP family"});
      }
    }
    for (std::size_t j = 0; j < i; ++j) {
      const PublishedPort& other = ports[j];
      const bool overlap = other.host_address.empty() || port.host_address.empty() || other.host_address == port.host_address;
      if (other.protocol == port.protocol && other.host_port == port.host_port && overlap) {
        out.push_back({at + ".host_port", port.protocol + " " + std::to_string(port.host_port) +
                                              " is published twice (also " + key + "[" + std::to_string(j) + "])"});
      }
    }
  }
}

void check_veth(const Veth& v, Violations& out) {
  const std::string key = "plan.network.veth";
  check_ifname(v.host_ifname, key + ".host_ifname", true, out);
  check_ifname(v.container_ifname, key + ".container_ifname", false, out);
  if (v.container_ifname == "lo") out.push_back({key + ".container_ifname", "\"lo\" is the loopback's name; pick another, e.g. eth0"});
  const auto host = parse_address(v.host_address);
  const auto container = parse_address(v.container_address);
  if (!host) out.push_back({key + ".host_address", quoted(v.host_address) + " is not an IPv4 or IPv6 address"});
  if (!container) out.push_back({key + ".container_address", quoted(v.container_address) + " is not an IPv4 or IPv6 address"});
  if (!host || !container) return;
  if (host->family != container->family) {
    out.push_back({key + ".container_address", "is not of the host address's IP family; use IPv4 or IPv6 for both"});
    return;
  }
  check_prefix(*host, v.host_prefix, key + ".host_prefix", out);
  check_prefix(*container, v.container_prefix, key + ".container_prefix", out);
  if (*host == *container) {
    out.push_back({key + ".container_address", "is the host side's address too; give each end its own"});
  } else if (!same_subnet(*host, *container, std::min<unsigned>(v.host_prefix, host->bits())) ||
             !same_subnet(*host, *container, std::min<unsigned>(v.container_prefix, host->bits()))) {
    out.push_back({key + ".container_address", v.container_address + " and the host side's " + v.host_address +
                                                   " are not in one subnet (under both prefixes); put both in one, "
                                                   "e.g. 10.0.0.1/24 and 10.0.0.2/24"});
  }
  if (!v.gateway.empty()) {
    const auto gateway = v.gateway == "host" ? host : parse_address(v.gateway);
    if (!gateway || gateway->family != container->family) {
      out.push_back({key + ".gateway", quoted(v.gateway) + " is not an address of the container's IP family"});
    } else if (*gateway == *container) {
      out.push_back({key + ".gateway", "is the container's own address; use the host side's"});
    } else if (!same_subnet(*gateway, *container, std::min<unsigned>(v.container_prefix, container->bits()))) {
      out.push_back({key + ".gateway", v.gateway + " is outside the container's subnet, so the container could not "
                                                   "reach it; use the host side's address"});
    }
  }
  const std::uint32_t min_mtu = host->family == AF_INET6 ? kMinMtuIpv6 : kMinMtuIpv4;
  if (v.mtu != 0 && (v.mtu < min_mtu || v.mtu > kMaxMtu)) {
    out.push_back({key + ".mtu", std::to_string(v.mtu) + " is outside " + std::to_string(min_mtu) + ".." +
                                     std::to_string(kMaxMtu) + " (0 = the kernel's default)"});
  }
  check_published_ports(v.publish, host->family, key + ".publish", out);
  if (!v.dns.empty() && v.dns != "host" && !parse_address(v.dns)) {
    out.push_back({key + ".dns", quoted(v.dns) + " is neither \"host\" nor an IPv4 or IPv6 address"});
  }
}

void check_join(const NetworkJoin& join, Violations& out) {
  if (join.path.empty() == (join.pid <= 0)) {
    out.push_back({"plan.network.join", "needs exactly one of path (a net namespace file) and pid (a process)"});
  }
  if (!join.path.empty() && join.path[0] != '/') {
    out.push_back({"plan.network.join.path", quoted(join.path) + " is not an absolute path"});
  }
}

// ---- cgroups ------------------------------------------------------------------------------------

// The files policyc writes, per hierarchy: nothing else (cgroup.procs, devices.allow,
// release_agent, notify_on_release) may be written from a plan.
const std::set<std::string>& v2_files() {
  static const std::set<std::string> files = {"memory.max", "memory.swap.max", "memory.low", "cpu.max",
                                              "cpu.weight", "cpuset.cpus", "cpuset.mems", "pids.max"};
  return files;
}
const std::map<std::string, std::set<std::string>>& v1_files() {
  static const std::map<std::string, std::set<std::string>> files = {
      {"cpuset", {"cpuset.cpus", "cpuset.mems"}},
      {"memory", {"memory.limit_in_bytes", "memory.memsw.limit_in_bytes", "memory.soft_limit_in_bytes"}},
      {"cpu", {"cpu.cfs_period_us", "cpu.cfs_quota_us", "cpu.shares"}},
      {"pids", {"pids.max"}}};
  return files;
}

bool valid_write_value(const CgroupWrite& w) {
  if (w.file == "cpuset.cpus" || w.file == "cpuset.mems") return valid_cpu_list(w.value);
  if (w.file == "cpu.max") {
    const auto space = w.value.find(' ');
    if (space == std::string::npos) return w.value == "max" || digits(w.value);
    const std::string quota = w.value.substr(0, space);
    return (quota == "max" || digits(quota)) && digits(w.value.substr(space + 1));
  }
  return digits(w.value) || w.value == "max" || w.value == "-1";
}

void check_writes(const std::vector<CgroupWrite>& writes, const std::set<std::string>& files, const std::string& key,
                  Violations& out) {
  for (std::size_t i = 0; i < writes.size(); ++i) {
    if (!files.count(writes[i].file)) {
      out.push_back({indexed(key, i) + ".file", quoted(writes[i].file) + " is not a limit file policyc writes here"});
    } else if (!valid_write_value(writes[i])) {
      out.push_back({indexed(key, i) + ".value", quoted(writes[i].value) + " is not a value " + writes[i].file + " takes"});
    }
  }
}

void check_cgroups(const Cgroups& c, Violations& out) {
  const std::string key = "plan.cgroups";
  if (c.memory_max_bytes && *c.memory_max_bytes < kMinMemoryBytes) {
    out.push_back({key + ".memory_max_bytes", std::to_string(*c.memory_max_bytes) +
                                                  " is below 4 MiB: a process cannot start with less"});
  }
  if (c.swap_max_bytes && !c.memory_max_bytes) {
    out.push_back({key + ".swap_max_bytes", "needs memory_max_bytes (cgroup v1 limits memory and swap together)"});
  }
  if (c.memory_reservation_bytes && c.memory_max_bytes && *c.memory_reservation_bytes > *c.memory_max_bytes) {
    out.push_back({key + ".memory_reservation_bytes", "is above memory_max_bytes; a reservation is at most the limit"});
  }
  if (c.cpu_quota_us.has_value() != c.cpu_period_us.has_value()) {
    out.push_back({key + (c.cpu_quota_us ? ".cpu_period_us" : ".cpu_quota_us"), "is missing: a cpu limit is a quota and a period"});
  }
  if (c.cpu_quota_us && *c.cpu_quota_us < kMinCpuQuotaUs) {
    out.push_back({key + ".cpu_quota_us", std::to_string(*c.cpu_quota_us) + " is below the kernel's minimum of 1000 (1 ms)"});
  }
  if (c.cpu_period_us && (*c.cpu_period_us < kMinCpuPeriodUs || *c.cpu_period_us > kMaxCpuPeriodUs)) {
    out.push_back({key + ".cpu_period_us", std::to_string(*c.cpu_period_us) + " is outside 1000..1000000 (1 ms..1 s)"});
  }
  if (c.cpu_weight && (*c.cpu_weight < kMinCpuWeight || *c.cpu_weight > kMaxCpuWeight)) {
    out.push_back({key + ".cpu_weight", std::to_string(*c.cpu_weight) + " is outside 1..10000"});
  }
  if (c.pids_max && (*c.pids_max < kMinPids || *c.pids_max > kMaxPids)) {
    out.push_back({key + ".pids_max", std::to_string(*c.pids_max) + " is outside 1..4194304"});
  }
  if (c.cpuset_cpus && !valid_cpu_list(*c.cpuset_cpus)) {
    out.push_back({key + ".cpuset_cpus", quoted(*c.cpuset_cpus) + " is not a list of numbers and ranges (0-3,8)"});
  }
  if (c.cpuset_mems && !valid_cpu_list(*c.cpuset_mems)) {
    out.push_back({key + ".cpuset_mems", quoted(*c.cpuset_mems) + " is not a list of numbers and ranges (0-1)"});
  }
  if (!valid_cgroup_name(c.parent)) {
    out.push_back({key + ".parent", quoted(c.parent) + " is not a relative cgroup name (letters, digits, '-', '_', "
                                                       "'.', '/', no \"..\")"});
  }
  check_writes(c.v2, v2_files(), key + ".v2", out);
  for (std::size_t i = 0; i < c.v1.size(); ++i) {
    const auto it = v1_files().find(c.v1[i].controller);
    if (it == v1_files().end()) {
      out.push_back({indexed(key + ".v1", i) + ".controller", quoted(c.v1[i].controller) +
                                                                  " is not a controller policyc limits (cpuset, memory, cpu, pids)"});
      continue;
    }
    check_writes(c.v1[i].writes, it->second, indexed(key + ".v1", i) + ".writes", out);
  }
}

// ---- process: identity, rlimits, environment ------------------------------------------------------

bool id_mapped(std::uint32_t id, const std::vector<IdMapping>& maps) {
  return std::any_of(maps.begin(), maps.end(),
                     [&](const IdMapping& m) { return id >= m.inside && id - m.inside < m.count; });
}

void check_maps(const std::vector<IdMapping>& maps, const std::string& key, Violations& out) {
  for (std::size_t i = 0; i < maps.size(); ++i) {
    const IdMapping& m = maps[i];
    if (m.count == 0) {
      out.push_back({indexed(key, i) + ".count", "must be at least 1"});
    } else if (std::uint64_t{m.inside} + m.count - 1 > kMaxId || std::uint64_t{m.outside} + m.count - 1 > kMaxId) {
      out.push_back({indexed(key, i) + ".count", "makes the range end beyond id " + std::to_string(kMaxId)});
    }
  }
}

void check_user(const User& u, Violations& out) {
  check_maps(u.uid_map, "plan.user.uid_map", out);
  check_maps(u.gid_map, "plan.user.gid_map", out);
  if (!u.uid_map.empty() && !id_mapped(u.uid, u.uid_map)) {
    out.push_back({"plan.user.uid", "uid " + std::to_string(u.uid) + " is not inside plan.user.uid_map; map it or "
                                                                     "run as a mapped uid"});
  }
  if (!u.gid_map.empty() && !id_mapped(u.gid, u.gid_map)) {
    out.push_back({"plan.user.gid", "gid " + std::to_string(u.gid) + " is not inside plan.user.gid_map; map it or "
                                                                     "run as a mapped gid"});
  }
  for (std::size_t i = 0; i < u.groups.size(); ++i) {
    if (!u.gid_map.empty() && !id_mapped(u.groups[i], u.gid_map)) {
      out.push_back({indexed("plan.user.groups", i), "group " + std::to_string(u.groups[i]) +
                                                         " is not inside plan.user.gid_map"});
    }
  }
}

void check_process(const Plan& p, Violations& out) {
  if (!p.hostname.empty() && !valid_hostname(p.hostname)) {
    out.push_back({"plan.hostname", quoted(p.hostname) + " must be 1 to 64 letters, digits, '-' or '.'"});
  }
  std::set<int> resources;
  for (std::size_t i = 0; i < p.rlimits.size(); ++i) {
    const Rlimit& r = p.rlimits[i];
    const std::string key = indexed("plan.rlimits", i);
    if (r.resource < 0 || r.resource >= RLIM_NLIMITS) {
      out.push_back({key + ".resource", std::to_string(r.resource) + " is not an RLIMIT_* number"});
    } else if (!resources.insert(r.resource).second) {
      out.push_back({key + ".resource", r.name + " (" + std::to_string(r.resource) + ") is set twice; keep one"});
    }
    if (r.soft > r.hard) out.push_back({key + ".soft", r.name + ": the soft limit is above the hard limit"});
  }
  std::set<std::string> names;
  for (std::size_t i = 0; i < p.env.size(); ++i) {
    const std::string& e = p.env[i];
    const auto eq = e.find('=');
    const std::string name = e.substr(0, eq);
    if (eq == std::string::npos || !valid_env_name(name) || e.find('\0') != std::string::npos) {
      out.push_back({indexed("plan.env", i), quoted(e) + " is not NAME=value with a name of letters, digits and '_'"});
    } else if (!names.insert(name).second) {
      out.push_back({indexed("plan.env", i), name + " is set twice; keep one"});
    }
  }
  if (!normal_path(p.cwd)) out.push_back({"plan.cwd", quoted(p.cwd) + " is not an absolute path without \"..\""});
  if (!p.command.empty() && p.command[0].empty()) out.push_back({"plan.command[0]", "the program name is empty"});
  for (std::size_t i = 0; i < p.command.size(); ++i) {
    if (p.command[i].find('\0') != std::string::npos) out.push_back({indexed("plan.command", i), "holds a NUL byte"});
  }
}

// ---- seccomp ----------------------------------------------------------------------------------------

// The source map must describe this very filter: each rule's `ret` is what the BPF returns for
// the calls it decides, checked where that needs no argument values (the first rule of its
// syscall, unconditional) and for the default on a syscall no rule names. A map that leaves out
// the allow rules (default_nr set, plan.h) cannot show a conditional allow rule before a listed
// one, which may let the zero-argument call through: allow passes there too.
void check_source_map(const Seccomp& s, const SeccompSource& source, Violations& out) {
  const std::vector<sock_filter> program = bpf::decode(s.bpf);
  auto verdict = [&](int nr) {
    bpf::SeccompData data;
    data.nr = nr;
    auto v = bpf::run(program, data);
    return v ? std::optional<std::uint32_t>(v->ret) : std::nullopt;
  };
  std::set<int> named;
  for (std::size_t i = 0; i < source.rules.size(); ++i) {
    const SeccompRuleSource& rule = source.rules[i];
    const auto key = [i] { return "plan.seccomp.source.rules[" + std::to_string(i) + "]"; };  // built only for a violation
    if (rule.syscall.empty() || rule.action.empty() || rule.file.empty() || rule.line == 0) {
      out.push_back({key(), "needs a syscall, an action, a file and a line"});
      continue;
    }
    if (!named.insert(rule.nr).second || !rule.conditions.empty()) continue;
    const auto given = verdict(rule.nr);
    if (given != rule.ret && !(source.default_nr && given == SECCOMP_RET_ALLOW)) {
      out.push_back({key() + ".ret", "the filter does not return " + std::to_string(rule.ret) + " for " + rule.syscall +
                                       ": the source map belongs to another filter; recompile the policy"});
    }
  }
  // Numbers newer than the table: the first of them (when no rule names it) gets unknown_ret,
  // errno(ENOSYS), which is what the report's reason line says.
  if (source.unknown_from && source.unknown_ret) {
    constexpr std::uint32_t kEnosys = SECCOMP_RET_ERRNO | ENOSYS;
    const int first = static_cast<int>(*source.unknown_from);
    if (*source.unknown_ret != kEnosys) {
      out.push_back({"plan.seccomp.source.unknown_ret", "must be errno(ENOSYS) (" + std::to_string(kEnosys) + "), not " +
                                                            std::to_string(*source.unknown_ret)});
    } else if (!named.count(first) && verdict(first) != source.unknown_ret) {
      out.push_back({"plan.seccomp.source.unknown_ret", "the filter does not return errno(ENOSYS) for syscall " +
                                                            std::to_string(first) +
                                                            ": the source map belongs to another filter; recompile the policy"});
    }
  }
  const int unnamed = source.default_nr ? static_cast<int>(*source.default_nr) : lowest_unnamed_number(named);
  if (source.default_nr) {
    if (named.count(unnamed)) {
      out.push_back({"plan.seccomp.source.default_nr", "syscall " + std::to_string(unnamed) + " is named by a rule; it must be a "
                                                       "number no rule names (recompile the policy)"});
      return;
    }
  }
  if (verdict(unnamed) != source.default_ret) {
    out.push_back({"plan.seccomp.source.default_ret", "the filter's default verdict is not " + std::to_string(source.default_ret) +
                                                          ": the source map belongs to another filter; recompile the policy"});
  }
}

void check_seccomp(const Plan& p, Violations& out) {
  if (!p.seccomp) return;
  const Seccomp& s = *p.seccomp;
  if (s.backend != "libseccomp" && s.backend != "policyc") {
    out.push_back({"plan.seccomp.backend", quoted(s.backend) + " is not libseccomp or policyc"});
  }
  if (auto error = bpf_program_error(s.bpf)) out.push_back({"plan.seccomp.bpf", *error});
  if (!p.no_new_privs) out.push_back({"plan.no_new_privs", "must be true when a seccomp filter is loaded"});
  if (s.source && !bpf_program_error(s.bpf)) check_source_map(s, *s.source, out);
}

}  // namespace

std::optional<std::string> normal_path(std::string_view path) {
  if (path.empty() || path.front() != '/' || path.find('\0') != std::string_view::npos) return std::nullopt;
  std::string out;
  std::size_t start = 1;
  while (start <= path.size()) {
    const std::size_t end = std::min(path.find('/', start), path.size());
    const std::string_view part = path.substr(start, end - start);
    if (part == "..") return std::nullopt;
    if (!part.empty() && part != ".") out += "/" + std::string(part);
    start = end + 1;
  }
  return out.empty() ? "/" : out;
}

bool valid_cpu_list(std::string_view text) {
  if (text.empty()) return false;
  auto number = [](std::string_view s) -> std::optional<unsigned long> {
    if (!digits(s) || s.size() > 7) return std::nullopt;
    const unsigned long n = std::stoul(std::string(s));
    return n <= (1u << 20) ? std::optional<unsigned long>(n) : std::nullopt;
  };
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = std::min(text.find(',', start), text.size());
    const std::string_view item = text.substr(start, end - start);
    const std::size_t dash = item.find('-');
    const auto low = number(item.substr(0, dash));
    const auto high = dash == std::string_view::npos ? low : number(item.substr(dash + 1));
    if (!low || !high || *low > *high) return false;
    start = end + 1;
  }
  return true;
}

bool valid_cgroup_name(std::string_view name) {
  if (name.empty() || name[0] == '/' || name.find("..") != std::string_view::npos) return false;
  return std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '_' || c == '-' || c == '.' || c == '/';
  });
}

bool valid_hostname(std::string_view name) {
  return !name.empty() && name.size() <= kMaxHostnameLength &&
         std::all_of(name.begin(), name.end(), [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '.'; });
}

bool valid_env_name(std::string_view name) {
  return !name.empty() && !std::isdigit(static_cast<unsigned char>(name[0])) &&
         std::all_of(name.begin(), name.end(), [](unsigned char c) { return std::isalnum(c) || c == '_'; });
}

std::uint64_t allowed_mount_flags(MountKind kind) {
  const std::uint64_t restricting = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME |
                                    MS_RELATIME | MS_STRICTATIME | MS_LAZYTIME | MS_SYNCHRONOUS | MS_DIRSYNC | MS_SILENT;
  return kind == MountKind::Bind ? restricting | MS_BIND | MS_REC : restricting;
}

std::uint64_t required_mount_flags(MountKind kind) {
  switch (kind) {
    case MountKind::Proc: case MountKind::Sysfs: case MountKind::Mqueue: return MS_NOSUID | MS_NODEV | MS_NOEXEC;
    case MountKind::Tmpfs: return MS_NOSUID | MS_NODEV;
    case MountKind::Dev: return MS_NOSUID;
    case MountKind::Devpts: return MS_NOSUID | MS_NOEXEC;
    case MountKind::Bind: return 0;
  }
  return 0;
}

std::vector<RuleViolation> check_plan(const Plan& plan) {
  Violations out;
  check_namespaces(plan, out);
  check_rootfs(plan, out);
  check_mounts(plan, out);
  if (plan.network.veth) check_veth(*plan.network.veth, out);
  if (plan.network.join) check_join(*plan.network.join, out);
  // The name servers go into the container's private layer, never into a tree on the host.
  if (plan.network.veth && !plan.network.veth->dns.empty() &&
      (!plan.rootfs || plan.rootfs->readonly || plan.rootfs->writethrough)) {
    out.push_back({"plan.network.veth.dns", "needs a writable rootfs with a private layer (no readonly, no "
                                            "writethrough): /etc/resolv.conf is written there, never into the host's tree"});
  }
  if (plan.network.user) check_published_ports(plan.network.user->publish, 0, "plan.network.user.publish", out);
  if (plan.cgroups) check_cgroups(*plan.cgroups, out);
  check_user(plan.user, out);
  check_process(plan, out);
  check_seccomp(plan, out);
  check_landlock_rules(plan, out);
  return out;
}

void require_valid(const Plan& plan) {
  const auto violations = check_plan(plan);
  if (violations.empty()) return;
  std::string text = violations.front().text();
  if (violations.size() > 1) text += " (and " + std::to_string(violations.size() - 1) + " more broken rules)";
  throw PlanError(text);
}

}  // namespace plan
