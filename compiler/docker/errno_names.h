// SPDX-License-Identifier: Apache-2.0
// errno names <-> numbers for the Docker bridges ("defaultErrno": "ENOSYS", errno(EPERM) in the
// generated .pol). Taken from the C library (strerrorname_np), so the table is never hand-kept.
#pragma once

#include <optional>
#include <string>

namespace policyc::docker {

std::optional<int> errno_from_name(const std::string& name);  // "EPERM" -> 1
std::string errno_to_name(int value);                         // 1 -> "EPERM"; "" if none

}  // namespace policyc::docker
