// SPDX-License-Identifier: Apache-2.0
// The rootfs as the child mounts it (see rootfs.cc); rootfs_cache.h makes archive trees.
#pragma once

#include <string>

#include "launcher/host/kernel.h"
#include "plan/plan.h"

namespace launcher {

struct RootfsSource {
  std::string dir;            // the tree: the plan's directory or the archive's cache entry
  bool overlay = false;       // writable: private tmpfs upper layer over `dir`, discarded at exit
  std::string staging;        // overlay only: where the layers and the overlay are mounted (may be `dir`)
  bool writethrough = false;  // directory bound writable, nosuid,nodev: writes reach the host
};

// A directory rootfs: overlay unless the plan says readonly or writethrough.
RootfsSource directory_rootfs(const plan::Rootfs& rootfs);

// The directory that becomes "/" once mount_rootfs() ran (for --dry-run too).
std::string rootfs_root(const RootfsSource& source);
std::string describe_rootfs(const RootfsSource& source);

// Returns rootfs_root(source) (pivot_root target).
std::string mount_rootfs(Kernel& kernel, const RootfsSource& source);

}  // namespace launcher
