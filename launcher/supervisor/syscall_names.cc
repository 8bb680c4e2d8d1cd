// SPDX-License-Identifier: Apache-2.0
#include "launcher/supervisor/syscall_names.h"

#include "plan/syscall_table.h"

namespace launcher {

// plan/syscall_table.h's names are string literals, so their data() is NUL-terminated.
const char* syscall_name(int nr) {
  if (nr < 0) return nullptr;
  const std::string_view name = plan::syscall_name(plan::SyscallAbi::X86_64, static_cast<std::uint32_t>(nr));
  return name.empty() ? nullptr : name.data();
}

std::optional<int> syscall_number(const std::string& name) {
  const auto nr = plan::syscall_number(plan::SyscallAbi::X86_64, name);
  if (!nr) return std::nullopt;
  return static_cast<int>(*nr);
}

}  // namespace launcher
