// SPDX-License-Identifier: Apache-2.0
#include "compiler/docker/conjunction.h"

#include <algorithm>
#include <limits>
#include <map>
#include <utility>

namespace policyc::docker {
namespace {

using seccomp::ArgCondition;
using seccomp::CmpOp;

constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
constexpr std::uint64_t kLow32 = 0xffffffffULL;

using Intervals = std::vector<std::pair<std::uint64_t, std::uint64_t>>;  // sorted, closed

Intervals of(const ArgCondition& c) {
  std::uint64_t v = c.value;
  switch (c.op) {
    case CmpOp::Eq: return {{v, v}};
    case CmpOp::Ne: {
      Intervals out;
      if (v > 0) out.push_back({0, v - 1});
      if (v < kMax) out.push_back({v + 1, kMax});
      return out;
    }
    case CmpOp::Lt: return v == 0 ? Intervals{} : Intervals{{0, v - 1}};
    case CmpOp::Le: return {{0, v}};
    case CmpOp::Gt: return v == kMax ? Intervals{} : Intervals{{v + 1, kMax}};
    case CmpOp::Ge: return {{v, kMax}};
  }
  return {{0, kMax}};
}

Intervals intersect(const Intervals& a, const Intervals& b) {
  Intervals out;
  for (const auto& [a_lo, a_hi] : a) {
    for (const auto& [b_lo, b_hi] : b) {
      std::uint64_t lo = std::max(a_lo, b_lo), hi = std::min(a_hi, b_hi);
      if (lo <= hi) out.push_back({lo, hi});
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

ArgCondition make(unsigned arg, CmpOp op, std::uint64_t value) {
  ArgCondition c;
  c.arg = arg;
  c.op = op;
  c.value = value;
  return c;
}

// Satisfiable but not one comparison: keep every comparison (the meaning must never be lost)
// and let the caller refuse it.
bool keep_as_written(const std::vector<ArgCondition>& comparisons, Conjunction& out, bool& inexpressible) {
  out.insert(out.end(), comparisons.begin(), comparisons.end());
  inexpressible = true;
  return true;
}

// The comparisons of one argument, merged. Returns false when unsatisfiable.
bool merge_argument(unsigned arg, const std::vector<ArgCondition>& comparisons, Conjunction& out,
                    bool& inexpressible) {
  if (comparisons.size() == 1) {
    const ArgCondition& only = comparisons[0];
    if (seccomp::is_masked(only) && (only.value & ~only.mask) != 0) return false;
    out.push_back(only);
    return true;
  }
  Intervals range{{0, kMax}};
  std::uint64_t mask = 0, bits = 0;
  bool masked = false;
  for (const auto& c : comparisons) {
    if (!seccomp::is_masked(c)) {
      range = intersect(range, of(c));
      continue;
    }
    if ((c.value & ~c.mask) != 0) return false;                 // bits outside the mask never match
    if (((bits ^ c.value) & mask & c.mask) != 0) return false;  // the masks disagree on a bit
    mask |= c.mask;
    bits |= c.value;
    masked = true;
  }
  if (range.empty()) return false;
  bool single_point = range.size() == 1 && range[0].first == range[0].second;
  if (masked && single_point) {
    if ((range[0].first & mask) != bits) return false;
    masked = false;  // the point implies the masked compare
  }
  bool full = range.size() == 1 && range[0].first == 0 && range[0].second == kMax;
  if (masked) {
    ArgCondition m;
    m.arg = arg;
    m.op = CmpOp::Eq;
    m.mask = mask;
    m.value = bits;
    if (mask == kMax) {
      out.push_back(make(arg, CmpOp::Eq, bits));
      return true;
    }
    if (!full) return keep_as_written(comparisons, out, inexpressible);
    out.push_back(m);
    return true;
  }
  if (full) return true;
  if (range.size() == 1) {
    auto [lo, hi] = range[0];
    if (lo == hi) out.push_back(make(arg, CmpOp::Eq, lo));
    else if (lo == 0) out.push_back(make(arg, CmpOp::Le, hi));
    else if (hi == kMax) out.push_back(make(arg, CmpOp::Ge, lo));
    else return keep_as_written(comparisons, out, inexpressible);
    return true;
  }
  if (range.size() == 2 && range[0].first == 0 && range[1].second == kMax &&
      range[0].second + 2 == range[1].first) {
    out.push_back(make(arg, CmpOp::Ne, range[0].second + 1));
    return true;
  }
  return keep_as_written(comparisons, out, inexpressible);
}

}  // namespace

std::optional<ArgCondition> to_docker_form(const ArgCondition& condition, bool& never) {
  never = false;
  if (seccomp::is_masked(condition) && condition.op != CmpOp::Eq) return std::nullopt;
  if (condition.width != 32) return condition;
  if (condition.op == CmpOp::Eq && !seccomp::is_masked(condition)) {
    if (condition.value > kLow32) { never = true; return condition; }
    ArgCondition masked = condition;
    masked.mask = kLow32;
    masked.width = 64;
    return masked;
  }
  if (condition.op == CmpOp::Eq) {
    ArgCondition masked = condition;
    masked.mask &= kLow32;
    masked.width = 64;
    if ((masked.value & ~masked.mask) != 0) { never = true; return condition; }
    return masked;
  }
  return std::nullopt;
}

std::optional<Conjunction> simplify(const Conjunction& conjunction, bool& inexpressible) {
  std::map<unsigned, std::vector<ArgCondition>> by_arg;
  for (const auto& c : conjunction) by_arg[c.arg].push_back(c);
  Conjunction out;
  for (const auto& [arg, comparisons] : by_arg) {
    if (!merge_argument(arg, comparisons, out, inexpressible)) return std::nullopt;
  }
  return out;
}

std::optional<ArgCondition> negate(const ArgCondition& c) {
  if (seccomp::is_masked(c)) return std::nullopt;  // libseccomp has no masked !=
  ArgCondition n = c;
  switch (c.op) {
    case CmpOp::Eq: n.op = CmpOp::Ne; return n;
    case CmpOp::Ne: n.op = CmpOp::Eq; return n;
    case CmpOp::Lt: n.op = CmpOp::Ge; return n;
    case CmpOp::Ge: n.op = CmpOp::Lt; return n;
    case CmpOp::Le: n.op = CmpOp::Gt; return n;
    case CmpOp::Gt: n.op = CmpOp::Le; return n;
  }
  return std::nullopt;
}

bool disjoint(const Conjunction& a, const Conjunction& b) {
  Conjunction both = a;
  both.insert(both.end(), b.begin(), b.end());
  bool inexpressible = false;
  return !simplify(both, inexpressible).has_value();
}

}  // namespace policyc::docker
