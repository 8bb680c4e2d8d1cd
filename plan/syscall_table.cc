// SPDX-License-Identifier: Apache-2.0
#include "plan/syscall_table.h"

#include <algorithm>

namespace plan {
namespace {
#include "plan/syscall_table_data.inc"
}  // namespace

std::span<const SyscallEntry> syscall_table(SyscallAbi abi) {
  switch (abi) {
    case SyscallAbi::X86_64: return kX86_64Syscalls;
    case SyscallAbi::X32: return kX32Syscalls;
    case SyscallAbi::I386: return kI386Syscalls;
  }
  return {};
}

std::optional<std::uint32_t> syscall_number(SyscallAbi abi, std::string_view name) {
  const auto table = syscall_table(abi);
  const auto it = std::find_if(table.begin(), table.end(), [&](const SyscallEntry& e) { return e.name == name; });
  if (it == table.end()) return std::nullopt;
  return it->nr;
}

std::string_view syscall_name(SyscallAbi abi, std::uint32_t nr) {
  const auto table = syscall_table(abi);
  const auto it = std::find_if(table.begin(), table.end(), [&](const SyscallEntry& e) { return e.nr == nr; });
  return it == table.end() ? std::string_view{} : it->name;
}

std::string_view syscall_table_source() { return kSyscallTableSource; }

}  // namespace plan
