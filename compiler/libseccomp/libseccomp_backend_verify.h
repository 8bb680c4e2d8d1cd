// SPDX-License-Identifier: Apache-2.0
// Translation validation: runs a compiled filter in the BPF interpreter on argument values
// chosen around every constant the rules compare with, and checks each verdict against the
// IR's first-match semantics (ir.h). Any backend may call it; the libseccomp backend always
// does, because libseccomp's rule merging is not ours and a silent difference is a hole.
#pragma once

#include <linux/filter.h>

#include <array>
#include <cstdint>
#include <vector>

#include "compiler/diag/diagnostics.h"
#include "compiler/seccomp/ir.h"

namespace policyc::seccomp {

// Checks `program` against `filter` (x86_64 calls on chosen values; x32 and i386 calls are
// refused unless listed). Adds an error naming the rule and the call on the first difference.
bool verify_filter(const Filter& filter, const std::vector<sock_filter>& program,
                   const std::string& backend_name, Diagnostics& diags);

}  // namespace policyc::seccomp
