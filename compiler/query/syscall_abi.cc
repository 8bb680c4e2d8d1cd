// SPDX-License-Identifier: Apache-2.0
#include "compiler/query/syscall_abi.h"

#include <seccomp.h>

#include <cstdlib>
#include <map>

#include "compiler/bpf/bpf_interp.h"

namespace policyc::query {
namespace {

std::uint32_t scmp_arch(seccomp::Abi abi) {
  switch (abi) {
    case seccomp::Abi::X86_64: return SCMP_ARCH_X86_64;
    case seccomp::Abi::X32: return SCMP_ARCH_X32;
    case seccomp::Abi::I386: return SCMP_ARCH_X86;
  }
  return SCMP_ARCH_X86_64;
}

// i386 names libseccomp resolves to a multiplexer pseudo number although i386 also has them
// under their own number (socket = 359): read back from its number -> name table.
const std::map<std::string, std::uint32_t>& i386_numbers() {
  static const std::map<std::string, std::uint32_t> table = [] {
    std::map<std::string, std::uint32_t> out;
    for (int nr = 0; nr < 1024; ++nr) {
      char* name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86, nr);
      if (name) out.emplace(name, static_cast<std::uint32_t>(nr));
      std::free(name);
    }
    return out;
  }();
  return table;
}

}  // namespace

const char* abi_name(seccomp::Abi abi) {
  switch (abi) {
    case seccomp::Abi::X86_64: return "x86_64";
    case seccomp::Abi::X32: return "x32";
    case seccomp::Abi::I386: return "x86";
  }
  return "?";
}

std::uint32_t audit_arch(seccomp::Abi abi) {
  return abi == seccomp::Abi::I386 ? bpf::kAuditArchI386 : bpf::kAuditArchX86_64;
}

std::optional<std::uint32_t> syscall_number(seccomp::Abi abi, const std::string& name) {
  if (abi == seccomp::Abi::I386) {
    const auto it = i386_numbers().find(name);
    if (it == i386_numbers().end()) return std::nullopt;
    return it->second;
  }
  const int nr = seccomp_syscall_resolve_name_arch(scmp_arch(abi), name.c_str());
  if (nr < 0) return std::nullopt;
  const auto number = static_cast<std::uint32_t>(nr);
  const bool x32_number = number & static_cast<std::uint32_t>(bpf::kX32SyscallBit);
  if ((abi == seccomp::Abi::X32) != x32_number) return std::nullopt;
  return number;
}

std::string syscall_name_on(seccomp::Abi abi, std::uint32_t nr) {
  if (nr > 0x7fffffffU) return {};
  char* name = seccomp_syscall_resolve_num_arch(scmp_arch(abi), static_cast<int>(nr));
  if (name == nullptr) return {};
  std::string out(name);
  std::free(name);
  return out;
}

std::optional<Multiplexed> i386_multiplexed(const std::string& name) {
  const int pseudo = seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86, name.c_str());
  // libseccomp's pseudo numbers: -(100 + SYS_SOCKET...) for socketcall, -(200 + SEMOP...) for ipc.
  if (pseudo <= -101 && pseudo >= -120) {
    return Multiplexed{"socketcall", *syscall_number(seccomp::Abi::I386, "socketcall"), static_cast<std::uint64_t>(-pseudo - 100)};
  }
  if (pseudo <= -201 && pseudo >= -224) {
    return Multiplexed{"ipc", *syscall_number(seccomp::Abi::I386, "ipc"), static_cast<std::uint64_t>(-pseudo - 200)};
  }
  return std::nullopt;
}

}  // namespace policyc::query
