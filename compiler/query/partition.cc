// SPDX-License-Identifier: Apache-2.0
#include "compiler/query/partition.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

namespace policyc::query {
namespace {

// Where a new interval of `x & mask` starts because of `test` (at most two points).
void add_starts(const Test& test, std::uint64_t top, std::vector<std::uint64_t>& starts) {
  const std::uint64_t v = test.value;
  auto add = [&](std::uint64_t start) {
    if (start != 0 && start <= top) starts.push_back(start);
  };
  switch (test.cmp) {
    case Cmp::Eq: case Cmp::Ne:
      add(v);
      if (v != ~0ULL) add(v + 1);
      break;
    case Cmp::Lt: case Cmp::Ge: add(v); break;
    case Cmp::Le: case Cmp::Gt:
      if (v != ~0ULL) add(v + 1);
      break;
  }
}

Partition by_intervals(std::vector<Test> tests, std::uint64_t mask) {
  Partition out;
  out.tests = std::move(tests);
  out.common_mask = mask;
  std::vector<std::uint64_t> starts{0};
  for (const Test& t : out.tests) add_starts(t, mask, starts);
  std::sort(starts.begin(), starts.end());
  starts.erase(std::unique(starts.begin(), starts.end()), starts.end());
  for (std::size_t i = 0; i < starts.size(); ++i) {
    const Interval range{starts[i], i + 1 < starts.size() ? starts[i + 1] - 1 : mask};
    const auto witness = smallest_submask_at_least(mask, range.lo);
    if (!witness || *witness > range.hi) {
      // No value of `x & mask` lies here: the range joins its neighbour, so the classes still
      // cover the whole line and read as fewer, wider ranges.
      if (!out.classes.empty()) out.classes.back().range.hi = range.hi;
      continue;
    }
    ValueClass cls;
    cls.witness = *witness;
    cls.range = range;
    if (out.classes.empty()) cls.range.lo = 0;
    out.classes.push_back(cls);
  }
  return out;
}

enum MaskedCompare : std::uint8_t { kEqual, kBelow, kAbove, kSatisfied };  // x & mask against value, top bits so far

bool decided(const Test& test, MaskedCompare state) {
  switch (test.cmp) {
    case Cmp::Eq: return state == kEqual;
    case Cmp::Ne: return state != kEqual;
    case Cmp::Lt: return state == kBelow;
    case Cmp::Le: return state != kAbove;
    case Cmp::Gt: return state == kAbove;
    case Cmp::Ge: return state != kBelow;
  }
  return false;
}

// Every combination of truth values the tests can take, with the smallest value giving it,
// walking the bits from the top and merging equal states (memoized per bit).
class TruthSearch {
 public:
  TruthSearch(const std::vector<Test>& tests, std::uint64_t domain) : tests_(tests), domain_(domain) {}

  std::map<std::vector<bool>, std::uint64_t> run(int bit, const std::vector<MaskedCompare>& states) {
    if (bit < 0) {
      std::vector<bool> truth(tests_.size());
      for (std::size_t j = 0; j < tests_.size(); ++j) truth[j] = decided(tests_[j], states[j]);
      return {{truth, 0}};
    }
    const auto key = std::make_pair(bit, states);
    if (const auto hit = memo_.find(key); hit != memo_.end()) return hit->second;
    const std::uint64_t b = 1ULL << bit;
    bool free_bit = false;
    for (std::size_t j = 0; j < tests_.size(); ++j) {
      if (states[j] == kEqual && (tests_[j].mask & domain_ & b)) free_bit = true;
    }
    std::map<std::vector<bool>, std::uint64_t> out;
    for (std::uint64_t choice : {0ULL, 1ULL}) {
      if (choice == 1 && !free_bit) break;
      std::vector<MaskedCompare> next = states;
      for (std::size_t j = 0; j < tests_.size(); ++j) {
        if (next[j] != kEqual) continue;
        const bool mine = choice && (tests_[j].mask & b);
        const bool theirs = tests_[j].value & b;
        if (mine != theirs) next[j] = mine ? kAbove : kBelow;
      }
      for (const auto& [truth, low] : run(bit - 1, next)) out.emplace(truth, low | (choice << bit));
    }
    memo_.emplace(key, out);
    return out;
  }

 private:
  const std::vector<Test>& tests_;
  std::uint64_t domain_;
  std::map<std::pair<int, std::vector<MaskedCompare>>, std::map<std::vector<bool>, std::uint64_t>> memo_;
};

// Depth-first from the top bit, 0 before 1, so the first value found is the smallest; a
// literal whose comparison is already decided and wrong ends the branch.
class Solver {
 public:
  Solver(const std::vector<Literal>& literals, std::uint64_t domain) : literals_(literals), domain_(domain) {}

  // States: kEqual (undecided so far) or kSatisfied ("decided, as wanted"): a decided
  // literal's side no longer matters, so paths that only differ there share one memo entry.
  std::optional<std::uint64_t> run(int bit, std::vector<MaskedCompare> states) {
    for (std::size_t j = 0; j < literals_.size(); ++j) {
      if (states[j] == kEqual || states[j] == kSatisfied) continue;
      if (decided(literals_[j].first, states[j]) != literals_[j].second) return std::nullopt;
      states[j] = kSatisfied;
    }
    if (bit < 0) {
      for (std::size_t j = 0; j < literals_.size(); ++j) {
        if (states[j] == kEqual && decided(literals_[j].first, kEqual) != literals_[j].second) return std::nullopt;
      }
      return 0;
    }
    if (failed_.count({bit, states})) return std::nullopt;
    const std::uint64_t b = 1ULL << bit;
    bool free_bit = false;
    for (std::size_t j = 0; j < literals_.size(); ++j) {
      if (states[j] == kEqual && (literals_[j].first.mask & domain_ & b)) free_bit = true;
    }
    for (std::uint64_t choice : {0ULL, 1ULL}) {
      if (choice == 1 && !free_bit) break;
      std::vector<MaskedCompare> next = states;
      for (std::size_t j = 0; j < literals_.size(); ++j) {
        if (next[j] != kEqual) continue;
        const bool mine = choice && (literals_[j].first.mask & b);
        const bool theirs = literals_[j].first.value & b;
        if (mine != theirs) next[j] = mine ? kAbove : kBelow;
      }
      if (auto low = run(bit - 1, next)) return *low | (choice << bit);
    }
    failed_.insert({bit, states});
    return std::nullopt;
  }

 private:
  const std::vector<Literal>& literals_;
  std::uint64_t domain_;
  std::set<std::pair<int, std::vector<MaskedCompare>>> failed_;
};

Partition by_truth(std::vector<Test> tests, std::uint64_t domain) {
  Partition out;
  out.tests = std::move(tests);
  TruthSearch search(out.tests, domain);
  const auto found = search.run(63, std::vector<MaskedCompare>(out.tests.size(), kEqual));
  for (const auto& [truth, witness] : found) out.classes.push_back({witness, {}, truth});
  std::sort(out.classes.begin(), out.classes.end(),
            [](const ValueClass& a, const ValueClass& b) { return a.witness < b.witness; });
  return out;
}

}  // namespace

bool Test::operator<(const Test& o) const {
  return std::tie(mask, value, cmp) < std::tie(o.mask, o.value, o.cmp);
}

bool holds(const Test& test, std::uint64_t x) {
  const std::uint64_t y = x & test.mask;
  switch (test.cmp) {
    case Cmp::Eq: return y == test.value;
    case Cmp::Ne: return y != test.value;
    case Cmp::Lt: return y < test.value;
    case Cmp::Le: return y <= test.value;
    case Cmp::Gt: return y > test.value;
    case Cmp::Ge: return y >= test.value;
  }
  return false;
}

std::optional<std::uint64_t> smallest_submask_at_least(std::uint64_t mask, std::uint64_t lo) {
  const std::uint64_t outside = lo & ~mask;
  if (outside == 0) return lo;
  // Keep lo's bits above its highest bit outside the mask, set the lowest free mask bit above
  // that one, and clear everything below it.
  int high = 63;
  while (!(outside >> high & 1)) --high;
  for (int i = high + 1; i < 64; ++i) {
    const std::uint64_t b = 1ULL << i;
    if ((mask & b) && !(lo & b)) {
      const std::uint64_t above = i == 63 ? 0 : lo & ~((b << 1) - 1);
      return above | b;
    }
  }
  return std::nullopt;
}

std::optional<std::uint64_t> solve(const std::vector<Literal>& literals, std::uint64_t domain) {
  Solver solver(literals, domain);
  int top = 63;
  while (top > 0 && !(domain >> top & 1)) --top;  // bits above the domain stay 0
  return solver.run(top, std::vector<MaskedCompare>(literals.size(), kEqual));
}

std::vector<Interval> merge_intervals(std::vector<Interval> ranges) {
  std::sort(ranges.begin(), ranges.end(), [](const Interval& a, const Interval& b) { return a.lo < b.lo; });
  std::vector<Interval> out;
  for (const Interval& r : ranges) {
    if (!out.empty() && out.back().hi != ~0ULL && r.lo <= out.back().hi + 1) {
      out.back().hi = std::max(out.back().hi, r.hi);
    } else if (!out.empty() && out.back().hi == ~0ULL) {
      continue;
    } else {
      out.push_back(r);
    }
  }
  return out;
}

Partition partition(std::vector<Test> tests, std::uint64_t domain) {
  for (Test& t : tests) t.mask &= domain;
  std::sort(tests.begin(), tests.end());
  tests.erase(std::unique(tests.begin(), tests.end()), tests.end());
  const bool one_mask = std::all_of(tests.begin(), tests.end(), [&](const Test& t) { return t.mask == tests.front().mask; });
  if (tests.empty()) return by_intervals({}, domain);
  if (one_mask) {
    const std::uint64_t mask = tests.front().mask;
    return by_intervals(std::move(tests), mask);
  }
  return by_truth(std::move(tests), domain);
}

}  // namespace policyc::query
