// The rootfs as the child mounts it (see rootfs.cc); rootfs_cache.h makes archive trees.
#pragma once

#include <string>

namespace launcher {

struct RootfsSource {
  std::string dir;           // the tree: the plan's directory or the archive's cache entry
  bool overlay = false;      // archive, writable: private tmpfs upper layer over `dir`
  std::string staging;       // overlay only: empty directory to mount the layers on
};

// Returns the directory that becomes "/" (pivot_root target).
std::string mount_rootfs(const RootfsSource& source);

}  // namespace launcher
