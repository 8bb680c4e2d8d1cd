// SPDX-License-Identifier: Apache-2.0
// What the caller hands plan-exec, checked before the first side effect: the privileges it runs
// with and the descriptors 0, 1, 2 it inherits.
//   privilege-check  plan-exec is never setuid and never has file capabilities: it must hold no
//                    privilege that a root caller did not give it. A non-root caller with
//                    capabilities (file capabilities on the binary, an ambient set) or a
//                    privilege-changing exec (AT_SECURE) is refused.
//   stdio-check      a directory (or O_PATH directory) descriptor on 0, 1 or 2 survives
//                    close-fds and lets the command walk out of its root with openat(fd, "..")
//                    (runc CVE-2024-21626); it is refused.
// Both throw StepError("validate") (exit 125) naming what was found and what to do.
#pragma once

#include <sys/types.h>

#include <cstdint>

namespace launcher {

struct CallerPrivileges {
  uid_t real_uid = 0;
  std::uint64_t permitted = 0;  // capability sets, bit N = capability N
  std::uint64_t effective = 0;
  bool secure_exec = false;     // getauxval(AT_SECURE): the kernel marked this exec as privilege-changing
};

// This process's privileges (capget, getauxval). Throws StepError("validate") if capget fails.
CallerPrivileges current_privileges();
// Refuses capabilities held by a non-root real uid, and AT_SECURE.
void refuse_elevated_privileges(const CallerPrivileges& privileges);

// Refuses `fd` when it is a directory (also an O_PATH one); a closed descriptor is fine.
// `name` is "stdin", "stdout" or "stderr".
void refuse_directory_descriptor(int fd, const char* name);

// The caller checks prepare_launch runs first, each behind its defence switch (fault.h):
// "privilege-check" and "stdio-check".
void check_caller();

}  // namespace launcher
