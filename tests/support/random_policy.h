// SPDX-License-Identifier: Apache-2.0
// Random seccomp Filters (the IR, after lowering) for the code generator's differential tests
// and fuzzing: every operator, masked or not, at both widths; ranges and several tests of one
// argument in a rule; trap(N) and a random action for other arches; and the calls to probe a compiled filter with: every x86_64 syscall number,
// far, x32 and i386 numbers, foreign arches, and argument values at the edges and around
// every constant the filter compares with (on each ABI, as abi.h renumbers the rules).
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "compiler/bpf/bpf_interp.h"
#include "compiler/seccomp/ir.h"

namespace policyc::testing {

struct RandomFilterOptions {
  std::size_t max_rules = 24;
  std::size_t syscall_pool = 14;      // rules pick from this many syscalls, so several share one
  std::size_t max_conditions = 2;
  bool allow_x32 = true;              // sometimes add "x32" to the arches
  bool allow_x86 = true;              // sometimes add "x86" (i386), with i386-only and
                                      // multiplexed names (socketcall, socket, semop...)
  bool only_allow_and_errno = false;  // for filters loaded into the kernel
  bool u32_only_for_equality = false; // width 32 only on ==, != and masks (libseccomp's rewrite
                                      // of u32 ranges is too slow for thousands of filters)
  bool libseccomp_expressible = false; // masks only on == (libseccomp's SCMP_CMP_MASKED_EQ) and
                                      // trap without a number; otherwise every operator may test a
                                      // masked argument and trap carries a random number
  std::vector<int> syscalls;          // pick from these numbers instead of all x86_64 syscalls
};

seccomp::Filter random_filter(std::mt19937_64& rng, const RandomFilterOptions& options = {});

// One rule, for tests that spell their filters out: `action` for syscall `name` (number `nr`:
// x86_64's, or libseccomp's pseudo number for an i386-only name) when every condition holds.
seccomp::Rule make_rule(const std::string& name, int nr, seccomp::Action action,
                        std::vector<seccomp::ArgCondition> conditions = {});

// 0, 1, -1, 2^31-1, 2^31, 2^32-1, 2^32, values with the high word set.
const std::vector<std::uint64_t>& edge_values();

// Calls that exercise every path of `filter`'s rules (see the header comment). `per_syscall`
// random argument vectors per syscall with rules, drawn from the values near its constants.
std::vector<bpf::SeccompData> probe_calls(const seccomp::Filter& filter, std::mt19937_64& rng,
                                          std::size_t per_syscall = 48);

// The filter as text, one rule per line, for failure messages.
std::string describe_filter(const seccomp::Filter& filter);
std::string describe_call(const bpf::SeccompData& call);

}  // namespace policyc::testing
