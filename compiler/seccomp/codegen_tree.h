// Internal to the code generator: the search tree over syscall-number ranges. Each inner node
// is one `jge` (ranges at or above a bound go right), so the cost of reaching a range is its
// depth; the tree minimises sum(weight * depth), the expected number of compares per syscall
// (Knuth's O(n^2) dynamic programme for optimal alphabetic trees). A three-range interval
// [A][x][A] with a single-number hole x is one `jeq x` instead of two compares.
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
  SearchTree(const std::vector<Range>& ranges, const std::vector<double>& weights);
  const Split& split(std::size_t first, std::size_t last) const;
  double expected_compares() const { return expected_; }

 private:
  void build_optimal(const std::vector<Range>& ranges, const std::vector<double>& weights);
  void build_balanced(const std::vector<double>& weights, std::size_t first, std::size_t last);
  std::size_t n_ = 0;
  std::vector<Split> table_;                                  // optimal: n*n
  std::map<std::pair<std::size_t, std::size_t>, Split> sparse_;  // balanced fallback for huge n
  double expected_ = 0;
};

// Probability of a call landing in each range under `profile`, with a small floor for every
// syscall the profile never saw (so cold syscalls are not pushed arbitrarily deep).
std::vector<double> range_weights(const std::vector<Range>& ranges, const FrequencyProfile& profile);

}  // namespace policyc::seccomp::codegen
