// SPDX-License-Identifier: Apache-2.0
#include "compiler/codegen/ranges.h"

#include "compiler/codegen/codegen_rules.h"
#include "compiler/seccomp/abi.h"

#include <linux/seccomp.h>
#include <seccomp.h>

#include <algorithm>
#include <map>
#include <tuple>

namespace policyc::seccomp {
namespace {

constexpr std::uint32_t kX32Bit = 0x40000000U;
constexpr std::uint32_t kSkipNr = 0xffffffffU;  // nr -1

Location location_of(const SourceRef& where) {
  Location loc;
  loc.file = where.file;
  loc.line = where.line;
  loc.column = where.column;
  return loc;
}

// The earlier rules of one syscall, for "does this later rule imply one of them" (then it can
// never decide). A rule with a plain `argN == V` can only be implied by a rule that fixes that
// argument to V too, so it is filed under (N, width, V) and a later rule meets only the rules
// filed under its own `==` tests, plus those without one. At most kMaxShadowChecks of them are
// compared: a rule not proven shadowed is kept, which is always correct, and the work per rule
// stays bounded however many rules the syscall has.
class EarlierRules {
 public:
  bool shadow(const std::vector<ArgCondition>& conditions) const {
    std::size_t checked = 0;
    auto implied = [&](const std::vector<std::size_t>& positions) {
      for (std::size_t i : positions) {
        if (++checked > kMaxShadowChecks) return false;
        if (conditions_imply(conditions, *rules_[i])) return true;
      }
      return false;
    };
    for (const ArgCondition& c : conditions) {
      if (c.op != CmpOp::Eq || is_masked(c)) continue;
      auto it = pinned_.find(pin_of(c));
      if (it != pinned_.end() && implied(it->second)) return true;
    }
    return implied(unpinned_);
  }
  void add(const std::vector<ArgCondition>& conditions) {
    rules_.push_back(&conditions);
    const auto pin = std::find_if(conditions.begin(), conditions.end(),
                                  [](const ArgCondition& c) { return c.op == CmpOp::Eq && !is_masked(c); });
    if (pin == conditions.end()) unpinned_.push_back(rules_.size() - 1);
    else pinned_[pin_of(*pin)].push_back(rules_.size() - 1);
  }

 private:
  static constexpr std::size_t kMaxShadowChecks = 64;
  using Pin = std::tuple<unsigned, unsigned, std::uint64_t>;
  static Pin pin_of(const ArgCondition& c) { return {c.arg, c.width, c.value & width_bits(c)}; }
  std::vector<const std::vector<ArgCondition>*> rules_;
  std::map<Pin, std::vector<std::size_t>> pinned_;
  std::vector<std::size_t> unpinned_;
};

// Orders the rules of one syscall and drops those that cannot change the verdict:
// rules after the first unconditional one, rules that can never hold, always-true
// conditions, and trailing rules whose action equals the fallback.
Outcome reduce_rules(const std::vector<const AbiRule*>& rules, const Action& default_action) {
  Outcome outcome;
  outcome.fallback = default_action;
  std::vector<ArgRule> kept;
  kept.reserve(rules.size());   // EarlierRules points into it
  EarlierRules earlier;
  for (const AbiRule* rule : rules) {
    std::optional<std::vector<ArgCondition>> conditions = simplify_conditions(rule->conditions);
    if (!conditions) continue;  // can never hold
    ArgRule reduced{std::move(*conditions), rule->action};
    if (earlier.shadow(reduced.conditions)) continue;  // an earlier rule always wins
    if (reduced.conditions.empty()) {
      outcome.fallback = reduced.action;
      break;
    }
    kept.push_back(std::move(reduced));
    earlier.add(kept.back().conditions);
  }
  outcome.rules = std::move(kept);
  while (!outcome.rules.empty() && outcome.rules.back().action == outcome.fallback) {
    outcome.rules.pop_back();
  }
  // Only the rules that can change a verdict: a syscall left with none is its fallback, a
  // constant range that merges with equal neighbours (a shorter search, and cacheable).
  outcome.rules = codegen::deciding_rules(outcome);
  return outcome;
}

std::string label_for(std::uint32_t lo, std::uint32_t hi, bool i386) {
  auto name = [i386](std::uint32_t nr) -> std::string {
    const Abi abi = i386 ? Abi::I386 : nr & kX32Bit ? Abi::X32 : Abi::X86_64;
    std::string text = name_on_abi(abi, nr);
    return text.empty() ? std::to_string(nr) : text;
  };
  return lo == hi ? name(lo) : name(lo) + ".." + name(hi);
}

}  // namespace

// (x & m) OP v where x & m ranges over the values whose bits lie in m: from 0 to m. With m == 0
// the left side is 0 and the comparison is decided; otherwise both ends are reachable.
std::optional<bool> constant_truth(const ArgCondition& c) {
  const std::uint64_t v = c.value & width_bits(c), top = c.mask & width_bits(c);
  const bool outside = (v & ~top) != 0;  // v has a bit the masked argument never has
  if (top == 0) return condition_holds(c, {});
  switch (c.op) {
    case CmpOp::Eq: if (outside) return false; break;
    case CmpOp::Ne: if (outside) return true; break;
    case CmpOp::Lt: if (v == 0) return false; if (v > top) return true; break;
    case CmpOp::Le: if (v >= top) return true; break;
    case CmpOp::Gt: if (v >= top) return false; break;
    case CmpOp::Ge: if (v == 0) return true; if (v > top) return false; break;
  }
  return std::nullopt;
}

namespace {

bool check_generatable(const Filter& filter, Diagnostics& diags) {
  if (filter.arches.empty() || filter.arches.front() != "x86_64") {
    diags.error({}, "the policyc seccomp backend generates filters for x86_64 hosts only, but the "
                    "filter's native arch is \"" + (filter.arches.empty() ? std::string("none") : filter.arches.front()) + "\"",
                "use --backend libseccomp for other arches");
    return false;
  }
  for (const std::string& arch : filter.arches) {
    if (arch != "x86_64" && arch != "x32" && arch != "x86") {
      diags.error({}, "the policyc seccomp backend does not support arch \"" + arch + "\"",
                  "an x86_64 host runs x86_64, x32 and x86 (i386) code; drop \"" + arch +
                      "\" from the seccomp block's `arch` list");
      return false;
    }
  }
  for (const Rule& rule : filter.rules) {
    for (const ArgCondition& c : rule.conditions) {
      if (c.arg > 5 || (c.width != 32 && c.width != 64)) {
        diags.error(location_of(rule.where), "rule for \"" + rule.syscall + "\" compares arg" +
                    std::to_string(c.arg) + " with width " + std::to_string(c.width),
                    "syscall arguments are arg0..arg5, compared with width 32 or 64");
        return false;
      }
    }
  }
  return true;
}

using RulesByNumber = std::map<std::uint32_t, std::vector<const AbiRule*>>;  // source order

void add_rules(const std::vector<AbiRule>& rules, RulesByNumber& by_nr) {
  for (const AbiRule& rule : rules) by_nr[rule.nr].push_back(&rule);
}

// What a number no rule names gets, as disjoint segments covering 0..2^32-1: the default
// action; errno(ENOSYS) for numbers newer than the syscall tables (abi.h unknown_numbers)
// when the filter answers them so; on x86_64 without x32, the bad-arch action for x32 numbers
// (0x40000000..0xfffffffe). -1 always gets the default: a tracer sets nr to -1 to skip a
// syscall, and libseccomp (our oracle) lets it reach the default action.
std::vector<Range> background(const Filter& filter, const std::vector<Abi>& abis, bool refuse_x32) {
  const Outcome default_outcome{{}, filter.default_action};
  const Outcome enosys{{}, kUnknownSyscallAction};
  std::vector<NumberRange> unknown;
  if (unknown_numbers_get_enosys(filter)) {
    for (Abi abi : abis) {
      for (const NumberRange& r : unknown_numbers(abi)) unknown.push_back(r);
    }
  }
  std::sort(unknown.begin(), unknown.end(), [](const NumberRange& a, const NumberRange& b) { return a.lo < b.lo; });
  std::vector<Range> out;
  std::uint64_t next = 0;
  for (const NumberRange& r : unknown) {
    if (r.lo > next) out.push_back({static_cast<std::uint32_t>(next), r.lo - 1, default_outcome, {}});
    out.push_back({r.lo, r.hi, enosys, {}});
    next = static_cast<std::uint64_t>(r.hi) + 1;
  }
  if (next <= kSkipNr) out.push_back({static_cast<std::uint32_t>(next), kSkipNr, default_outcome, {}});
  if (!refuse_x32) return out;
  std::vector<Range> refused;  // the same, with [0x40000000, 0xfffffffe] the bad-arch action
  for (const Range& r : out) {
    if (r.lo < kX32Bit) refused.push_back({r.lo, std::min(r.hi, kX32Bit - 1), r.outcome, {}});
  }
  refused.push_back({kX32Bit, kSkipNr - 1, Outcome{{}, filter.bad_arch_action}, {}});
  refused.push_back({kSkipNr, kSkipNr, default_outcome, {}});
  return refused;
}

// Ranges covering 0..2^32-1: the numbers rules name, and between them the background.
std::vector<Range> to_ranges(const RulesByNumber& by_nr, const Filter& filter, const std::vector<Range>& behind,
                             bool i386) {
  std::vector<Range> ranges;
  // lo and hi are syscall numbers (< 2^32); callers count in 64 bits so that 2^32 can end a loop.
  auto append = [&](std::uint64_t wide_lo, std::uint64_t wide_hi, Outcome outcome) {
    const auto lo = static_cast<std::uint32_t>(wide_lo), hi = static_cast<std::uint32_t>(wide_hi);
    if (!ranges.empty() && ranges.back().outcome == outcome && ranges.back().hi + 1 == lo) {
      ranges.back().hi = hi;
    } else {
      ranges.push_back({lo, hi, std::move(outcome), {}});
    }
  };
  auto fill_gap = [&](std::uint64_t lo, std::uint64_t hi) {  // [lo, hi], may be empty
    for (const Range& b : behind) {
      const std::uint64_t from = std::max<std::uint64_t>(lo, b.lo), to = std::min<std::uint64_t>(hi, b.hi);
      if (from <= to) append(from, to, b.outcome);
    }
  };
  std::uint64_t next = 0;
  for (const auto& [nr, rules] : by_nr) {
    if (nr > next) fill_gap(next, static_cast<std::uint64_t>(nr) - 1);
    append(nr, nr, reduce_rules(rules, filter.default_action));
    next = static_cast<std::uint64_t>(nr) + 1;
  }
  fill_gap(next, 0xffffffffULL);
  for (Range& range : ranges) range.label = label_for(range.lo, range.hi, i386);
  return ranges;
}

}  // namespace

std::optional<std::vector<Range>> build_x86_64_ranges(const Filter& filter, Diagnostics& diags) {
  if (!check_generatable(filter, diags)) return std::nullopt;
  const bool x32 = abi_allowed(filter, Abi::X32);
  const std::vector<AbiRule> native = rules_for_abi(filter, Abi::X86_64);
  const std::vector<AbiRule> x32_rules = x32 ? rules_for_abi(filter, Abi::X32) : std::vector<AbiRule>{};
  RulesByNumber by_nr;
  add_rules(native, by_nr);
  add_rules(x32_rules, by_nr);
  const std::vector<Abi> abis = x32 ? std::vector<Abi>{Abi::X86_64, Abi::X32} : std::vector<Abi>{Abi::X86_64};
  return to_ranges(by_nr, filter, background(filter, abis, !x32), false);
}

std::optional<std::vector<Range>> build_i386_ranges(const Filter& filter, Diagnostics& diags) {
  if (!check_generatable(filter, diags)) return std::nullopt;
  if (!abi_allowed(filter, Abi::I386)) return std::vector<Range>{};
  const std::vector<AbiRule> rules = rules_for_abi(filter, Abi::I386);
  RulesByNumber by_nr;
  add_rules(rules, by_nr);
  return to_ranges(by_nr, filter, background(filter, {Abi::I386}, false), true);
}

}  // namespace policyc::seccomp
