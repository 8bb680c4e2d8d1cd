#include "compiler/seccomp/codegen_rules.h"

#include <algorithm>

#include "compiler/seccomp/codegen_valueset.h"

namespace policyc::seccomp::codegen {
namespace {

constexpr std::uint64_t kLowMask = 0xffffffffULL;

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
    if (c.arg == arg && c.width == 64 && c.op != CmpOp::MaskedEq) wide.push_back(c);
  }
  if (wide.empty()) return std::nullopt;
  const auto range = hull(wide, ~0ULL);
  if (!range || range->first >> 32 != range->second >> 32) return std::nullopt;
  return std::make_pair(range->first & kLowMask, range->second & kLowMask);
}

// Without the width-32 comparisons that the 64-bit ones already decide: with `arg0 == 7`,
// `u32(arg0) != 0x15d2069c` always holds.
std::vector<ArgCondition> without_implied(const std::vector<ArgCondition>& conditions) {
  std::vector<ArgCondition> out;
  for (const ArgCondition& c : conditions) {
    const auto lows = c.width == 32 && c.op != CmpOp::MaskedEq ? low_words(conditions, c.arg) : std::nullopt;
    const auto allowed = lows ? values_of({c}) : std::nullopt;
    const bool implied = allowed && std::any_of(allowed->second.begin(), allowed->second.end(), [&](const auto& v) {
      return v.first <= lows->first && lows->second <= v.second;
    });
    if (!implied) out.push_back(c);
  }
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
      (c.op == CmpOp::MaskedEq ? masked : c.width == 64 ? wide : narrow).push_back(c);
    }
    const auto wide_hull = hull(wide, ~0ULL);
    if (!wide_hull) return true;
    const auto [lo, hi] = *wide_hull;
    if (lo >> 32 == hi >> 32) {  // the low word lies in [lo, hi]'s low words
      narrow.push_back({arg, CmpOp::Ge, lo & kLowMask, 0, 32});
      narrow.push_back({arg, CmpOp::Le, hi & kLowMask, 0, 32});
    }
    const auto narrow_hull = hull(narrow, kLowMask);
    if (!narrow_hull) return true;
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
  std::vector<ArgRule> kept;
  for (std::size_t i = 0; i < outcome.rules.size(); ++i) {
    const ArgRule& rule = outcome.rules[i];
    if (never_holds(rule.conditions)) continue;
    bool redundant = rule.action == outcome.fallback;
    for (std::size_t j = i + 1; redundant && j < outcome.rules.size(); ++j) {
      if (outcome.rules[j].action == rule.action) continue;
      std::vector<ArgCondition> both = rule.conditions;
      both.insert(both.end(), outcome.rules[j].conditions.begin(), outcome.rules[j].conditions.end());
      redundant = !simplify_conditions(both) || never_holds(both);  // provably never both true
    }
    if (!redundant) kept.push_back({without_implied(rule.conditions), rule.action});
  }
  return kept;
}

}  // namespace policyc::seccomp::codegen
