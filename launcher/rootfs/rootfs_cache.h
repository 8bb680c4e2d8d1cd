// SPDX-License-Identifier: Apache-2.0
// Archive rootfs: a .tar/.tar.gz unpacked once into a cache keyed by the archive's sha256 and
// reused by every later run while the archive is unchanged.
//   root:     /var/cache/plan-exec/rootfs/<sha256>/
//   rootless: $XDG_CACHE_HOME/plan-exec/rootfs/<sha256>/ (or ~/.cache/...)
//   PLAN_EXEC_CACHE_DIR overrides both (tests use a scratch directory).
// The sha256 is computed only when the archive's stat key (device, inode, size, mtime, ctime)
// differs from the one recorded when it was last hashed (archive_record.h): a cached launch
// costs a stat(), not a read of the whole archive. Two paths to one content share one tree.
// Unpacking goes to .unpack-<sha256>-<pid> next to it and is renamed into place, so a killed
// run never leaves a half-unpacked cache entry (its temp directory is removed by a later run).
// A run holds a lock on its tree (cache_tree.h); a newer version of the archive at the same
// path replaces the tree of the older one unless another run uses it, and prune_rootfs_cache()
// removes every tree that no archive points at any more.
#pragma once

#include <string>
#include <vector>

#include "launcher/host/safe_path.h"

namespace launcher {

struct CachedRootfs {
  std::string dir;           // the unpacked tree
  std::string staging;       // an empty directory the child mounts its writable layer on
  bool unpacked_now = false; // false: reused from an earlier run
  std::string key_check;     // how the tree was found: describe_key_check()
  std::vector<std::string> replaced;  // trees of older versions of this archive, removed
  Fd lock;                   // shared lock on `dir`: hold it while the container runs
};

std::string rootfs_cache_root(bool rootless);
std::string file_sha256(const std::string& path);  // streamed: the archive may be large

// Throws StepError(step "rootfs") naming the archive and the entry that failed.
// `show_progress`: a long unpack draws its progress on stderr when that is a terminal
// (unpack_progress.h); false (plan-exec -q) never draws.
CachedRootfs unpack_cached(const std::string& archive, bool rootless, bool show_progress = true);

// For --dry-run, without unpacking or writing anything: the tree unpack_cached would use, and
// how its key was checked ("archive unchanged since it was hashed (stat key): not hashed" or
// "hashed: ..."), in `key_check`.
std::string cached_dir_for(const std::string& archive, bool rootless, std::string* key_check = nullptr);

// plan-exec --prune-cache: removes the trees no archive points at (the archive is gone, or
// now has another content: such archives are hashed again here), except trees in use by a
// running container. Returns one line per tree: "removed DIR (why)" or "kept DIR: in use ...".
std::vector<std::string> prune_rootfs_cache(bool rootless);

}  // namespace launcher
