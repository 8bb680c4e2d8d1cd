// SPDX-License-Identifier: Apache-2.0
// Internal to the code generator: the search tree over syscall-number ranges. Each inner node
// is one `jge` (ranges at or above a bound go right), so reaching a range costs its depth in
// compares; a three-range interval [A][x][A] with a single-number hole x is one `jeq x`.
//
// The tree minimises the expected cost sum(weight * depth) (weights from the frequency
// profile) under worst-case budgets on depth + the worst cost of the range's leaf code:
//   - native ranges (numbers below 0x40000000) get the smallest budget achievable;
//   - foreign ranges (x32 numbers, 0x40000000 and up, but not the one holding -1) may go kForeignExtra
//     = 3 deeper. On Docker's profile with x32 they are half of the ~220 ranges, and with one
//     budget for all they push native calls to a worst case of 13-14 (Kraft: the x32 half
//     alone fills the tree's lower levels). Measured (bench/filter_cost, Docker's profile,
//     x86_64 + x32): extra 0: worst 13, weighted 7.01; 1: 12 / 8.01; 2: 12 / 7.42;
//     3: 12 / 7.20 (x32 worst 15); 4: 12 / 7.17; 8: 12 / 6.90. 3 takes nearly all the gain,
//     keeps x32 calls well below libseccomp's 23, and bench/filter_cost prints their worst.
//   - then one more worst-case instruction is taken while it saves at least one instruction
//     on the expected call (kWorthOneWorst; Podman's profile, x86_64 only: worst 11 / weighted
//     7.82 becomes 12 / 6.52), at most kMostTraded times; `slack` loosens further.
// Dynamic programme over intervals and budgets, O(n^3 B) for n <= 400 ranges; above that
// Knuth's O(n^2) optimal tree without the budget; above 1500 a weight-balanced tree.
#pragma once

#include <cstddef>
#include <map>
#include <utility>
#include <vector>

#include "compiler/bpf/frequency.h"
#include "compiler/codegen/ranges.h"

namespace policyc::seccomp::codegen {

struct Split {
  std::size_t left_last = 0;  // ranges first..left_last go left (nr < ranges[left_last+1].lo)
  bool hole = false;          // the [A][x][A] shape: `jeq x` decides
};

class SearchTree {
 public:
  // leaf_costs[i]: most instructions range i's leaf code executes (1 for a plain ret).
  // Which ranges are foreign is read from the ranges themselves (Range::lo).
  SearchTree(const std::vector<Range>& ranges, const std::vector<double>& weights,
             const std::vector<std::size_t>& leaf_costs, std::size_t slack = 0);
  const Split& split(std::size_t first, std::size_t last) const { return splits_.at({first, last}); }

 private:
  void build_budgeted(const std::vector<Range>& ranges, const std::vector<double>& weights,
                      const std::vector<std::size_t>& leaf_costs, std::size_t slack);
  void build_optimal(const std::vector<Range>& ranges, const std::vector<double>& weights);
  void build_balanced(const std::vector<double>& weights, std::size_t first, std::size_t last);
  std::size_t n_ = 0;
  std::map<std::pair<std::size_t, std::size_t>, Split> splits_;  // the tree's inner nodes
};

// Probability of a call landing in each range under `profile`, plus a floor per syscall
// number (the mean over all syscalls counts too) so unprofiled syscalls are not pushed deep.
std::vector<double> range_weights(const std::vector<Range>& ranges, const FrequencyProfile& profile);

}  // namespace policyc::seccomp::codegen
