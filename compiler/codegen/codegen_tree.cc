// SPDX-License-Identifier: Apache-2.0
#include "compiler/codegen/codegen_tree.h"

#include <algorithm>
#include <functional>
#include <limits>

#include "compiler/bpf/frequency.h"

namespace policyc::seccomp::codegen {
namespace {

constexpr std::size_t kBudgetLimit = 400;   // exact budgeted DP up to this many ranges
constexpr std::size_t kTableLimit = 1500;   // above this many ranges, n^2 tables get too big
constexpr std::size_t kProfiledNumbers = 1024;
constexpr std::size_t kSyscallNumbers = 512;  // x86_64 syscalls live below this
// Share of all calls assumed to go to syscalls the profile never saw, spread evenly.
constexpr double kColdShare = 0.08;
constexpr double kInfinity = std::numeric_limits<double>::infinity();
// Ranges from here on are foreign to the native ABI (x32) and get a looser worst-case budget.
constexpr std::uint32_t kForeignFirst = 0x40000000U;
// How much deeper than native ranges foreign ones may go (see codegen_tree.h for the numbers).
constexpr std::size_t kForeignExtra = 3;
// One more instruction in the worst case is taken when it saves at least this many
// instructions on the expected call.
constexpr double kWorthOneWorst = 1.0;
constexpr std::size_t kMostTraded = 3;  // budgets beyond a balanced tree's, for such trades

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

namespace {

// The budgeted DP's tables for one set of leaf needs: cost[(i*n+j)*budgets+b] is the least
// expected compares for ranges i..j when every leaf must finish within b instructions from
// here; choice is the split (or -1 for a hole).
struct BudgetTables {
  std::size_t n = 0, budgets = 0;
  std::vector<double> cost;
  std::vector<int> choice;
  std::size_t at(std::size_t i, std::size_t j, std::size_t b) const { return (i * n + j) * budgets + b; }
  std::size_t least_budget() const {  // budgets when nothing fits (cannot happen: see below)
    std::size_t b = 0;
    while (b < budgets && cost[at(0, n - 1, b)] == kInfinity) ++b;
    return b;
  }
};

// `budgets` must exceed max(needs) + ceil(log2 n), so a balanced tree always fits.
BudgetTables budget_dp(const std::vector<Range>& ranges, const std::vector<double>& prefix,
                       const std::vector<std::size_t>& needs, std::size_t budgets) {
  BudgetTables t{ranges.size(), budgets, {}, {}};
  const std::size_t n = t.n;
  t.cost.assign(n * n * budgets, kInfinity);
  t.choice.assign(n * n * budgets, 0);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t b = needs[i]; b < budgets; ++b) t.cost[t.at(i, i, b)] = 0;
  }
  // For each (i, j), the splits k go in the outer loop and the budgets in the inner one, so both
  // operands are read contiguously (cost[i,k,*] and cost[k+1,j,*]); the first k with the least
  // cost still wins for every budget, as in the textbook loop order. This DP was the largest
  // part of compiling Docker's profile.
  std::vector<double> best(budgets);
  std::vector<int> best_choice(budgets);
  for (std::size_t length = 2; length <= n; ++length) {
    for (std::size_t i = 0; i + length - 1 < n; ++i) {
      const std::size_t j = i + length - 1;
      const double through = prefix[j + 1] - prefix[i];
      std::fill(best.begin(), best.end(), kInfinity);
      std::fill(best_choice.begin(), best_choice.end(), 0);
      for (std::size_t k = i; k < j; ++k) {
        const double* left = &t.cost[t.at(i, k, 0)];
        const double* right = &t.cost[t.at(k + 1, j, 0)];
        for (std::size_t b = 1; b < budgets; ++b) {
          const double c = left[b - 1] + right[b - 1];
          if (c < best[b]) best[b] = c, best_choice[b] = static_cast<int>(k);
        }
      }
      const bool hole = length == 3 && is_hole(ranges, i);
      const std::size_t hole_need = hole ? std::max({needs[i], needs[i + 1], needs[j]}) + 1 : 0;
      for (std::size_t b = 1; b < budgets; ++b) {
        if (hole && hole_need <= b) best[b] = 0, best_choice[b] = -1;
        if (best[b] < kInfinity) t.cost[t.at(i, j, b)] = through + best[b], t.choice[t.at(i, j, b)] = best_choice[b];
      }
    }
  }
  return t;
}

// Numbers from 0x40000000 on are x32 calls (or no syscall at all), an ABI containers hardly
// use. The range holding -1 (a tracer's "skip", which the kernel may still run the filter on)
// stays native.
bool is_foreign(const Range& range) { return range.lo >= kForeignFirst && range.hi != 0xffffffffU; }

}  // namespace

void SearchTree::build_budgeted(const std::vector<Range>& ranges, const std::vector<double>& weights,
                                const std::vector<std::size_t>& leaf_costs, std::size_t slack) {
  const std::size_t n = n_;
  std::size_t depth_bound = 0;
  while ((std::size_t{1} << depth_bound) < n) ++depth_bound;
  const std::vector<double> prefix = prefix_sums(weights);
  // Native ranges need kForeignExtra more than their leaf code: a budget is then the native
  // worst case plus kForeignExtra, and foreign ranges may go kForeignExtra deeper.
  std::vector<std::size_t> needs(n);
  for (std::size_t i = 0; i < n; ++i) needs[i] = leaf_costs[i] + (is_foreign(ranges[i]) ? 0 : kForeignExtra);
  const std::size_t most = *std::max_element(needs.begin(), needs.end());
  const BudgetTables tables = budget_dp(ranges, prefix, needs, most + depth_bound + 1 + kMostTraded);
  std::size_t budget = tables.least_budget();
  const double total = prefix[n] > 0 ? prefix[n] : 1.0;
  auto expected = [&](std::size_t b) { return tables.cost[tables.at(0, n - 1, b)] / total; };  // per call
  while (budget + 1 < tables.budgets && expected(budget) - expected(budget + 1) >= kWorthOneWorst) ++budget;
  budget = std::min(budget + slack, tables.budgets - 1);
  std::function<void(std::size_t, std::size_t, std::size_t)> record = [&](std::size_t i, std::size_t j, std::size_t b) {
    if (i == j) return;
    const int c = tables.choice[tables.at(i, j, b)];
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
