// SPDX-License-Identifier: Apache-2.0
// Spelling IR actions and conditions in the policy language (the agreed seccomp syntax), for
// the importer's output and for messages.
#pragma once

#include <string>
#include <vector>

#include "compiler/seccomp/ir.h"

namespace policyc::docker {

std::string pol_action(const seccomp::Action& action);        // "errno(EPERM)", "trace(3)"
std::string pol_number(std::uint64_t value);                   // 38, 0x7e020000
std::string pol_comparison(const seccomp::ArgCondition& condition);  // "(arg0 & 0x7e020000) == 0"
std::string pol_conjunction(const std::vector<seccomp::ArgCondition>& conditions);  // "a && b"

}  // namespace policyc::docker
