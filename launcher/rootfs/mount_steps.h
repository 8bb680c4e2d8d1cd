// SPDX-License-Identifier: Apache-2.0
// The child's mount steps, one file each (mounts.cc, devices.cc, paths.cc, pivot.cc, rootfs.cc).
// Each makes its system calls through the Kernel it is given (real_kernel() in the sequence, the
// recording fake in unit tests), takes only its slice of the plan and throws StepError naming
// the step, the input and the errno; launcher/sequence.cc alone decides the order.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "launcher/host/kernel.h"
#include "plan/plan.h"

namespace launcher {

// mounts.cc: stop mount events from leaking back to the host (MS_REC|MS_PRIVATE on /).
void make_mounts_private(Kernel& kernel);
// mounts.cc: one of the plan's mounts under `root` ("" = the current root). The Dev kind is
// delegated to mount_minimal_dev (with the plan's granted `devices`). `in_userns`: some file
// systems need a fallback there (sysfs).
void mount_one(Kernel& kernel, const plan::Mount& mount, const std::string& root, bool in_userns,
               const std::vector<std::string>& devices = {});

// devices.cc: tmpfs at target + the default device nodes and the granted `devices` (plan.devices,
// checked by validate_granted_devices) + devpts + /dev/shm + links.
void mount_minimal_dev(Kernel& kernel, const plan::Mount& dev, const std::string& root, bool in_userns,
                       const std::vector<std::string>& devices = {});

// rootfs.cc (child): mount_rootfs() is declared in rootfs_steps.h.
// rootfs.cc (child, after pivot): make "/" read-only (not its submounts).
void remount_root_readonly(Kernel& kernel);

// paths.cc: hide (bind /dev/null on files, empty read-only tmpfs on directories) and make
// read-only the given container paths under `root`. Paths that do not exist are skipped.
void mask_paths(Kernel& kernel, const std::vector<std::string>& paths, const std::string& root);
void make_paths_readonly(Kernel& kernel, const std::vector<std::string>& paths, const std::string& root);

// pivot.cc: make `root` the process's root: pivot_root + detach the old root, or chroot.
void enter_root(Kernel& kernel, const std::string& root, bool use_chroot);

}  // namespace launcher
