#include "compiler/seccomp/codegen_tree.h"

#include <algorithm>
#include <limits>

#include "compiler/seccomp/frequency.h"

namespace policyc::seccomp::codegen {
namespace {

constexpr std::size_t kTableLimit = 1500;   // above this many ranges, n^2 tables get too big
constexpr std::size_t kProfiledNumbers = 1024;
constexpr std::size_t kSyscallNumbers = 512;  // x86_64 syscalls live below this
// Share of all calls assumed to go to syscalls the profile never saw, spread evenly. Larger
// values balance the tree (better worst case), smaller ones favour the profile's hot calls.
constexpr double kColdShare = 0.08;

bool is_hole(const std::vector<Range>& ranges, std::size_t first) {
  return ranges[first].outcome == ranges[first + 2].outcome && ranges[first + 1].lo == ranges[first + 1].hi;
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

SearchTree::SearchTree(const std::vector<Range>& ranges, const std::vector<double>& weights) : n_(ranges.size()) {
  if (n_ <= kTableLimit) build_optimal(ranges, weights);
  else build_balanced(weights, 0, n_ - 1);
}

const Split& SearchTree::split(std::size_t first, std::size_t last) const {
  if (!table_.empty()) return table_[first * n_ + last];
  return sparse_.at({first, last});
}

void SearchTree::build_optimal(const std::vector<Range>& ranges, const std::vector<double>& weights) {
  const std::size_t n = n_;
  std::vector<double> prefix(n + 1, 0.0);
  for (std::size_t i = 0; i < n; ++i) prefix[i + 1] = prefix[i] + weights[i];
  std::vector<double> cost(n * n, 0.0);
  std::vector<std::size_t> root(n * n, 0);   // best split, kept for Knuth's bounds
  table_.assign(n * n, Split{});
  for (std::size_t i = 0; i < n; ++i) root[i * n + i] = i;
  for (std::size_t length = 2; length <= n; ++length) {
    for (std::size_t i = 0; i + length - 1 < n; ++i) {
      const std::size_t j = i + length - 1;
      const double through = prefix[j + 1] - prefix[i];  // every call here passes this compare
      std::size_t lo = std::max(root[i * n + j - 1], i), hi = std::min(root[(i + 1) * n + j], j - 1);
      if (lo > hi) lo = i, hi = j - 1;
      double best = std::numeric_limits<double>::infinity();
      std::size_t best_k = lo;
      for (std::size_t k = lo; k <= hi; ++k) {
        const double c = cost[i * n + k] + cost[(k + 1) * n + j];
        if (c < best) best = c, best_k = k;
      }
      root[i * n + j] = best_k;
      cost[i * n + j] = through + best;
      table_[i * n + j] = Split{best_k, false};
      if (length == 3 && is_hole(ranges, i)) {  // one compare decides all three
        cost[i * n + j] = through;
        table_[i * n + j].hole = true;
      }
    }
  }
  expected_ = n ? cost[n - 1] : 0;
}

// For very many ranges: split where the weight is halved (within a factor 2 of optimal).
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
  // keep both halves non-empty and roughly balanced in count too, to bound the depth
  const std::size_t middle = first + (last - first) / 2;
  if (k < first + (last - first) / 4 || k > last - (last - first) / 4) k = middle;
  k = std::clamp(k, first, last - 1);
  sparse_[{first, last}] = Split{k, false};
  build_balanced(weights, first, k);
  build_balanced(weights, k + 1, last);
}

}  // namespace policyc::seccomp::codegen
