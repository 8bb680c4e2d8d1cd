// SPDX-License-Identifier: Apache-2.0
// Small mount helpers shared by the mount steps.
#pragma once

#include <cstdint>
#include <string>

#include "launcher/host/kernel.h"
#include "plan/plan.h"

namespace launcher {

// Adds the MS_RDONLY/MS_NOSUID/MS_NODEV/MS_NOEXEC bits of `ms_flags` to the mount at `path`
// without touching its other flags (mount_setattr keeps what a user namespace may have locked).
// `recursive`: submounts too.
void add_mount_flags(Kernel& kernel, const std::string& path, unsigned long ms_flags, bool recursive, const char* step,
                     const std::string& what);

inline void set_readonly(Kernel& kernel, const std::string& path, bool recursive, const char* step, const std::string& what);

// MS_NODEV, or 0 when the test-only switch disables the defence "nodev" (launcher/fault.h).
unsigned long nodev_flag();

// The flags a plan mount gets: the plan's, plus MS_NODEV on every kind but the minimal /dev and
// devpts (whose nodes must open). A device node made or bound anywhere else in the container
// then cannot reach the host's hardware, whatever the plan's flags say.
std::uint64_t enforced_mount_flags(const plan::Mount& m);

}  // namespace launcher

#include <sys/mount.h>
inline void launcher::set_readonly(Kernel& kernel, const std::string& path, bool recursive, const char* step,
                                   const std::string& what) {
  add_mount_flags(kernel, path, MS_RDONLY, recursive, step, what);
}
