// SPDX-License-Identifier: Apache-2.0
// Named constants for seccomp conditions and errno actions, taken from the system headers'
// own macros (never hand-written numbers), so a policy's AF_INET is exactly what libc and the
// kernel mean.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace policyc::seccomp {

// Named constants usable in conditions (AF_*, CLONE_*, O_*, PROT_*, MAP_*, AT_*, errno names,
// ...): value of `name`, or nullopt. `all_constant_names` feeds did-you-mean.
std::optional<std::uint64_t> constant_value(const std::string& name);
const std::vector<std::string>& all_constant_names();
// errno name -> number ("EPERM" -> 1), or nullopt.
std::optional<int> errno_value(const std::string& name);
std::string errno_name(int value);  // "EPERM", or the number as text when it has no name

// Every errno name the system headers define ("EPERM", "ENOSYS", ...), for did-you-mean.
const std::vector<std::string>& all_errno_names();

}  // namespace policyc::seccomp
