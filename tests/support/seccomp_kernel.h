// SPDX-License-Identifier: Apache-2.0
// Runs one syscall under a seccomp filter in the real kernel: a forked child sets
// no_new_privs, loads `program` with seccomp(2), makes the call with syscall(2) and raw
// arguments, and reports the result through shared memory, so the filter does not have to
// allow anything for the report (not even write or exit_group). The parent waits, kills the
// child by pid if it hangs, and reaps it. Core dumps are off in the child (SIGSYS would dump).
#pragma once

#include <linux/filter.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "compiler/seccomp/ir.h"

namespace policyc::testing {

struct KernelOutcome {
  enum class Kind {
    Returned,   // the call returned: `ret` and `error` (errno when ret == -1)
    Signaled,   // the child died of `signal` during the call (SIGSYS for kill/trap)
    LoadFailed, // seccomp(2) refused the program: `error` is its errno
    Broken,     // fork, mmap or waitpid failed, or the child hung: see `detail`
  };
  Kind kind = Kind::Broken;
  long ret = 0;
  int error = 0;
  int signal = 0;
  std::string detail;

  std::string to_string() const;  // for test failure messages
};

KernelOutcome run_syscall_under_filter(const std::vector<sock_filter>& program, long nr,
                                       const std::array<std::uint64_t, 6>& args = {});

// The same for an i386 call (AUDIT_ARCH_I386) made through `int 0x80`, with up to five
// arguments; the kernel must have IA32 emulation (it refuses the call with ENOSYS otherwise).
KernelOutcome run_i386_syscall_under_filter(const std::vector<sock_filter>& program, long nr,
                                            const std::array<std::uint64_t, 6>& args = {});

// Both of the above: `i386` picks the ABI.
KernelOutcome run_under_filter(const std::vector<sock_filter>& program, long nr,
                               const std::array<std::uint64_t, 6>& args, bool i386);

// Decides the verdict of `program` for the x86_64 call nr(args) both ways: in the BPF
// interpreter (the exact SECCOMP_RET value) and in the kernel (the observable effect:
// allow/log return normally, errno(E) gives -1/E, trace without a tracer gives ENOSYS,
// kill_thread/kill_process/trap kill with SIGSYS). Returns "" when both match `expected`,
// else what differed. `nr` must be harmless when allowed (getpid ignores its arguments).
std::string verdict_mismatch(const std::vector<sock_filter>& program, long nr,
                             const std::array<std::uint64_t, 6>& args,
                             const seccomp::Action& expected);

}  // namespace policyc::testing
