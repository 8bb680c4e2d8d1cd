// SPDX-License-Identifier: Apache-2.0
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
    case ActionKind::Trap: return action.data == 0 ? "trap" : "trap(" + std::to_string(action.data) + ")";
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

std::string pol_comparison(const seccomp::ArgCondition& condition) { return seccomp::condition_text(condition); }

std::string pol_conjunction(const std::vector<seccomp::ArgCondition>& conditions) {
  std::string out;
  for (const auto& condition : conditions) out += (out.empty() ? "" : " && ") + pol_comparison(condition);
  return out;
}

}  // namespace policyc::docker
