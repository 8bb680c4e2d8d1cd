// SPDX-License-Identifier: Apache-2.0
#include "launcher/host/error.h"

#include <cstring>

namespace launcher {

std::string StepError::describe() const {
  std::string text = what();
  if (errno_ != 0) text += std::string(": ") + std::strerror(errno_);
  return text + " (step: " + step_ + ")";
}

long check(long result, const char* step, const std::string& what) {
  if (result == -1) throw StepError(step, what, errno);
  return result;
}

}  // namespace launcher
