// SPDX-License-Identifier: Apache-2.0
// `plan-exec stop NAME|PID`: what Ctrl-C on that plan-exec does. It sends SIGTERM to the
// instance's plan-exec (through a pidfd checked against the recorded start time), which forwards
// it to the container and ends as it ends, then waits for that plan-exec to exit.
#pragma once

#include <string>

namespace launcher {

// How long `stop` waits for plan-exec to end before it reports that the container still runs.
inline constexpr int kStopWaitSeconds = 60;

// 0: stopped (prints the name); 1: still running after the wait; 125: no such instance or the
// signal failed.
int stop_command(const std::string& name_or_pid);

}  // namespace launcher
