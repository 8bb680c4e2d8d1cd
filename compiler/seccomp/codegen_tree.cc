#include "compiler/seccomp/codegen_tree.h"

#include <algorithm>
#include <functional>
#include <limits>

#include "compiler/seccomp/frequency.h"

namespace policyc::seccomp::codegen {
namespace {

constexpr std::size_t kBudgetLimit = 400;   // exact budgeted DP up to this many ranges
constexpr std::size_t kTableLimit = 1500;   // above this many ranges, n^2 tables get too big
constexpr std::size_t kProfiledNumbers = 1024;
constexpr std::size_t kSyscallNumbers = 512;  // x86_64 syscalls live below this
// Share of all calls assumed to go to syscalls the profile never saw, spread evenly.
constexpr double kColdShare = 0.08;
constexpr double kInfinity = std::numeric_limits<double>::infinity();

bool is_hole(const std::vector<Range>& ranges, std::size_t first) {
  return ranges[first].outcome == ranges[first + 2].outcome && ranges[first + 1].lo == ranges[first + 1].hi;
}

std::vector<double> prefix_sums(const std::vector<double>& weights) {
  std::vector<double> prefix(weights.size() + 1, 0.0);
  for (std::size_t i = 0; i < weights.size(); ++i) prefix[i + 1] = prefix[i] + weights[i];
  return prefix;
}

}  // namespace

std::vector<double> range_weights(const std::vector<Range>& ranges, const FrequencyProfile& profile) {
  const std::vector<double> hot = weights_by_nr(profile, kProfiledNumbers);
  const double floor = kColdShare / kSyscallNumbers;
  std::vector<double> weights;
  weights.reserve(ranges.size());
  for (const Range& range : ranges) {
    double w = 0;
    for (std::uint64_t nr = range.lo; nr <= range.hi && nr < kProfiledNumbers; ++nr) {
      w += (1 - kColdShare) * hot[nr] + (nr < kSyscallNumbers ? floor : 0);
    }
    if (range.hi >= kSyscallNumbers) w += floor;  // far numbers: as likely as one cold syscall
    weights.push_back(w);
  }
  return weights;
}

SearchTree::SearchTree(const std::vector<Range>& ranges, const std::vector<double>& weights,
                       const std::vector<std::size_t>& leaf_costs, std::size_t slack)
    : n_(ranges.size()) {
  if (n_ <= kBudgetLimit) build_budgeted(ranges, weights, leaf_costs, slack);
  else if (n_ <= kTableLimit) build_optimal(ranges, weights);
  else build_balanced(weights, 0, n_ - 1);
}

void SearchTree::build_budgeted(const std::vector<Range>& ranges, const std::vector<double>& weights,
                                const std::vector<std::size_t>& leaf_costs, std::size_t slack) {
  const std::size_t n = n_;
  std::size_t depth_bound = 0;
  while ((std::size_t{1} << depth_bound) < n) ++depth_bound;
  const std::size_t budgets = *std::max_element(leaf_costs.begin(), leaf_costs.end()) + depth_bound + 1;
  const std::vector<double> prefix = prefix_sums(weights);
  // cost[(i*n+j)*budgets+b]: least expected compares for ranges i..j when every leaf must
  // finish within b instructions from here; choice: the split (or -1 for a hole).
  std::vector<double> cost(n * n * budgets, kInfinity);
  std::vector<int> choice(n * n * budgets, 0);
  auto at = [&](std::size_t i, std::size_t j, std::size_t b) { return (i * n + j) * budgets + b; };
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t b = leaf_costs[i]; b < budgets; ++b) cost[at(i, i, b)] = 0;
  }
  for (std::size_t length = 2; length <= n; ++length) {
    for (std::size_t i = 0; i + length - 1 < n; ++i) {
      const std::size_t j = i + length - 1;
      const double through = prefix[j + 1] - prefix[i];
      for (std::size_t b = 1; b < budgets; ++b) {
        double best = kInfinity;
        int best_choice = 0;
        for (std::size_t k = i; k < j; ++k) {
          const double c = cost[at(i, k, b - 1)] + cost[at(k + 1, j, b - 1)];
          if (c < best) best = c, best_choice = static_cast<int>(k);
        }
        if (length == 3 && is_hole(ranges, i) &&
            std::max({leaf_costs[i], leaf_costs[i + 1], leaf_costs[j]}) + 1 <= b) {
          best = 0, best_choice = -1;
        }
        if (best < kInfinity) cost[at(i, j, b)] = through + best, choice[at(i, j, b)] = best_choice;
      }
    }
  }
  std::size_t budget = 0;
  while (budget < budgets && cost[at(0, n - 1, budget)] == kInfinity) ++budget;
  budget = std::min(budget + slack, budgets - 1);
  std::function<void(std::size_t, std::size_t, std::size_t)> record = [&](std::size_t i, std::size_t j, std::size_t b) {
    if (i == j) return;
    const int c = choice[at(i, j, b)];
    if (c < 0) {
      splits_[{i, j}] = Split{i, true};
      return;
    }
    const auto k = static_cast<std::size_t>(c);
    splits_[{i, j}] = Split{k, false};
    record(i, k, b - 1);
    record(k + 1, j, b - 1);
  };
  record(0, n - 1, budget);
}

void SearchTree::build_optimal(const std::vector<Range>& ranges, const std::vector<double>& weights) {
  const std::size_t n = n_;
  const std::vector<double> prefix = prefix_sums(weights);
  std::vector<double> cost(n * n, 0.0);
  std::vector<std::size_t> root(n * n, 0);  // best split, kept for Knuth's bounds
  std::vector<Split> table(n * n);
  for (std::size_t i = 0; i < n; ++i) root[i * n + i] = i;
  for (std::size_t length = 2; length <= n; ++length) {
    for (std::size_t i = 0; i + length - 1 < n; ++i) {
      const std::size_t j = i + length - 1;
      std::size_t lo = std::max(root[i * n + j - 1], i), hi = std::min(root[(i + 1) * n + j], j - 1);
      if (lo > hi) lo = i, hi = j - 1;
      double best = kInfinity;
      std::size_t best_k = lo;
      for (std::size_t k = lo; k <= hi; ++k) {
        const double c = cost[i * n + k] + cost[(k + 1) * n + j];
        if (c < best) best = c, best_k = k;
      }
      root[i * n + j] = best_k;
      cost[i * n + j] = prefix[j + 1] - prefix[i] + best;
      table[i * n + j] = Split{best_k, false};
      if (length == 3 && is_hole(ranges, i)) {
        cost[i * n + j] = prefix[j + 1] - prefix[i];
        table[i * n + j].hole = true;
      }
    }
  }
  std::function<void(std::size_t, std::size_t)> record = [&](std::size_t i, std::size_t j) {
    if (i == j) return;
    const Split& s = table[i * n + j];
    splits_[{i, j}] = s;
    if (s.hole) return;
    record(i, s.left_last);
    record(s.left_last + 1, j);
  };
  record(0, n - 1);
}

// For very many ranges: split where the weight is halved, keeping both halves at least a
// quarter of the ranges so the depth stays logarithmic.
void SearchTree::build_balanced(const std::vector<double>& weights, std::size_t first, std::size_t last) {
  if (first == last) return;
  double total = 0;
  for (std::size_t i = first; i <= last; ++i) total += weights[i];
  double left = 0;
  std::size_t k = first;
  for (; k < last - 1; ++k) {
    if (left + weights[k] >= total / 2) break;
    left += weights[k];
  }
  const std::size_t quarter = (last - first) / 4;
  if (k < first + quarter || k > last - quarter) k = first + (last - first) / 2;
  k = std::clamp(k, first, last - 1);
  splits_[{first, last}] = Split{k, false};
  build_balanced(weights, first, k);
  build_balanced(weights, k + 1, last);
}

}  // namespace policyc::seccomp::codegen
