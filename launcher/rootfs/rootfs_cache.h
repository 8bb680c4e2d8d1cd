// Archive rootfs: a .tar/.tar.gz unpacked once into a cache keyed by the archive's sha256 and
// reused by every later run while the archive is unchanged.
//   root:     /var/cache/plan-exec/rootfs/<sha256>/
//   rootless: $XDG_CACHE_HOME/plan-exec/rootfs/<sha256>/ (or ~/.cache/...)
//   PLAN_EXEC_CACHE_DIR overrides both (tests use a scratch directory).
// Unpacking goes to .unpack-<sha256>-<pid> next to it and is renamed into place, so a killed
// run never leaves a half-unpacked cache entry (its temp directory is removed by a later run).
#pragma once

#include <string>

namespace launcher {

struct CachedRootfs {
  std::string dir;           // the unpacked tree
  std::string staging;       // an empty directory the child mounts its writable layer on
  bool unpacked_now = false; // false: reused from an earlier run
};

std::string rootfs_cache_root(bool rootless);
std::string file_sha256(const std::string& path);  // streamed: the archive may be large

// Throws StepError(step "rootfs") naming the archive and the entry that failed.
CachedRootfs unpack_cached(const std::string& archive, bool rootless);

// The path unpack_cached would use, without unpacking (for --dry-run).
std::string cached_dir_for(const std::string& archive, bool rootless);

}  // namespace launcher
