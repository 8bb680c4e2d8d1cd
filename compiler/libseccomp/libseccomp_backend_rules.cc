// SPDX-License-Identifier: Apache-2.0
#include "compiler/libseccomp/libseccomp_backend_rules.h"

#include <seccomp.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <string>

namespace policyc::seccomp {
namespace {

constexpr std::uint64_t kMax64 = ~std::uint64_t{0};
constexpr std::uint64_t kMax32 = 0xffffffffULL;
// Bounds the intermediate DNF while negating earlier rules (before it is cut to libseccomp's form).
constexpr std::size_t kMaxIntermediateConjunctions = 4096;

using Conditions = std::vector<ArgCondition>;     // all must hold
using Alternatives = std::vector<Conditions>;     // any may hold

// ---- value sets over one argument ---------------------------------------------------------

struct Interval {
  std::uint64_t lo, hi;  // inclusive
  bool operator==(const Interval&) const = default;
};
using IntervalSet = std::vector<Interval>;  // sorted, disjoint

IntervalSet comparison_set(CmpOp op, std::uint64_t v, std::uint64_t max) {
  switch (op) {
    case CmpOp::Eq: return {{v, v}};
    case CmpOp::Ne: {
      IntervalSet out;
      if (v > 0) out.push_back({0, v - 1});
      if (v < max) out.push_back({v + 1, max});
      return out;
    }
    case CmpOp::Lt: return v == 0 ? IntervalSet{} : IntervalSet{{0, v - 1}};
    case CmpOp::Le: return {{0, v}};
    case CmpOp::Gt: return v >= max ? IntervalSet{} : IntervalSet{{v + 1, max}};
    case CmpOp::Ge: return v > max ? IntervalSet{} : IntervalSet{{v, max}};
  }
  return {{0, max}};
}

IntervalSet intersect(const IntervalSet& a, const IntervalSet& b) {
  IntervalSet out;
  std::size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    std::uint64_t lo = std::max(a[i].lo, b[j].lo);
    std::uint64_t hi = std::min(a[i].hi, b[j].hi);
    if (lo <= hi) out.push_back({lo, hi});
    if (a[i].hi < b[j].hi) ++i;
    else ++j;
  }
  return out;
}

// (arg & mask) == value, with value inside mask.
struct Masked {
  std::uint64_t mask = 0, value = 0;
};

std::optional<Masked> merge(const Masked& a, const Masked& b) {
  if ((a.value & b.mask) != (b.value & a.mask)) return std::nullopt;  // disagree on shared bits
  return Masked{a.mask | b.mask, a.value | b.value};
}

// [lo, hi] as aligned power-of-two blocks, each one masked comparison (CIDR-style).
void add_blocks(std::uint64_t lo, std::uint64_t hi, std::uint64_t domain, std::vector<Masked>& out) {
  while (true) {
    unsigned k = 0;  // the block covers 2^k values
    while (k < 64) {
      std::uint64_t next_span = k + 1 == 64 ? kMax64 : (std::uint64_t{1} << (k + 1)) - 1;
      if ((lo & next_span) != 0 || next_span > hi - lo) break;
      ++k;
    }
    std::uint64_t span = k == 64 ? kMax64 : (std::uint64_t{1} << k) - 1;
    out.push_back({domain & ~span, lo});
    if (hi - lo <= span) return;
    lo += span + 1;
  }
}

std::vector<Masked> blocks_of(const IntervalSet& set, std::uint64_t domain) {
  std::vector<Masked> out;
  for (const Interval& i : set) add_blocks(i.lo, i.hi, domain, out);
  return out;
}

std::vector<Masked> merge_all(const std::vector<Masked>& a, const std::vector<Masked>& b) {
  std::vector<Masked> out;
  for (const Masked& x : a) {
    for (const Masked& y : b) {
      if (auto m = merge(x, y)) out.push_back(*m);
    }
  }
  return out;
}

ArgCondition masked_condition(unsigned arg, const Masked& m) {
  if (m.mask == kMax64) return {arg, CmpOp::Eq, m.value, kNoMask, 64};
  return {arg, CmpOp::Eq, m.value, m.mask, 64};
}

Alternatives intervals_as_conditions(unsigned arg, const IntervalSet& set) {
  Alternatives out;
  for (const Interval& i : set) {
    if (i.lo == i.hi) out.push_back({{arg, CmpOp::Eq, i.lo, kNoMask, 64}});
    else if (i.lo == 0) out.push_back({{arg, CmpOp::Le, i.hi, kNoMask, 64}});
    else if (i.hi == kMax64) out.push_back({{arg, CmpOp::Ge, i.lo, kNoMask, 64}});
    else {
      for (const Masked& m : blocks_of({i}, kMax64)) out.push_back({masked_condition(arg, m)});
    }
  }
  return out;
}

// All comparisons of one argument (any widths, any number) -> alternatives of at most one
// 64-bit comparison each. Empty result: the comparisons contradict each other.
Alternatives reduce_arg(unsigned arg, const Conditions& conditions, LibseccompForm form) {
  if (form == LibseccompForm::NativeRanges && conditions.size() == 1 && conditions[0].width == 64 &&
      conditions[0].op == CmpOp::Ne) {
    return {{conditions[0]}};  // libseccomp's own != : one rule instead of two ranges
  }
  IntervalSet r64{{0, kMax64}}, r32{{0, kMax32}};
  std::optional<Masked> masked = Masked{};
  for (const ArgCondition& c : conditions) {
    std::uint64_t width_mask = c.width == 32 ? kMax32 : kMax64;
    std::uint64_t value = c.value & width_mask;
    if (is_masked_eq(c)) {
      std::uint64_t mask = c.mask & width_mask;
      if ((value & ~mask) != 0) return {};
      if (masked) masked = merge(*masked, {mask, value});
    } else if (c.width == 32 && c.op == CmpOp::Eq) {
      if (masked) masked = merge(*masked, {kMax32, value});
    } else if (c.width == 32) {
      r32 = intersect(r32, comparison_set(c.op, value, kMax32));
    } else {
      r64 = intersect(r64, comparison_set(c.op, value, kMax64));
    }
  }
  if (!masked || r64.empty() || r32.empty()) return {};
  if (r32.size() == 1 && r32[0].lo == r32[0].hi) {
    masked = merge(*masked, {kMax32, r32[0].lo});
    if (!masked) return {};
    r32 = {{0, kMax32}};
  }
  bool has64 = !(r64 == IntervalSet{{0, kMax64}});
  bool has32 = !(r32 == IntervalSet{{0, kMax32}});
  bool has_mask = masked->mask != 0;
  if (has64 && r64.size() == 1 && r64[0].lo == r64[0].hi) {  // one value: test the rest on it
    std::uint64_t x = r64[0].lo;
    bool in32 = !intersect(r32, {{x & kMax32, x & kMax32}}).empty();
    if (!in32 || (x & masked->mask) != masked->value) return {};
    return {{{arg, CmpOp::Eq, x, kNoMask, 64}}};
  }
  if (!has64 && !has32 && !has_mask) return {{}};
  if (has64 && !has32 && !has_mask && form == LibseccompForm::NativeRanges) {
    return intervals_as_conditions(arg, r64);
  }
  std::vector<Masked> acc{*masked};
  if (has64) acc = merge_all(acc, blocks_of(r64, kMax64));
  if (has32) acc = merge_all(acc, blocks_of(r32, kMax32));
  Alternatives out;
  for (const Masked& m : acc) out.push_back({masked_condition(arg, m)});
  return out;
}

// A conjunction (several comparisons per argument allowed) -> libseccomp-form alternatives.
Alternatives reduce(const Conditions& conjunction, LibseccompForm form) {
  Alternatives result{{}};
  for (unsigned arg = 0; arg < 6; ++arg) {
    Conditions on_arg;
    for (const ArgCondition& c : conjunction) {
      if (c.arg == arg) on_arg.push_back(c);
    }
    if (on_arg.empty()) continue;
    Alternatives options = reduce_arg(arg, on_arg, form);
    if (options.empty()) return {};
    Alternatives next;
    for (const Conditions& left : result) {
      for (const Conditions& right : options) {
        Conditions both = left;
        both.insert(both.end(), right.begin(), right.end());
        next.push_back(std::move(both));
      }
    }
    result = std::move(next);
    if (result.size() > kMaxIntermediateConjunctions) return result;  // caller reports the size
  }
  return result;
}

bool satisfiable(const Conditions& conjunction) {
  for (unsigned arg = 0; arg < 6; ++arg) {
    Conditions on_arg;
    for (const ArgCondition& c : conjunction) {
      if (c.arg == arg) on_arg.push_back(c);
    }
    if (!on_arg.empty() && reduce_arg(arg, on_arg, LibseccompForm::NativeRanges).empty()) return false;
  }
  return true;
}

// !(c1 && c2 && ...) as alternatives of single comparisons. Empty conjunction -> never true.
Alternatives negate(const Conditions& conjunction) {
  Alternatives out;
  for (const ArgCondition& c : conjunction) {
    if (!is_masked_eq(c)) {
      ArgCondition n = c;
      switch (c.op) {
        case CmpOp::Eq: n.op = CmpOp::Ne; break;
        case CmpOp::Ne: n.op = CmpOp::Eq; break;
        case CmpOp::Lt: n.op = CmpOp::Ge; break;
        case CmpOp::Le: n.op = CmpOp::Gt; break;
        case CmpOp::Gt: n.op = CmpOp::Le; break;
        case CmpOp::Ge: n.op = CmpOp::Lt; break;
      }
      out.push_back({n});
      continue;
    }
    std::uint64_t width_mask = c.width == 32 ? kMax32 : kMax64;
    std::uint64_t mask = c.mask & width_mask, value = c.value & width_mask;
    if ((value & ~mask) != 0) return {{}};  // c never holds, so its negation always does
    for (unsigned bit = 0; bit < 64; ++bit) {  // some bit under the mask differs
      std::uint64_t b = std::uint64_t{1} << bit;
      if (mask & b) out.push_back({{c.arg, CmpOp::Eq, ~value & b, b, 64}});
    }
  }
  return out;
}

Location location_of(const Rule& rule) {
  return {rule.where.file, rule.where.line, rule.where.column, 1};
}

// The rules of one syscall, in order, up to and including its first unconditional rule.
std::vector<const Rule*> live_rules(const std::vector<const Rule*>& rules) {
  std::vector<const Rule*> out;
  for (const Rule* r : rules) {
    out.push_back(r);
    if (r->conditions.empty()) break;
  }
  return out;
}

bool lower_syscall_in(const std::vector<const Rule*>& all, const Action& default_action, LibseccompForm form,
                      std::vector<LibseccompRule>& out, Diagnostics& diags) {
  std::vector<const Rule*> rules = live_rules(all);
  std::size_t emitted = 0;
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const Rule& rule = *rules[i];
    if (rule.action == default_action) continue;  // shields later rules through their negation
    Alternatives effective{rule.conditions};
    for (std::size_t j = 0; j < i && !effective.empty(); ++j) {
      if (rules[j]->action == rule.action) continue;
      Alternatives negation = negate(rules[j]->conditions);
      Alternatives next;
      for (const Conditions& left : effective) {
        for (const Conditions& right : negation) {
          Conditions both = left;
          both.insert(both.end(), right.begin(), right.end());
          if (satisfiable(both)) next.push_back(std::move(both));
        }
        if (next.size() > kMaxIntermediateConjunctions) break;
      }
      effective = std::move(next);
      if (effective.size() > kMaxIntermediateConjunctions) {
        diags.error(location_of(rule),
                    "the libseccomp backend cannot express this rule for " + rule.syscall +
                        " after the earlier rule at line " + std::to_string(rules[j]->where.line) +
                        " without over " + std::to_string(kMaxIntermediateConjunctions) + " rules",
                    "simplify the overlapping conditions, or use the policyc backend");
        return false;
      }
    }
    for (const Conditions& conjunction : effective) {
      for (Conditions& conditions : reduce(conjunction, form)) {
        out.push_back({rule.nr, rule.action, std::move(conditions), &rule});
        if (++emitted > kMaxLibseccompRulesPerSyscall) {
          diags.error(location_of(rule),
                      "the libseccomp backend needs over " + std::to_string(kMaxLibseccompRulesPerSyscall) +
                          " rules to keep the first-match order of the rules for " + rule.syscall,
                      "the conditions overlap in ways libseccomp cannot merge compactly; simplify "
                      "them, or use the policyc backend");
          return false;
        }
      }
    }
  }
  return true;
}

// Auto: ranges as <= / >= where the syscall gets a single libseccomp rule (nothing to merge);
// when its rules must be merged, equality nodes only, unless that takes more rules than the
// limit (a 64-bit `>= 11` is 62 blocks): then the compact form, which the caller's
// translation check and deadline guard.
bool lower_syscall(const std::vector<const Rule*>& all, const Action& default_action, LibseccompForm form,
                   std::vector<LibseccompRule>& out, Diagnostics& diags) {
  if (form != LibseccompForm::Auto) return lower_syscall_in(all, default_action, form, out, diags);
  std::vector<LibseccompRule> compact;
  if (!lower_syscall_in(all, default_action, LibseccompForm::NativeRanges, compact, diags)) return false;
  if (compact.size() > 1) {
    std::vector<LibseccompRule> equality;
    Diagnostics scratch;
    if (lower_syscall_in(all, default_action, LibseccompForm::EqualityOnly, equality, scratch)) {
      compact = std::move(equality);
    }
  }
  out.insert(out.end(), compact.begin(), compact.end());
  return true;
}


// What libseccomp 2.5 cannot take at all: masked comparisons other than == (it has
// SCMP_CMP_MASKED_EQ only) and trap with a number (its SCMP_ACT_TRAP carries none).
bool expressible(const Filter& filter, Diagnostics& diags) {
  bool ok = true;
  auto check_action = [&](const Action& action, const Location& where, const std::string& what) {
    if (action.kind != ActionKind::Trap || action.data == 0) return;
    diags.error(where, "the libseccomp backend cannot build " + what + ": libseccomp's trap action carries no number",
                "use the policyc backend (the default), or write `trap` (si_errno 0)");
    ok = false;
  };
  check_action(filter.default_action, {}, "the default action " + filter.default_action.to_string());
  check_action(filter.bad_arch_action, {}, "the action for other arches " + filter.bad_arch_action.to_string());
  for (const Rule& rule : filter.rules) {
    check_action(rule.action, location_of(rule), "the rule for " + rule.syscall + " (" + rule.action.to_string() + ")");
    char* known = rule.nr >= 0 ? seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86_64, rule.nr) : nullptr;
    std::free(known);
    if (rule.nr >= 0 && known == nullptr && filter.arches.size() > 1) {
      diags.error(location_of(rule), "the libseccomp backend cannot build the rule for syscall number " +
                                         std::to_string(rule.nr) + ": libseccomp does not know it, and cannot place "
                                         "it in a filter that also serves " + filter.arches[1],
                  "use the policyc backend (the default)");
      ok = false;
    }
    for (const ArgCondition& c : rule.conditions) {
      if (!is_masked(c) || c.op == CmpOp::Eq) continue;
      diags.error(location_of(rule), "the libseccomp backend cannot build the rule for " + rule.syscall + ": `" +
                                         condition_text(c) + "` compares a masked argument with something other than ==",
                  "libseccomp has SCMP_CMP_MASKED_EQ only; use the policyc backend (the default)");
      ok = false;
      break;
    }
  }
  return ok;
}

}  // namespace

std::optional<std::vector<LibseccompRule>> to_libseccomp_rules(const Filter& filter, LibseccompForm form,
                                                               Diagnostics& diags) {
  if (!expressible(filter, diags)) return std::nullopt;
  std::map<int, std::vector<const Rule*>> by_syscall;
  for (const Rule& rule : filter.rules) by_syscall[rule.nr].push_back(&rule);
  std::vector<LibseccompRule> out;
  bool ok = true;
  for (const auto& [nr, rules] : by_syscall) {
    // A negative nr is libseccomp's pseudo number of a call that exists on another listed
    // arch only (socketcall): libseccomp places it there itself.
    if (nr == -1) {
      diags.error(location_of(*rules.front()), "internal: syscall " + rules.front()->syscall + " has no number",
                  "this is a bug in policyc's lowering; please report it");
      ok = false;
      continue;
    }
    ok = lower_syscall(rules, filter.default_action, form, out, diags) && ok;
  }
  if (!ok) return std::nullopt;
  return out;
}

}  // namespace policyc::seccomp
