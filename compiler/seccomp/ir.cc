// SPDX-License-Identifier: Apache-2.0
// The two views of an action that leave the compiler: the kernel's return value and the text
// humans read in plans and messages.
#include "compiler/seccomp/ir.h"

#include <linux/seccomp.h>

#include <algorithm>
#include <cstdio>
#include <limits>

#include "compiler/seccomp/constants.h"

namespace policyc::seccomp {

// The kernel hands SECCOMP_RET_DATA to the caller for errno (the errno), trace (the tracer's
// event message) and trap (the SIGSYS si_errno); the other actions ignore it.
std::uint32_t seccomp_ret(const Action& action) {
  switch (action.kind) {
    case ActionKind::Allow: return SECCOMP_RET_ALLOW;
    case ActionKind::Errno: return SECCOMP_RET_ERRNO | (action.data & SECCOMP_RET_DATA);
    case ActionKind::KillThread: return SECCOMP_RET_KILL_THREAD;
    case ActionKind::KillProcess: return SECCOMP_RET_KILL_PROCESS;
    case ActionKind::Trap: return SECCOMP_RET_TRAP | (action.data & SECCOMP_RET_DATA);
    case ActionKind::Log: return SECCOMP_RET_LOG;
    case ActionKind::Trace: return SECCOMP_RET_TRACE | (action.data & SECCOMP_RET_DATA);
    case ActionKind::Notify: return SECCOMP_RET_USER_NOTIF;
  }
  return SECCOMP_RET_KILL_PROCESS;  // unreachable; the safest verdict if it ever were
}

std::uint64_t width_bits(const ArgCondition& c) {
  return c.width == 32 ? std::numeric_limits<std::uint32_t>::max() : std::numeric_limits<std::uint64_t>::max();
}

bool is_masked(const ArgCondition& c) { return (c.mask & width_bits(c)) != width_bits(c); }

bool is_masked_eq(const ArgCondition& c) { return c.op == CmpOp::Eq && is_masked(c); }

bool condition_holds(const ArgCondition& c, const std::array<std::uint64_t, 6>& args) {
  const std::uint64_t x = args[c.arg] & c.mask & width_bits(c), v = c.value & width_bits(c);
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

namespace {

const char* op_text(CmpOp op) {
  switch (op) {
    case CmpOp::Eq: return "==";
    case CmpOp::Ne: return "!=";
    case CmpOp::Lt: return "<";
    case CmpOp::Le: return "<=";
    case CmpOp::Gt: return ">";
    case CmpOp::Ge: return ">=";
  }
  return "==";
}

// Small numbers (flags, families, counts) read best in decimal, bit patterns in hex.
std::string number_text(std::uint64_t value) {
  if (value < 0x1000) return std::to_string(value);
  char buffer[24];
  std::snprintf(buffer, sizeof buffer, "0x%llx", static_cast<unsigned long long>(value));
  return buffer;
}

}  // namespace

std::string condition_text(const ArgCondition& c) {
  std::string arg = "arg" + std::to_string(c.arg);
  if (c.width == 32) arg = "u32(" + arg + ")";
  if (is_masked(c)) {
    char mask[24];
    std::snprintf(mask, sizeof mask, "0x%llx", static_cast<unsigned long long>(c.mask & width_bits(c)));
    arg = "(" + arg + " & " + mask + ")";
  }
  return arg + " " + op_text(c.op) + " " + number_text(c.value & width_bits(c));
}

Action ir_verdict(const Filter& filter, int nr, const std::array<std::uint64_t, 6>& args) {
  for (const Rule& rule : filter.rules) {
    if (rule.nr != nr) continue;
    const bool all = std::all_of(rule.conditions.begin(), rule.conditions.end(),
                                 [&](const ArgCondition& c) { return condition_holds(c, args); });
    if (all) return rule.action;
  }
  return filter.default_action;
}

bool allows_arch(const Filter& filter, const std::string& arch) {
  return std::find(filter.arches.begin(), filter.arches.end(), arch) != filter.arches.end();
}

std::string Action::to_string() const {
  switch (kind) {
    case ActionKind::Allow: return "allow";
    case ActionKind::Errno: return "errno(" + errno_name(static_cast<int>(data)) + ")";
    case ActionKind::KillThread: return "kill_thread";
    case ActionKind::KillProcess: return "kill_process";
    case ActionKind::Trap: return data == 0 ? "trap" : "trap(" + std::to_string(data) + ")";
    case ActionKind::Log: return "log";
    case ActionKind::Trace: return "trace(" + std::to_string(data) + ")";
    case ActionKind::Notify: return "notify";
  }
  return "kill_process";
}

}  // namespace policyc::seccomp
