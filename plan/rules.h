// SPDX-License-Identifier: Apache-2.0
// The plan's rules: the one list of what a valid plan must satisfy beyond its JSON shape.
//
// Both binaries run check_plan(): policyc on the plan it has just lowered (a violation there is a
// compiler bug or a check compiler/check/ missed; the located checks there use the same constants
// so users see file:line:col first), and plan-exec when it loads a plan, before its first side
// effect, so a hand-edited or tampered plan is refused with exit 125 naming the key. What depends
// on the host or the caller (the rootfs exists, capabilities this kernel knows, rootless limits,
// the command) stays in launcher/validate.cc. docs/plan.md "Rules" lists them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "plan/plan.h"

namespace plan {

// ---- numbers shared with compiler/check ----------------------------------------------------
inline constexpr std::uint64_t kMaxPlanFileBytes = 16ull << 20;  // a plan is a few KiB; refuse junk early
inline constexpr std::uint64_t kMinMemoryBytes = 4ull << 20;     // a process cannot start with less
inline constexpr std::uint64_t kMinCpuQuotaUs = 1000;            // the kernel's minimum quota (1 ms)
inline constexpr std::uint64_t kMinCpuPeriodUs = 1000;           // cpu.max / cfs_period_us range: 1 ms..1 s
inline constexpr std::uint64_t kMaxCpuPeriodUs = 1000000;
inline constexpr std::uint64_t kMinCpuWeight = 1;                // cgroup v2 cpu.weight range
inline constexpr std::uint64_t kMaxCpuWeight = 10000;
inline constexpr std::uint64_t kMinPids = 1;                     // the container's first process
inline constexpr std::uint64_t kMaxPids = 4194304;               // PID_MAX_LIMIT
inline constexpr std::uint64_t kMaxId = 4294967294u;             // (uid_t)-1 means "no change"
inline constexpr std::size_t kMaxHostnameLength = 64;            // HOST_NAME_MAX
inline constexpr std::size_t kMaxIfnameLength = 15;              // IFNAMSIZ - 1
inline constexpr unsigned kMinIpv4Prefix = 8;                    // shorter would claim a large part of the internet
inline constexpr unsigned kMinIpv6Prefix = 64;                   // the smallest normal IPv6 subnet
inline constexpr std::uint32_t kMinMtuIpv4 = 68;                 // RFC 791
inline constexpr std::uint32_t kMinMtuIpv6 = 1280;               // IPv6 refuses smaller links
inline constexpr std::uint32_t kMaxMtu = 65535;

// One broken rule: the plan key ("plan.mounts[2].target") and a sentence saying what is wrong and
// what to do.
struct RuleViolation {
  std::string key;
  std::string what;
  std::string text() const { return key + ": " + what; }
};

// Every broken rule, in plan order; empty for a valid plan.
std::vector<RuleViolation> check_plan(const Plan& plan);

// landlock_rules.cc: the rules of plan.landlock, appended to `out`.
void check_landlock_rules(const Plan& plan, std::vector<RuleViolation>& out);

// Throws PlanError with the first violation ("plan.mounts[2].target: ...").
void require_valid(const Plan& plan);

// ---- helpers the compiler's located checks share --------------------------------------------

// "/a//b/./c/" -> "/a/b/c"; "//" and "/." -> "/". nullopt when `path` is not absolute, holds a
// ".." component or a NUL: such a path could leave the directory it names.
std::optional<std::string> normal_path(std::string_view path);

// "0-3,8,10-11": what cpuset.cpus and cpuset.mems accept.
bool valid_cpu_list(std::string_view text);
// A relative cgroup name: letters, digits, '-', '_', '.', '/', no leading '/', no "..".
bool valid_cgroup_name(std::string_view name);
// Letters, digits, '-' and '.', 1..64 characters.
bool valid_hostname(std::string_view name);
// An environment name: letters, digits and '_', not starting with a digit.
bool valid_env_name(std::string_view name);
// The mount flags (MS_*) each kind may carry, and those the lowering always sets for it.
std::uint64_t allowed_mount_flags(MountKind kind);
std::uint64_t required_mount_flags(MountKind kind);

}  // namespace plan
