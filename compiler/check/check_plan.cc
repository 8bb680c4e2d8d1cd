// SPDX-License-Identifier: Apache-2.0
// The last check of policyc: the lowered plan against the rules plan-exec enforces on load.
#include "compiler/check/check.h"
#include "plan/rules.h"

namespace policyc::check {

bool check_lowered_plan(const plan::Plan& plan, const Location& where, Diagnostics& diags) {
  const auto broken = plan::check_plan(plan);
  for (const auto& rule : broken) {
    diags.error(where, "the plan would break a rule plan-exec enforces: " + rule.text(),
                "this is a policyc bug (a check missed it); please report the policy");
  }
  return broken.empty();
}

}  // namespace policyc::check
