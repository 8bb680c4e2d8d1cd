// SPDX-License-Identifier: Apache-2.0
#include "launcher/process/init_filter.h"

#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sys/syscall.h>

#include <cstddef>
#include <stdexcept>
#include <utility>

namespace launcher {

namespace {

#if defined(__x86_64__)
constexpr std::uint32_t kArch = AUDIT_ARCH_X86_64;
constexpr bool kRefuseX32 = true;
#elif defined(__aarch64__)
constexpr std::uint32_t kArch = AUDIT_ARCH_AARCH64;
constexpr bool kRefuseX32 = false;
#else
#error "init_filter: add this architecture's AUDIT_ARCH"
#endif
constexpr std::uint32_t kX32SyscallBit = 0x40000000;

#if PLAN_EXEC_SANITIZER_RUNTIME
// Sanitizer builds only (the unit tests run there): their runtime sets up and tears down an
// alternate signal stack around the init's own calls. A release build never makes that call.
constexpr int kPlainSyscalls[] = {SYS_rt_sigtimedwait, SYS_wait4, SYS_exit_group, SYS_exit, SYS_restart_syscall,
                                  SYS_sigaltstack};
#else
constexpr int kPlainSyscalls[] = {SYS_rt_sigtimedwait, SYS_wait4, SYS_exit_group, SYS_exit, SYS_restart_syscall};
#endif

// The low 32 bits of argument 0: pids and descriptors are ints, the kernel ignores the rest.
constexpr std::uint32_t kArg0Low = offsetof(seccomp_data, args) + (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__ ? 4 : 0);

sock_filter load(std::uint32_t offset) { return BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offset); }
sock_filter ret(std::uint32_t action) { return BPF_STMT(BPF_RET | BPF_K, action); }

// Forward jumps by label: `to` is the index of the target, `from` the jump's own index.
std::uint8_t skip(std::size_t from, std::size_t to) {
  if (to <= from || to - from - 1 > 255) throw std::logic_error("init filter: jump out of range");
  return static_cast<std::uint8_t>(to - from - 1);
}

}  // namespace

std::uint32_t init_filter_arch() { return kArch; }

std::span<const int> init_filter_plain_syscalls() { return kPlainSyscalls; }

std::vector<sock_filter> init_seccomp_filter(pid_t command, int error_fd) {
  const std::size_t plain = std::size(kPlainSyscalls);
  // Layout: arch check, x32 check, one jeq per call, then the two argument checks, then allow.
  const std::size_t kill_at = 6 + plain;       // ret KILL_PROCESS (falls out of the list)
  const std::size_t kill_arg_at = kill_at + 1; // ld arg0; jeq command; ret KILL_PROCESS
  const std::size_t close_arg_at = kill_arg_at + 3;
  const std::size_t allow_at = close_arg_at + 3;
  std::vector<sock_filter> f;
  f.push_back(load(offsetof(seccomp_data, arch)));
  f.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kArch, 0, skip(1, kill_at)));
  f.push_back(load(offsetof(seccomp_data, nr)));
  const std::uint32_t lowest_refused = kRefuseX32 ? kX32SyscallBit : 0xffffffffU;
  f.push_back(BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, lowest_refused, skip(3, kill_at), 0));
  f.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_kill, skip(4, kill_arg_at), 0));
  f.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_close, skip(5, close_arg_at), 0));
  for (std::size_t i = 0; i < plain; ++i) {
    f.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<std::uint32_t>(kPlainSyscalls[i]), skip(6 + i, allow_at), 0));
  }
  f.push_back(ret(SECCOMP_RET_KILL_PROCESS));
  for (const auto& [at, value] : {std::pair{kill_arg_at, static_cast<std::uint32_t>(command)},
                                  std::pair{close_arg_at, static_cast<std::uint32_t>(error_fd)}}) {
    f.push_back(load(kArg0Low));
    f.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, value, skip(at + 1, allow_at), 0));
    f.push_back(ret(SECCOMP_RET_KILL_PROCESS));
  }
  f.push_back(ret(SECCOMP_RET_ALLOW));
  return f;
}

}  // namespace launcher
