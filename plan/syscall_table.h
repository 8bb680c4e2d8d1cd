// SPDX-License-Identifier: Apache-2.0
// x86 system call names <-> numbers for the three ABIs an x86_64 kernel runs, generated at build
// time from the newest kernel UAPI headers on the machine (plan/CMakeLists.txt picks them,
// plan/syscall_table.cmake reads their `#define __NR_name N` lines): bookworm-backports'
// linux-libc-dev when scripts/deps.sh could fetch it, else the installed one. Both binaries use
// it: policyc for names libseccomp 2.5.4 does not know (mseal, listmount...) and for the highest
// known number per ABI (above it a deny-by-default filter answers ENOSYS), plan-exec to name the
// syscalls it reports. No libseccomp here: the launcher does not link it.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace plan {

enum class SyscallAbi { X86_64, X32, I386 };

inline constexpr std::uint32_t kX32SyscallBit = 0x40000000U;  // __X32_SYSCALL_BIT

struct SyscallEntry {
  std::string_view name;
  std::uint32_t nr;  // as the call carries it: x32 numbers include kX32SyscallBit
};

// Every syscall of `abi` the headers define, in header order (ascending numbers).
std::span<const SyscallEntry> syscall_table(SyscallAbi abi);

// `name`'s number on `abi`, or nullopt when the headers do not define it there.
std::optional<std::uint32_t> syscall_number(SyscallAbi abi, std::string_view name);

// The name of number `nr` on `abi` (x32: with kX32SyscallBit), or "" when none.
std::string_view syscall_name(SyscallAbi abi, std::uint32_t nr);

// Where the table comes from: "linux-libc-dev 6.12.95-1~bpo12+1 (...): /var/cache/...".
std::string_view syscall_table_source();

}  // namespace plan
