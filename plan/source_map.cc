// SPDX-License-Identifier: Apache-2.0
#include "plan/source_map.h"

#include <algorithm>
#include <cstdio>
#include <limits>

#include "plan/syscall_table.h"

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

namespace {

std::string hex_text(std::uint64_t value) {
  char text[24];
  std::snprintf(text, sizeof text, "0x%llx", static_cast<unsigned long long>(value));
  return text;
}

// Small numbers (flags, families, counts) read best in decimal, bit patterns in hex.
std::string number(std::uint64_t value) { return value < 4096 ? std::to_string(value) : hex_text(value); }

const char* op_text(CmpOp op) {
  switch (op) {
    case CmpOp::Eq: return "==";
    case CmpOp::Ne: return "!=";
    case CmpOp::Lt: return "<";
    case CmpOp::Le: return "<=";
    case CmpOp::Gt: return ">";
    case CmpOp::Ge: return ">=";
  }
  return "?";
}

}  // namespace

std::string describe_condition(const SeccompCondition& c, MaskNotation notation) {
  std::string arg = "arg" + std::to_string(c.arg);
  if (c.width == 32) arg = "u32(" + arg + ")";
  if (c.mask) arg = "(" + arg + " & " + (notation == MaskNotation::Hex ? hex_text(*c.mask) : number(*c.mask)) + ")";
  return arg + " " + op_text(c.op) + " " + number(c.value);
}

std::string describe_rule(const SeccompRuleSource& rule) {
  std::string text = rule.file + ":" + std::to_string(rule.line) + ": " + rule.action + " " + rule.syscall;
  for (std::size_t i = 0; i < rule.conditions.size(); ++i) {
    text += (i ? " && " : " if ") + describe_condition(rule.conditions[i]);
  }
  return text;
}

std::string describe_default(const SeccompSource& source, const std::string& default_action) {
  return source.file + ":" + std::to_string(source.default_line) + ": default " + default_action;
}

}  // namespace plan

namespace plan {

int lowest_unnamed_number(const std::set<int>& named) {
  int nr = 0;
  while (named.count(nr)) ++nr;
  return nr;
}

bool is_unknown_number(const SeccompSource& source, int nr) {
  return source.unknown_from && source.unknown_ret && nr >= 0 &&
         static_cast<std::uint32_t>(nr) >= *source.unknown_from && static_cast<std::uint32_t>(nr) < kX32SyscallBit;
}

Decision decide(const SeccompSource& source, const std::string& default_action, int nr,
                const std::array<std::uint64_t, 6>& args) {
  if (const SeccompRuleSource* rule = deciding_rule(source, nr, args)) return {rule->ret, describe_rule(*rule)};
  if (is_unknown_number(source, nr)) {
    return {*source.unknown_ret, source.file + ":" + std::to_string(source.default_line) + ": syscall " +
                                     std::to_string(nr) + " is newer than policyc's syscall table (x86_64 ends at " +
                                     std::to_string(*source.unknown_from - 1) + "): errno(ENOSYS), not the default " +
                                     default_action};
  }
  return {source.default_ret, describe_default(source, default_action)};
}

}  // namespace plan
