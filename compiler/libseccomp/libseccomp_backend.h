// SPDX-License-Identifier: Apache-2.0
// The libseccomp backend (Backend::Libseccomp): the IR handed to libseccomp 2.5, the oracle
// our own generator is tested against. The result is checked against the IR in the BPF
// interpreter (libseccomp_backend_verify.h) before it is returned.
#pragma once

#include <linux/filter.h>

#include <vector>

#include "compiler/diag/diagnostics.h"
#include "compiler/seccomp/ir.h"

namespace policyc::seccomp {

// libseccomp's layouts, for the oracle and the benchmark (optimize: 1 linear, 2 binary tree).
// On a problem it adds an error to `diags` and returns {}.
std::vector<sock_filter> compile_libseccomp(const Filter& filter, Diagnostics& diags, int optimize = 2);

}  // namespace policyc::seccomp
