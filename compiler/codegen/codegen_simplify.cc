// SPDX-License-Identifier: Apache-2.0
// Condition simplification for the range IR: the ordered comparisons of one argument (one
// width) in one rule are an interval with some excluded points, so `arg1 >= 5 && arg1 <= 9`
// is tested once as an interval, `arg0 > 9 && arg0 < 3` drops the rule, and a repeated
// comparison costs nothing.
#include <algorithm>
#include <map>

#include "compiler/codegen/ranges.h"

namespace policyc::seccomp {
namespace {

struct Interval {
  std::uint64_t lo = 0, hi = 0;
  std::vector<std::uint64_t> excluded;
};

// Applies `c` (unmasked) to `range`; false when the range became empty.
bool narrow(Interval& range, const ArgCondition& c, std::uint64_t value) {
  switch (c.op) {
    case CmpOp::Eq: range.lo = std::max(range.lo, value); range.hi = std::min(range.hi, value); break;
    case CmpOp::Ne: range.excluded.push_back(value); break;
    case CmpOp::Lt: if (value == 0) return false; range.hi = std::min(range.hi, value - 1); break;
    case CmpOp::Le: range.hi = std::min(range.hi, value); break;
    case CmpOp::Gt: if (value == ~0ULL) return false; range.lo = std::max(range.lo, value + 1); break;
    case CmpOp::Ge: range.lo = std::max(range.lo, value); break;
  }
  return range.lo <= range.hi;
}

// The fewest comparisons that say `x in range`, in the order lo, hi, exclusions.
bool emit_interval(Interval range, unsigned arg, unsigned width, std::vector<ArgCondition>& out) {
  const std::uint64_t max = width == 32 ? 0xffffffffULL : ~0ULL;
  std::sort(range.excluded.begin(), range.excluded.end());
  // an excluded end point moves the end (common: `!= 0 && >= 0`)
  for (const std::uint64_t x : range.excluded) {
    if (x == range.lo && range.lo < range.hi) ++range.lo;
  }
  for (auto it = range.excluded.rbegin(); it != range.excluded.rend(); ++it) {
    if (*it == range.hi && range.lo < range.hi) --range.hi;
  }
  for (const std::uint64_t x : range.excluded) {
    if (x == range.lo && range.lo == range.hi) return false;
  }
  auto add = [&](CmpOp op, std::uint64_t value) { out.push_back({arg, op, value, kNoMask, width}); };
  if (range.lo == range.hi) {
    add(CmpOp::Eq, range.lo);
    return true;
  }
  if (range.lo > 0) add(CmpOp::Ge, range.lo);
  if (range.hi < max) add(CmpOp::Le, range.hi);
  std::uint64_t last = 0;
  bool any = false;
  for (const std::uint64_t x : range.excluded) {
    if (x <= range.lo || x >= range.hi || (any && x == last)) continue;
    add(CmpOp::Ne, x);
    last = x, any = true;
  }
  return true;
}

}  // namespace

std::optional<std::vector<ArgCondition>> simplify_conditions(const std::vector<ArgCondition>& conditions) {
  std::map<std::pair<unsigned, unsigned>, Interval> intervals;  // (arg, width) -> interval
  std::vector<std::pair<unsigned, unsigned>> order;              // first appearance
  std::vector<ArgCondition> masked;
  for (ArgCondition c : conditions) {
    if (!is_masked(c)) c.mask = kNoMask;  // one spelling of "no mask", whatever the width
    const std::optional<bool> truth = constant_truth(c);
    if (truth == true) continue;
    if (truth == false) return std::nullopt;
    if (is_masked(c)) {
      if (std::find(masked.begin(), masked.end(), c) == masked.end()) masked.push_back(c);
      continue;
    }
    const std::uint64_t max = c.width == 32 ? 0xffffffffULL : ~0ULL;
    const auto key = std::make_pair(c.arg, c.width);
    auto [it, fresh] = intervals.try_emplace(key, Interval{0, max, {}});
    if (fresh) order.push_back(key);
    if (!narrow(it->second, c, c.value & max)) return std::nullopt;
  }
  // A masked test of an argument whose value an equality already fixes is decided here.
  std::vector<ArgCondition> undecided;
  for (const ArgCondition& c : masked) {
    const std::uint64_t mask = c.mask & width_bits(c);
    std::optional<std::uint64_t> known;
    if (auto it = intervals.find({c.arg, 64}); it != intervals.end() && it->second.lo == it->second.hi) {
      known = it->second.lo;
    } else if (auto it32 = intervals.find({c.arg, 32}); it32 != intervals.end() && it32->second.lo == it32->second.hi &&
               (mask >> 32) == 0) {
      known = it32->second.lo;
    }
    if (!known) {
      undecided.push_back(c);
    } else if (!condition_holds(c, {*known, *known, *known, *known, *known, *known})) {
      return std::nullopt;
    }
  }
  masked = std::move(undecided);
  // Arguments in ascending order, like libseccomp's tree, so both test the same word first.
  std::sort(order.begin(), order.end());
  std::vector<ArgCondition> out;
  for (const auto& key : order) {
    if (!emit_interval(intervals[key], key.first, key.second, out)) return std::nullopt;
  }
  std::stable_sort(masked.begin(), masked.end(), [](const ArgCondition& a, const ArgCondition& b) { return a.arg < b.arg; });
  out.insert(out.end(), masked.begin(), masked.end());
  return out;
}

bool conditions_imply(const std::vector<ArgCondition>& these, const std::vector<ArgCondition>& those) {
  for (const ArgCondition& c : those) {
    if (is_masked(c)) {
      if (std::find(these.begin(), these.end(), c) == these.end()) return false;
      continue;
    }
    // what `these` say about the same argument and width
    const std::uint64_t max = c.width == 32 ? 0xffffffffULL : ~0ULL;
    Interval range{0, max, {}};
    for (const ArgCondition& t : these) {
      if (t.arg == c.arg && t.width == c.width && !is_masked(t)) narrow(range, t, t.value & max);
    }
    const std::uint64_t v = c.value & max;
    bool implied = false;
    switch (c.op) {
      case CmpOp::Eq: implied = range.lo == v && range.hi == v; break;
      case CmpOp::Ge: implied = range.lo >= v; break;
      case CmpOp::Le: implied = range.hi <= v; break;
      case CmpOp::Gt: implied = v < max && range.lo > v; break;
      case CmpOp::Lt: implied = v > 0 && range.hi < v; break;
      case CmpOp::Ne:
        implied = v < range.lo || v > range.hi ||
                  std::find(range.excluded.begin(), range.excluded.end(), v) != range.excluded.end();
        break;
    }
    if (!implied) return false;
  }
  return true;
}

}  // namespace policyc::seccomp
