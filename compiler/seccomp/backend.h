// IR -> BPF. Two backends give identical verdicts (the differential tests prove it):
//   libseccomp: libseccomp 2.5 with its binary-tree layout (optimize=2); the oracle.
//   policyc:    our own generator (range IR, frequency-weighted search, cache-friendly paths).
#pragma once

#include <linux/filter.h>

#include <map>
#include <string>
#include <vector>

#include "compiler/diag/diagnostics.h"
#include "compiler/seccomp/ir.h"

namespace policyc::seccomp {

enum class Backend { Libseccomp, Policyc };

// Relative call frequency per syscall name, for the generator's layout and for `explain`.
using FrequencyProfile = std::map<std::string, double>;

// Compiles `filter`. Problems the backend cannot express are errors in `diags` (pointing at
// the rule's source); an empty result means failure.
std::vector<sock_filter> compile(const Filter& filter, Backend backend, Diagnostics& diags,
                                 const FrequencyProfile* profile = nullptr);

// libseccomp's layouts, for the oracle and the benchmark (optimize: 1 linear, 2 binary tree).
std::vector<sock_filter> compile_libseccomp(const Filter& filter, Diagnostics& diags, int optimize = 2);

}  // namespace policyc::seccomp
