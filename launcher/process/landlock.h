// SPDX-License-Identifier: Apache-2.0
// The Landlock step: plan.landlock as a ruleset the running kernel takes, applied to the
// container's process after no_new_privs and before the seccomp filter (launcher/sequence.cc),
// once pivot_root made the plan's paths the container's. Every call goes through the Kernel.
//
// What the kernel lacks is decided before the first side effect (fit_landlock, from the ABI
// landlock_abi() reads): without best_effort a right the kernel cannot enforce refuses the run;
// with it the right is dropped from the ruleset and a warning names it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "launcher/host/kernel.h"
#include "plan/plan.h"

namespace launcher {

// The running kernel's Landlock ABI (landlock_create_ruleset with LANDLOCK_CREATE_RULESET_VERSION);
// 0 when the kernel has no Landlock or it is disabled (ENOSYS, EOPNOTSUPP). In builds with fault
// injection, PLAN_EXEC_TEST_LANDLOCK_ABI=N makes it at most N, so tests can play an older kernel.
int landlock_abi(Kernel& kernel);

// plan.landlock cut to what ABI `abi` can enforce.
struct FittedLandlock {
  plan::Landlock ruleset;     // handled rights and rules within the ABI; rules left empty are dropped
  int abi = 0;
  std::string not_enforced;   // "" when nothing is lost; else the rights, e.g. "ioctl_dev (ABI 5), ..."
  bool enforces_nothing() const { return ruleset.handled_fs == 0 && ruleset.handled_net == 0 && ruleset.scoped == 0; }
};
FittedLandlock fit_landlock(const plan::Landlock& landlock, int abi);

// Throws StepError("validate") when `fitted` lost rights and the plan has no best_effort (the
// message names them and what to do); returns the warning to print when best_effort dropped them
// ("" otherwise).
std::string require_enforceable(const FittedLandlock& fitted, bool best_effort);

// Child, after no_new_privs: create the ruleset, open each path O_PATH|O_CLOEXEC (as the
// container sees it) and add it, add the ports, landlock_restrict_self. A path that is not a
// directory gets only the rights a file can hold (execute, write_file, read_file, truncate,
// ioctl_dev). A path missing in the container is skipped silently (its rule could grant nothing,
// and one policy may serve images with and without /usr or /sbin) and returned. Throws StepError("landlock") naming the path or port.
std::vector<std::string> apply_landlock(Kernel& kernel, const FittedLandlock& fitted);

// For --dry-run: "ABI 7: every filesystem right handled, granted beneath 3 path(s); connect_tcp
// handled, granted on 1 port(s); scoped signals".
std::string describe_landlock(const FittedLandlock& fitted);

// Whether the ruleset lets execve start `program` (a path inside the container): execute and
// read_file beneath it, when the ruleset handles them.
bool landlock_allows_exec(const plan::Landlock& ruleset, const std::string& program);

}  // namespace launcher
