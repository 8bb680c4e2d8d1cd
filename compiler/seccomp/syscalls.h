// Syscall names <-> numbers on x86_64, through libseccomp's resolver (no hand-kept table).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace policyc::seccomp {

enum class SyscallLookup { Found, Unknown, NotOnArch };

struct SyscallResolution {
  SyscallLookup status = SyscallLookup::Unknown;
  int nr = -1;  // Found: the x86_64 number; NotOnArch: libseccomp's (negative) pseudo number
};

// `name` on x86_64. NotOnArch: libseccomp knows the name for another arch only (socketcall).
SyscallResolution resolve_syscall(const std::string& name);

// The arches besides x86_64 an x86_64 host runs ("x86", "x32") on which `name` is a call.
std::vector<std::string> arches_having(const std::string& name);

// Every syscall name libseccomp knows for x86_64 (numbers 0..1023), for did-you-mean.
const std::vector<std::string>& all_syscall_names();

// The x86_64 name of `nr`, or "" when libseccomp has none.
std::string syscall_name(int nr);

}  // namespace policyc::seccomp
