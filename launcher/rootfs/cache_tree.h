// SPDX-License-Identifier: Apache-2.0
// The unpacked trees of the archive cache as files: made, locked while a container uses them,
// and removed only when no container does.
//   <cache>/<sha256>/             a tree (its name is the archive content's sha256)
//   <cache>/.unpack-<sha>-<pid>/  being unpacked by <pid> (renamed into place when complete)
//   <cache>/.remove-<sha>-<pid>/  being removed by <pid> (renamed out of place first)
// A run holds a shared flock(2) on its tree's directory until it exits; removal takes the
// exclusive lock without waiting, so a tree in use is skipped, never pulled from under a
// container. The lock goes with plan-exec's death (the container dies with it too).
#pragma once

#include <string>

#include "launcher/host/safe_path.h"

namespace launcher {

// mkdir -p; throws StepError("rootfs").
void make_cache_dirs(const std::string& path, mode_t mode);

// Recursive delete that never follows symlinks (the tree came from an untrusted archive).
void remove_tree(const std::string& path);

// .unpack-/.remove- directories whose process is gone (killed while unpacking or removing).
void remove_abandoned_work(const std::string& cache);

// A shared lock on `dir`; an invalid Fd when `dir` does not exist (any more: a removal renamed
// it away while we waited). Throws StepError("rootfs") when it exists but cannot be locked.
Fd lock_tree_shared(const std::string& dir);

enum class RemoveResult { Removed, InUse, Missing };
// Removes the tree at `dir` unless a run holds its lock.
RemoveResult remove_tree_unless_in_use(const std::string& cache, const std::string& name);

}  // namespace launcher
