// SPDX-License-Identifier: Apache-2.0
// Making the new root "/": pivot_root(".", ".") then detach the old root stacked on top of it
// (no need for a put_old directory inside the image). chroot only when the plan asks: a root
// process can leave a chroot, not a pivot_root whose old root is gone.
#include <sys/mount.h>

#include "launcher/host/error.h"
#include "launcher/host/kernel.h"
#include "launcher/rootfs/mount_steps.h"

namespace launcher {

void enter_root(Kernel& kernel, const std::string& root, bool use_chroot) {
  check(kernel.chdir(root.c_str()), "pivot", "chdir to the new root " + root);
  if (use_chroot) {
    check(kernel.chroot("."), "pivot", "chroot to " + root);
  } else {
    check(kernel.pivot_root(".", "."), "pivot", "pivot_root to " + root);
    // The old root is now mounted over the new one at "/": detach it, lazily, with all below it.
    check(kernel.umount2(".", MNT_DETACH), "pivot", "unmount the old root");
  }
  // Leave no handle on a directory outside the new root (runc CVE-2024-21626).
  check(kernel.chdir("/"), "pivot", "chdir to / inside " + root);
}

}  // namespace launcher
