// SPDX-License-Identifier: Apache-2.0
// The linter: warnings about seccomp blocks that compile but are probably not what their author
// wants. It works on the lowered filter (compiler/seccomp/ir.h) and the rules' source locations,
// and decides exactly, over every argument value (compiler/seccomp/arg_space.h), not by sampling:
//   - allows that open known escape or kernel attack surface (ptrace, mount, bpf, io_uring,
//     clone/unshare with namespace flags, ioctl TIOCSTI, personality flags, ...), whether a rule
//     or the default action lets them through (lint_surface.cc);
//   - rules that can never decide: shadowed by earlier rules, duplicates, conditions that never
//     hold (lint_order.cc);
//   - 32-bit arches (x86, x32) allowed without a reason written on the `arch` line (lint.cc).
// Every warning points at the rule (file:line:col), says why, and what to write instead.
#pragma once

#include "compiler/ast/ast.h"
#include "compiler/diag/diagnostics.h"
#include "compiler/seccomp/ir.h"

namespace policyc::lint {

// Adds the warnings for `filter`, lowered from `block`, to `diags`.
void lint_seccomp(const ast::Seccomp& block, const seccomp::Filter& filter, Diagnostics& diags);

// The parts, for tests.
void lint_surface(const seccomp::Filter& filter, const Location& default_where, Diagnostics& diags);
void lint_rule_order(const seccomp::Filter& filter, Diagnostics& diags);
void lint_arches(const ast::Seccomp& block, Diagnostics& diags);

}  // namespace policyc::lint
