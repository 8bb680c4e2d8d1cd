// SPDX-License-Identifier: Apache-2.0
// AST seccomp block -> seccomp IR: groups expanded, syscall names resolved to numbers with
// libseccomp's resolver, constants resolved, conditions lowered to DNF (one ir::Rule per
// conjunction), and every semantic check of the block (unknown names with did-you-mean,
// errno range, action not allowed as default, rules identical to the default, conditions a
// backend cannot express without changing their meaning).
#pragma once

#include <optional>
#include <string>

#include "compiler/ast/ast.h"
#include "compiler/diag/diagnostics.h"
#include "compiler/seccomp/ir.h"

namespace policyc::seccomp {

std::optional<Filter> lower_seccomp(const ast::Seccomp& block, Diagnostics& diags);

// An action as written -> IR, with the lowering's diagnostics (unknown name, errno range, ...).
std::optional<Action> resolve_written_action(const ast::Action& written, Diagnostics& diags);

}  // namespace policyc::seccomp
