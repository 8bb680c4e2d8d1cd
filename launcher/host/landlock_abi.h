// SPDX-License-Identifier: Apache-2.0
// Landlock's system call interface, as in the kernel's include/uapi/linux/landlock.h (Linux
// 6.12, ABI 6). Spelled out because Debian 12's <linux/landlock.h> (6.1) lacks the network and
// scope fields, and the UAPI headers scripts/deps.sh fetches hold only the syscall tables. The
// access bits themselves are plan/landlock.h's. The kernel reads only the prefix of a struct it
// knows and requires the rest to be zero, so one layout serves every ABI.
#pragma once

#include <cstdint>

namespace launcher {

struct LandlockRulesetAttr {        // struct landlock_ruleset_attr
  std::uint64_t handled_access_fs = 0;
  std::uint64_t handled_access_net = 0;   // ABI 4
  std::uint64_t scoped = 0;               // ABI 6
};

struct __attribute__((packed)) LandlockPathBeneathAttr {  // struct landlock_path_beneath_attr
  std::uint64_t allowed_access = 0;
  std::int32_t parent_fd = -1;
};

struct LandlockNetPortAttr {        // struct landlock_net_port_attr (ABI 4)
  std::uint64_t allowed_access = 0;
  std::uint64_t port = 0;
};

inline constexpr unsigned kLandlockCreateRulesetVersion = 1U << 0;  // LANDLOCK_CREATE_RULESET_VERSION
inline constexpr unsigned kLandlockRulePathBeneath = 1;             // LANDLOCK_RULE_PATH_BENEATH
inline constexpr unsigned kLandlockRuleNetPort = 2;                 // LANDLOCK_RULE_NET_PORT (ABI 4)

}  // namespace launcher
