// SPDX-License-Identifier: Apache-2.0
// Exploring the IR's rules for one syscall number of one ABI (abi.h's renumbered rules): the
// arguments are split one at a time by the conditions the remaining rules test, each class
// settles those conditions (rules whose test fails drop out), until every side's first rule
// holds unconditionally or no rule is left. Exact: every call falls into one class per
// argument, and within a class no condition changes its truth.
#pragma once

#include <array>
#include <cstddef>
#include <functional>
#include <optional>
#include <vector>

#include "compiler/query/cases.h"
#include "compiler/seccomp/abi.h"

namespace policyc::query {

struct IrRule {
  std::vector<seccomp::ArgCondition> conditions;  // all must hold
  Outcome outcome;
};

struct IrSide {           // one filter's rules for the syscall, in order, and its default
  std::vector<IrRule> rules;
  Outcome fallback;
};

// The side of `filter` for calls numbered `nr` through `abi`'s rules (see abi.h).
IrSide ir_side(const std::vector<seccomp::AbiRule>& abi_rules, std::uint32_t nr, const seccomp::Filter& filter,
               seccomp::Abi abi);
// The same with `fallback` (SECCOMP_RET_*) for calls no rule takes.
IrSide ir_side(const std::vector<seccomp::AbiRule>& abi_rules, std::uint32_t nr, std::uint32_t fallback);

// The test ir.h's condition_holds performs, as `(x & mask) CMP value` on the whole argument.
Test to_test(const seccomp::ArgCondition& condition);

// Settles the conditions on the arguments whose values are known (drops the rules they fail).
void fix_arguments(IrSide& side, const std::array<std::optional<std::uint64_t>, 6>& known);

using KeepCase = std::function<bool(const std::vector<Outcome>&)>;

// The cases of calls through the sides' syscall, over all argument values, for which `keep`
// holds; variables are argument indexes 0..5. Throws QueryError past `budget` explored classes.
std::vector<Case> explore_ir(const std::vector<IrSide>& sides, const KeepCase& keep, std::size_t budget = 2000000);

}  // namespace policyc::query
