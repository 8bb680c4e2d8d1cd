// SPDX-License-Identifier: Apache-2.0
#include "launcher/host/mount_util.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/statvfs.h>

#include <cerrno>

#include "launcher/host/error.h"
#include "launcher/host/fault.h"

namespace launcher {

// The MS_* flags a remount must repeat, or a user namespace refuses it (locked flags).
static unsigned long current_flags(Kernel& kernel, const std::string& path) {
  struct statvfs sv {};
  if (kernel.statvfs(path.c_str(), &sv) != 0) return 0;
  unsigned long flags = 0;
  if (sv.f_flag & ST_RDONLY) flags |= MS_RDONLY;
  if (sv.f_flag & ST_NOSUID) flags |= MS_NOSUID;
  if (sv.f_flag & ST_NODEV) flags |= MS_NODEV;
  if (sv.f_flag & ST_NOEXEC) flags |= MS_NOEXEC;
  if (sv.f_flag & ST_NOATIME) flags |= MS_NOATIME;
  if (sv.f_flag & ST_NODIRATIME) flags |= MS_NODIRATIME;
  if (sv.f_flag & ST_RELATIME) flags |= MS_RELATIME;
  return flags;
}

void add_mount_flags(Kernel& kernel, const std::string& path, unsigned long ms_flags, bool recursive, const char* step,
                     const std::string& what) {
  struct mount_attr attr {};
  if (ms_flags & MS_RDONLY) attr.attr_set |= MOUNT_ATTR_RDONLY;
  if (ms_flags & MS_NOSUID) attr.attr_set |= MOUNT_ATTR_NOSUID;
  if (ms_flags & MS_NODEV) attr.attr_set |= MOUNT_ATTR_NODEV;
  if (ms_flags & MS_NOEXEC) attr.attr_set |= MOUNT_ATTR_NOEXEC;
  if (attr.attr_set == 0) return;
  if (kernel.mount_setattr(AT_FDCWD, path.c_str(), recursive ? AT_RECURSIVE : 0, &attr, sizeof attr) == 0) return;
  if (errno != ENOSYS) throw StepError(step, what, errno);
  // Kernels before 5.12: one remount, top mount only.
  const unsigned long wanted = ms_flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
  check(kernel.mount(nullptr, path.c_str(), nullptr, MS_REMOUNT | MS_BIND | current_flags(kernel, path) | wanted, nullptr),
        step, what);
}

unsigned long nodev_flag() { return defence_disabled("nodev") ? 0 : MS_NODEV; }

std::uint64_t enforced_mount_flags(const plan::Mount& m) {
  if (m.kind == plan::MountKind::Dev || m.kind == plan::MountKind::Devpts) return m.flags;
  return m.flags | nodev_flag();
}

}  // namespace launcher
