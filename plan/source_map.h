// SPDX-License-Identifier: Apache-2.0
// Which line of the policy gives the verdict for a call: the source map's rules (plan.h
// SeccompSource) tried with the compiler IR's semantics, so plan-exec can name the rule that
// denied a call without the compiler.
#pragma once

#include <array>
#include <cstdint>
#include <set>
#include <string>

#include "plan/plan.h"

namespace plan {

// True when `args` satisfies `c` (width 32: the low words of both sides only).
bool condition_holds(const SeccompCondition& c, const std::array<std::uint64_t, 6>& args);

// The first rule for the x86_64 call `nr(args)` whose conditions all hold, or nullptr when the
// default action decides. Maps policyc writes list no allow rules (plan.h): ask only about calls
// the filter did not allow, as reports and --learn do.
const SeccompRuleSource* deciding_rule(const SeccompSource& source, int nr, const std::array<std::uint64_t, 6>& args);

// The lowest x86_64 number not in `named`: where the default decides, the number a source map's
// default is checked on (SeccompSource::default_nr).
int lowest_unnamed_number(const std::set<int>& named);

// True when x86_64 number `nr` is newer than policyc's syscall table and the filter answers it
// with `source.unknown_ret` (errno(ENOSYS)) when no rule names it.
bool is_unknown_number(const SeccompSource& source, int nr);

// What decides the x86_64 call `nr(args)`: its return value and the reason a report names, e.g.
// "app.pol:23: errno(EPERM) socket if arg0 == 16", "app.pol:3: default errno(EPERM)", or for a
// number newer than the table "app.pol:3: syscall 463 is newer than policyc's syscall table
// (x86_64 ends at 462): errno(ENOSYS), not the default errno(EPERM)".
struct Decision {
  std::uint32_t ret = 0;
  std::string reason;
};
// As deciding_rule: for calls the filter did not allow.
Decision decide(const SeccompSource& source, const std::string& default_action, int nr,
                const std::array<std::uint64_t, 6>& args);

// How describe_condition writes a mask: Hex always, as the policy language writes masks (policyc's
// messages: "(arg2 & 0xff) > 5"), or AsValue, like the value: decimal below 4096, hex above
// (plan-exec's reports: "(arg2 & 255) > 5").
enum class MaskNotation { Hex, AsValue };

// "arg0 == 16", "(u32(arg1) & 0xf0) != 0": one condition as the rule tests it (numbers, not names;
// a policy's `||` has become several rules, so one rule is an AND of these). The numbers are
// written as they are stored: the caller limits them to the condition's width.
std::string describe_condition(const SeccompCondition& condition, MaskNotation mask = MaskNotation::AsValue);

// "app.pol:23: errno(EPERM) socket if arg0 == 16" for a rule, "app.pol:3: default errno(EPERM)"
// for the default.
std::string describe_rule(const SeccompRuleSource& rule);
std::string describe_default(const SeccompSource& source, const std::string& default_action);

}  // namespace plan
