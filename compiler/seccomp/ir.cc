// The two views of an action that leave the compiler: the kernel's return value and the text
// humans read in plans and messages.
#include "compiler/seccomp/ir.h"

#include <linux/seccomp.h>

#include <algorithm>
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

bool condition_holds(const ArgCondition& c, const std::array<std::uint64_t, 6>& args) {
  const std::uint64_t width_mask = c.width == 32 ? std::numeric_limits<std::uint32_t>::max()
                                                 : std::numeric_limits<std::uint64_t>::max();
  const std::uint64_t x = args[c.arg] & width_mask, v = c.value & width_mask;
  switch (c.op) {
    case CmpOp::Eq: return x == v;
    case CmpOp::Ne: return x != v;
    case CmpOp::Lt: return x < v;
    case CmpOp::Le: return x <= v;
    case CmpOp::Gt: return x > v;
    case CmpOp::Ge: return x >= v;
    case CmpOp::MaskedEq: return (x & c.mask & width_mask) == v;
  }
  return false;
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
    case ActionKind::Trap: return "trap";
    case ActionKind::Log: return "log";
    case ActionKind::Trace: return "trace(" + std::to_string(data) + ")";
    case ActionKind::Notify: return "notify";
  }
  return "kill_process";
}

}  // namespace policyc::seccomp
