// SPDX-License-Identifier: Apache-2.0
#include "tests/support/seccomp_kernel.h"

#include <linux/seccomp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "compiler/bpf/bpf_interp.h"

namespace policyc::testing {
namespace {

// Written by the child, read by the parent after the child is gone or has reported.
struct SharedReport {
  std::atomic<int> stage;   // 0 started, 1 filter loaded, 2 call returned, -1 load failed
  long ret;
  int error;
};

constexpr int kTimeoutMs = 5000;
constexpr int kPollUs = 100;

// An i386 call from this 64-bit process (IA32 emulation): the raw result, -errno on failure.
long int80(long nr, const std::array<std::uint64_t, 6>& args) {
  long result;
  __asm__ volatile("int $0x80"
                   : "=a"(result)
                   : "a"(nr), "b"(args[0]), "c"(args[1]), "d"(args[2]), "S"(args[3]), "D"(args[4])
                   : "memory");
  return result;
}

long make_call(bool i386, long nr, const std::array<std::uint64_t, 6>& args) {
  if (!i386) return syscall(nr, args[0], args[1], args[2], args[3], args[4], args[5]);
  const long raw = int80(nr, args);
  if (raw < 0 && raw > -4096) {
    errno = static_cast<int>(-raw);
    return -1;
  }
  return raw;
}

[[noreturn]] void child(const std::vector<sock_filter>& program, long nr,
                        const std::array<std::uint64_t, 6>& args, bool i386, SharedReport* report) {
  struct rlimit no_core{0, 0};
  setrlimit(RLIMIT_CORE, &no_core);
  sock_fprog prog{static_cast<unsigned short>(program.size()), const_cast<sock_filter*>(program.data())};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
      syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) {
    report->error = errno;
    report->stage.store(-1);
    _exit(0);
  }
  report->stage.store(1);
  long ret = make_call(i386, nr, args);
  report->error = ret == -1 ? errno : 0;
  report->ret = ret;
  report->stage.store(2);
  // The filter may deny exit_group and exit; then spin until the parent kills us.
  syscall(SYS_exit_group, 0);
  syscall(SYS_exit, 0);
  for (;;) {
  }
}

void sleep_us(int us) {
  timespec ts{0, us * 1000L};
  nanosleep(&ts, nullptr);
}

}  // namespace

std::string KernelOutcome::to_string() const {
  switch (kind) {
    case Kind::Returned:
      return "returned " + std::to_string(ret) + (ret == -1 ? " errno " + std::to_string(error) + " (" + std::strerror(error) + ")" : "");
    case Kind::Signaled: return "killed by signal " + std::to_string(signal) + " (" + strsignal(signal) + ")";
    case Kind::LoadFailed: return std::string("seccomp(2) refused the filter: ") + std::strerror(error);
    case Kind::Broken: return "harness failure: " + detail;
  }
  return "?";
}

KernelOutcome run_syscall_under_filter(const std::vector<sock_filter>& program, long nr,
                                       const std::array<std::uint64_t, 6>& args) {
  return run_under_filter(program, nr, args, false);
}

KernelOutcome run_i386_syscall_under_filter(const std::vector<sock_filter>& program, long nr,
                                            const std::array<std::uint64_t, 6>& args) {
  return run_under_filter(program, nr, args, true);
}

KernelOutcome run_under_filter(const std::vector<sock_filter>& program, long nr,
                               const std::array<std::uint64_t, 6>& args, bool i386) {
  KernelOutcome out;
  void* memory = mmap(nullptr, sizeof(SharedReport), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) {
    out.detail = std::string("mmap: ") + std::strerror(errno);
    return out;
  }
  auto* report = new (memory) SharedReport{};
  report->stage.store(0);
  pid_t pid = fork();
  if (pid < 0) {
    out.detail = std::string("fork: ") + std::strerror(errno);
    munmap(memory, sizeof(SharedReport));
    return out;
  }
  if (pid == 0) child(program, nr, args, i386, report);

  int status = 0;
  bool exited = false;
  for (int waited_us = 0; waited_us < kTimeoutMs * 1000; waited_us += kPollUs) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) { exited = true; break; }
    // The result is in; the filter may deny exit, so stop the child ourselves.
    if (report->stage.load() == 2) break;
    sleep_us(kPollUs);
  }
  if (!exited) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
  }
  int stage = report->stage.load();
  if (stage == -1) {
    out.kind = KernelOutcome::Kind::LoadFailed;
    out.error = report->error;
  } else if (stage == 2) {
    out.kind = KernelOutcome::Kind::Returned;
    out.ret = report->ret;
    out.error = report->error;
  } else if (exited && WIFSIGNALED(status)) {
    out.kind = KernelOutcome::Kind::Signaled;
    out.signal = WTERMSIG(status);
  } else {
    out.detail = exited ? "child exited with status " + std::to_string(status) + " before reporting"
                        : "child hung for " + std::to_string(kTimeoutMs) + " ms";
  }
  munmap(memory, sizeof(SharedReport));
  return out;
}

namespace {

std::string kernel_mismatch(const KernelOutcome& got, const seccomp::Action& expected) {
  using Kind = KernelOutcome::Kind;
  using seccomp::ActionKind;
  switch (expected.kind) {
    case ActionKind::Allow:
    case ActionKind::Log:
      if (got.kind == Kind::Returned && got.ret != -1) return "";
      break;
    case ActionKind::Errno:
      if (got.kind == Kind::Returned && got.ret == -1 && got.error == static_cast<int>(expected.data)) return "";
      break;
    case ActionKind::Trace:
    case ActionKind::Notify:  // no tracer / no listener: the kernel fails the call with ENOSYS
      if (got.kind == Kind::Returned && got.ret == -1 && got.error == ENOSYS) return "";
      break;
    case ActionKind::KillThread:
    case ActionKind::KillProcess:
    case ActionKind::Trap:
      if (got.kind == Kind::Signaled && got.signal == SIGSYS) return "";
      break;
  }
  return "kernel: " + got.to_string();
}

}  // namespace

std::string verdict_mismatch(const std::vector<sock_filter>& program, long nr,
                             const std::array<std::uint64_t, 6>& args,
                             const seccomp::Action& expected) {
  std::string problems;
  bpf::SeccompData data;
  data.nr = static_cast<int>(nr);
  data.args = args;
  std::string error;
  std::optional<bpf::Verdict> verdict = bpf::run(program, data, &error);
  if (!verdict) {
    problems += "interpreter: " + error + "; ";
  } else if (verdict->ret != seccomp_ret(expected)) {
    char text[64];
    snprintf(text, sizeof text, "interpreter: ret 0x%08x, want 0x%08x; ", verdict->ret, seccomp_ret(expected));
    problems += text;
  }
  problems += kernel_mismatch(run_syscall_under_filter(program, nr, args), expected);
  if (problems.empty()) return "";
  return "expected " + expected.to_string() + ": " + problems;
}

}  // namespace policyc::testing
