// SPDX-License-Identifier: Apache-2.0
// A launcher::Kernel for unit tests: makes no system call, records each call as one readable
// line ("mount(NULL, /, NULL, MS_REC|MS_PRIVATE, NULL)"), and answers from a script: success by
// default, or -1 with an errno for the calls a test names with fail(). Unit tests run a step
// against it and compare calls() with the exact list they expect, so any change in a step's
// calls, their arguments or their order fails a test.
//
// Line format: the call's name, then its arguments in the system call's order; paths and
// names bare, data strings quoted (C escapes), NULL for a null pointer, flags as their
// constants joined with '|' (unknown bits in hex), modes in octal, AT_FDCWD by name.
#pragma once

#include <linux/filter.h>

#include <map>
#include <string>
#include <vector>

#include "launcher/host/kernel.h"

namespace testsupport {

class RecordingKernel final : public launcher::Kernel {
 public:
  // Every call so far, in order.
  const std::vector<std::string>& calls() const { return calls_; }
  void clear() { calls_.clear(); }

  // Calls whose line starts with `call` fail with `err` (-1, errno = err): "setresuid" matches
  // every setresuid, "prctl(PR_CAPBSET_DROP, 4" only that capability (not 40: a prefix must end
  // where a name or number ends). `times`: how many calls fail before the rule is spent; 0 =
  // all of them. The first matching rule decides.
  void fail(const std::string& call, int err, int times = 0);

  // ---- scripted state (tests set these before running a step)
  int last_cap = 40;                                     // cap_last_cap()
  launcher::CapabilitySets capabilities;                 // capget() reports it, capset() sets it
  struct rlimit nofile {1024, 4096};                     // prlimit(RLIMIT_NOFILE) reads it
  // fstatat() answers: by the path as given, or "/proc/self/fd/N" for fstatat(N, "",
  // AT_EMPTY_PATH); absent = ENOENT.
  std::map<std::string, struct stat> files;
  mode_t current_umask = 022;
  int landlock_abi = 6;                                  // landlock_create_ruleset(VERSION) answers it
  int next_fd = 100;                                     // openat/openat2/open_tree return 100, 101, ...
  // ---- what calls handed over, beyond their line
  std::vector<std::vector<sock_filter>> filters;         // seccomp(SECCOMP_SET_MODE_FILTER) programs

  int mount(const char* source, const char* target, const char* fstype, unsigned long flags,
            const void* data) override;
  int umount2(const char* target, int flags) override;
  int mount_setattr(int dirfd, const char* path, unsigned flags, mount_attr* attr, std::size_t size) override;
  int pivot_root(const char* new_root, const char* put_old) override;
  int chroot(const char* path) override;
  int chdir(const char* path) override;
  int fchdir(int fd) override;
  int open_tree(int dirfd, const char* path, unsigned flags) override;  // returns next_fd too
  int move_mount(int from_dirfd, const char* from_path, int to_dirfd, const char* to_path, unsigned flags) override;
  int openat(int dirfd, const char* path, int flags, mode_t mode) override;
  int openat2(int dirfd, const char* path, const open_how& how) override;
  int close(int fd) override;
  ssize_t write(int fd, const void* data, std::size_t size) override;
  int close_range(unsigned first, unsigned last, unsigned flags) override;
  int mkdirat(int dirfd, const char* path, mode_t mode) override;
  int mknodat(int dirfd, const char* path, mode_t mode, dev_t device) override;
  int symlinkat(const char* target, int dirfd, const char* path) override;
  int fchmodat(int dirfd, const char* path, mode_t mode, int flags) override;
  int fchownat(int dirfd, const char* path, uid_t uid, gid_t gid, int flags) override;
  int fstatat(int dirfd, const char* path, struct stat* st, int flags) override;
  int statvfs(const char* path, struct statvfs* st) override;
  mode_t umask(mode_t mask) override;
  int setresuid(uid_t real, uid_t effective, uid_t saved) override;
  int setresgid(gid_t real, gid_t effective, gid_t saved) override;
  int setgroups(std::size_t count, const gid_t* groups) override;
  int capget(launcher::CapabilitySets& sets) override;
  int capset(const launcher::CapabilitySets& sets) override;
  int cap_last_cap() override;
  int prctl(int option, unsigned long arg2, unsigned long arg3, unsigned long arg4, unsigned long arg5) override;
  int sethostname(const char* name, std::size_t size) override;
  int prlimit(pid_t pid, int resource, const struct rlimit* new_limit, struct rlimit* old_limit) override;
  int unshare(int flags) override;
  pid_t setsid() override;  // returns 1: the new session's id as seen in a fresh pid namespace
  int seccomp(unsigned operation, unsigned flags, void* args) override;
  // Lines: "landlock_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION)" (returns
  // landlock_abi), "landlock_create_ruleset({fs=0x..., net=0x..., scoped=0x...}, 24, 0)" (returns
  // next_fd), "landlock_add_rule(100, PATH_BENEATH, {access=0x..., fd=101}, 0)",
  // "landlock_add_rule(100, NET_PORT, {access=0x..., port=443}, 0)", "landlock_restrict_self(100, 0)".
  int landlock_create_ruleset(const launcher::LandlockRulesetAttr* attr, std::size_t size, unsigned flags) override;
  int landlock_add_rule(int ruleset_fd, unsigned rule_type, const void* rule_attr, unsigned flags) override;
  int landlock_restrict_self(int ruleset_fd, unsigned flags) override;

 private:
  struct Failure {
    std::string prefix;
    int err;
    int remaining;  // 0 = unlimited
  };
  // Records `line`; 0, or -1 with errno set when a fail() rule matches it.
  int record(std::string line);

  std::vector<std::string> calls_;
  std::vector<Failure> failures_;
};

// Readable forms the lines use, for tests that build expected lines.
std::string mount_flags_text(unsigned long flags);   // "MS_REC|MS_PRIVATE", "0"
std::string open_flags_text(int flags);              // "O_WRONLY|O_CLOEXEC"
std::string capability_set_text(std::uint64_t bits); // "{0,10,21}"

}  // namespace testsupport
