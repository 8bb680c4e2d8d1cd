// SPDX-License-Identifier: Apache-2.0
// The two views of an action that leave the compiler: the kernel's return value and the text
// humans read in plans and messages.
#include "compiler/seccomp/ir.h"

#include <linux/seccomp.h>

#include <algorithm>
#include <limits>

#include "compiler/seccomp/constants.h"
#include "plan/source_map.h"

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

// plan-exec's source map and the IR must agree on which rule decides a call: one evaluation.
bool condition_holds(const ArgCondition& c, const std::array<std::uint64_t, 6>& args) {
  return plan::condition_holds(plan_condition(c), args);
}

plan::SeccompCondition plan_condition(const ArgCondition& c) {
  plan::SeccompCondition out;
  out.arg = c.arg;
  out.value = c.value;
  out.width = c.width;
  switch (c.op) {
    case CmpOp::Eq: out.op = plan::CmpOp::Eq; break;
    case CmpOp::Ne: out.op = plan::CmpOp::Ne; break;
    case CmpOp::Lt: out.op = plan::CmpOp::Lt; break;
    case CmpOp::Le: out.op = plan::CmpOp::Le; break;
    case CmpOp::Gt: out.op = plan::CmpOp::Gt; break;
    case CmpOp::Ge: out.op = plan::CmpOp::Ge; break;
  }
  if (is_masked(c)) out.mask = c.mask;
  return out;
}

// The plan's rendering, with the numbers cut to the condition's width (what it compares) and the
// mask in hex, as a policy writes it.
std::string condition_text(const ArgCondition& c) {
  plan::SeccompCondition shown = plan_condition(c);
  shown.value &= width_bits(c);
  if (shown.mask) *shown.mask &= width_bits(c);
  return plan::describe_condition(shown, plan::MaskNotation::Hex);
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
