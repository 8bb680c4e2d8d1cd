// SPDX-License-Identifier: Apache-2.0
// The plan's limits, on cgroup v1, v2 and hybrid hosts (one backend per file behind this
// interface: cgroup_v1.cc, cgroup_v2.cc; cgroup_layout.cc detects the layout from
// /proc/self/mountinfo and /proc/self/cgroup). The sequence calls, in this order:
//   prepare_cgroups()  parent, before any side effect: detect layout, check every controller
//                      the plan needs is there (or best_effort: warn), no writes
//   create()           parent, before clone: make <parent>/<name>-<pid> in each hierarchy and
//                      write the limits and the device cgroup's rules (v1 devices.deny/allow,
//                      v2 a BPF_CGROUP_DEVICE program); also arrange that it is removed if
//                      plan-exec dies
//   clone_into_fd()    when clone_into_cgroup(): the cgroup2 directory fd for
//                      clone3(CLONE_INTO_CGROUP); -1 only when best effort dropped the directory
//   attach(child)      parent, after clone, before the child execs (when neither clone nor the
//                      child places it: see launch_shape.h)
//   finish()           parent, after the container exited: OOM detection from memory.events
//                      (v2) or memory.oom_control/failcnt (v1), stats, kill what is left, rmdir
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "launcher/cgroup/device_rules.h"
#include "plan/plan.h"

namespace launcher {

struct CgroupReport {
  bool oom_killed = false;                // the kernel's OOM killer killed a process in the cgroup
  std::optional<std::uint64_t> oom_kills; // how many (unknown on v1 kernels before 4.13)
  std::optional<std::uint64_t> memory_peak_bytes;
  std::optional<std::uint64_t> cpu_usage_us;
  std::optional<std::uint64_t> throttled_us;
  std::optional<std::uint64_t> nr_throttled;
  std::optional<std::uint64_t> pids_peak;
};

class ContainerCgroup {
 public:
  virtual ~ContainerCgroup() = default;
  virtual void create() = 0;
  virtual int clone_into_fd() const = 0;
  // Decided at prepare time, before create(): the container process is born in its cgroup
  // (v2, clone3 with CLONE_INTO_CGROUP), so neither parent nor child moves it afterwards.
  // The launch shape (launch_shape.h) is computed from this; create() then opens the fd or fails.
  virtual bool clone_into_cgroup() const { return false; }
  virtual void attach(pid_t child) = 0;
  virtual CgroupReport finish() = 0;
  // Everything in the container's cgroups, now (the stop timeout, a second Ctrl-C): cgroup.kill
  // on v2, SIGKILL to each pid until none is left on v1, in the leaves and in the cgroups the
  // container made below them. Called from the stop timer's thread while the container runs,
  // never during or after finish(). Returns "" or what is still alive after 5 s.
  virtual std::string kill_all() { return ""; }
  virtual std::vector<std::string> paths() const = 0;  // created directories, for tests and --dry-run
  virtual std::string describe() const = 0;

  // Launch speed on v1 hosts: moving ANOTHER process (a pid into cgroup.procs) takes
  // the kernel's cgroup_threadgroup_rwsem for writing, which waits for an RCU grace period:
  // 7-15 ms on these VMs whenever no other attach happened in the last ~10 ms, i.e. on almost
  // every real launch. A single-threaded process moving ITSELF ("0" into v1 `tasks`) skips
  // that lock. So on v1 the container process joins by itself, right after release.
  // true: the parent skips attach(pid) and the child calls join_from_child(); false: clone
  // places it (clone_into_cgroup(), v2) or the parent attaches it by pid (tests' own children).
  virtual bool joins_from_child() const { return false; }
  // Child, before anything of the container runs (files opened by create(), as root, so it
  // works from a new user namespace too). Throws StepError("cgroups") unless best effort.
  virtual void join_from_child() {}
};

// Throws StepError(step "cgroups"). `instance` is plan-exec's pid; `name` the plan's name.
std::unique_ptr<ContainerCgroup> prepare_cgroups(const plan::Cgroups& cgroups, const std::string& name, pid_t instance);
// The same, faster, for a run that prints no usage (no --stats) when
// `usage_report` is false: hierarchies joined only to measure (v1 cpuacct, pids without a pids
// limit) are not made, and finish() reads only the OOM counters. The OOM report stays.
std::unique_ptr<ContainerCgroup> prepare_cgroups(const plan::Cgroups& cgroups, const std::string& name, pid_t instance,
                                                 bool usage_report);

// The container's cgroup for a run: the plan's limits (nullopt: none) and, for root runs, the
// device cgroup confining the container to `devices` (device_rules.h; nullopt: rootless, which
// cannot have one). Returns nullptr when there is neither. Throws StepError(step "cgroups"),
// also when `devices` is set and the host has no devices controller (v1) or cgroup2.
// `warn` receives the best-effort warnings (a limit that could not be applied), so the caller
// decides whether they print (plan-exec -q drops them); empty: "plan-exec: warning: ..." on stderr.
std::unique_ptr<ContainerCgroup> prepare_container_cgroup(const std::optional<plan::Cgroups>& limits,
                                                          const std::optional<std::vector<DeviceRule>>& devices,
                                                          const std::string& name, pid_t instance, bool usage_report,
                                                          std::function<void(const std::string&)> warn = {});

// "killed: out of memory (limit 250 MiB)": what the launcher prints (after "plan-exec: ")
// when report.oom_killed and the command itself was killed (exit code 137).
std::string oom_message(const plan::Cgroups& cgroups);

// What the launcher prints (after "plan-exec: ") at the end of a run whose cgroup saw OOM kills
// (report.oom_killed); the exit code stays the command's. The command's own death by SIGKILL
// (exit code 137, also as reported by --init) is oom_message(); any other exit means the OOM
// killer took a descendant of the command, not the command itself:
//   "warning: out of memory (limit 250 MiB): the kernel killed 1 process in the container,
//    not the command, which exited 0"
std::string oom_report(const CgroupReport& report, const plan::Cgroups& cgroups, int command_exit_code);

// The --stats report, one "key: value" line each for what the host could measure:
//   memory peak: 12.4 MiB / cpu time: 1.234 s / throttled: 0.812 s (9 periods) / pids peak: 3
std::string format_cgroup_stats(const CgroupReport& report);

// For `plan-exec --cleanup`: removes cgroups of plan-exec instances no longer running.
std::vector<std::string> cleanup_cgroup_leftovers();

}  // namespace launcher
