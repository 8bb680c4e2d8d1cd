// SPDX-License-Identifier: Apache-2.0
// Shared by the linter's files: the x86_64 rules of one syscall and their verdict.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "compiler/diag/diagnostics.h"
#include "compiler/seccomp/abi.h"
#include "compiler/seccomp/ir.h"

namespace policyc::lint {

Location location_of(const seccomp::SourceRef& ref);

// allow and log let the call run.
bool lets_through(const seccomp::Action& action);

// The x86_64 rules of syscall `nr`, in order (first match wins).
std::vector<const seccomp::AbiRule*> rules_of(const std::vector<seccomp::AbiRule>& all, std::uint32_t nr);

// The rule that decides a call with `args`, or nullptr for the default action.
const seccomp::AbiRule* deciding_rule(const std::vector<const seccomp::AbiRule*>& rules,
                                      const std::array<std::uint64_t, 6>& args);

bool rule_holds(const seccomp::AbiRule& rule, const std::array<std::uint64_t, 6>& args);

}  // namespace policyc::lint
