// The two views of an action that leave the compiler: the kernel's return value and the text
// humans read in plans and messages.
#include "compiler/seccomp/ir.h"

#include <linux/seccomp.h>

#include "compiler/seccomp/lower_seccomp.h"

namespace policyc::seccomp {

std::uint32_t Action::to_seccomp_ret() const {
  switch (kind) {
    case ActionKind::Allow: return SECCOMP_RET_ALLOW;
    case ActionKind::Errno: return SECCOMP_RET_ERRNO | (data & SECCOMP_RET_DATA);
    case ActionKind::KillThread: return SECCOMP_RET_KILL_THREAD;
    case ActionKind::KillProcess: return SECCOMP_RET_KILL_PROCESS;
    case ActionKind::Trap: return SECCOMP_RET_TRAP;
    case ActionKind::Log: return SECCOMP_RET_LOG;
    case ActionKind::Trace: return SECCOMP_RET_TRACE | (data & SECCOMP_RET_DATA);
    case ActionKind::Notify: return SECCOMP_RET_USER_NOTIF;
  }
  return SECCOMP_RET_KILL_PROCESS;  // unreachable; the safest verdict if it ever were
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
