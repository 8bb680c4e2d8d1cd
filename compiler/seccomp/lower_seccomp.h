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

// Named constants usable in conditions (AF_*, CLONE_*, O_*, PROT_*, MAP_*, AT_*, errno names,
// ...): value of `name`, or nullopt. `all_constant_names` feeds did-you-mean.
std::optional<std::uint64_t> constant_value(const std::string& name);
const std::vector<std::string>& all_constant_names();
// errno name -> number ("EPERM" -> 1), or nullopt.
std::optional<int> errno_value(const std::string& name);
std::string errno_name(int value);  // "EPERM", or the number as text when it has no name

}  // namespace policyc::seccomp
