// SPDX-License-Identifier: Apache-2.0
// Exploring BPF programs (a plan's filter, which carries no IR) the same way as the IR: the
// 32-bit words of seccomp_data are the variables, the tests a program can reach given the words
// already fixed are collected by following every path abstractly (a word loaded, maybe ANDed
// with a constant, compared with a constant), the next word is split by them and each class
// fixed to its witness. Exact: the program's jumps only depend on those tests, so within a
// class every word value takes the same path. Programs that compute on arguments otherwise
// (add, shift, compare two words) are refused with a QueryError.
#pragma once

#include <linux/filter.h>

#include <array>
#include <optional>
#include <vector>

#include "compiler/bpf/bpf_interp.h"
#include "compiler/query/cases.h"
#include "compiler/query/ir_explore.h"

namespace policyc::query {

// seccomp_data as 16 words: 0 nr, 1 arch, 2/3 instruction pointer low/high, 4+2k / 5+2k the
// low / high word of argument k.
inline constexpr unsigned kWordNr = 0, kWordArch = 1;
inline constexpr unsigned arg_low_word(unsigned arg) { return 4 + 2 * arg; }
inline constexpr unsigned arg_high_word(unsigned arg) { return 5 + 2 * arg; }
using Words = std::array<std::optional<std::uint32_t>, 16>;

struct WordTest {
  unsigned word = 0;
  Test test;
  std::size_t pc = 0;  // the first jump found making it
};

// Every test on a word not in `known` that some path of `program` reaches with those words.
std::vector<WordTest> reachable_tests(const std::vector<sock_filter>& program, const Words& known);

// The call the known words describe, the others 0.
bpf::SeccompData call_of(const Words& known);

// The cases (variables: word indexes) of all calls agreeing with `known` for which `keep`
// holds; outcomes carry the programs' return values and no rule.
std::vector<Case> explore_bpf(const std::vector<const std::vector<sock_filter>*>& programs, const Words& known,
                              const KeepCase& keep, std::size_t budget = 50000);

}  // namespace policyc::query
