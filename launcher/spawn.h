// Creating the child and talking to it before it execs.
//   sync channel  parent -> child: one byte "go" once the parent has written the id maps,
//                 attached the cgroup and made the veth. EOF (parent died) -> the child exits.
//   error channel child -> parent, O_CLOEXEC: EOF means execve succeeded; otherwise one record
//                 {step, errno, message} describing the failed step.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "launcher/error.h"

namespace launcher {

struct Pipe {
  int read_fd = -1;
  int write_fd = -1;
};
Pipe make_pipe(const char* purpose);  // O_CLOEXEC both ends; throws StepError("clone")
void close_pipe(Pipe& p);

// CLONE_NEW* flags; cgroup_fd >= 0 adds CLONE_INTO_CGROUP (clone3). Returns like fork():
// the child pid in the parent, 0 in the child. Uses clone3, or clone when the kernel lacks it.
pid_t clone_child(unsigned long long namespace_flags, int cgroup_fd);

// Parent, before clone: a pidfd of plan-exec itself (O_CLOEXEC), for the check below.
int open_self_pidfd();
// Child side, first thing: die with the parent (PR_SET_PDEATHSIG), then make sure the parent
// did not already die before that (it may even have released us: the byte waits in the pipe).
// `parent_pidfd` becomes readable when the parent has exited; it works in a new pid namespace,
// where getppid() is 0. Returns false when the parent is already gone. Closes the pidfd.
bool bind_lifetime_to_parent(pid_t parent, int parent_pidfd);
// Child: blocks until released; false on EOF (the parent died or gave up).
bool wait_for_release(int sync_read_fd);
// Parent: releases the child (and closes the channel).
void release_child(int sync_write_fd);

// Child: sends the failure to the parent; async-signal-safe enough to call after seccomp
// (one write of a preformatted record).
void send_child_error(int error_fd, const StepError& error);
// The same without allocating (after seccomp): message is `verb` + " " + `object`.
void send_child_error_raw(int error_fd, int err, const char* step, const char* verb, const char* object);
// Parent: reads until EOF. nullopt: the child execed.
std::optional<StepError> receive_child_error(int error_read_fd);

}  // namespace launcher
