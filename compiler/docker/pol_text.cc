#include "compiler/docker/pol_text.h"

#include <cstdio>

#include "compiler/docker/errno_names.h"

namespace policyc::docker {

using seccomp::ActionKind;
using seccomp::CmpOp;

std::string pol_action(const seccomp::Action& action) {
  switch (action.kind) {
    case ActionKind::Allow: return "allow";
    case ActionKind::Errno: {
      std::string name = errno_to_name(static_cast<int>(action.data));
      return "errno(" + (name.empty() ? std::to_string(action.data) : name) + ")";
    }
    case ActionKind::KillThread: return "kill_thread";
    case ActionKind::KillProcess: return "kill_process";
    case ActionKind::Trap: return "trap";
    case ActionKind::Log: return "log";
    case ActionKind::Trace: return "trace(" + std::to_string(action.data) + ")";
    case ActionKind::Notify: return "notify";
  }
  return "kill_process";
}

// Small numbers (flags, families, counts) read best in decimal, bit patterns in hex.
std::string pol_number(std::uint64_t value) {
  if (value < 0x1000) return std::to_string(value);
  char buffer[24];
  std::snprintf(buffer, sizeof buffer, "0x%llx", static_cast<unsigned long long>(value));
  return buffer;
}

namespace {
const char* op_text(CmpOp op) {
  switch (op) {
    case CmpOp::Eq: case CmpOp::MaskedEq: return "==";
    case CmpOp::Ne: return "!=";
    case CmpOp::Lt: return "<";
    case CmpOp::Le: return "<=";
    case CmpOp::Gt: return ">";
    case CmpOp::Ge: return ">=";
  }
  return "==";
}
std::string hex(std::uint64_t value) {
  char buffer[24];
  std::snprintf(buffer, sizeof buffer, "0x%llx", static_cast<unsigned long long>(value));
  return buffer;
}
}  // namespace

std::string pol_comparison(const seccomp::ArgCondition& condition) {
  std::string arg = "arg" + std::to_string(condition.arg);
  if (condition.width == 32) arg = "u32(" + arg + ")";
  if (condition.op == CmpOp::MaskedEq) {
    return "(" + arg + " & " + hex(condition.mask) + ") == " + pol_number(condition.value);
  }
  return arg + " " + op_text(condition.op) + " " + pol_number(condition.value);
}

std::string pol_conjunction(const std::vector<seccomp::ArgCondition>& conditions) {
  std::string out;
  for (const auto& condition : conditions) out += (out.empty() ? "" : " && ") + pol_comparison(condition);
  return out;
}

}  // namespace policyc::docker
