#include "compiler/seccomp/syscalls.h"

#include <seccomp.h>

#include <cstdlib>

namespace policyc::seccomp {

SyscallResolution resolve_syscall(const std::string& name) {
  int nr = seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, name.c_str());
  if (nr == __NR_SCMP_ERROR) return {SyscallLookup::Unknown, -1};
  // libseccomp answers names of other arches' syscalls with negative pseudo numbers.
  if (nr < 0) return {SyscallLookup::NotOnArch, nr};
  return {SyscallLookup::Found, nr};
}

std::vector<std::string> arches_having(const std::string& name) {
  std::vector<std::string> out;
  // x86 multiplexes the socket and IPC calls: libseccomp resolves those names to pseudo
  // numbers there, yet i386 callers make them (through socketcall/ipc), so they count.
  const int x86 = seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86, name.c_str());
  if (x86 >= 0 || (x86 <= -101 && x86 >= -224)) out.push_back("x86");
  if (seccomp_syscall_resolve_name_arch(SCMP_ARCH_X32, name.c_str()) >= 0) out.push_back("x32");
  return out;
}

std::string syscall_name(int nr) {
  char* name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86_64, nr);
  if (name == nullptr) return {};
  std::string out(name);
  std::free(name);
  return out;
}

const std::vector<std::string>& all_syscall_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (int nr = 0; nr < 1024; ++nr) {
      std::string name = syscall_name(nr);
      if (!name.empty()) out.push_back(name);
    }
    return out;
  }();
  return names;
}

}  // namespace policyc::seccomp
