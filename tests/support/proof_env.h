// SPDX-License-Identifier: Apache-2.0
// Helpers of the proof tests (escape, faults, load): a policy of policies/ made to point at a
// test rootfs and test addresses, compiled by the real policyc; and a search of the host for
// whatever one plan-exec instance (known by its pid) may have left behind: veths, named netns,
// cgroup directories, mounts, processes. Only looks; never removes anything.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/host_state.h"

namespace proof {

// Copies `source_pol` to `out_pol`, replacing each `from` by `to` (all occurrences). Throws
// std::runtime_error naming the policy and the text when a `from` does not occur: a changed
// example policy must fail the test loudly, not run with the wrong rootfs or addresses.
void write_policy_variant(const std::string& source_pol, const std::string& out_pol,
                          const std::vector<std::pair<std::string, std::string>>& replacements);

// POLICYC_BIN `pol` -o `plan`. Throws std::runtime_error with policyc's output on failure.
void compile_policy_file(const std::string& pol, const std::string& plan);

// policies/hello.pol with its rootfs replaced by `rootfs` and its veth by `subnet`.1/24 (host)
// and `subnet`.2/24 (container), e.g. subnet "10.201.7", written to DIR/NAME.pol and compiled
// to DIR/NAME.plan, whose path it returns.
std::string compile_hello_variant(const std::string& dir, const std::string& name, const std::string& rootfs,
                                  const std::string& subnet);

// What one plan-exec instance may leave on the host.
struct InstanceTraces {
  pid_t plan_exec_pid = -1;
  std::string container_name;  // plan.name: its cgroup leaf is "<name>-<pid>"
  std::string mount_needle;    // new host mounts containing this (the scratch dir) or "plan-exec" are its mounts
  std::string process_marker;  // a process whose cmdline holds this is its command
};

// The host before an instance started: netns, mounts and plan-exec* cgroup directories that
// already existed (other instances, other tests) are not counted as its leftovers.
struct Baseline {
  testsupport::HostState host;
  std::vector<std::string> plan_exec_cgroups;  // cgroup_dirs()
};
Baseline baseline();

// Everything of `traces` still on the host, one line each ("veth pe-123", "cgroup /sys/...").
std::vector<std::string> leftovers(const InstanceTraces& traces, const Baseline& before);

// Polls leftovers() until it is empty or `deadline` passes; returns the last result. The
// kernel removes a dead namespace's veth and plan-exec's cgroup watcher removes the cgroups
// asynchronously, a few milliseconds after the launcher died.
std::vector<std::string> wait_for_no_leftovers(const InstanceTraces& traces, const Baseline& before,
                                               std::chrono::milliseconds deadline);

// Pids of processes whose /proc/PID/cmdline contains `marker` (NUL separators read as spaces).
std::vector<pid_t> processes_with(const std::string& marker);

// Directories under /sys/fs/cgroup (every hierarchy, any depth) whose name starts with
// "plan-exec" or ends with `suffix` (when not empty).
std::vector<std::string> cgroup_dirs(const std::string& suffix = "");

// "a\nb\n" for failure messages; "(none)" when empty.
std::string lines(const std::vector<std::string>& items);

}  // namespace proof
