// SPDX-License-Identifier: Apache-2.0
// The plan: the one schema policyc writes and plan-exec reads.
//
// Everything here is already resolved: numbers, not names; bytes, not "250M"; mount flags as
// MS_* bits; cgroup files with their values for each hierarchy; the seccomp filter as compiled
// BPF. plan-exec never interprets policy text, so anything it would have to look up belongs here.
// The JSON form is documented in docs/plan.md; plan_json.cc is the only code that knows it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace plan {

// 2 added seccomp.source, 3 landlock, 4 the source map as rows without the allow rules; 1 to 3 still load.
inline constexpr int kSchemaVersion = 4;
inline constexpr int kOldestSchemaVersion = 1;
inline constexpr std::size_t kMaxBpfInstructions = 4096;  // BPF_MAXINSNS

// Linux namespaces a container can ask for. Names match unshare(1) and the OCI spec.
enum class Namespace { Mount, Pid, Ipc, Uts, Net, User, Cgroup, Time };

struct IdMapping {  // one line of /proc/PID/{uid,gid}_map
  std::uint32_t inside = 0;
  std::uint32_t outside = 0;
  std::uint32_t count = 1;
  bool operator==(const IdMapping&) const = default;
};

struct User {
  std::uint32_t uid = 0;  // inside the container
  std::uint32_t gid = 0;
  std::vector<std::uint32_t> groups;  // supplementary groups; empty = none
  // Mappings used when running as root with a user namespace. Rootless runs (and root runs
  // with these empty) map only the caller, onto `uid`/`gid`: one line each.
  std::vector<IdMapping> uid_map;
  std::vector<IdMapping> gid_map;
  bool operator==(const User&) const = default;
};

enum class RootfsKind { Directory, Archive };

struct Rootfs {
  RootfsKind kind = RootfsKind::Directory;
  std::string path;         // absolute; a directory, or a .tar/.tar.gz file for Archive
  bool readonly = false;    // remount the new root read-only after all mounts are made
  bool use_chroot = false;  // chroot instead of pivot_root (only when the policy asks for it)
  // Directory only: bind the host directory writable (nosuid,nodev) instead of a private
  // overlay layer, so the container's writes reach the host.
  bool writethrough = false;
  bool operator==(const Rootfs&) const = default;
};

// One mount(2) call, fully resolved. Targets are absolute paths inside the container.
// `kind` is kept for messages and for steps that need more than one call (bind + remount ro,
// the minimal /dev).
enum class MountKind { Proc, Sysfs, Tmpfs, Bind, Dev, Mqueue, Devpts };

struct Mount {
  MountKind kind = MountKind::Tmpfs;
  std::string source;            // "proc", "tmpfs", or an absolute host path for Bind
  std::string target;            // absolute, inside the container
  std::string fstype;            // "proc", "sysfs", "tmpfs", "" for bind
  std::uint64_t flags = 0;       // MS_* bits for the first mount(2) call
  std::string data;              // "size=67108864,mode=1777"
  bool readonly = false;         // bind mounts: remount MS_RDONLY after the bind
  bool operator==(const Mount&) const = default;
};

enum class NetworkMode { Host, None, Loopback, Veth, Join, User };

// `publish tcp 127.0.0.1:8080:80`: connections to the host's port reach the container's.
struct PublishedPort {
  std::string protocol = "tcp";  // "tcp" or "udp"
  std::string host_address;      // IPv4 or IPv6 literal; empty = every address of the host
  std::uint16_t host_port = 0;
  std::uint16_t container_port = 0;
  bool operator==(const PublishedPort&) const = default;
};

struct Veth {
  std::string host_ifname;       // empty = derive a unique one per running container
  std::string container_ifname;  // name inside the container, default "eth0"
  std::string host_address;      // IPv4 or IPv6 literal, no prefix
  std::uint8_t host_prefix = 24;
  std::string container_address;
  std::uint8_t container_prefix = 24;
  std::string gateway;           // default route inside; empty = no default route
  std::uint32_t mtu = 0;         // 0 = kernel default
  std::vector<PublishedPort> publish;
  bool outbound_nat = false;     // masquerade the container's traffic out of the host's default route
  std::string dns;               // resolv.conf inside: "" = leave it, "host" = the host's, or an address
  bool operator==(const Veth&) const = default;
};

// `network join`: the container enters an existing net namespace; exactly one of the two is set.
struct NetworkJoin {
  std::string path;              // e.g. /run/netns/NAME (a bind-mounted nsfs file)
  std::int32_t pid = 0;          // that process's net namespace
  bool operator==(const NetworkJoin&) const = default;
};

// `network user { ... }`: rootless networking through pasta (passt), which plan-exec starts.
struct UserNetwork {
  std::vector<PublishedPort> publish;
  bool outbound = false;         // TCP/UDP out through pasta's sockets on the host
  bool operator==(const UserNetwork&) const = default;
};

struct Network {
  NetworkMode mode = NetworkMode::Host;
  std::optional<Veth> veth;      // present iff mode == Veth
  std::optional<NetworkJoin> join;  // present iff mode == Join
  std::optional<UserNetwork> user;  // present iff mode == User
  bool operator==(const Network&) const = default;
};

// One "write VALUE to FILE" in a cgroup directory. Order matters on v1
// (memory.limit_in_bytes before memory.memsw.limit_in_bytes), so these are lists, not maps.
struct CgroupWrite {
  std::string file;
  std::string value;
  bool operator==(const CgroupWrite&) const = default;
};

struct CgroupV1Controller {
  std::string controller;         // "memory", "cpu", "pids", "cpuset"
  std::vector<CgroupWrite> writes;
  bool operator==(const CgroupV1Controller&) const = default;
};

struct Cgroups {
  // The limits as the policy said them, resolved, for messages ("limit 250 MiB") and stats.
  std::optional<std::uint64_t> memory_max_bytes;
  std::optional<std::uint64_t> swap_max_bytes;
  std::optional<std::uint64_t> memory_reservation_bytes;
  std::optional<std::uint64_t> cpu_quota_us;
  std::optional<std::uint64_t> cpu_period_us;
  std::optional<std::uint64_t> cpu_weight;     // cgroup v2 scale, 1..10000
  std::optional<std::string> cpuset_cpus;
  std::optional<std::string> cpuset_mems;
  std::optional<std::uint64_t> pids_max;
  bool best_effort = false;       // a limit the host cannot apply is a warning, not an error
  std::string parent;             // parent cgroup name under each hierarchy, default "plan-exec"
  // The same limits spelled for each hierarchy: what to write, in order.
  std::vector<CgroupWrite> v2;                 // controllers to enable are derived from file prefixes
  std::vector<CgroupV1Controller> v1;
  bool operator==(const Cgroups&) const = default;
};

struct Rlimit {
  int resource = 0;               // RLIMIT_* number
  std::string name;               // "nofile", for messages
  std::uint64_t soft = 0;         // RLIM_INFINITY is ~0
  std::uint64_t hard = 0;
  bool operator==(const Rlimit&) const = default;
};

// The source map: which policy line gives which verdict, so plan-exec can name the line that
// denied a call and --learn can add to the policy. It restates the compiler's filter IR for
// x86_64 (compiler/seccomp/ir.h): for a call `nr(args)` the filter does not allow, the first
// listed rule for nr whose conditions all hold decides, else the default (plan/source_map.h).
// The BPF stays the verdict's authority; `ret` lets plan-exec check that the line it names gives
// the verdict the filter gave.
enum class CmpOp { Eq, Ne, Lt, Le, Gt, Ge };

struct SeccompCondition {
  unsigned arg = 0;                  // 0..5
  CmpOp op = CmpOp::Eq;
  std::uint64_t value = 0;
  std::optional<std::uint64_t> mask; // compare (arg & mask), not arg
  unsigned width = 64;               // 32: the low words only
  bool operator==(const SeccompCondition&) const = default;
};

struct SeccompRuleSource {
  std::string syscall;            // as written (after group expansion)
  int nr = 0;                     // x86_64 number
  std::string action;             // "errno(EPERM)", "allow", ...
  std::uint32_t ret = 0;          // the kernel's return value for it: SECCOMP_RET_* | data
  std::vector<SeccompCondition> conditions;  // all must hold
  std::string file;               // the policy (or included) file
  unsigned line = 0;
  bool operator==(const SeccompRuleSource&) const = default;
};

struct SeccompSource {
  std::string file;               // the file of the seccomp block, as policyc was given it
  unsigned default_line = 0;      // the line of `seccomp default ACTION {`
  std::uint32_t default_ret = 0;
  unsigned end_line = 0;          // the block's closing brace: where --learn adds lines
  unsigned end_column = 0;
  // x86_64 rules in the order they are tried. From version 4 on, the rules that allow are left
  // out: a call that reaches a report or --learn was not allowed, so an allow rule never decides
  // it, and the first listed rule whose conditions hold is the one that did (Docker's profile:
  // 1 rule of 311).
  std::vector<SeccompRuleSource> rules;
  // With the allow rules left out: an x86_64 number no rule of the policy names (the lowest),
  // which the filter answers with default_ret. Older maps list every rule, and the lowest
  // number none of them names serves.
  std::optional<std::uint32_t> default_nr;
  // x86_64 numbers from `unknown_from` up to the x32 bit are newer than policyc's syscall table;
  // a call of one that no rule names gets `unknown_ret` (errno(ENOSYS)), not the default.
  // Absent when the default action lets such calls through (allow, log).
  std::optional<std::uint32_t> unknown_from;
  std::optional<std::uint32_t> unknown_ret;
  bool operator==(const SeccompSource&) const = default;
};

struct Seccomp {
  std::string default_action;     // for humans: "errno(EPERM)", "kill_process", ...
  std::string backend;            // "libseccomp" or "policyc"
  std::vector<std::uint8_t> bpf;  // little-endian struct sock_filter[], 8 bytes each
  std::string sha256;             // hex of `bpf`, checked on load
  std::optional<SeccompSource> source;  // absent in plans of schema version 1
  std::size_t instructions() const { return bpf.size() / 8; }
  bool operator==(const Seccomp&) const = default;
};

// Landlock: the rights the ruleset handles (denied wherever no rule grants them) and the rules
// granting them beneath paths (as the container sees them) and on TCP ports. Bits are the
// kernel's (plan/landlock.h); plan-exec applies it after no_new_privs, before the filter.
struct LandlockPath {
  std::string path;               // absolute, inside the container
  std::uint64_t access = 0;       // LANDLOCK_ACCESS_FS_* granted beneath it
  bool operator==(const LandlockPath&) const = default;
};

struct LandlockPort {
  std::uint16_t port = 0;
  std::uint64_t access = 0;       // LANDLOCK_ACCESS_NET_BIND_TCP / _CONNECT_TCP
  bool operator==(const LandlockPort&) const = default;
};

struct Landlock {
  std::uint64_t handled_fs = 0;   // 0: no filesystem restriction
  std::uint64_t handled_net = 0;  // 0: no network restriction
  std::uint64_t scoped = 0;       // LANDLOCK_SCOPE_*
  bool best_effort = false;       // rights the kernel lacks are dropped with a warning, not refused
  std::vector<LandlockPath> paths;
  std::vector<LandlockPort> ports;
  bool operator==(const Landlock&) const = default;
};

struct Plan {
  int version = kSchemaVersion;
  std::string arch = "x86_64";    // the arch the filter and the numbers are for
  std::string name;               // container name from the policy
  std::string source;             // policy file it came from, for messages
  std::vector<Namespace> namespaces;
  std::optional<Rootfs> rootfs;   // absent: the policy holds no rootfs (seccomp-only policies)
  std::vector<Mount> mounts;      // in the order to make them
  std::vector<std::string> masked_paths;
  std::vector<std::string> readonly_paths;
  // Host device nodes the policy grants by name (`device /dev/fuse`), absolute paths: bound into
  // the container's /dev and allowed by its device cgroup, beyond the default list.
  std::vector<std::string> devices;
  std::string hostname;           // empty = unchanged
  Network network;
  std::optional<Cgroups> cgroups; // absent: no limits
  std::vector<int> capabilities;  // CAP_* numbers to keep; all others are dropped
  std::vector<Rlimit> rlimits;
  User user;
  std::vector<std::string> env;   // "KEY=value", exactly the environment of the command
  std::string cwd = "/";
  std::vector<std::string> command;  // default command; plan-exec's `-- cmd...` overrides it
  // The command is an init of its own (systemd, tini, s6: it reaps and handles signals), so
  // plan-exec starts it as the container's pid 1 instead of under its minimal init.
  bool command_is_init = false;
  bool no_new_privs = true;
  std::optional<Landlock> landlock;  // absent: no Landlock ruleset (version 3 on)
  std::optional<Seccomp> seccomp; // absent: no filter
  bool operator==(const Plan&) const = default;
  bool has_namespace(Namespace ns) const;
};

std::string to_string(Namespace ns);
std::optional<Namespace> namespace_from_string(const std::string& name);
std::string to_string(MountKind kind);
std::string to_string(NetworkMode mode);

}  // namespace plan
