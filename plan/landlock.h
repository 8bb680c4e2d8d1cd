// SPDX-License-Identifier: Apache-2.0
// Landlock's access rights as both binaries name them: policyc turns the policy's keywords into
// these bits, plan-exec compares them with the running kernel's ABI and names the ones it cannot
// enforce. The bit values are the kernel's (include/uapi/linux/landlock.h, Linux 6.12): they are
// part of the plan's schema, so they are spelled out here instead of taken from the installed
// <linux/landlock.h> (Debian 12's linux-libc-dev 6.1 has no network rights, ioctl_dev or scopes).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace plan {

// Which of landlock_ruleset_attr's three fields a right belongs to.
enum class LandlockClass { Fs, Net, Scope };

struct LandlockRight {
  const char* name;      // "read_file": the kernel's name without LANDLOCK_ACCESS_FS_ / _NET_ / SCOPE_
  LandlockClass klass;
  std::uint64_t bit;
  int abi;               // the first Landlock ABI that knows it
};

// Every right policyc knows, in the kernel's bit order per class.
const std::vector<LandlockRight>& landlock_rights();
const LandlockRight* find_landlock_right(const std::string& name);

// The newest ABI whose rights policyc knows (ABI 7 added audit flags only, no right).
inline constexpr int kLandlockNewestRightsAbi = 6;

// All rights of `klass` that ABI `abi` knows.
std::uint64_t landlock_rights_up_to(LandlockClass klass, int abi);
// The newest ABI among the bits of `mask` (1 for an empty mask).
int landlock_abi_of(LandlockClass klass, std::uint64_t mask);
// "read_file, read_dir" for the bits of `mask`; unknown bits as hex.
std::string landlock_right_names(LandlockClass klass, std::uint64_t mask);
// Bits of `mask` that policyc does not know for `klass`.
std::uint64_t landlock_unknown_bits(LandlockClass klass, std::uint64_t mask);

// A policy keyword ("read", "write", "execute", "ioctl_dev", or a single right's name such as
// "make_dir") -> the filesystem rights it grants; nullopt for a word that names none.
std::optional<std::uint64_t> landlock_fs_keyword(const std::string& keyword);
// The words landlock_fs_keyword() knows, for suggestions and docs.
std::vector<std::string> landlock_fs_keywords();

inline constexpr std::uint64_t kLandlockNetBindTcp = 1ULL << 0;
inline constexpr std::uint64_t kLandlockNetConnectTcp = 1ULL << 1;
inline constexpr std::uint64_t kLandlockScopeAbstractUnix = 1ULL << 0;
inline constexpr std::uint64_t kLandlockScopeSignal = 1ULL << 1;
inline constexpr std::uint64_t kLandlockFsExecute = 1ULL << 0;
inline constexpr std::uint64_t kLandlockFsReadFile = 1ULL << 2;

}  // namespace plan
