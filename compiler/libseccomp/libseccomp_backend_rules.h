// SPDX-License-Identifier: Apache-2.0
// Turns the IR's first-match rule list into rules libseccomp merges the way we mean.
//
// libseccomp does not keep rule order: an unconditional rule for a syscall replaces all its
// conditional rules whatever their order, and overlapping rules with different actions are
// merged by its own tree logic. So, per syscall, each rule i becomes
//     effective_i = condition_i && !condition_j for every earlier j with another action,
// which makes the rules of different actions disjoint; what remains overlapping has one
// action, where any merge is a plain union. libseccomp also takes at most one comparison per
// argument and compares all 64 bits, so each effective condition is re-expressed, argument
// by argument, as a union of single comparisons: intervals (==, <=, >=) and aligned blocks
// ((arg & ~(2^k-1)) == base); u32() comparisons become blocks masked to the low word.
// Rules whose action is the default action are dropped once they have shielded later rules.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "compiler/diag/diagnostics.h"
#include "compiler/seccomp/ir.h"

namespace policyc::seccomp {

// One rule as libseccomp gets it: conditions are 64-bit (width 64), at most one per argument.
struct LibseccompRule {
  int nr = -1;
  Action action;
  std::vector<ArgCondition> conditions;
  const Rule* source = nullptr;  // the IR rule it comes from, for diagnostics
};

// Limit on the rules one syscall may expand to. libseccomp's rule merging grows much faster
// than linearly with overlapping rules of one syscall (about 100 took seconds, 69 of another
// shape minutes, in 2.5.4); up to 64 stayed under 50 ms over thousands of random rule sets.
inline constexpr std::size_t kMaxLibseccompRulesPerSyscall = 64;

// How a range of one argument is handed to libseccomp. NativeRanges uses its <=, >= and ==
// (compact). EqualityOnly uses only == and masked == (aligned blocks). libseccomp 2.5.4 merges
// <=/>= nodes of several rules of one syscall badly: it can copy one rule's subtree under
// another's node (wrong verdicts) or loop forever in seccomp_rule_add (both found by the
// random tests), while its equality nodes merged soundly in every random test. Auto, the
// default, uses the compact form for a syscall with a single libseccomp rule, and for one
// whose equality form would exceed the limit below; otherwise equality only.
enum class LibseccompForm { Auto, NativeRanges, EqualityOnly };

std::optional<std::vector<LibseccompRule>> to_libseccomp_rules(const Filter& filter, LibseccompForm form,
                                                               Diagnostics& diags);

}  // namespace policyc::seccomp
