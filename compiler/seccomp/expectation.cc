// SPDX-License-Identifier: Apache-2.0
#include "compiler/seccomp/expectation.h"

#include <linux/seccomp.h>

namespace policyc::seccomp {

bool Expectation::accepts(std::uint32_t ret) const {
  if (action) return seccomp_ret(*action) == ret;
  const std::uint32_t kind = ret & SECCOMP_RET_ACTION_FULL;
  return kind == SECCOMP_RET_KILL_THREAD || kind == SECCOMP_RET_KILL_PROCESS;
}

std::string Expectation::verdict_text() const { return action ? action->to_string() : "kill"; }

}  // namespace policyc::seccomp
