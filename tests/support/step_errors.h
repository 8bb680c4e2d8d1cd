// SPDX-License-Identifier: Apache-2.0
// Expectations on the StepError a launcher step throws, shared by the unit tests that run steps
// against the recording kernel.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "launcher/host/error.h"

namespace testsupport {

// Runs `step`, which must throw a StepError; returns it (an empty one, after a failed
// expectation, when it does not throw).
template <class Step>
launcher::StepError step_error(Step&& step) {
  try {
    step();
  } catch (const launcher::StepError& e) {
    return e;
  }
  ADD_FAILURE() << "the step did not throw a StepError";
  return launcher::StepError("", "");
}

// The step's name, its message and its errno.
inline void expect_step_error(const launcher::StepError& e, const char* step, const std::string& what, int err) {
  EXPECT_EQ(e.step(), step);
  EXPECT_EQ(std::string(e.what()), what);
  EXPECT_EQ(e.error_number(), err);
}

}  // namespace testsupport
