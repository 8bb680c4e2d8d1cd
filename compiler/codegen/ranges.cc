#include "compiler/codegen/ranges.h"

#include "compiler/codegen/codegen_rules.h"
#include "compiler/seccomp/abi.h"

#include <linux/seccomp.h>
#include <seccomp.h>

#include <algorithm>
#include <map>

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

// Orders the rules of one syscall and drops those that cannot change the verdict:
// rules after the first unconditional one, rules that can never hold, always-true
// conditions, and trailing rules whose action equals the fallback.
Outcome reduce_rules(const std::vector<const AbiRule*>& rules, const Action& default_action) {
  Outcome outcome;
  outcome.fallback = default_action;
  for (const AbiRule* rule : rules) {
    std::optional<std::vector<ArgCondition>> conditions = simplify_conditions(rule->conditions);
    if (!conditions) continue;  // can never hold
    ArgRule reduced{std::move(*conditions), rule->action};
    const bool shadowed = std::any_of(outcome.rules.begin(), outcome.rules.end(), [&](const ArgRule& earlier) {
      return conditions_imply(reduced.conditions, earlier.conditions);  // the earlier rule always wins
    });
    if (shadowed) continue;
    if (reduced.conditions.empty()) {
      outcome.fallback = reduced.action;
      break;
    }
    outcome.rules.push_back(std::move(reduced));
  }
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
    const std::uint32_t arch = i386 ? SCMP_ARCH_X86 : nr & kX32Bit ? SCMP_ARCH_X32 : SCMP_ARCH_X86_64;
    char* text = nr < 0x40001000U ? seccomp_syscall_resolve_num_arch(arch, static_cast<int>(nr)) : nullptr;
    std::string result = text ? std::string(text) : std::to_string(nr);
    free(text);
    return result;
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

// Ranges covering 0..2^32-1: the numbers rules name, and between them the default action,
// or the bad-arch action over [0x40000000, 2^32-2] when x32 calls are refused.
std::vector<Range> to_ranges(const RulesByNumber& by_nr, const Filter& filter, bool refuse_x32, bool i386) {
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
  const Outcome default_outcome{{}, filter.default_action};
  // Without x32, numbers from 0x40000000 get the bad-arch action, except -1: a tracer sets
  // nr to -1 to skip a syscall, and libseccomp (our oracle) lets it reach the default action.
  auto fill_gap = [&](std::uint64_t lo, std::uint64_t hi) {  // [lo, hi], may be empty
    if (lo > hi) return;
    if (refuse_x32 && hi >= kX32Bit) {
      if (lo < kX32Bit) append(lo, kX32Bit - 1, default_outcome);
      const std::uint64_t bad_lo = std::max<std::uint64_t>(lo, kX32Bit), bad_hi = std::min<std::uint64_t>(hi, kSkipNr - 1);
      if (bad_lo <= bad_hi) append(bad_lo, bad_hi, Outcome{{}, filter.bad_arch_action});
      if (hi == kSkipNr) append(kSkipNr, kSkipNr, default_outcome);
    } else {
      append(lo, hi, default_outcome);
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
  return to_ranges(by_nr, filter, !x32, false);
}

std::optional<std::vector<Range>> build_i386_ranges(const Filter& filter, Diagnostics& diags) {
  if (!check_generatable(filter, diags)) return std::nullopt;
  if (!abi_allowed(filter, Abi::I386)) return std::vector<Range>{};
  const std::vector<AbiRule> rules = rules_for_abi(filter, Abi::I386);
  RulesByNumber by_nr;
  add_rules(rules, by_nr);
  return to_ranges(by_nr, filter, false, true);
}

}  // namespace policyc::seccomp
