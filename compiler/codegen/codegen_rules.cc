// SPDX-License-Identifier: Apache-2.0
#include "compiler/codegen/codegen_rules.h"

#include <algorithm>
#include <iterator>
#include <map>

#include "compiler/codegen/codegen_valueset.h"

namespace policyc::seccomp::codegen {
namespace {

constexpr std::uint64_t kLowMask = 0xffffffffULL;

// A rule with the fallback's action is dropped when no later rule with another action can hold
// together with it; after this many such later rules it is kept without looking further, so
// the check stays linear in the rules (keeping a rule is always correct, only longer).
constexpr std::size_t kMaxOverlapChecks = 64;

using Bounds = std::pair<std::uint64_t, std::uint64_t>;

// The smallest and largest values `conditions` (one argument, one width, no mask) allow;
// nullopt when they allow none.
std::optional<Bounds> hull(const std::vector<ArgCondition>& conditions, std::uint64_t max) {
  if (conditions.empty()) return std::make_pair(std::uint64_t{0}, max);
  const auto values = values_of(conditions);
  if (!values || values->second.empty()) return std::nullopt;
  return std::make_pair(values->second.front().first, values->second.back().second);
}

// The low words a rule's 64-bit comparisons of `arg` allow, when they fix the high word.
std::optional<Bounds> low_words(const std::vector<ArgCondition>& conditions, unsigned arg) {
  std::vector<ArgCondition> wide;
  for (const ArgCondition& c : conditions) {
    if (c.arg == arg && c.width == 64 && !is_masked(c)) wide.push_back(c);
  }
  if (wide.empty()) return std::nullopt;
  const auto range = hull(wide, ~0ULL);
  if (!range || range->first >> 32 != range->second >> 32) return std::nullopt;
  return std::make_pair(range->first & kLowMask, range->second & kLowMask);
}

// (x & m) == v needs every bit of v set in x, so x >= v: with it, `x > c` for c < v holds.
bool implied_by_a_mask(const ArgCondition& c, const std::vector<ArgCondition>& conditions) {
  if ((c.op != CmpOp::Gt && c.op != CmpOp::Ge) || is_masked(c)) return false;
  const std::uint64_t width_mask = c.width == 32 ? kLowMask : ~0ULL;
  return std::any_of(conditions.begin(), conditions.end(), [&](const ArgCondition& m) {
    if (!is_masked_eq(m) || m.arg != c.arg || m.width != c.width) return false;
    const std::uint64_t least = m.value & m.mask & width_mask, bound = c.value & width_mask;
    return c.op == CmpOp::Gt ? least > bound : least >= bound;
  });
}

// Without the width-32 comparisons that the 64-bit ones already decide: with `arg0 == 7`,
// `u32(arg0) != 0x15d2069c` always holds; and the lower bounds a mask already implies.
std::vector<ArgCondition> without_implied(const std::vector<ArgCondition>& conditions) {
  std::vector<ArgCondition> out;
  for (const ArgCondition& c : conditions) {
    const auto lows = c.width == 32 && !is_masked(c) ? low_words(conditions, c.arg) : std::nullopt;
    const auto allowed = lows ? values_of({c}) : std::nullopt;
    const bool implied = allowed && std::any_of(allowed->second.begin(), allowed->second.end(), [&](const auto& v) {
      return v.first <= lows->first && lows->second <= v.second;
    });
    if (!implied && !implied_by_a_mask(c, conditions)) out.push_back(c);
  }
  return out;
}

// A masked comparison as one on the whole 64-bit argument: a width-32 one tests the low word.
struct WideMask {
  std::uint64_t mask, value;
  explicit WideMask(const ArgCondition& c)
      : mask(c.mask & (c.width == 32 ? kLowMask : ~0ULL)), value(c.value & (c.width == 32 ? kLowMask : ~0ULL)) {}
  bool agrees_with(const WideMask& other) const { return ((value ^ other.value) & mask & other.mask) == 0; }
};

// (x & m1) == v1 && (x & m2) == v2 on one argument is (x & (m1|m2)) == (v1|v2) when the two
// agree on the bits both masks test (else never_holds drops the rule): one `and`/`jset` per
// word instead of one each. A width-32 mask joins a 64-bit one as a mask of the low word.
std::vector<ArgCondition> with_masks_merged(const std::vector<ArgCondition>& conditions) {
  std::vector<ArgCondition> out;
  for (const ArgCondition& c : conditions) {
    auto same = std::find_if(out.begin(), out.end(), [&](const ArgCondition& o) {
      return is_masked_eq(c) && is_masked_eq(o) && o.arg == c.arg;
    });
    if (same == out.end()) {
      out.push_back(c);
      continue;
    }
    const WideMask a(*same), b(c);
    const bool inside = (a.value & ~a.mask) == 0 && (b.value & ~b.mask) == 0;
    if (!inside || !a.agrees_with(b)) {
      out.push_back(c);
      continue;
    }
    *same = {c.arg, CmpOp::Eq, a.value | b.value, a.mask | b.mask, std::max(same->width, c.width)};
  }
  return out;
}

ValueSet all_values(const ArgKey& key) { return {{0, key.width == 32 ? kLowMask : ~0ULL}}; }

ValueSet complement(const ValueSet& set, const ArgKey& key) {
  ValueSet out;
  std::uint64_t next = 0;
  bool open = true;  // values from `next` on are not covered yet
  for (const auto& [lo, hi] : set) {
    if (lo > next) out.push_back({next, lo - 1});
    if (hi == all_values(key)[0].second) open = false;
    else next = hi + 1;
  }
  if (open) out.push_back({next, all_values(key)[0].second});
  return out;
}

enum class Truth { Always, Never, Depends };

// What the failed earlier rules of a syscall say about its arguments: the values each
// (argument, width) can still have when the next rule is tested. A rule whose conditions
// all compare one argument fails exactly when the argument lies outside their values.
// The values are disjoint intervals in a map (lo -> hi): a test or a failed rule touches only
// the intervals its few values overlap, so a long list of `arg0 == K` rules stays linear.
class Reachable {
 public:
  // Whether every, no or some value the argument can still have lies in `held`.
  Truth truth_of(const ArgKey& key, const ValueSet& held) const {
    const Intervals* possible = find(key);
    const Intervals everything = possible ? Intervals{} : to_map(all_values(key));
    if (!possible) possible = &everything;
    const bool some = std::any_of(held.begin(), held.end(), [&](const auto& v) { return overlaps(*possible, v.first, v.second); });
    if (!some) return Truth::Never;
    const ValueSet outside = complement(held, key);
    const bool beyond = std::any_of(outside.begin(), outside.end(), [&](const auto& v) { return overlaps(*possible, v.first, v.second); });
    return beyond ? Truth::Depends : Truth::Always;
  }
  void rule_failed(const std::vector<ArgCondition>& conditions) {
    const auto held = values_of(conditions);
    if (!held) return;
    Intervals* possible = find(held->first);
    if (!possible) {
      known_.emplace_back(held->first, to_map(all_values(held->first)));
      possible = &known_.back().second;
    }
    for (const auto& [lo, hi] : held->second) remove(*possible, lo, hi);
  }

 private:
  using Intervals = std::map<std::uint64_t, std::uint64_t>;

  static Intervals to_map(const ValueSet& set) { return Intervals(set.begin(), set.end()); }
  const Intervals* find(const ArgKey& key) const {
    for (const auto& [k, v] : known_) if (k == key) return &v;
    return nullptr;
  }
  Intervals* find(const ArgKey& key) {
    for (auto& [k, v] : known_) if (k == key) return &v;
    return nullptr;
  }
  static bool overlaps(const Intervals& set, std::uint64_t lo, std::uint64_t hi) {
    auto it = set.upper_bound(hi);   // the first interval starting above hi
    if (it == set.begin()) return false;
    return std::prev(it)->second >= lo;
  }
  static void remove(Intervals& set, std::uint64_t lo, std::uint64_t hi) {
    auto it = set.upper_bound(lo);
    if (it != set.begin() && std::prev(it)->second >= lo) --it;
    std::vector<std::pair<std::uint64_t, std::uint64_t>> kept;   // the parts outside [lo, hi]
    while (it != set.end() && it->first <= hi) {
      if (it->first < lo) kept.emplace_back(it->first, lo - 1);
      if (it->second > hi) kept.emplace_back(hi + 1, it->second);
      it = set.erase(it);
    }
    set.insert(kept.begin(), kept.end());
  }

  std::vector<std::pair<ArgKey, Intervals>> known_;
};

// Whether `c` holds for the values its argument can still have.
Truth truth_of(const ArgCondition& c, const Reachable& reachable) {
  const auto held = values_of({c});
  if (!held) return Truth::Depends;
  return reachable.truth_of(held->first, held->second);
}

// The rules as the code tests them, each only reached when the earlier ones failed: a
// comparison those failures already decide is dropped (after `trap if arg1 >= 0x226ebe34`,
// `arg1 < 0x1000000cd` always holds), a rule they rule out goes, and nothing after a rule
// that always holds is reached. (Only what the kept rules' failures say counts: a dropped
// rule's calls do reach the later rules.)
std::vector<ArgRule> narrowed_by_earlier_failures(const std::vector<ArgRule>& rules, const Action& fallback) {
  std::vector<ArgRule> out;
  Reachable reachable;
  for (const ArgRule& rule : rules) {
    ArgRule narrowed{{}, rule.action};
    bool never = false;
    for (const ArgCondition& c : rule.conditions) {
      const Truth truth = truth_of(c, reachable);
      never = never || truth == Truth::Never;
      if (truth == Truth::Depends) narrowed.conditions.push_back(c);
    }
    if (never) continue;
    if (narrowed.conditions.empty()) {
      // Always holds: later rules are never reached. It keeps its comparisons, so a rule list
      // is never unconditional (ranges.cc turns those into the fallback before calling us).
      out.push_back(rule);
      break;
    }
    out.push_back(narrowed);
    reachable.rule_failed(narrowed.conditions);
  }
  while (!out.empty() && out.back().action == fallback) out.pop_back();  // decides nothing
  return out;
}

}  // namespace

// True when the conditions can provably never all hold, also across widths: a 64-bit range
// whose ends share a high word bounds the low word, and (x & m) == v needs x >= v. (The
// range IR simplifies each width on its own: `u32(arg0) == 93 && arg0 <= 7` gets here.)
bool never_holds(const std::vector<ArgCondition>& conditions) {
  for (unsigned arg = 0; arg < 6; ++arg) {
    std::vector<ArgCondition> wide, narrow, masked;
    for (const ArgCondition& c : conditions) {
      if (c.arg != arg) continue;
      (is_masked(c) ? masked : c.width == 64 ? wide : narrow).push_back(c);
    }
    const auto wide_hull = hull(wide, ~0ULL);
    if (!wide_hull) return true;
    const auto [lo, hi] = *wide_hull;
    if (lo >> 32 == hi >> 32) {  // the low word lies in [lo, hi]'s low words
      narrow.push_back({arg, CmpOp::Ge, lo & kLowMask, kNoMask, 32});
      narrow.push_back({arg, CmpOp::Le, hi & kLowMask, kNoMask, 32});
    }
    const auto narrow_hull = hull(narrow, kLowMask);
    if (!narrow_hull) return true;
    // Only masked equalities from here on; other masked comparisons are left to the code.
    masked.erase(std::remove_if(masked.begin(), masked.end(), [](const ArgCondition& c) { return !is_masked_eq(c); }),
                 masked.end());
    for (std::size_t i = 0; i < masked.size(); ++i) {  // two masks that want a bit both ways
      for (std::size_t j = i + 1; j < masked.size(); ++j) {
        if (!WideMask(masked[i]).agrees_with(WideMask(masked[j]))) return true;
      }
    }
    for (const ArgCondition& c : masked) {
      const std::uint64_t largest = c.width == 32 ? narrow_hull->second : hi;
      if ((c.value & (c.width == 32 ? kLowMask : ~0ULL)) > largest) return true;
    }
  }
  return false;
}

// The rules that can change a verdict. A rule that can never hold is dropped. A rule whose
// action is the fallback's decides nothing when no later rule with another action can hold
// together with it: without it, its calls reach a later rule with the same action or the
// fallback, the same verdict. (libseccomp drops such rules too; testing them costs up to a
// load and a compare per argument word.)
std::vector<ArgRule> deciding_rules(const Outcome& outcome) {
  const auto& rules = outcome.rules;
  // next_other[i]: the first rule after i whose action differs from rule i's (rules.size(): none),
  // so the check below visits only those, not every later rule.
  std::vector<std::size_t> next_other(rules.size(), rules.size());
  for (std::size_t i = rules.size(); i-- > 1;) {
    next_other[i - 1] = rules[i].action == rules[i - 1].action ? next_other[i] : i;
  }
  auto next_with_other_action = [&](std::size_t j, const Action& action) {
    if (j + 1 >= rules.size()) return rules.size();
    return rules[j + 1].action == action ? next_other[j + 1] : j + 1;
  };
  std::vector<ArgRule> kept;
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const ArgRule& rule = rules[i];
    if (never_holds(rule.conditions)) continue;
    bool redundant = rule.action == outcome.fallback;
    std::size_t checked = 0;
    for (std::size_t j = next_other[i]; redundant && j < rules.size(); j = next_with_other_action(j, rule.action)) {
      if (++checked > kMaxOverlapChecks) {
        redundant = false;  // not proven: kept, which is always correct
        break;
      }
      std::vector<ArgCondition> both = rule.conditions;
      both.insert(both.end(), rules[j].conditions.begin(), rules[j].conditions.end());
      redundant = !simplify_conditions(both) || never_holds(both);  // provably never both true
    }
    if (!redundant) kept.push_back({with_masks_merged(without_implied(rule.conditions)), rule.action});
  }
  return narrowed_by_earlier_failures(kept, outcome.fallback);
}

}  // namespace policyc::seccomp::codegen
