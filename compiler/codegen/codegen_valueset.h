// SPDX-License-Identifier: Apache-2.0
// Internal to the code generator: value-set tests. Consecutive rules of one syscall with the
// same action whose conditions each compare one argument (same argument and width, no mask)
// say "the argument lies in a set of intervals", whatever their order (first match wins, and
// every rule of the run gives the same verdict). Such a run is compiled as one membership test:
//   - 64-bit: the high word is tested once (usually a single `jeq 0`), the low word only for
//     the high values where the set is neither everything nor nothing;
//   - the low word by the cheapest (fewest executed instructions in the worst case) of:
//       a chain of `jeq` on the set's isolated points (or on the complement's),
//       a cube: all combinations of a few bits over a base, {0, 8, 0x20000, 0x20008}, is one
//         `jset ~bits` (base 0) or `and ~bits; jeq base`, the leftover points `jeq` each,
//       a `jge` split into two such problems (a binary search over the set's boundaries).
// Example: personality's five values (0, 8, 0x20000, 0x20008, 0xffffffff) cost
// `ld hi; jeq 0; ld lo; jeq 0xffffffff; jset 0xfffdfff7; ret` = 6 instead of 9.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "compiler/codegen/codegen_emitter.h"
#include "compiler/seccomp/ir.h"

namespace policyc::seccomp::codegen {

// Offsets of an argument's two 32-bit words in struct seccomp_data (little-endian).
inline constexpr std::uint32_t low_word(unsigned arg) { return 16 + 8 * arg; }
inline constexpr std::uint32_t high_word(unsigned arg) { return 20 + 8 * arg; }

// Sorted, disjoint, non-adjacent closed intervals of argument values.
using ValueSet = std::vector<std::pair<std::uint64_t, std::uint64_t>>;

struct ArgKey {            // which argument a value set is about
  unsigned arg = 0;
  unsigned width = 64;
  bool operator==(const ArgKey&) const = default;
};

// The values for which every condition holds, when all of them compare `key`'s argument at
// `key`'s width without a mask (nullopt otherwise, or for no condition at all).
std::optional<std::pair<ArgKey, ValueSet>> values_of(const std::vector<ArgCondition>& conditions);

ValueSet unite(const ValueSet& a, const ValueSet& b);

// A run of one 32-bit word's values with one outcome (an index into the caller's targets).
struct Segment {
  std::uint32_t lo = 0, hi = 0;
  std::size_t outcome = 0;
};

// Most compares (jumps and `and`s) the cheapest decision over `segments` executes; the
// segments are sorted, adjacent, and neighbours have different outcomes.
std::size_t word_decision_cost(const std::vector<Segment>& segments);

// Emits that decision on A (which holds `word` unmasked, as `prior` also says) and returns its
// first instruction. outcomes[i] is where values of outcome i go.
Target emit_word_decision(Emitter& e, std::uint32_t word, const std::vector<Segment>& segments,
                          const std::vector<Target>& outcomes, const Knowledge& prior);

// Emits `arg in values ? pass : fail` including the loads, and returns its first instruction;
// nullopt when the set is too fragmented for the exact search (the caller tests rule by rule).
std::optional<Target> emit_value_set(Emitter& e, const ArgKey& key, const ValueSet& values, Target pass, Target fail);

}  // namespace policyc::seccomp::codegen
