// SPDX-License-Identifier: Apache-2.0
// Internal to the code generator: which of one syscall's ordered rules can change a verdict,
// decided on the rules alone (so every backend or IR pass may use it), provably equal:
//   - a rule that can never hold, also across widths (a 64-bit range that fixes the high
//     word bounds the low word; (x & m) == v needs x >= v; two masks of one argument that
//     want one bit both ways);
//   - comparisons the failures of the earlier kept rules decide (a rule is only tested when
//     they all failed), and lower bounds a mask implies; masks of one argument are merged;
//   - a rule with the fallback's action that no later rule with another action can hold
//     together with (its calls reach the same verdict without it);
//   - width-32 comparisons the 64-bit ones of the same argument already decide.
// The leaf code (codegen_args.cc) compiles only what is left. When nothing is left, the
// syscall's outcome is just its fallback: the range IR could merge it with its neighbours.
#pragma once

#include <vector>

#include "compiler/codegen/ranges.h"
#include "compiler/seccomp/ir.h"

namespace policyc::seccomp::codegen {

// True when `conditions` (an AND) can provably never all hold.
bool never_holds(const std::vector<ArgCondition>& conditions);

// The rules of `outcome` that can change its verdict, in order, with implied comparisons
// removed. outcome.fallback still applies after them.
std::vector<ArgRule> deciding_rules(const Outcome& outcome);

}  // namespace policyc::seccomp::codegen
