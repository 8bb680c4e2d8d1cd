// SPDX-License-Identifier: Apache-2.0
// The kernel as the launcher's steps see it: every system call a step makes goes through one
// Kernel, passed to the step as a parameter, so unit tests can hand it a recording fake
// (tests/support/recording_kernel.h) and check each step's calls and their order without root.
//
// Convention: each method behaves like the system call it is named after: it returns what the
// call returns (0, a descriptor, a byte count), or -1 with errno set; it never throws. Steps
// keep turning failures into StepError with check() (error.h), exactly as with the bare calls.
// Arguments are what the call takes, so a method adds no allocation and no work to the start
// path (one indirect call next to a system call).
//
// The cgroup (cgroup_fs.h) and network (network_env.h) seams sit beside this one: they fake
// whole files and netlink sessions, not single calls.
#pragma once

#include <fcntl.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>

#include "launcher/host/landlock_abi.h"

namespace launcher {

// The three capability sets of this thread, one bit per capability (bit n = capability n).
struct CapabilitySets {
  std::uint64_t effective = 0;
  std::uint64_t permitted = 0;
  std::uint64_t inheritable = 0;
};

class Kernel {
 public:
  // ---- mounts and the root
  virtual int mount(const char* source, const char* target, const char* fstype, unsigned long flags,
                    const void* data) = 0;
  virtual int umount2(const char* target, int flags) = 0;
  virtual int mount_setattr(int dirfd, const char* path, unsigned flags, mount_attr* attr, std::size_t size) = 0;
  virtual int pivot_root(const char* new_root, const char* put_old) = 0;
  virtual int chroot(const char* path) = 0;
  virtual int chdir(const char* path) = 0;
  virtual int fchdir(int fd) = 0;
  // open_tree(2) and move_mount(2): a detached copy of a mount tree, and attaching it.
  virtual int open_tree(int dirfd, const char* path, unsigned flags) = 0;
  virtual int move_mount(int from_dirfd, const char* from_path, int to_dirfd, const char* to_path,
                         unsigned flags) = 0;

  // ---- files
  virtual int openat(int dirfd, const char* path, int flags, mode_t mode) = 0;
  virtual int openat2(int dirfd, const char* path, const open_how& how) = 0;
  virtual int close(int fd) = 0;
  virtual ssize_t write(int fd, const void* data, std::size_t size) = 0;
  virtual int close_range(unsigned first, unsigned last, unsigned flags) = 0;
  virtual int mkdirat(int dirfd, const char* path, mode_t mode) = 0;
  virtual int mknodat(int dirfd, const char* path, mode_t mode, dev_t device) = 0;
  virtual int symlinkat(const char* target, int dirfd, const char* path) = 0;
  virtual int fchmodat(int dirfd, const char* path, mode_t mode, int flags) = 0;
  virtual int fchownat(int dirfd, const char* path, uid_t uid, gid_t gid, int flags) = 0;
  virtual int fstatat(int dirfd, const char* path, struct stat* st, int flags) = 0;
  virtual int statvfs(const char* path, struct statvfs* st) = 0;
  virtual mode_t umask(mode_t mask) = 0;  // cannot fail: returns the previous mask

  // ---- credentials and capabilities
  virtual int setresuid(uid_t real, uid_t effective, uid_t saved) = 0;
  virtual int setresgid(gid_t real, gid_t effective, gid_t saved) = 0;
  virtual int setgroups(std::size_t count, const gid_t* groups) = 0;
  // capget/capset of this thread (version 3, both 32-bit halves).
  virtual int capget(CapabilitySets& sets) = 0;
  virtual int capset(const CapabilitySets& sets) = 0;
  // /proc/sys/kernel/cap_last_cap (cannot fail: the headers' CAP_LAST_CAP when unreadable).
  virtual int cap_last_cap() = 0;
  virtual int prctl(int option, unsigned long arg2, unsigned long arg3, unsigned long arg4, unsigned long arg5) = 0;

  // ---- the rest of the process
  virtual int sethostname(const char* name, std::size_t size) = 0;
  virtual int prlimit(pid_t pid, int resource, const struct rlimit* new_limit, struct rlimit* old_limit) = 0;
  virtual int unshare(int flags) = 0;
  virtual pid_t setsid() = 0;
  // seccomp(2); SECCOMP_SET_MODE_FILTER takes a sock_fprog*.
  virtual int seccomp(unsigned operation, unsigned flags, void* args) = 0;
  // landlock_create_ruleset(2) (attr NULL, size 0, LANDLOCK_CREATE_RULESET_VERSION: the ABI),
  // landlock_add_rule(2) (rule_attr: LandlockPathBeneathAttr or LandlockNetPortAttr),
  // landlock_restrict_self(2).
  virtual int landlock_create_ruleset(const LandlockRulesetAttr* attr, std::size_t size, unsigned flags) = 0;
  virtual int landlock_add_rule(int ruleset_fd, unsigned rule_type, const void* rule_attr, unsigned flags) = 0;
  virtual int landlock_restrict_self(int ruleset_fd, unsigned flags) = 0;

 protected:
  // Not deletable through a Kernel*: the real one is a static, fakes live on a test's stack.
  ~Kernel() = default;
};

// The process-wide real kernel (the plain system calls).
Kernel& real_kernel();

// /proc/sys/kernel/cap_last_cap, read once (what real_kernel().cap_last_cap() returns).
int last_capability();

}  // namespace launcher
