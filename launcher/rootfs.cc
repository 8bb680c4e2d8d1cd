// The container's root, made a mount point of its own inside the child's mount namespace.
//   directory rootfs: bind it onto itself (pivot_root needs a mount point).
//   archive rootfs:   the shared cache entry is the read-only lower layer of an overlay whose
//                     upper layer is a private tmpfs, so a container's writes never reach the
//                     cache (or, when the plan says readonly, a plain bind made read-only later).
#include <sys/mount.h>
#include <sys/stat.h>

#include <cerrno>

#include "launcher/error.h"
#include "launcher/mount_util.h"
#include "launcher/rootfs_steps.h"

namespace launcher {

static std::string overlay_root(const RootfsSource& source) {
  const std::string& s = source.staging;
  if (source.dir.find_first_of(",:") != std::string::npos) {
    throw StepError("rootfs", "cache path " + source.dir + " holds ',' or ':', which overlayfs options cannot carry; "
                              "set PLAN_EXEC_CACHE_DIR to a plain path");
  }
  check(::mount("tmpfs", s.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "mode=755"), "rootfs",
        "mount the writable layer (tmpfs) at " + s);
  for (const char* sub : {"/upper", "/work", "/root"}) {
    check(::mkdir((s + sub).c_str(), 0755), "rootfs", "create " + s + sub);
  }
  const std::string options = "lowerdir=" + source.dir + ",upperdir=" + s + "/upper,workdir=" + s + "/work";
  check(::mount("overlay", (s + "/root").c_str(), "overlay", 0, options.c_str()), "rootfs",
        "mount overlay of " + source.dir + " at " + s + "/root");
  return s + "/root";
}

std::string mount_rootfs(const RootfsSource& source) {
  if (source.overlay) return overlay_root(source);
  check(::mount(source.dir.c_str(), source.dir.c_str(), nullptr, MS_BIND | MS_REC, nullptr), "rootfs",
        "bind rootfs " + source.dir + " onto itself");
  return source.dir;
}

void remount_root_readonly() { set_readonly("/", false, "rootfs", "make the rootfs / read-only"); }

}  // namespace launcher
