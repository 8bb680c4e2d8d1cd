// Named constants for seccomp conditions and errno actions, taken from the system headers'
// own macros (never hand-written numbers), so a policy's AF_INET is exactly what libc and the
// kernel mean. lower_seccomp.h exposes the lookups; this header adds the errno name list.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace policyc::seccomp {

// Every errno name the system headers define ("EPERM", "ENOSYS", ...), for did-you-mean.
const std::vector<std::string>& all_errno_names();

}  // namespace policyc::seccomp
