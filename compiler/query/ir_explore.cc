// SPDX-License-Identifier: Apache-2.0
#include "compiler/query/ir_explore.h"

#include <algorithm>
#include <limits>

namespace policyc::query {
namespace {

constexpr long kMaxMasks = 14;

class IrExplorer {
 public:
  IrExplorer(const KeepCase& keep, std::size_t budget) : keep_(keep), budget_(budget) {}

  std::vector<Case> explore(std::vector<IrSide> sides) {
    for (IrSide& side : sides) {
      // Rules after one that always holds are never reached.
      const auto always = std::find_if(side.rules.begin(), side.rules.end(), [](const IrRule& r) { return r.conditions.empty(); });
      if (always != side.rules.end()) side.rules.erase(always + 1, side.rules.end());
    }
    const std::optional<unsigned> arg = first_tested_argument(sides);
    if (!arg) return leaf(sides);
    std::vector<Test> tests;
    for (const IrSide& side : sides) {
      for (const IrRule& rule : side.rules) {
        for (const auto& c : rule.conditions) {
          if (c.arg == *arg) tests.push_back(to_test(c));
        }
      }
    }
    // Differently masked tests are cut by their joint truth values, which grow with 2^masks.
    std::vector<std::uint64_t> masks;
    for (const Test& t : tests) masks.push_back(t.mask);
    std::sort(masks.begin(), masks.end());
    if (std::unique(masks.begin(), masks.end()) - masks.begin() > kMaxMasks) {
      throw QueryError{"one syscall's rules test arg" + std::to_string(*arg) + " under more than " + std::to_string(kMaxMasks) +
                       " different masks; query/diff cannot cut that argument (merge the masks into fewer tests)"};
    }
    const Partition split = partition(std::move(tests), ~0ULL);
    if (split.classes.size() > budget_) throw QueryError{"more argument cases than the limit; simplify the rules of this syscall"};
    budget_ -= split.classes.size();
    std::vector<std::vector<Case>> children;
    for (const ValueClass& cls : split.classes) {
      std::array<std::optional<std::uint64_t>, 6> known{};
      known[*arg] = cls.witness;
      std::vector<IrSide> settled = sides;
      for (IrSide& side : settled) fix_arguments(side, known);
      children.push_back(explore(std::move(settled)));
    }
    return merge_split(*arg, split, children);
  }

 private:
  static std::optional<unsigned> first_tested_argument(const std::vector<IrSide>& sides) {
    std::optional<unsigned> first;
    for (const IrSide& side : sides) {
      for (const IrRule& rule : side.rules) {
        for (const auto& c : rule.conditions) {
          if (!first || c.arg < *first) first = c.arg;
        }
      }
    }
    return first;
  }

  std::vector<Case> leaf(const std::vector<IrSide>& sides) const {
    Case out;
    for (const IrSide& side : sides) out.outcomes.push_back(side.rules.empty() ? side.fallback : side.rules.front().outcome);
    if (!keep_(out.outcomes)) return {};
    return {out};
  }

  const KeepCase& keep_;
  std::size_t budget_;
};

}  // namespace

Test to_test(const seccomp::ArgCondition& c) {
  const std::uint64_t width = c.width == 32 ? std::numeric_limits<std::uint32_t>::max() : ~0ULL;
  Test t;
  t.value = c.value & width;
  t.mask = c.mask & width;
  switch (c.op) {
    case seccomp::CmpOp::Eq: t.cmp = Cmp::Eq; break;
    case seccomp::CmpOp::Ne: t.cmp = Cmp::Ne; break;
    case seccomp::CmpOp::Lt: t.cmp = Cmp::Lt; break;
    case seccomp::CmpOp::Le: t.cmp = Cmp::Le; break;
    case seccomp::CmpOp::Gt: t.cmp = Cmp::Gt; break;
    case seccomp::CmpOp::Ge: t.cmp = Cmp::Ge; break;
  }
  return t;
}

IrSide ir_side(const std::vector<seccomp::AbiRule>& abi_rules, std::uint32_t nr, const seccomp::Filter& filter,
               seccomp::Abi abi) {
  const bool named = std::any_of(abi_rules.begin(), abi_rules.end(), [&](const seccomp::AbiRule& r) { return r.nr == nr; });
  // A number newer than the syscall table that no rule names gets errno(ENOSYS) (abi.h).
  if (!named && seccomp::unknown_numbers_get_enosys(filter) && seccomp::is_unknown_number(abi, nr)) {
    return ir_side(abi_rules, nr, seccomp::seccomp_ret(seccomp::kUnknownSyscallAction));
  }
  return ir_side(abi_rules, nr, seccomp::seccomp_ret(filter.default_action));
}

IrSide ir_side(const std::vector<seccomp::AbiRule>& abi_rules, std::uint32_t nr, std::uint32_t fallback) {
  IrSide side;
  side.fallback = {fallback, nullptr};
  for (const seccomp::AbiRule& rule : abi_rules) {
    if (rule.nr == nr) side.rules.push_back({rule.conditions, {seccomp::seccomp_ret(rule.action), rule.source}});
  }
  return side;
}

void fix_arguments(IrSide& side, const std::array<std::optional<std::uint64_t>, 6>& known) {
  std::vector<IrRule> kept;
  for (IrRule& rule : side.rules) {
    bool fails = false;
    std::vector<seccomp::ArgCondition> open;
    for (const auto& c : rule.conditions) {
      if (!known[c.arg]) {
        open.push_back(c);
      } else if (!holds(to_test(c), *known[c.arg])) {
        fails = true;
      }
    }
    if (fails) continue;
    rule.conditions = std::move(open);
    kept.push_back(std::move(rule));
  }
  side.rules = std::move(kept);
}

std::vector<Case> explore_ir(const std::vector<IrSide>& sides, const KeepCase& keep, std::size_t budget) {
  IrExplorer explorer(keep, budget);
  return explorer.explore(sides);
}

}  // namespace policyc::query
