// SPDX-License-Identifier: Apache-2.0
// The plan's granted device nodes (plan.devices, `device /dev/fuse` in a policy): checked here
// before any side effect, made by mount_minimal_dev (steps.h) next to the default nodes.
#pragma once

#include <string>

#include "plan/plan.h"

namespace launcher {

// True for the first path component below /dev of everything the minimal /dev makes itself
// ("null", ..., "pts", "shm", "fd", "stdin"): a grant can neither replace nor enter them.
bool made_by_minimal_dev(const std::string& name);

// Each plan.devices[i] is a plain path under /dev, not made by the minimal /dev, listed once,
// and a character or block device on this host; the plan mounts the minimal /dev at /dev.
// Throws StepError("validate") naming plan.devices[i] (plan-exec exits 125).
void validate_granted_devices(const plan::Plan& plan);

}  // namespace launcher
