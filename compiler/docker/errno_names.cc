// SPDX-License-Identifier: Apache-2.0
#include "compiler/docker/errno_names.h"

#include <cstring>

namespace policyc::docker {
namespace {
constexpr int kLargestErrno = 4095;  // seccomp's errno data field limit
}

std::optional<int> errno_from_name(const std::string& name) {
  // glibc knows a few aliases by other names (ENOTSUP == EOPNOTSUPP, EWOULDBLOCK == EAGAIN,
  // EDEADLOCK == EDEADLK): spell them out, the rest comes from the library.
  if (name == "ENOTSUP") return EOPNOTSUPP;
  if (name == "EWOULDBLOCK") return EWOULDBLOCK;
  if (name == "EDEADLOCK") return EDEADLOCK;
  for (int value = 1; value <= 200; ++value) {
    const char* known = strerrorname_np(value);
    if (known && name == known) return value;
  }
  return std::nullopt;
}

std::string errno_to_name(int value) {
  if (value <= 0 || value > kLargestErrno) return {};
  const char* known = strerrorname_np(value);
  return known ? known : "";
}

}  // namespace policyc::docker
