// SPDX-License-Identifier: Apache-2.0
// The real Kernel: each method is the plain system call (glibc's wrapper where it has one).
#include "launcher/host/kernel.h"

#include <grp.h>
#include <sched.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>

namespace launcher {

int last_capability() {
  static int cached = -1;
  if (cached >= 0) return cached;
  if (FILE* f = std::fopen("/proc/sys/kernel/cap_last_cap", "re")) {
    if (std::fscanf(f, "%d", &cached) != 1) cached = -1;
    std::fclose(f);
  }
  if (cached < 0) cached = CAP_LAST_CAP;
  return cached;
}

namespace {

class RealKernel final : public Kernel {
 public:
  int mount(const char* source, const char* target, const char* fstype, unsigned long flags,
            const void* data) override {
    return ::mount(source, target, fstype, flags, data);
  }
  int umount2(const char* target, int flags) override { return ::umount2(target, flags); }
  int mount_setattr(int dirfd, const char* path, unsigned flags, mount_attr* attr, std::size_t size) override {
    return ::mount_setattr(dirfd, path, flags, attr, size);
  }
  int pivot_root(const char* new_root, const char* put_old) override {
    return static_cast<int>(::syscall(SYS_pivot_root, new_root, put_old));
  }
  int chroot(const char* path) override { return ::chroot(path); }
  int chdir(const char* path) override { return ::chdir(path); }
  int fchdir(int fd) override { return ::fchdir(fd); }
  int open_tree(int dirfd, const char* path, unsigned flags) override { return ::open_tree(dirfd, path, flags); }
  int move_mount(int from_dirfd, const char* from_path, int to_dirfd, const char* to_path, unsigned flags) override {
    return ::move_mount(from_dirfd, from_path, to_dirfd, to_path, flags);
  }

  int openat(int dirfd, const char* path, int flags, mode_t mode) override {
    return ::openat(dirfd, path, flags, mode);
  }
  int openat2(int dirfd, const char* path, const open_how& how) override {
    return static_cast<int>(::syscall(SYS_openat2, dirfd, path, &how, sizeof how));
  }
  int close(int fd) override { return ::close(fd); }
  ssize_t write(int fd, const void* data, std::size_t size) override { return ::write(fd, data, size); }
  int close_range(unsigned first, unsigned last, unsigned flags) override {
    return static_cast<int>(::syscall(SYS_close_range, first, last, flags));
  }
  int mkdirat(int dirfd, const char* path, mode_t mode) override { return ::mkdirat(dirfd, path, mode); }
  int mknodat(int dirfd, const char* path, mode_t mode, dev_t device) override {
    return ::mknodat(dirfd, path, mode, device);
  }
  int symlinkat(const char* target, int dirfd, const char* path) override {
    return ::symlinkat(target, dirfd, path);
  }
  int fchmodat(int dirfd, const char* path, mode_t mode, int flags) override {
    return ::fchmodat(dirfd, path, mode, flags);
  }
  int fchownat(int dirfd, const char* path, uid_t uid, gid_t gid, int flags) override {
    return ::fchownat(dirfd, path, uid, gid, flags);
  }
  int fstatat(int dirfd, const char* path, struct stat* st, int flags) override {
    return ::fstatat(dirfd, path, st, flags);
  }
  int statvfs(const char* path, struct statvfs* st) override { return ::statvfs(path, st); }
  mode_t umask(mode_t mask) override { return ::umask(mask); }

  int setresuid(uid_t real, uid_t effective, uid_t saved) override { return ::setresuid(real, effective, saved); }
  int setresgid(gid_t real, gid_t effective, gid_t saved) override { return ::setresgid(real, effective, saved); }
  int setgroups(std::size_t count, const gid_t* groups) override { return ::setgroups(count, groups); }
  int capget(CapabilitySets& sets) override {
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2] = {};
    if (::syscall(SYS_capget, &header, data) != 0) return -1;
    sets.effective = join_halves(data[0].effective, data[1].effective);
    sets.permitted = join_halves(data[0].permitted, data[1].permitted);
    sets.inheritable = join_halves(data[0].inheritable, data[1].inheritable);
    return 0;
  }
  int capset(const CapabilitySets& sets) override {
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2] = {
        {low_half(sets.effective), low_half(sets.permitted), low_half(sets.inheritable)},
        {high_half(sets.effective), high_half(sets.permitted), high_half(sets.inheritable)}};
    return static_cast<int>(::syscall(SYS_capset, &header, data));
  }
  int cap_last_cap() override { return last_capability(); }
  int prctl(int option, unsigned long arg2, unsigned long arg3, unsigned long arg4, unsigned long arg5) override {
    return ::prctl(option, arg2, arg3, arg4, arg5);
  }

  int sethostname(const char* name, std::size_t size) override { return ::sethostname(name, size); }
  int prlimit(pid_t pid, int resource, const struct rlimit* new_limit, struct rlimit* old_limit) override {
    return ::prlimit(pid, static_cast<__rlimit_resource>(resource), new_limit, old_limit);
  }
  int unshare(int flags) override { return ::unshare(flags); }
  pid_t setsid() override { return ::setsid(); }
  int seccomp(unsigned operation, unsigned flags, void* args) override {
    return static_cast<int>(::syscall(SYS_seccomp, operation, flags, args));
  }
  int landlock_create_ruleset(const LandlockRulesetAttr* attr, std::size_t size, unsigned flags) override {
    return static_cast<int>(::syscall(SYS_landlock_create_ruleset, attr, size, flags));
  }
  int landlock_add_rule(int ruleset_fd, unsigned rule_type, const void* rule_attr, unsigned flags) override {
    return static_cast<int>(::syscall(SYS_landlock_add_rule, ruleset_fd, rule_type, rule_attr, flags));
  }
  int landlock_restrict_self(int ruleset_fd, unsigned flags) override {
    return static_cast<int>(::syscall(SYS_landlock_restrict_self, ruleset_fd, flags));
  }

 private:
  static std::uint64_t join_halves(std::uint32_t low, std::uint32_t high) {
    return (std::uint64_t{high} << 32) | low;
  }
  static std::uint32_t low_half(std::uint64_t bits) { return static_cast<std::uint32_t>(bits); }
  static std::uint32_t high_half(std::uint64_t bits) { return static_cast<std::uint32_t>(bits >> 32); }
};

// Constant-initialized and trivially destructible: no guard, no exit handler.
constinit RealKernel g_real_kernel;

}  // namespace

Kernel& real_kernel() { return g_real_kernel; }

}  // namespace launcher
