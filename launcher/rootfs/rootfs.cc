// SPDX-License-Identifier: Apache-2.0
// The container's root, made a mount point of its own inside the child's mount namespace.
//   writable (directory or archive): an overlay whose lower layer is the tree and whose upper
//       layer is a private tmpfs discarded at exit, so nothing a container writes (setuid-root
//       files, device nodes, mount points) reaches the host directory or the shared cache.
//   readonly: the tree bound onto itself (made read-only after the mounts, see sequence.cc).
//   writethrough (directory, when the policy asks): the host directory bound writable,
//       nosuid,nodev; the container's writes reach the host.
// Every rootfs mount is nodev: device nodes come only from the plan's /dev.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "launcher/host/error.h"
#include "launcher/host/fault.h"
#include "launcher/host/mount_util.h"
#include "launcher/rootfs/rootfs_steps.h"
#include "launcher/host/safe_path.h"

namespace launcher {

RootfsSource directory_rootfs(const plan::Rootfs& rootfs) {
  // Test switch "rootfs-overlay": the host directory bound writable, as before the overlay.
  const bool overlay = !rootfs.readonly && !rootfs.writethrough && !defence_disabled("rootfs-overlay");
  // The layers are mounted over the directory itself: only in the child's mount namespace,
  // after a detached clone of the directory was taken as the lower layer (overlay_root).
  return RootfsSource{rootfs.path, overlay, overlay ? rootfs.path : "", rootfs.writethrough};
}

std::string rootfs_root(const RootfsSource& source) { return source.overlay ? source.staging : source.dir; }

std::string describe_rootfs(const RootfsSource& source) {
  if (source.overlay) {
    const std::string at = source.staging == source.dir ? "" : ", at " + source.staging;
    return "overlay (nodev), private writable tmpfs layer over " + source.dir + at;
  }
  return (source.writethrough ? "bind writable (nosuid,nodev) " : "bind (nodev) ") + source.dir;
}

namespace {

unsigned long nodev() { return defence_disabled("nodev") ? 0 : MS_NODEV; }

// A detached copy of the tree (with its submounts), for the overlay's lower layer: the tmpfs
// that holds the layers may then cover the tree's own path.
Fd clone_tree(Kernel& kernel, const std::string& dir) {
  Fd tree(kernel, kernel.open_tree(AT_FDCWD, dir.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE));
  if (!tree) throw StepError("rootfs", "clone the mount of " + dir + " for the overlay's lower layer", errno);
  return tree;
}

// staging/{lower,upper,work} on a private tmpfs, and the overlay of them mounted on staging.
// The layer options are relative to staging (we chdir there), so no path in them can hold the
// ',' or ':' that overlayfs options cannot carry.
std::string overlay_root(Kernel& kernel, const RootfsSource& source) {
  const std::string& s = source.staging;
  Fd lower = clone_tree(kernel, source.dir);
  check(kernel.mount("tmpfs", s.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "mode=755"), "rootfs",
        "mount the writable layer (tmpfs) at " + s);
  for (const char* sub : {"/lower", "/upper", "/work"}) {
    check(kernel.mkdirat(AT_FDCWD, (s + sub).c_str(), 0755), "rootfs", "create " + s + sub);
  }
  check(kernel.move_mount(lower.get(), "", AT_FDCWD, (s + "/lower").c_str(), MOVE_MOUNT_F_EMPTY_PATH), "rootfs",
        "attach " + source.dir + " as the overlay's lower layer at " + s + "/lower");
  Fd cwd(kernel, kernel.openat(AT_FDCWD, ".", O_PATH | O_DIRECTORY | O_CLOEXEC, 0));
  check(kernel.chdir(s.c_str()), "rootfs", "chdir to " + s);
  // No nosuid: setuid programs of the image work inside (as under Docker); what the container
  // plants lives in the tmpfs, which no host user can reach.
  const int rc = kernel.mount("overlay", ".", "overlay", nodev(), "lowerdir=lower,upperdir=upper,workdir=work");
  const int err = errno;
  if (cwd) (void)kernel.fchdir(cwd.get());
  if (rc != 0) {
    throw StepError("rootfs", "mount overlay of " + source.dir + " at " + s +
                                  " (if overlayfs cannot use that filesystem as a lower layer, make the rootfs "
                                  "readonly, or writethrough to let the container write into it)",
                    err);
  }
  return s;
}

}  // namespace

std::string mount_rootfs(Kernel& kernel, const RootfsSource& source) {
  if (source.overlay) return overlay_root(kernel, source);
  check(kernel.mount(source.dir.c_str(), source.dir.c_str(), nullptr, MS_BIND | MS_REC, nullptr), "rootfs",
        "bind rootfs " + source.dir + " onto itself");
  // Writethrough: what the container writes is on the host; inside, a planted setuid file or
  // device node at least does nothing.
  const unsigned long flags = nodev() | (source.writethrough ? MS_NOSUID | MS_NODEV : 0);
  if (flags) add_mount_flags(kernel, source.dir, flags, true, "rootfs", "make the rootfs " + source.dir + " nodev");
  return source.dir;
}

void remount_root_readonly(Kernel& kernel) { set_readonly(kernel, "/", false, "rootfs", "make the rootfs / read-only"); }

}  // namespace launcher
