// Policy conditions -> disjunctive normal form over resolved argument comparisons.
//
// `!` is pushed down to the comparisons (De Morgan; !(a == b) is a != b, !(a < b) is a >= b),
// then && is distributed over ||. A masked comparison has no "not equal" form in the IR, so
// `(argN & M) != V` becomes one alternative per bit of M: "some bit under M differs from V",
// which is exact. Each conjunction becomes one ir::Rule; the lowering checks what a backend
// could not express (two comparisons of one argument in one conjunction).
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
