// SPDX-License-Identifier: Apache-2.0
// Syscall names and numbers on the three ABIs an x86_64 filter can serve, through libseccomp's
// tables (abi.h renumbers rules the same way).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "compiler/seccomp/abi.h"

namespace policyc::query {

// Every ABI an x86_64 filter can serve, in the order reports list them.
inline constexpr seccomp::Abi kAbis[] = {seccomp::Abi::X86_64, seccomp::Abi::X32, seccomp::Abi::I386};

const char* abi_name(seccomp::Abi abi);                 // "x86_64", "x32", "x86"
std::uint32_t audit_arch(seccomp::Abi abi);

// The number a call of `name` carries through `abi` (x32: with the 0x40000000 bit), if the
// ABI has that call under its own number.
std::optional<std::uint32_t> syscall_number(seccomp::Abi abi, const std::string& name);

// The name of call `nr` through `abi`, or "" when libseccomp has none.
std::string syscall_name_on(seccomp::Abi abi, std::uint32_t nr);

// i386 reaches the socket and SysV IPC calls also through a multiplexer: socketcall(2) or
// ipc(2) with the call's number in arg0.
struct Multiplexed {
  std::string multiplexer;  // "socketcall" or "ipc"
  std::uint32_t nr = 0;     // the multiplexer's i386 number
  std::uint64_t call = 0;   // arg0: SYS_SOCKET, SEMOP, ...
};
std::optional<Multiplexed> i386_multiplexed(const std::string& name);

}  // namespace policyc::query
