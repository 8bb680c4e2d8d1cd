// SPDX-License-Identifier: Apache-2.0
#include "compiler/seccomp/syscalls.h"

#include <seccomp.h>

#include <cstdlib>
#include <set>

#include "plan/syscall_table.h"

namespace policyc::seccomp {

SyscallResolution resolve_syscall(const std::string& name) {
  int nr = seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, name.c_str());
  if (nr == __NR_SCMP_ERROR) {
    if (auto generated = plan::syscall_number(plan::SyscallAbi::X86_64, name)) {
      return {SyscallLookup::Found, static_cast<int>(*generated)};
    }
    return {SyscallLookup::Unknown, -1};
  }
  // libseccomp answers names of other arches' syscalls with negative pseudo numbers.
  if (nr < 0) return {SyscallLookup::NotOnArch, nr};
  return {SyscallLookup::Found, nr};
}

bool libseccomp_knows_number(int nr) {
  char* name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86_64, nr);
  const bool known = name != nullptr;
  std::free(name);
  return known;
}

std::vector<std::string> arches_having(const std::string& name) {
  std::vector<std::string> out;
  // x86 multiplexes the socket and IPC calls: libseccomp resolves those names to pseudo
  // numbers there, yet i386 callers make them (through socketcall/ipc), so they count.
  const int x86 = seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86, name.c_str());
  if (x86 >= 0 || (x86 <= -101 && x86 >= -224) || plan::syscall_number(plan::SyscallAbi::I386, name)) {
    out.push_back("x86");
  }
  if (seccomp_syscall_resolve_name_arch(SCMP_ARCH_X32, name.c_str()) >= 0 ||
      plan::syscall_number(plan::SyscallAbi::X32, name)) {
    out.push_back("x32");
  }
  return out;
}

std::string syscall_name(int nr) {
  char* name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86_64, nr);
  if (name == nullptr) {
    return nr < 0 ? std::string{} : std::string(plan::syscall_name(plan::SyscallAbi::X86_64, static_cast<std::uint32_t>(nr)));
  }
  std::string out(name);
  std::free(name);
  return out;
}

const std::vector<std::string>& all_syscall_names() {
  // In number order (did-you-mean prefers the earlier of two equally close names).
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    std::set<std::string> seen;
    for (int nr = 0; nr < 1024; ++nr) {
      std::string name = syscall_name(nr);
      if (!name.empty() && seen.insert(name).second) out.push_back(name);
    }
    for (const plan::SyscallEntry& e : plan::syscall_table(plan::SyscallAbi::X86_64)) {
      if (seen.emplace(e.name).second) out.emplace_back(e.name);
    }
    return out;
  }();
  return names;
}

}  // namespace policyc::seccomp
