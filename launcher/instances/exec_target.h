// SPDX-License-Identifier: Apache-2.0
// What `plan-exec exec` resolves on the host before it creates anything (exec.h): the record,
// the plan as the container started with it, and descriptors of the container's first process.
#pragma once

#include <string>
#include <vector>

#include "launcher/registry/instance_record.h"
#include "plan/plan.h"

namespace launcher {

struct ExecTarget {
  InstanceRecord record;
  plan::Plan plan;
  unsigned long long join_flags = 0;  // CLONE_NEW* to setns into
  bool setgroups_allowed = true;      // false in a user namespace whose setgroups says "deny"
  // The process exec enters through: the container's first process (record.container_pid,
  // checked against its start time), or, when a rootless caller may not (--init's non-dumpable
  // pid 1), its child the command, in the same namespaces and root.
  pid_t entry_pid = 0;
  int pidfd = -1;                     // of entry_pid
  int root_fd = -1;                   // O_PATH /proc/<entry_pid>/root
  int cgroup2_fd = -1;                // the container's cgroup v2 directory, for CLONE_INTO_CGROUP
  std::vector<std::string> v1_cgroups;  // v1 directories: the helper's pid goes into cgroup.procs
  ExecTarget() = default;
  ExecTarget(ExecTarget&& other) noexcept;
  ExecTarget& operator=(ExecTarget&&) = delete;
  ExecTarget(const ExecTarget&) = delete;
  ~ExecTarget();  // closes the descriptors
};

// Throws RegistryError (no such container, plan file changed or gone) or plan::PlanError.
ExecTarget resolve_exec_target(const std::string& name_or_pid);

// The candidates execve tries, in order: `argv0` itself when it holds a '/', else each
// directory of PATH in `env` (the plan's environment; unset: "/usr/local/sbin:/usr/local/bin:
// /usr/sbin:/usr/bin:/sbin:/bin", as execvp) joined with it.
std::vector<std::string> exec_candidates(const std::string& argv0, const std::vector<std::string>& env);

}  // namespace launcher
