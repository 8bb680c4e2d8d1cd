// SPDX-License-Identifier: Apache-2.0
// What /proc/PID/stat tells about a process that the launcher keeps to recognise it later.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string_view>

namespace launcher {

// The start time of `pid` (field 22 of /proc/<pid>/stat: clock ticks after boot); nullopt when
// there is no such process. With the pid it names one process for good: a later process given
// the same pid has a later start time.
std::optional<std::uint64_t> process_start_time(pid_t pid);

// The same, nullopt also for a process that has exited but is not reaped yet (a zombie, state
// Z or X): it runs no more, whatever its pid still shows.
std::optional<std::uint64_t> live_process_start_time(pid_t pid);

// Field 22 of one /proc/PID/stat line; nullopt when the line is malformed.
std::optional<std::uint64_t> start_time_of_stat_line(std::string_view line);
// Field 3 (R, S, D, Z, ...) of one /proc/PID/stat line; '\0' when malformed.
char state_of_stat_line(std::string_view line);

}  // namespace launcher
