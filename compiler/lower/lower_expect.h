// SPDX-License-Identifier: Apache-2.0
// `expect` lines of a seccomp block -> seccomp::Expectation: the verdict, the syscall name and
// the argument values resolved (numbers, constants, A|B), each problem reported at its word.
#pragma once

#include <vector>

#include "compiler/ast/ast.h"
#include "compiler/diag/diagnostics.h"
#include "compiler/seccomp/expectation.h"
#include "compiler/seccomp/ir.h"

namespace policyc::seccomp {

// `filter` is the block's lowered filter (its arches decide which names exist).
std::vector<Expectation> lower_expectations(const ast::Seccomp& block, const Filter& filter, Diagnostics& diags);

}  // namespace policyc::seccomp
