// SPDX-License-Identifier: Apache-2.0
// Policy conditions -> disjunctive normal form over resolved argument comparisons.
//
// `!` is pushed down to the comparisons (De Morgan; !(a == b) is a != b, !(a < b) is a >= b,
// !((a & m) > v) is (a & m) <= v), then && is distributed over ||. Every operator may test a
// masked argument. `(argN & M) != V` becomes one alternative per bit of M ("some bit under M
// differs from V", exact), so that Docker's format and libseccomp, which know only masked ==,
// can still take it. Each conjunction becomes one ir::Rule; it may test one argument several
// times (`arg2 > 1 && arg2 < 5` is a range).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "compiler/ast/ast.h"
#include "compiler/diag/diagnostics.h"
#include "compiler/seccomp/ir.h"

namespace policyc::seccomp {

// More alternatives than this after distribution is an error: the filter would explode.
inline constexpr std::size_t kMaxConjunctions = 64;

struct Literal {
  ArgCondition cond;
  Location where;  // the comparison as written, for diagnostics
};
using Conjunction = std::vector<Literal>;  // all must hold; empty = always true
using Dnf = std::vector<Conjunction>;      // any may hold; empty = never true

// Lowers `condition`; on a problem adds errors at the comparison's location and returns nullopt.
std::optional<Dnf> condition_to_dnf(const ast::Condition& condition, Diagnostics& diags);

// Resolves a `Value` (number literals and constant names OR-ed together) to 64 bits.
// Negative numbers are two's complement. Unknown constants are errors with did-you-mean.
std::optional<std::uint64_t> resolve_value(const ast::Value& value, Diagnostics& diags);

}  // namespace policyc::seccomp
