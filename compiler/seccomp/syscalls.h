// SPDX-License-Identifier: Apache-2.0
// Syscall names <-> numbers on x86_64. libseccomp's resolver first (what Docker and runc use),
// then the table generated from the newest kernel UAPI headers on the build machine
// (plan/syscall_table.h) for the names libseccomp 2.5.4 does not know yet (mseal, listmount,
// statmount...). No hand-kept table.
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

// Every x86_64 syscall name libseccomp or the generated table knows, for did-you-mean.
const std::vector<std::string>& all_syscall_names();

// The x86_64 name of `nr`, or "" when neither libseccomp nor the generated table has one.
std::string syscall_name(int nr);

// True when libseccomp itself has a name for x86_64 number `nr`: only then can it carry a rule
// for it over to the x32 and i386 numbers (it translates by name).
bool libseccomp_knows_number(int nr);

}  // namespace policyc::seccomp
