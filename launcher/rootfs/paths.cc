// SPDX-License-Identifier: Apache-2.0
// Masked and read-only paths (runc's defaults are added by the lowering, not here).
// Masking a file binds /dev/null over it (a device node: that bind is not nodev); a directory
// gets an empty read-only tmpfs. That tmpfs and the read-only binds are nodev.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <cerrno>

#include "launcher/host/error.h"
#include "launcher/host/mount_util.h"
#include "launcher/host/safe_path.h"
#include "launcher/rootfs/mount_steps.h"

namespace launcher {

static void mask_one(Kernel& kernel, const std::string& path, const std::string& root) {
  Fd target = open_in_root(kernel, root, path);
  if (!target) {
    if (errno == ENOENT) return;  // nothing to hide
    throw StepError("paths", "open masked path " + join_root(root, path), errno);
  }
  struct stat st {};
  check(kernel.fstatat(target.get(), "", &st, AT_EMPTY_PATH), "paths", "stat masked path " + join_root(root, path));
  if (S_ISDIR(st.st_mode)) {
    check(kernel.mount("tmpfs", fd_path(target).c_str(), "tmpfs", MS_RDONLY | MS_NOSUID | nodev_flag() | MS_NOEXEC,
                  "size=0,mode=500"),
          "paths", "mask directory " + join_root(root, path) + " with an empty read-only tmpfs");
  } else {
    check(kernel.mount("/dev/null", fd_path(target).c_str(), nullptr, MS_BIND, nullptr), "paths",
          "mask " + join_root(root, path) + " by binding /dev/null over it");
  }
}

static void readonly_one(Kernel& kernel, const std::string& path, const std::string& root) {
  Fd target = open_in_root(kernel, root, path);
  if (!target) {
    if (errno == ENOENT) return;
    throw StepError("paths", "open read-only path " + join_root(root, path), errno);
  }
  check(kernel.mount(fd_path(target).c_str(), fd_path(target).c_str(), nullptr, MS_BIND | MS_REC, nullptr), "paths",
        "bind " + join_root(root, path) + " onto itself");
  Fd mounted = open_in_root(kernel, root, path);  // the new bind, not the directory below it
  if (!mounted) throw StepError("paths", "open " + join_root(root, path) + " after binding it", errno);
  // nodev too, as on every mount but the minimal /dev (whose granted nodes may be made read-only).
  const bool in_dev = path == "/dev" || path.starts_with("/dev/");
  add_mount_flags(kernel, fd_path(mounted), MS_RDONLY | (in_dev ? 0 : nodev_flag()), true, "paths",
                  "make " + join_root(root, path) + " read-only");
}

void mask_paths(Kernel& kernel, const std::vector<std::string>& paths, const std::string& root) {
  for (const auto& p : paths) mask_one(kernel, p, root);
}

void make_paths_readonly(Kernel& kernel, const std::vector<std::string>& paths, const std::string& root) {
  for (const auto& p : paths) readonly_one(kernel, p, root);
}

}  // namespace launcher
