// SPDX-License-Identifier: Apache-2.0
// A run's own entry in the registry (registry/registry_dir.h): written once its command runs,
// removed once the container has ended, and in any case when plan-exec ends (also on failure;
// a killed plan-exec leaves a stale record that `plan-exec --cleanup` removes). A registry that
// cannot be written costs only `ps`/`exec`/`stop` their view of this run: a warning, the run
// goes on.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "launcher/registry/instance_record.h"
#include "launcher/registry/registry_dir.h"
#include "plan/plan.h"

namespace launcher {

// What the sequence knows of a run once its container process exists.
struct RunFacts {
  const plan::Plan* plan = nullptr;
  std::string plan_path;               // as given on the command line
  std::string_view plan_text;          // the plan file's bytes as plan-exec read them
  unsigned instance = 0;
  pid_t container_pid = 0;
  unsigned long long namespaces = 0;   // CLONE_NEW* of the container
  std::optional<VethRecord> veth;
  std::vector<std::string> cgroups;
};

// The record of this plan-exec (getpid()) for `facts`: plan path made absolute, the plan's
// bytes hashed, both start times read. Throws RegistryError when the plan file or a process is gone.
InstanceRecord record_for(const RunFacts& facts);

// The line plan-exec prints to stderr at start when the container has a veth (not with -q):
//   "web: 10.200.0.2 via pe-4081"
std::string address_line(const std::string& name, const VethRecord& veth);

// Parent: blocks until the container process has exec'd the command or died: the error
// channel (spawn.h) is closed by execve (O_CLOEXEC) or by the exit. True when no error record
// waits in it, i.e. the command runs. Signals (forwarded meanwhile) do not end the wait.
bool command_started(int error_read_fd);

class InstanceRegistration {
 public:
  InstanceRegistration() = default;
  ~InstanceRegistration();  // removes the record, if one was written
  InstanceRegistration(const InstanceRegistration&) = delete;
  InstanceRegistration& operator=(const InstanceRegistration&) = delete;

  // Writes the record; on failure prints "plan-exec: warning: ..." and carries on.
  void publish(const RunFacts& facts);
  void withdraw();

 private:
  RegistryDir dir_;
  std::string file_;
};

// `plan-exec --cleanup`: the stale records of the caller's registry (registry.h); one line each.
std::vector<std::string> cleanup_stale_records();

}  // namespace launcher
