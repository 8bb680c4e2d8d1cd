// SPDX-License-Identifier: Apache-2.0
// `plan-exec --init`: a minimal pid 1 in the container. It forks the command (pid 2), forwards
// the forwarded signals to it, reaps every zombie, and exits with the command's status
// (128+signal when it was killed), so orphans never pile up and signals are never lost to
// pid 1's "no default action" rule.
#pragma once

#include <signal.h>
#include <sys/types.h>

namespace launcher {

// Forks. Returns 0 in the command's process (which goes on to seccomp + execve) once init has
// locked itself down; in the init process it never returns: init locks itself down
// (init_hardening.h), releases the command, closes `error_fd` (the command keeps it until
// execve) and runs its loop. Throws StepError if the lock-down fails
// (the command is killed then).
// `command_only_fd` (-1: none) is a descriptor only the command may hold: init closes its copy
// before releasing the command.
pid_t fork_under_init(int error_fd, int command_only_fd = -1);

// The signal init sends the command once it has locked itself down; the command waits for it
// before anything of its own runs. A real-time signal nobody else sends (glibc keeps the first
// two for itself).
inline int init_release_signal() { return SIGRTMIN + 2; }

}  // namespace launcher
