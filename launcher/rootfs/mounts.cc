// SPDX-License-Identifier: Apache-2.0
// The plan's mounts, in plan order, each one mount(2) call (plus a read-only pass for binds).
// Targets are resolved inside the new root (safe_path.h), so a symlink in the image cannot
// redirect a mount onto the host. Every mount but the minimal /dev and devpts is nodev, even
// when the plan's flags leave it out (enforced_mount_flags).
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <cerrno>

#include "launcher/host/error.h"
#include "launcher/host/mount_util.h"
#include "launcher/host/safe_path.h"
#include "launcher/rootfs/mount_steps.h"

namespace launcher {

void make_mounts_private(Kernel& kernel) {
  check(kernel.mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr), "mounts",
        "make all mounts private (MS_REC|MS_PRIVATE on /)");
}

static const char* or_null(const std::string& s) { return s.empty() ? nullptr : s.c_str(); }

// A descriptor taken before a mount still names the directory underneath: reopen after mounting.
static void restrict_mounted(Kernel& kernel, const std::string& root, const std::string& target, unsigned long flags,
                             bool recursive) {
  Fd mounted = open_in_root(kernel, root, target);
  if (!mounted) throw StepError("mounts", "open " + join_root(root, target) + " after mounting it", errno);
  add_mount_flags(kernel, fd_path(mounted), flags, recursive, "mounts",
                  std::string(flags & MS_RDONLY ? "make read-only: " : "restrict (nosuid/nodev/noexec): ") +
                      join_root(root, target));
}

static void mount_bind(Kernel& kernel, const plan::Mount& m, const std::string& root) {
  struct stat st {};
  check(kernel.fstatat(AT_FDCWD, m.source.c_str(), &st, 0), "mounts", "bind mount source " + m.source);
  Fd target = make_in_root(kernel, root, m.target, S_ISDIR(st.st_mode), "mounts");
  const std::string shown = "bind " + m.source + " at " + join_root(root, m.target);
  check(kernel.mount(m.source.c_str(), fd_path(target).c_str(), nullptr, MS_BIND | MS_REC, nullptr), "mounts", shown);
  // A bind ignores MS_RDONLY/MS_NOSUID/...: they take a second call on the new mount (and its
  // submounts: nodev reaches a devpts or devtmpfs inside the bound tree too).
  const unsigned long extra =
      (enforced_mount_flags(m) & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)) | (m.readonly ? MS_RDONLY : 0);
  if (extra != 0) restrict_mounted(kernel, root, m.target, extra, true);
}

static void mount_filesystem(Kernel& kernel, const plan::Mount& m, const std::string& root, bool in_userns) {
  Fd target = make_in_root(kernel, root, m.target, true, "mounts");
  const std::string fstype = m.fstype.empty() ? plan::to_string(m.kind) : m.fstype;
  const std::string source = m.source.empty() ? fstype : m.source;
  const unsigned long flags = enforced_mount_flags(m);
  int rc = kernel.mount(source.c_str(), fd_path(target).c_str(), fstype.c_str(), flags, or_null(m.data));
  if (rc != 0 && m.kind == plan::MountKind::Sysfs && in_userns && (errno == EPERM || errno == EACCES)) {
    // sysfs can only be mounted by the owner of the net namespace: without a net namespace of
    // our own (rootless, `network host`), bind the host's /sys read-only instead, like bwrap.
    rc = kernel.mount("/sys", fd_path(target).c_str(), nullptr, MS_BIND | MS_REC, nullptr);
    if (rc == 0) return restrict_mounted(kernel, root, m.target, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, true);
  }
  check(rc, "mounts", "mount " + fstype + " at " + join_root(root, m.target) +
                          (m.data.empty() ? "" : " (options \"" + m.data + "\")"));
  if (m.readonly && !(flags & MS_RDONLY)) restrict_mounted(kernel, root, m.target, MS_RDONLY, false);
}

void mount_one(Kernel& kernel, const plan::Mount& m, const std::string& root, bool in_userns,
               const std::vector<std::string>& devices) {
  switch (m.kind) {
    case plan::MountKind::Dev: return mount_minimal_dev(kernel, m, root, in_userns, devices);
    case plan::MountKind::Bind: return mount_bind(kernel, m, root);
    default: return mount_filesystem(kernel, m, root, in_userns);
  }
}

}  // namespace launcher
