// SPDX-License-Identifier: Apache-2.0
// The init process's own seccomp filter (launcher/init_filter.h), decided by the project's BPF
// interpreter (every call the init loop makes allowed, everything else, other architectures and
// x32 killed), and the real init (launcher/init.h) run under it in a forked child: exit codes,
// forwarded signals and reaped orphans still work once it is hardened.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "compiler/bpf/bpf_interp.h"
#include "launcher/process/init.h"
#include "launcher/process/init_filter.h"

namespace {

namespace bpf = policyc::bpf;

constexpr pid_t kCommand = 4242;
constexpr int kErrorFd = 9;

std::uint32_t verdict(int nr, std::uint64_t arg0 = 0, std::uint32_t arch = bpf::kAuditArchX86_64) {
  bpf::SeccompData data;
  data.nr = nr;
  data.arch = arch;
  data.args[0] = arg0;
  std::string error;
  const auto v = bpf::run(launcher::init_seccomp_filter(kCommand, kErrorFd), data, &error);
  EXPECT_TRUE(v.has_value()) << error;
  return v ? v->ret : 0xdeadbeef;
}

// ASan's runtime is linked into this binary exactly when the launcher code under test is
// sanitized (the test code itself is not instrumented: tests/CMakeLists.txt, TEST_CODE_OPTIONS).
extern "C" void __asan_init() __attribute__((weak));
bool sanitizer_runtime_linked() { return __asan_init != nullptr; }

bool plain(int nr) {
  const auto list = launcher::init_filter_plain_syscalls();
  return std::find(list.begin(), list.end(), nr) != list.end();
}

TEST(InitFilter, AllowsExactlyTheCallsOfTheInitLoop) {
  for (int nr : {SYS_rt_sigtimedwait, SYS_wait4, SYS_exit_group, SYS_exit, SYS_restart_syscall}) {
    EXPECT_TRUE(plain(nr)) << nr;
    EXPECT_EQ(verdict(nr), SECCOMP_RET_ALLOW) << nr;
    EXPECT_EQ(verdict(nr, ~0ULL), SECCOMP_RET_ALLOW) << nr;  // whatever the arguments
  }
  // A sanitized launcher's filter allows one call more: the sanitizer runtime's sigaltstack.
  EXPECT_EQ(plain(SYS_sigaltstack), sanitizer_runtime_linked());
  EXPECT_EQ(launcher::init_filter_plain_syscalls().size(), sanitizer_runtime_linked() ? 6u : 5u);
  EXPECT_EQ(launcher::init_filter_arch(), bpf::kAuditArchX86_64);
}

TEST(InitFilter, KillOnlyTheCommandAndCloseOnlyTheErrorChannel) {
  EXPECT_EQ(verdict(SYS_kill, kCommand), SECCOMP_RET_ALLOW);
  const std::uint64_t other_pids[] = {0, 1, 2, kCommand + 1, ~std::uint64_t{0}, static_cast<std::uint64_t>(-kCommand)};
  for (std::uint64_t other : other_pids) {
    EXPECT_EQ(verdict(SYS_kill, other), SECCOMP_RET_KILL_PROCESS) << "kill(" << static_cast<std::int64_t>(other) << ")";
  }
  EXPECT_EQ(verdict(SYS_close, kErrorFd), SECCOMP_RET_ALLOW);
  const std::uint64_t other_fds[] = {0, 1, 2, kErrorFd + 1};
  for (std::uint64_t other : other_fds) {
    EXPECT_EQ(verdict(SYS_close, other), SECCOMP_RET_KILL_PROCESS) << "close(" << other << ")";
  }
}

TEST(InitFilter, KillsEveryOtherCall) {
  for (int nr = 0; nr < 1024; ++nr) {
    if (plain(nr) || nr == SYS_kill || nr == SYS_close) continue;
    EXPECT_EQ(verdict(nr), SECCOMP_RET_KILL_PROCESS) << "syscall " << nr;
  }
  // The ones that would matter most, by name.
  for (int nr : {SYS_ptrace, SYS_execve, SYS_rt_sigprocmask, SYS_rt_sigaction, SYS_rt_sigreturn, SYS_tgkill,
                 SYS_openat, SYS_write, SYS_clone, SYS_prctl, SYS_setuid}) {
    EXPECT_EQ(verdict(nr, kCommand), SECCOMP_RET_KILL_PROCESS) << "syscall " << nr;
  }
}

TEST(InitFilter, KillsOtherArchitecturesAndX32) {
  for (int nr : {SYS_rt_sigtimedwait, SYS_wait4, SYS_exit_group, SYS_kill, SYS_close, 0, 1, 11, 37, 252}) {
    EXPECT_EQ(verdict(nr, kCommand, bpf::kAuditArchI386), SECCOMP_RET_KILL_PROCESS) << "i386 " << nr;
    EXPECT_EQ(verdict(nr, kCommand, bpf::kAuditArchAarch64), SECCOMP_RET_KILL_PROCESS) << "aarch64 " << nr;
    EXPECT_EQ(verdict(nr | bpf::kX32SyscallBit, kCommand), SECCOMP_RET_KILL_PROCESS) << "x32 " << nr;
  }
  EXPECT_EQ(verdict(-1), SECCOMP_RET_KILL_PROCESS);
}

TEST(InitFilter, EveryPathEndsInAReturnTheKernelAccepts) {
  const auto program = launcher::init_seccomp_filter(kCommand, kErrorFd);
  EXPECT_LT(program.size(), 32u);
  EXPECT_EQ(program.back().code, BPF_RET | BPF_K);
  // Arguments that are all ones in the low word must not be confused with the pid.
  EXPECT_EQ(bpf::run(launcher::init_seccomp_filter(1, 3), {SYS_kill, bpf::kAuditArchX86_64, 0, {1}})->ret, SECCOMP_RET_ALLOW);
}

// The real init in a forked child (no pid namespace: it is a subreaper there), hardened as under
// `plan-exec --init`, with the command's behaviour chosen by `command`. Returns init's status.
template <class Command>
int run_init(Command command, bool send_term = false) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return -1;
  const pid_t init = ::fork();
  if (init == 0) {
    try {
      if (launcher::fork_under_init(pipe_fds[1]) == 0) {
        ::close(pipe_fds[1]);  // as execve would
        _exit(command());
      }
    } catch (...) {
      _exit(99);
    }
    _exit(98);
  }
  ::close(pipe_fds[1]);
  char byte;
  // EOF once both closed it: init after loading its filter (which must allow that close).
  const bool error_reported = ::read(pipe_fds[0], &byte, 1) > 0;
  ::close(pipe_fds[0]);
  if (send_term) ::kill(init, SIGTERM);
  int status = 0;
  ::waitpid(init, &status, 0);
  return error_reported ? -2 : status;
}

TEST(InitUnderItsFilter, PassesTheExitCodeThrough) {
  const int status = run_init([] { return 42; });
  ASSERT_TRUE(WIFEXITED(status)) << "init died of signal " << WTERMSIG(status) << " (31 = its filter killed it)";
  EXPECT_EQ(WEXITSTATUS(status), 42);
}

TEST(InitUnderItsFilter, ForwardsSignalsAndReapsOrphans) {
  const int status = run_init(
      [] {
        // An orphan for init to reap: our child forks a grandchild and exits at once.
        if (::fork() == 0) {
          if (::fork() == 0) _exit(0);
          _exit(0);
        }
        ::pause();  // SIGTERM (forwarded by init) ends us: no handler
        return 0;
      },
      true);
  ASSERT_TRUE(WIFEXITED(status)) << "init died of signal " << WTERMSIG(status) << " (31 = its filter killed it)";
  EXPECT_EQ(WEXITSTATUS(status), 128 + SIGTERM);
}

}  // namespace
