#include "plan/source_map.h"

#include <algorithm>
#include <limits>

namespace plan {

bool condition_holds(const SeccompCondition& c, const std::array<std::uint64_t, 6>& args) {
  const std::uint64_t width_mask = c.width == 32 ? std::numeric_limits<std::uint32_t>::max()
                                                 : std::numeric_limits<std::uint64_t>::max();
  const std::uint64_t x = args[c.arg] & width_mask & c.mask.value_or(width_mask), v = c.value & width_mask;
  switch (c.op) {
    case CmpOp::Eq: return x == v;
    case CmpOp::Ne: return x != v;
    case CmpOp::Lt: return x < v;
    case CmpOp::Le: return x <= v;
    case CmpOp::Gt: return x > v;
    case CmpOp::Ge: return x >= v;
  }
  return false;
}

const SeccompRuleSource* deciding_rule(const SeccompSource& source, int nr, const std::array<std::uint64_t, 6>& args) {
  for (const auto& rule : source.rules) {
    if (rule.nr != nr) continue;
    if (std::all_of(rule.conditions.begin(), rule.conditions.end(),
                    [&](const SeccompCondition& c) { return c.arg < 6 && condition_holds(c, args); })) {
      return &rule;
    }
  }
  return nullptr;
}

std::string describe_rule(const SeccompRuleSource& rule) {
  return rule.file + ":" + std::to_string(rule.line) + ": " + rule.action + " " + rule.syscall +
         (rule.conditions.empty() ? "" : " if ...");
}

std::string describe_default(const SeccompSource& source, const std::string& default_action) {
  return source.file + ":" + std::to_string(source.default_line) + ": default " + default_action;
}

}  // namespace plan
