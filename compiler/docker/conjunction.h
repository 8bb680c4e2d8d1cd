// SPDX-License-Identifier: Apache-2.0
// Conjunctions of argument comparisons as Docker/libseccomp can hold them: at most one
// comparison per argument, 64-bit (u32 equality becomes a masked compare). Used by the exporter
// to simplify, detect contradictions and negate when turning first-match into libseccomp's model.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "compiler/seccomp/ir.h"

namespace policyc::docker {

using Conjunction = std::vector<seccomp::ArgCondition>;

// Rewrites a condition to the 64-bit form libseccomp compares: u32(arg) == v -> (arg &
// 0xffffffff) == v. nullopt when there is no such form (u32 with <, != ..., a masked
// comparison other than ==: libseccomp has SCMP_CMP_MASKED_EQ only), `never` set when
// the condition can never hold (u32 == v with v >= 2^32).
std::optional<seccomp::ArgCondition> to_docker_form(const seccomp::ArgCondition& condition, bool& never);

// Simplifies `conjunction` to at most one comparison per argument. Returns nullopt when it is
// unsatisfiable; sets `inexpressible` (and returns the input) when two comparisons of one
// argument cannot be merged into one.
std::optional<Conjunction> simplify(const Conjunction& conjunction, bool& inexpressible);

// The negation of one comparison as one comparison; nullopt for masked compares (libseccomp
// has no "masked not equal").
std::optional<seccomp::ArgCondition> negate(const seccomp::ArgCondition& condition);

// True when no argument values satisfy both (provably, from the interval view).
bool disjoint(const Conjunction& a, const Conjunction& b);

}  // namespace policyc::docker
