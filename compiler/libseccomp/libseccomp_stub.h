// SPDX-License-Identifier: Apache-2.0
// What libseccomp 2.5.4 cannot say itself, in a stub put before its program (the way runc
// patches its filters, libcontainer/seccomp/patchbpf):
//   - errno(ENOSYS) for syscall numbers newer than the syscall tables (abi.h unknown_numbers);
//   - rules for syscalls only the generated table knows (mseal, listmount... compiler/seccomp/
//     syscalls.h): libseccomp renumbers every rule for x32 and i386 by name, and refuses the
//     whole rule when it cannot, so those rules never reach it; the stub returns their action
//     on each allowed ABI's number. Only unconditional ones: a condition on such a syscall is
//     refused with a message (the policyc backend takes it).
// The stub is `ld arch`, then per audit arch `ld nr`, one `jge` that sends every number below
// the first special one straight on, the exact numbers and the ENOSYS ranges, and a `ja` to
// libseccomp's first instruction.
#pragma once

#include <linux/filter.h>

#include <optional>
#include <vector>

#include "compiler/diag/diagnostics.h"
#include "compiler/seccomp/ir.h"

namespace policyc::seccomp {

// True for a rule libseccomp cannot take: its syscall has a number libseccomp has no name for.
bool needs_stub(const Rule& rule);

// The stub for `filter` (empty when nothing needs it), or nullopt after an error: a condition
// on a syscall libseccomp does not know, or a stub too long for 8-bit jumps.
std::optional<std::vector<sock_filter>> libseccomp_stub(const Filter& filter, Diagnostics& diags);

}  // namespace policyc::seccomp
