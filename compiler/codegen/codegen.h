// SPDX-License-Identifier: Apache-2.0
// policyc's own seccomp code generator (Backend::Policyc): Filter -> range IR -> BPF.
//
//   1. ranges.h: the rules become disjoint [lo, hi] syscall-number ranges covering 0..2^32-1,
//      each with one constant action or one argument decision (the ordered rules of one nr);
//      equal neighbours are merged and the gaps get the default action.
//   2. the dispatch is an optimal binary search tree over those ranges, weighted by a syscall
//      frequency profile (frequency.h), costed in real executed instructions;
//   3. argument checks live only in the leaves, so every dispatch path uses only loads of
//      nr/arch, constant jumps and constant returns: the kernel's seccomp action cache
//      (>= 5.11) can then skip the filter entirely for every allowed arg-free syscall.
// The result gives exactly the verdicts of compiler/seccomp/ir.h's semantics; the differential
// tests (tests/unit/codegen_diff_test.cc) check it against libseccomp.
#pragma once

#include <linux/filter.h>

#include <vector>

#include "compiler/bpf/frequency.h"
#include "compiler/diag/diagnostics.h"
#include "compiler/seccomp/ir.h"

namespace policyc::seccomp {

// Compiles `filter` to a BPF program. `profile` (may be null: the built-in default profile)
// weights the search tree. On a problem it adds an error to `diags` and returns {}.
std::vector<sock_filter> generate_policyc(const Filter& filter, Diagnostics& diags,
                                          const FrequencyProfile* profile);

}  // namespace policyc::seccomp
