// SPDX-License-Identifier: Apache-2.0
// Semantic checks of a policy's container part, run after parsing and before lowering. Every
// problem is added to `diags` (nothing stops at the first), each pointing at the word it is
// about, with what to do. Lowering may assume a container that passed these checks.
// The seccomp block is checked by its own lowering (compiler/lower/lower_seccomp.h).
#pragma once

#include "compiler/ast/ast.h"
#include "compiler/diag/diagnostics.h"
#include "plan/plan.h"

namespace policyc::check {

// True when no error was added (warnings do not count).
bool check_container(const ast::Container& container, Diagnostics& diags);

}  // namespace policyc::check

namespace policyc::check {

// The plan's rules (plan/rules.h) on the plan lowering produced. The located checks above refuse
// the same things first, so a violation here is a compiler bug or a check they miss: reported as
// an error at `where` naming the plan key, and the plan is not written.
bool check_lowered_plan(const plan::Plan& plan, const Location& where, Diagnostics& diags);

}  // namespace policyc::check
