// SPDX-License-Identifier: Apache-2.0
// IR -> BPF, the one entry point above both backends. Two backends give identical verdicts (the differential tests prove it):
//   libseccomp: libseccomp 2.5 with its binary-tree layout (optimize=2); the oracle.
//   policyc:    our own generator (range IR, frequency-weighted search, cache-friendly paths).
#pragma once

#include <linux/filter.h>

#include <vector>

#include "compiler/bpf/frequency.h"
#include "compiler/diag/diagnostics.h"
#include "compiler/seccomp/ir.h"

namespace policyc::seccomp {

enum class Backend { Libseccomp, Policyc };

// Compiles `filter`. Problems the backend cannot express are errors in `diags` (pointing at
// the rule's source); an empty result means failure.
std::vector<sock_filter> compile(const Filter& filter, Backend backend, Diagnostics& diags,
                                 const FrequencyProfile* profile = nullptr);

}  // namespace policyc::seccomp
