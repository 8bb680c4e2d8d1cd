// SPDX-License-Identifier: Apache-2.0
#include "compiler/oci/export_oci.h"

#include <sys/capability.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>

#include "compiler/docker/export.h"
#include "plan/landlock.h"

namespace policyc::oci {
namespace {

using nlohmann::ordered_json;

std::string upper(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

std::string capability_name(int cap) {
  char* name = cap_to_name(static_cast<cap_value_t>(cap));
  std::string out = name ? upper(name) : "CAP_" + std::to_string(cap);
  cap_free(name);
  return out;
}

std::string rlimit_name(const plan::Rlimit& limit) {
  static const char* const names[] = {"CPU",   "FSIZE", "DATA",    "STACK",     "CORE",     "RSS",
                                      "NPROC", "NOFILE", "MEMLOCK", "AS",       "LOCKS",    "SIGPENDING",
                                      "MSGQUEUE", "NICE", "RTPRIO", "RTTIME"};
  if (limit.resource >= 0 && limit.resource < static_cast<int>(std::size(names))) {
    return std::string("RLIMIT_") + names[limit.resource];
  }
  return "RLIMIT_" + upper(limit.name);
}

std::string namespace_type(plan::Namespace ns) {
  switch (ns) {
    case plan::Namespace::Mount: return "mount";
    case plan::Namespace::Pid: return "pid";
    case plan::Namespace::Ipc: return "ipc";
    case plan::Namespace::Uts: return "uts";
    case plan::Namespace::Net: return "network";
    case plan::Namespace::User: return "user";
    case plan::Namespace::Cgroup: return "cgroup";
    case plan::Namespace::Time: return "time";
  }
  return "mount";
}

ordered_json mount_entry(const std::string& destination, const std::string& type, const std::string& source,
                         std::vector<std::string> options) {
  ordered_json m;
  m["destination"] = destination;
  m["type"] = type;
  m["source"] = source;
  m["options"] = std::move(options);
  return m;
}

// The minimal /dev as runc's spec template (`runc spec`) has it; runc itself creates the
// device nodes (null, zero, full, random, urandom, tty) and /dev/ptmx.
void add_dev_mounts(ordered_json& mounts, const std::string& dev) {
  mounts.push_back(mount_entry(dev, "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}));
  mounts.push_back(mount_entry(dev + "/pts", "devpts", "devpts",
                               {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}));
  mounts.push_back(mount_entry(dev + "/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}));
  mounts.push_back(mount_entry(dev + "/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}));
}

ordered_json mounts_of(const plan::Plan& plan) {
  ordered_json mounts = ordered_json::array();
  for (const auto& m : plan.mounts) {
    switch (m.kind) {
      case plan::MountKind::Dev:
        add_dev_mounts(mounts, m.target);
        break;
      case plan::MountKind::Bind: {
        auto options = mount_options(m.flags | MS_BIND, m.data);
        if (m.readonly && std::find(options.begin(), options.end(), "ro") == options.end()) options.push_back("ro");
        mounts.push_back(mount_entry(m.target, "bind", m.source, options));
        break;
      }
      default: {
        std::string type = m.fstype.empty() ? plan::to_string(m.kind) : m.fstype;
        std::string source = m.source.empty() ? type : m.source;
        auto options = mount_options(m.flags, m.data);
        if (m.readonly && std::find(options.begin(), options.end(), "ro") == options.end()) options.push_back("ro");
        mounts.push_back(mount_entry(m.target, type, source, options));
      }
    }
  }
  return mounts;
}

ordered_json process_of(const plan::Plan& plan) {
  ordered_json process;
  process["terminal"] = false;
  process["user"]["uid"] = plan.user.uid;
  process["user"]["gid"] = plan.user.gid;
  if (!plan.user.groups.empty()) process["user"]["additionalGids"] = plan.user.groups;
  process["args"] = plan.command;
  process["env"] = plan.env;
  process["cwd"] = plan.cwd.empty() ? "/" : plan.cwd;
  std::vector<std::string> caps;
  for (int cap : plan.capabilities) caps.push_back(capability_name(cap));
  // plan-exec keeps exactly these in every set a process has; OCI's inheritable and ambient
  // stay empty so an exec'd program gains nothing.
  process["capabilities"]["bounding"] = caps;
  process["capabilities"]["effective"] = caps;
  process["capabilities"]["permitted"] = caps;
  process["capabilities"]["inheritable"] = ordered_json::array();
  process["capabilities"]["ambient"] = ordered_json::array();
  ordered_json rlimits = ordered_json::array();
  for (const auto& limit : plan.rlimits) {
    rlimits.push_back({{"type", rlimit_name(limit)}, {"hard", limit.hard}, {"soft", limit.soft}});
  }
  if (!rlimits.empty()) process["rlimits"] = rlimits;
  process["noNewPrivileges"] = plan.no_new_privs;
  return process;
}

ordered_json id_mappings(const std::vector<plan::IdMapping>& maps) {
  ordered_json out = ordered_json::array();
  for (const auto& m : maps) out.push_back({{"containerID", m.inside}, {"hostID", m.outside}, {"size", m.count}});
  return out;
}

std::optional<ordered_json> resources_of(const plan::Cgroups& cg, Diagnostics& diags, const Location& where) {
  ordered_json r;
  if (cg.memory_max_bytes) r["memory"]["limit"] = *cg.memory_max_bytes;
  if (cg.swap_max_bytes) {
    // OCI's swap is memory+swap (v1's memsw), so it needs the memory limit to add to.
    if (cg.memory_max_bytes) r["memory"]["swap"] = *cg.memory_max_bytes + *cg.swap_max_bytes;
    else diags.warning(where, "the swap limit has no OCI form without a memory limit; left out",
                       "add `memory SIZE` to the limits block");
  }
  if (cg.memory_reservation_bytes) r["memory"]["reservation"] = *cg.memory_reservation_bytes;
  if (cg.cpu_weight) r["cpu"]["shares"] = weight_to_shares(*cg.cpu_weight);
  if (cg.cpu_quota_us) r["cpu"]["quota"] = *cg.cpu_quota_us;
  if (cg.cpu_period_us) r["cpu"]["period"] = *cg.cpu_period_us;
  if (cg.cpuset_cpus) r["cpu"]["cpus"] = *cg.cpuset_cpus;
  if (cg.cpuset_mems) r["cpu"]["mems"] = *cg.cpuset_mems;
  if (cg.pids_max) r["pids"]["limit"] = *cg.pids_max;
  if (r.empty()) return std::nullopt;
  return r;
}

// The granted nodes (`device /dev/fuse`) as runc makes them (linux.devices) and lets them
// through its device cgroup (linux.resources.devices: deny all, then allow each; runc adds its
// default nodes itself). OCI names a node by type and number, like `docker run --device`: the
// numbers are the exporting host's.
void add_devices(const plan::Plan& plan, ordered_json& linux_section, Diagnostics& diags, const Location& where) {
  ordered_json devices = ordered_json::array();
  ordered_json rules = ordered_json::array({{{"allow", false}, {"access", "rwm"}}});
  for (const auto& path : plan.devices) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))) {
      diags.warning(where, "device " + path + " is no device node on this host, so its type and number are unknown; "
                           "left out of linux.devices",
                    "export on a host that has the node, or add it to linux.devices by hand");
      continue;
    }
    const std::string type = S_ISCHR(st.st_mode) ? "c" : "b";
    const auto major_number = static_cast<std::int64_t>(major(st.st_rdev));
    const auto minor_number = static_cast<std::int64_t>(minor(st.st_rdev));
    devices.push_back({{"path", path}, {"type", type}, {"major", major_number}, {"minor", minor_number},
                       {"fileMode", st.st_mode & 07777}, {"uid", st.st_uid}, {"gid", st.st_gid}});
    rules.push_back({{"allow", true}, {"type", type}, {"major", major_number}, {"minor", minor_number}, {"access", "rwm"}});
  }
  if (devices.empty()) return;
  linux_section["devices"] = devices;
  linux_section["resources"]["devices"] = rules;
}

// The OCI runtime spec has no Landlock field (opencontainers/runtime-spec#1111 and #1241 are
// open proposals; runc has no support), so the section cannot travel: say what is lost.
void warn_landlock_dropped(const plan::Plan& plan, Diagnostics& diags, const Location& where) {
  if (!plan.landlock) return;
  const plan::Landlock& l = *plan.landlock;
  std::string lost;
  if (l.handled_fs) lost += std::to_string(l.paths.size()) + " path rule(s) (every other path denied)";
  if (l.handled_net) {
    lost += (lost.empty() ? "" : ", ") +
            (l.ports.empty() ? plan::landlock_right_names(plan::LandlockClass::Net, l.handled_net) + " refused on every port"
                             : std::to_string(l.ports.size()) + " TCP port rule(s)");
  }
  if (l.scoped) lost += (lost.empty() ? "" : ", ") + std::string("scope ") + plan::landlock_right_names(plan::LandlockClass::Scope, l.scoped);
  diags.warning(where, "the OCI runtime spec has no Landlock field, so the landlock section is left out: " + lost +
                           " are not enforced by an OCI runtime",
                "run the policy with plan-exec to keep it, or wrap the command in a Landlock launcher inside the container");
}

ordered_json linux_of(const plan::Plan& plan, Diagnostics& diags, const Location& where) {
  ordered_json linux_section;
  ordered_json namespaces = ordered_json::array();
  for (auto ns : plan.namespaces) namespaces.push_back({{"type", namespace_type(ns)}});
  bool wants_netns = plan.network.mode != plan::NetworkMode::Host;
  if (wants_netns && !plan.has_namespace(plan::Namespace::Net)) namespaces.push_back({{"type", "network"}});
  // OCI joins a namespace by path: the runtime enters it instead of making one.
  if (const auto& join = plan.network.join) {
    for (auto& ns : namespaces) {
      if (ns["type"] == "network") ns["path"] = join->path.empty() ? "/proc/" + std::to_string(join->pid) + "/ns/net" : join->path;
    }
  }
  linux_section["namespaces"] = namespaces;
  if (plan.network.mode == plan::NetworkMode::User) {
    diags.warning(where, "network user (pasta) cannot be expressed in an OCI config; the container gets an empty "
                         "network namespace with loopback only",
                  "use podman's --network pasta, or plan-exec");
  }
  if (plan.network.mode == plan::NetworkMode::Veth) {
    diags.warning(where, "the veth network cannot be expressed in an OCI config; the container gets an empty "
                         "network namespace with loopback only",
                  "connect it with a CNI plugin (containerd, podman) or plan-exec");
  }
  if (plan.has_namespace(plan::Namespace::User)) {
    std::vector<plan::IdMapping> uids = plan.user.uid_map, gids = plan.user.gid_map;
    if (uids.empty()) uids.push_back({plan.user.uid, static_cast<std::uint32_t>(geteuid()), 1});
    if (gids.empty()) gids.push_back({plan.user.gid, static_cast<std::uint32_t>(getegid()), 1});
    linux_section["uidMappings"] = id_mappings(uids);
    linux_section["gidMappings"] = id_mappings(gids);
  }
  if (!plan.masked_paths.empty()) linux_section["maskedPaths"] = plan.masked_paths;
  if (!plan.readonly_paths.empty()) linux_section["readonlyPaths"] = plan.readonly_paths;
  if (plan.cgroups) {
    if (auto resources = resources_of(*plan.cgroups, diags, where)) linux_section["resources"] = *resources;
  }
  add_devices(plan, linux_section, diags, where);
  warn_landlock_dropped(plan, diags, where);
  return linux_section;
}

// The runtime syscalls the filter leaves to the default (no rule names them) when the default
// is not allow. Names with rules of their own are the policy's explicit choice: kept as they are.
std::vector<std::string> runtime_syscalls_denied(const seccomp::Filter& filter) {
  std::vector<std::string> missing;
  if (filter.default_action.kind == seccomp::ActionKind::Allow) return missing;
  for (const auto& name : runc_init_syscalls()) {
    bool named = std::any_of(filter.rules.begin(), filter.rules.end(),
                             [&](const seccomp::Rule& r) { return r.syscall == name; });
    if (!named) missing.push_back(name);
  }
  return missing;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : " ") + item;
  return out;
}

}  // namespace

const std::vector<std::string>& runc_init_syscalls() {
  static const std::vector<std::string> names = {"openat", "write", "close", "fstatfs", "getdents64",
                                                 "fcntl", "getpid", "futex", "execve"};
  return names;
}

std::vector<std::string> mount_options(std::uint64_t flags, const std::string& data) {
  struct Bit { std::uint64_t bit; const char* word; };
  static const Bit bits[] = {{MS_RDONLY, "ro"},       {MS_NOSUID, "nosuid"},   {MS_NODEV, "nodev"},
                             {MS_NOEXEC, "noexec"},   {MS_SYNCHRONOUS, "sync"}, {MS_DIRSYNC, "dirsync"},
                             {MS_NOATIME, "noatime"}, {MS_NODIRATIME, "nodiratime"}, {MS_RELATIME, "relatime"},
                             {MS_STRICTATIME, "strictatime"}, {MS_MANDLOCK, "mand"}};
  std::vector<std::string> out;
  if (flags & MS_BIND) out.push_back(flags & MS_REC ? "rbind" : "bind");
  for (const auto& b : bits) {
    if (flags & b.bit) out.push_back(b.word);
  }
  if (flags & MS_PRIVATE) out.push_back(flags & MS_REC ? "rprivate" : "private");
  if (flags & MS_SLAVE) out.push_back(flags & MS_REC ? "rslave" : "slave");
  if (flags & MS_SHARED) out.push_back(flags & MS_REC ? "rshared" : "shared");
  std::size_t start = 0;
  while (start < data.size()) {
    std::size_t comma = data.find(',', start);
    std::string word = data.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!word.empty()) out.push_back(word);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

std::uint64_t weight_to_shares(std::uint64_t weight) {
  if (weight == 0) return 0;
  return 2 + ((weight - 1) * 262142) / 9999;
}

std::optional<ordered_json> export_config(const plan::Plan& plan, const seccomp::Filter* filter, Diagnostics& diags,
                                         const OciOptions& options) {
  Location where{plan.source};
  if (plan.command.empty()) {
    diags.error(where, "the policy has no command, and an OCI config needs process.args",
                "add `command \"/path/to/program\" ...` to the container block");
    return std::nullopt;
  }
  ordered_json config;
  config["ociVersion"] = kOciVersion;
  config["process"] = process_of(plan);
  if (plan.rootfs) {
    config["root"]["path"] = plan.rootfs->path;
    config["root"]["readonly"] = plan.rootfs->readonly;
    if (plan.rootfs->kind == plan::RootfsKind::Archive) {
      diags.warning(where, "OCI runtimes take a directory as root, not the archive " + plan.rootfs->path,
                    "unpack it and set root.path to the directory");
    }
  } else {
    config["root"]["path"] = "rootfs";
    config["root"]["readonly"] = false;
    diags.warning(where, "the policy has no rootfs; root.path is \"rootfs\" (relative to the bundle)",
                  "add `rootfs \"/path\"` to the container block");
  }
  if (!plan.hostname.empty()) config["hostname"] = plan.hostname;
  config["mounts"] = mounts_of(plan);
  ordered_json linux_section = linux_of(plan, diags, where);
  if (filter) {
    seccomp::Filter for_runtime = *filter;
    auto missing = runtime_syscalls_denied(for_runtime);
    if (!missing.empty() && options.runc_compat) {
      for (const auto& name : missing) {
        seccomp::Rule allow;
        allow.syscall = name;
        allow.action = {seccomp::ActionKind::Allow, 0};
        allow.comment = "runc's init needs it after installing the filter (--runc-compat)";
        for_runtime.rules.push_back(allow);
      }
      diags.warning(where, "--runc-compat: allowed " + join(missing) + " for runc's own init, which runs under the "
                           "filter before execve; the container's program may use them too");
    } else if (!missing.empty()) {
      diags.warning(where, "the filter denies " + join(missing) + ", which runc's init calls after installing it; "
                           "runc run will fail with \"operation not permitted\"",
                    "allow them in the policy, or export with --runc-compat");
    }
    auto seccomp = docker::export_profile(for_runtime, diags);
    if (!seccomp) return std::nullopt;
    linux_section["seccomp"] = *seccomp;
  }
  config["linux"] = linux_section;
  return config;
}

}  // namespace policyc::oci
