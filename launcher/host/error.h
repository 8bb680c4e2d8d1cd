// SPDX-License-Identifier: Apache-2.0
// One error type for every launcher step (crun's error.c idea): what failed, on which input,
// the errno, and the step, so the parent can print
//   plan-exec: mount /proc at /var/lib/x/proc: permission denied (step: mounts)
#pragma once

#include <cerrno>
#include <stdexcept>
#include <string>

namespace launcher {

class StepError : public std::runtime_error {
 public:
  StepError(std::string step, std::string what, int err = 0)
      : std::runtime_error(std::move(what)), step_(std::move(step)), errno_(err) {}
  const std::string& step() const { return step_; }
  int error_number() const { return errno_; }
  // "mount /proc at /x/proc: permission denied (step: mounts)"
  std::string describe() const;

 private:
  std::string step_;
  int errno_;
};

// Throws StepError(step, what, errno) when `result` is -1.
long check(long result, const char* step, const std::string& what);

}  // namespace launcher
