// SPDX-License-Identifier: Apache-2.0
// How query and diff print what they found: verdicts as the policy language writes actions,
// argument values with the constant names a reader knows for that syscall and argument
// (AF_NETLINK, O_RDONLY|O_CLOEXEC, CLONE_VM|SIGCHLD), and a case's constraints as conditions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "compiler/query/cases.h"

namespace policyc::query {

// "allow", "errno(EPERM)", "kill_process", "trace(7)", "trap", "log", "notify".
std::string ret_text(std::uint32_t ret);

// A number as the policy language writes it: decimal below 0x1000, hex above.
std::string number_text(std::uint64_t value);

// `value` of argument `arg` of `syscall`, by the constants that argument takes, or a number;
// `as_mask`: the value masks the argument, so only its set bits are named.
std::string value_text(const std::string& syscall, unsigned arg, std::uint64_t value, bool as_mask = false);

// The conditions of IR cases (variables = argument indexes): "arg0 == AF_NETLINK",
// "u32(arg1) >= 5", "(arg2 & O_ACCMODE) != O_RDONLY".
std::string arg_constraint_text(const std::string& syscall, const Constraint& constraint);

// The conditions of BPF cases on argument words (variables = seccomp_data words 2..15), the
// two words of an argument read together where they can be ("arg0 == 16").
std::vector<std::string> word_constraints_text(const std::string& syscall, const std::vector<Constraint>& constraints);

}  // namespace policyc::query
