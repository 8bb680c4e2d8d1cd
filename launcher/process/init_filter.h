// SPDX-License-Identifier: Apache-2.0
// pid 1's own seccomp filter under `plan-exec --init` (init.cc). The init process only waits,
// forwards signals and reaps, so it gets a filter that allows exactly the calls of that loop and
// kills on anything else: a command that somehow reached into it (ptrace and /proc/1/mem are
// refused by other means: see init_hardening.h) could make it do nothing else. The launcher
// links no libseccomp: the classic BPF is built here, a dozen instructions.
#pragma once

#include <linux/filter.h>
#include <sys/types.h>

#include <cstdint>
#include <span>
#include <vector>

// 1 in sanitizer builds (the unit tests run there), whose runtime calls sigaltstack around the
// init's own calls, so the filter allows that one call more; 0 in every other build.
#if defined(__SANITIZE_ADDRESS__)
#define PLAN_EXEC_SANITIZER_RUNTIME 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PLAN_EXEC_SANITIZER_RUNTIME 1
#endif
#endif
#ifndef PLAN_EXEC_SANITIZER_RUNTIME
#define PLAN_EXEC_SANITIZER_RUNTIME 0
#endif

namespace launcher {

// The audit architecture the filter accepts: this build's native ABI only (on x86_64, x32
// numbers, which share the architecture, are refused separately).
std::uint32_t init_filter_arch();

// The calls allowed without condition, as the init loop makes them (strace of the loop, glibc
// 2.36): sigwaitinfo is rt_sigtimedwait, waitpid is wait4, _exit is exit_group; exit and
// restart_syscall (a wait resumed after a stop, e.g. a debugger attached from the host) too.
std::span<const int> init_filter_plain_syscalls();

// The filter: the plain calls above, kill only with pid `command` (the only process init
// signals), close only of `error_fd` (the error channel init closes once the filter is on).
// Everything else, every other architecture and x32 kill the process.
std::vector<sock_filter> init_seccomp_filter(pid_t command, int error_fd);

}  // namespace launcher
