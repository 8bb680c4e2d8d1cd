// SPDX-License-Identifier: Apache-2.0
// Exact answers to "is there a call of this syscall, with these arguments free, that the filter
// gives verdict V?" without trying 2^64 values per argument. The verdict of a call depends on its
// arguments only through the truth of the conditions of that syscall's rules (each condition tests
// one argument), so one value per realizable combination of truths of an argument's conditions
// ("class") stands for every value of that class; the product over the six arguments covers every
// call. Used by the linter (is TIOCSTI allowed? is this rule shadowed?) and by `expect` lines.
//
// How the classes are found: the bits of the argument are fixed from the highest down, and each
// condition keeps a small state (a comparison: prefix below/equal/above the value's prefix; a
// masked test: still matching/failed). Prefixes with equal states behave alike from there on, so
// one is kept per state: the walk is exact, and small unless many masked bits are involved.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "compiler/seccomp/ir.h"

namespace policyc::seccomp {

// Above this many classes for one argument (many masked bits tested apart), or calls in all,
// the space is not enumerated: callers say they cannot decide rather than guess.
inline constexpr std::size_t kMaxArgClasses = 4096;
inline constexpr std::size_t kMaxCalls = std::size_t{1} << 18;

// One value per class of the argument values `conditions` can tell apart (conditions about
// other arguments are ignored), the smallest of each, ascending. `zero_extended_32`: the
// argument's high word is always 0 (i386 calls). Plain comparisons of one width (no mask, all
// u32 or all 64-bit) take one sorted pass and have at most 2n+1 classes for n tests, whatever
// their number; otherwise the bit walk above runs, and gives nullopt when there are more than
// kMaxArgClasses classes or the walk would take too long.
std::optional<std::vector<std::uint64_t>> class_representatives(const std::vector<ArgCondition>& conditions,
                                                                unsigned arg, bool zero_extended_32);

// Candidate values per argument: every call the filter could tell apart is one combination.
struct CallSpace {
  std::array<std::vector<std::uint64_t>, 6> values;
  std::size_t size() const;   // number of combinations (saturates at SIZE_MAX)
  // Calls `visit` for every combination until it returns false; false when stopped early.
  bool for_each(const std::function<bool(const std::array<std::uint64_t, 6>&)>& visit) const;
};

// The space for the conditions given; `fixed[i]` pins argument i to one value. nullopt when an
// argument has too many classes or the space has more than kMaxCalls calls.
std::optional<CallSpace> call_space(const std::vector<ArgCondition>& conditions,
                                    const std::array<std::optional<std::uint64_t>, 6>& fixed,
                                    bool zero_extended_32);

// The classes of every argument (class_representatives of each), computed once for the many
// spaces of one syscall's conditions that pin different arguments (`expect` lines).
using ArgClasses = std::array<std::optional<std::vector<std::uint64_t>>, 6>;
ArgClasses arg_classes(const std::vector<ArgCondition>& conditions, bool zero_extended_32);
std::optional<CallSpace> call_space(const ArgClasses& classes, const std::array<std::optional<std::uint64_t>, 6>& fixed);

}  // namespace policyc::seccomp
