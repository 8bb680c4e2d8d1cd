// SPDX-License-Identifier: Apache-2.0
#include "compiler/seccomp/arg_space.h"

#include <algorithm>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <tuple>

namespace policyc::seccomp {
namespace {

// Per-condition state while the argument's bits are fixed from the top.
// (arg & mask) compared with the value: the masked prefix against the value's prefix.
constexpr char kEqual = 0, kBelow = 1, kAbove = 2;

struct Test {                 // a condition with its width applied to value and mask
  CmpOp op = CmpOp::Eq;
  unsigned width = 64;
  std::uint64_t value = 0;
  std::uint64_t mask = 0;
};

Test normalized(const ArgCondition& c) {
  const std::uint64_t width_mask = c.width == 32 ? std::numeric_limits<std::uint32_t>::max()
                                                 : std::numeric_limits<std::uint64_t>::max();
  return {c.op, c.width, c.value & width_mask, c.mask & width_mask};
}

char initial_state(const Test&) { return kEqual; }

// The walk below costs (states kept) x (tests) per bit. Beyond this many test steps in all (many
// masked tests, or plain tests of both widths by the thousand) it stops: the caller then cannot
// decide, as with too many classes, and the work per call stays bounded whatever the policy.
constexpr std::size_t kMaxWalkSteps = std::size_t{1} << 24;

char next_state(const Test& t, char state, unsigned bit, std::uint64_t chosen) {
  if (bit >= t.width) return state;  // a 32-bit test does not look at the high word
  const std::uint64_t value_bit = (t.value >> bit) & 1U;
  const std::uint64_t seen = ((t.mask >> bit) & 1U) != 0 ? chosen : 0;  // a cleared mask bit reads 0
  if (state != kEqual || seen == value_bit) return state;
  return seen < value_bit ? kBelow : kAbove;
}

bool holds(const Test& t, char state) {
  switch (t.op) {
    case CmpOp::Eq: return state == kEqual;
    case CmpOp::Ne: return state != kEqual;
    case CmpOp::Lt: return state == kBelow;
    case CmpOp::Le: return state != kAbove;
    case CmpOp::Gt: return state == kAbove;
    case CmpOp::Ge: return state != kBelow;
  }
  return false;
}

// The distinct tests of `arg` (sorted: their order changes no class).
std::vector<Test> tests_of(const std::vector<ArgCondition>& conditions, unsigned arg) {
  std::vector<Test> tests;
  for (const ArgCondition& c : conditions) {
    if (c.arg == arg) tests.push_back(normalized(c));
  }
  auto key = [](const Test& t) { return std::tuple(t.op, t.width, t.value, t.mask); };
  std::sort(tests.begin(), tests.end(), [&](const Test& a, const Test& b) { return key(a) < key(b); });
  tests.erase(std::unique(tests.begin(), tests.end(), [&](const Test& a, const Test& b) { return key(a) == key(b); }),
              tests.end());
  return tests;
}

// Plain comparisons (no mask) of one width: a value's truths depend only on where it lies among
// the compared values, so the classes come from one sorted pass, in O(n log n) for n tests
// instead of a walk over 64 bits whose states are as long as the list of tests. The values
// between two compared values form one region, and each compared value one more; regions are
// walked upwards and the first (smallest) value of each class is kept. Two regions have the same
// truths exactly when no <, <=, >, >= flips between them (each flips once, at its value) and
// neither is the point of an == or != test, which holds there only.
bool plain_comparisons(const std::vector<Test>& tests) {
  const std::uint64_t full = tests.front().width == 32 ? std::numeric_limits<std::uint32_t>::max()
                                                       : std::numeric_limits<std::uint64_t>::max();
  return std::all_of(tests.begin(), tests.end(), [&](const Test& t) { return t.width == tests.front().width && t.mask == full; });
}

std::vector<std::uint64_t> plain_representatives(const std::vector<Test>& tests, bool zero_extended_32) {
  // A 32-bit test sees the low word only: the smallest value of a class has a zero high word.
  const std::uint64_t top = tests.front().width == 32 || zero_extended_32 ? std::numeric_limits<std::uint32_t>::max()
                                                                          : std::numeric_limits<std::uint64_t>::max();
  struct Point { bool flip_before = false, flip_after = false, equality = false; };
  std::map<std::uint64_t, Point> points;   // compared values within [0, top]; the others split nothing
  for (const Test& t : tests) {
    if (t.value > top) continue;
    Point& p = points[t.value];
    if (t.op == CmpOp::Lt || t.op == CmpOp::Ge) p.flip_before = true;
    if (t.op == CmpOp::Le || t.op == CmpOp::Gt) p.flip_after = true;
    if (t.op == CmpOp::Eq || t.op == CmpOp::Ne) p.equality = true;
  }
  std::vector<std::uint64_t> out;
  std::size_t flips = 0;
  std::optional<std::size_t> last_region;   // flips count of the last region kept (no point)
  auto region = [&](std::uint64_t first) {
    if (last_region == flips) return;
    last_region = flips;
    out.push_back(first);
  };
  std::uint64_t next = 0;  // the smallest value not yet placed in a region
  bool done = false;
  for (const auto& [value, point] : points) {
    if (value > next) region(next);
    if (point.flip_before) ++flips;
    if (point.equality) out.push_back(value);
    else region(value);
    if (point.flip_after) ++flips;
    if (value == top) { done = true; break; }
    next = value + 1;
  }
  if (!done) region(next);
  return out;
}

}  // namespace

std::optional<std::vector<std::uint64_t>> class_representatives(const std::vector<ArgCondition>& conditions,
                                                                unsigned arg, bool zero_extended_32) {
  const std::vector<Test> tests = tests_of(conditions, arg);
  if (tests.empty()) return std::vector<std::uint64_t>{0};
  if (plain_comparisons(tests)) return plain_representatives(tests, zero_extended_32);
  // state of every test -> the smallest prefix found that leads there
  std::map<std::string, std::uint64_t> level;
  std::string start;
  for (const Test& t : tests) start.push_back(initial_state(t));
  level.emplace(start, 0);
  std::size_t work = 0;
  for (int bit = 63; bit >= 0; --bit) {
    // A zero-extended argument has 0 in its high word (64-bit tests still see those zeros).
    const std::uint64_t highest_choice = zero_extended_32 && bit >= 32 ? 0 : 1;
    work += level.size() * 2 * tests.size();
    if (work > kMaxWalkSteps) return std::nullopt;
    std::map<std::string, std::uint64_t> next;
    for (const auto& [state, prefix] : level) {
      for (std::uint64_t chosen = 0; chosen <= highest_choice; ++chosen) {
        std::string moved = state;
        for (std::size_t i = 0; i < tests.size(); ++i) {
          moved[i] = next_state(tests[i], state[i], static_cast<unsigned>(bit), chosen);
        }
        const std::uint64_t value = prefix | (chosen << bit);
        auto [it, inserted] = next.emplace(moved, value);
        if (!inserted) it->second = std::min(it->second, value);
      }
    }
    if (next.size() > kMaxArgClasses) return std::nullopt;
    level = std::move(next);
  }
  // Different final states may give the same truths (below vs above for `==`): one value each.
  std::map<std::vector<bool>, std::uint64_t> classes;
  for (const auto& [state, value] : level) {
    std::vector<bool> truths;
    for (std::size_t i = 0; i < tests.size(); ++i) truths.push_back(holds(tests[i], state[i]));
    auto [it, inserted] = classes.emplace(truths, value);
    if (!inserted) it->second = std::min(it->second, value);
  }
  std::vector<std::uint64_t> out;
  for (const auto& [truths, value] : classes) out.push_back(value);
  std::sort(out.begin(), out.end());
  return out;
}

std::size_t CallSpace::size() const {
  std::size_t total = 1;
  for (const auto& v : values) {
    if (v.empty()) return 0;
    if (total > std::numeric_limits<std::size_t>::max() / v.size()) return std::numeric_limits<std::size_t>::max();
    total *= v.size();
  }
  return total;
}

bool CallSpace::for_each(const std::function<bool(const std::array<std::uint64_t, 6>&)>& visit) const {
  if (size() == 0) return true;
  std::array<std::size_t, 6> index{};
  std::array<std::uint64_t, 6> args{};
  while (true) {
    for (std::size_t i = 0; i < 6; ++i) args[i] = values[i][index[i]];
    if (!visit(args)) return false;
    std::size_t i = 0;
    while (i < 6 && ++index[i] == values[i].size()) index[i++] = 0;  // odometer
    if (i == 6) return true;
  }
}

std::optional<CallSpace> call_space(const std::vector<ArgCondition>& conditions,
                                    const std::array<std::optional<std::uint64_t>, 6>& fixed,
                                    bool zero_extended_32) {
  CallSpace space;
  for (unsigned arg = 0; arg < 6; ++arg) {
    if (fixed[arg]) {
      space.values[arg] = {*fixed[arg]};
      continue;
    }
    auto values = class_representatives(conditions, arg, zero_extended_32);
    if (!values) return std::nullopt;
    space.values[arg] = std::move(*values);
  }
  if (space.size() > kMaxCalls) return std::nullopt;
  return space;
}

ArgClasses arg_classes(const std::vector<ArgCondition>& conditions, bool zero_extended_32) {
  ArgClasses classes;
  for (unsigned arg = 0; arg < 6; ++arg) classes[arg] = class_representatives(conditions, arg, zero_extended_32);
  return classes;
}

std::optional<CallSpace> call_space(const ArgClasses& classes, const std::array<std::optional<std::uint64_t>, 6>& fixed) {
  CallSpace space;
  for (unsigned arg = 0; arg < 6; ++arg) {
    if (fixed[arg]) {
      space.values[arg] = {*fixed[arg]};
      continue;
    }
    if (!classes[arg]) return std::nullopt;
    space.values[arg] = *classes[arg];
  }
  if (space.size() > kMaxCalls) return std::nullopt;
  return space;
}

}  // namespace policyc::seccomp
