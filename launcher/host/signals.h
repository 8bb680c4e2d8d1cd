// SPDX-License-Identifier: Apache-2.0
// Signal forwarding: SIGINT SIGTERM SIGHUP SIGQUIT SIGUSR1 SIGUSR2 SIGWINCH go to the container.
// They are blocked before clone (so none is lost or run a handler in the child), then the parent
// installs forwarding handlers and unblocks: a signal that came in between is forwarded then.
#pragma once

#include <signal.h>
#include <sys/types.h>

namespace launcher {

extern const int kForwardedSignals[7];

sigset_t forwarded_signal_set();
// Blocks the forwarded signals; returns the previous mask.
sigset_t block_forwarded_signals();
// Whether signals from the terminal (si_code SI_KERNEL) are forwarded too: yes when the
// container has a session of its own (setsid), which the terminal's signals do not reach.
void forward_terminal_signals(bool forward);
// Parent: forward to `child` from now on, and unblock.
void forward_signals_to(pid_t child, const sigset_t& previous_mask);
// Child: the forwarded signals back to their default action, whatever plan-exec inherited (a
// background job's ignored SIGINT and SIGQUIT): plan-exec forwards each of them, so the container
// must not ignore them either. SIGHUP ignored at start (keep_hangup_ignored) stays ignored. Then
// the caller's mask.
void restore_signal_mask(const sigset_t& previous_mask);
// `nohup plan-exec ...`: when plan-exec starts with SIGHUP ignored, it stays ignored in plan-exec
// (which then neither dies of it nor forwards it) and in the command, as nohup promises. Call at
// the start of main(), before any handler is installed.
void keep_hangup_ignored();
// Parent, once the child has exited but before it is reaped (its pid cannot be reused yet):
// nothing is forwarded any more.
void stop_forwarding();

// The signals that stop the container (SIGINT, SIGTERM): each one that reaches the forwarding
// handler, from a terminal or not, is also written as one byte (its number) to `fd`, a
// non-blocking pipe the stop timer reads (launcher/stopping.h). -1: none.
void notify_stop_signals_to(int fd);

}  // namespace launcher
