// SPDX-License-Identifier: Apache-2.0
// `plan-exec exec NAME|PID [-t] -- COMMAND ARGS...`: a command inside a running container, set up
// exactly as the container's first command was, by the same step functions (process_steps.h):
//
//   plan-exec (host)   finds the record, checks the plan file is the one the container started
//                      with (sha256), opens a pidfd of the container's first process (checked
//                      against its start time; rootless under --init: of its child, the
//                      command, see exec_target.h) and /proc/PID/root, becomes a child subreaper,
//                      and clones a helper straight into the container's cgroup v2
//                      (CLONE_INTO_CGROUP; v1 hierarchies: its pid written to cgroup.procs);
//   helper             the plan's rlimits (before joining a user namespace, with the caller's
//                      privilege: a raised hard limit needs it), setns(pidfd) into all the container's namespaces at once, forks the
//                      command process and exits (the command process is re-parented to
//                      plan-exec, the subreaper, which waits for it and forwards signals);
//   command process    in the container's pid and time namespaces (setns applies them to
//                      children), the container's root (fchdir + chroot through the root
//                      descriptor: also right for plans that chroot), the plan's groups, gid,
//                      uid, capabilities, a session of its own (no controlling terminal, or with
//                      -t a pty: below), no inherited descriptors, the plan's cwd, no_new_privs,
//                      the plan's seccomp filter (its BPF, loaded as is), then execve with the
//                      plan's environment; a command without '/' is looked up in the plan's PATH.
//
// -t: like the first command's -t (process/terminal.h): a pty from the container's own devpts
// when the plan mounts /dev (opened inside, as the final user; master handed to plan-exec), else
// from the host's; the command's controlling terminal is that pty, never the caller's terminal,
// so it cannot push input into the caller's shell (TIOCSTI). plan-exec relays it in raw mode.
//
// Exit status: the command's (128+N when killed by signal N); 125 plan-exec failed (no such
// container, plan changed, a step failed); 126 not executable; 127 not found.
#pragma once

#include <string>
#include <vector>

namespace launcher {

struct ExecRequest {
  std::string target;  // NAME or PID, as `plan-exec ps` shows them
  bool terminal = false;
  std::vector<std::string> command;
};

int exec_in_instance(const ExecRequest& request);

}  // namespace launcher
