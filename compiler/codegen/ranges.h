// SPDX-License-Identifier: Apache-2.0
// The range IR of our code generator: the rules of a Filter for one audit arch (abi.h), as disjoint
// syscall-number ranges [lo, hi] that together cover 0..2^32-1. Each range has one Outcome:
// a constant action, or the ordered argument rules of one syscall with a fallback action.
// Neighbours with equal outcomes are merged; numbers no rule names get the default action, or
// errno(ENOSYS) when they are newer than the syscall tables (abi.h unknown_numbers); on x86_64,
// x32 numbers (>= 0x40000000) get the bad-arch action unless "x32" is allowed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "compiler/diag/diagnostics.h"
#include "compiler/seccomp/ir.h"

namespace policyc::seccomp {

struct ArgRule {                      // one IR rule, reduced to what decides the verdict
  std::vector<ArgCondition> conditions;
  Action action;
  bool operator==(const ArgRule&) const = default;
};

struct Outcome {
  std::vector<ArgRule> rules;         // tried in order; empty = the outcome is `fallback`
  Action fallback;
  bool is_constant() const { return rules.empty(); }
  bool operator==(const Outcome&) const = default;
};

struct Range {
  std::uint32_t lo = 0;
  std::uint32_t hi = 0;               // inclusive
  Outcome outcome;
  std::string label;                  // syscall name(s) for explain/debugging: "read..close"
};

// The first rule of a syscall that can never hold (a contradiction like a masked value outside
// its mask) is dropped; a condition that always holds is removed. Exposed for tests.
std::optional<bool> constant_truth(const ArgCondition& condition);

// The conditions of one rule with the comparisons of each argument merged into an interval
// (plus excluded points) and constant ones removed; nullopt when the rule can never hold.
std::optional<std::vector<ArgCondition>> simplify_conditions(const std::vector<ArgCondition>& conditions);

// True when every call satisfying `these` (simplified conditions) also satisfies `those`:
// a later rule whose conditions imply an earlier rule's can never decide.
bool conditions_imply(const std::vector<ArgCondition>& these, const std::vector<ArgCondition>& those);

// The ranges for calls made with AUDIT_ARCH_X86_64 (x86_64 and x32 numbers). Errors (an arch
// we cannot generate for, a rule without a number) go to `diags`; nullopt then.
std::optional<std::vector<Range>> build_x86_64_ranges(const Filter& filter, Diagnostics& diags);

// The ranges for calls made with AUDIT_ARCH_I386 (abi.h renumbers the rules); empty when the
// filter does not allow "x86".
std::optional<std::vector<Range>> build_i386_ranges(const Filter& filter, Diagnostics& diags);

}  // namespace policyc::seccomp
