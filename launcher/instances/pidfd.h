// SPDX-License-Identifier: Apache-2.0
// A pidfd of a recorded process, opened so that it surely is that process: the start time is
// checked after pidfd_open (a pid reused before the open would show another start time), so
// signals and setns through the descriptor never reach a stranger.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace launcher {

// Throws RegistryError naming `what` ("plan-exec 4081 of web") when the process is gone or
// its pid now belongs to another process.
int open_recorded_pidfd(pid_t pid, std::uint64_t start_time, const std::string& what);

// Waits until the process of `pidfd` has exited, at most `timeout_ms`; true when it has.
bool wait_for_exit(int pidfd, int timeout_ms);

}  // namespace launcher
