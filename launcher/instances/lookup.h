// SPDX-License-Identifier: Apache-2.0
// Finding a running instance by what the user typed: its name ("web", "web-3" for --instance 3)
// or a pid (plan-exec's or the container process's, as `plan-exec ps` shows them).
#pragma once

#include <string>
#include <vector>

#include "launcher/registry/instance_record.h"

namespace launcher {

// The caller's registry (root: /run/plan-exec; rootless: $XDG_RUNTIME_DIR/plan-exec), its
// records whose plan-exec still runs. Throws RegistryError when the registry cannot be read.
std::vector<InstanceRecord> running_instances_of_caller();

// The one record `name_or_pid` names among `running`. Throws RegistryError naming what was
// asked when none or several match (then their pids, to pick one).
InstanceRecord pick_instance(const std::vector<InstanceRecord>& running, const std::string& name_or_pid);

}  // namespace launcher
