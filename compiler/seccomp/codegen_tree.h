// Internal to the code generator: the search tree over syscall-number ranges. Each inner node
// is one `jge` (ranges at or above a bound go right), so reaching a range costs its depth in
// compares; a three-range interval [A][x][A] with a single-number hole x is one `jeq x`.
//
// The tree minimises the expected cost sum(weight * depth) (weights from the frequency
// profile) under a worst-case budget: every range's depth plus the worst cost of its leaf
// code (argument checks) stays within `slack` of the smallest achievable maximum. That keeps
// hot syscalls shallow without pushing a cold syscall with long argument checks deeper than
// a plain balanced tree would. Dynamic programme over intervals and budgets, O(n^3 B) for
// n <= 200 ranges; above that Knuth's O(n^2) optimal tree without the budget; above 1500 a
// weight-balanced tree.
#pragma once

#include <cstddef>
#include <map>
#include <utility>
#include <vector>

#include "compiler/seccomp/backend.h"
#include "compiler/seccomp/ranges.h"

namespace policyc::seccomp::codegen {

struct Split {
  std::size_t left_last = 0;  // ranges first..left_last go left (nr < ranges[left_last+1].lo)
  bool hole = false;          // the [A][x][A] shape: `jeq x` decides
};

class SearchTree {
 public:
  // leaf_costs[i]: most instructions range i's leaf code executes (1 for a plain ret).
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
