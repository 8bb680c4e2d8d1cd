// SPDX-License-Identifier: Apache-2.0
// How many rounds a randomised test runs: its own count, scaled by the environment variable
// POLICYC_TEST_ROUNDS_PERCENT (default 100). scripts/test's sanitizer run sets 25: under ASan
// and UBSan the tests look for memory and undefined-behaviour errors, not for breadth, which the
// normal build's full run already covered.
#pragma once

#include <cstdlib>

namespace testsupport {

inline int test_rounds(int rounds) {
  const char* text = std::getenv("POLICYC_TEST_ROUNDS_PERCENT");
  const long percent = text && *text ? std::strtol(text, nullptr, 10) : 100;
  if (percent <= 0 || percent >= 100) return rounds;
  const long scaled = rounds * percent / 100;
  return scaled > 0 ? static_cast<int>(scaled) : 1;
}

}  // namespace testsupport
