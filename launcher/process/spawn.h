// SPDX-License-Identifier: Apache-2.0
// Creating the child and talking to it before it execs.
//   sync channel  parent -> child: one byte "go" once the parent has written the id maps,
//                 attached the cgroup and made the veth. EOF (parent died) -> the child exits.
//   error channel child -> parent, O_CLOEXEC: EOF means execve succeeded; otherwise one record
//                 {step, errno, message} describing the failed step.
#pragma once

#include <sched.h>
#include <sys/types.h>

#include <optional>
#include <string>

#include "launcher/host/error.h"

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

// Start-up in parallel on a machine with several CPUs. A new child is often queued on its
// parent's CPU, where it waits until the parent sleeps; the parent's work after clone (cgroups,
// id maps, veth) and the child's (net namespace, mounts) then run one after the other (measured:
// 2 launches in 3 here, 0.2-0.3 ms each). So the parent moves the child to a CPU other than its
// own, and the child takes back the affinity it inherited as soon as it is released (the parent
// moves it before releasing it, so the child cannot restore first and be moved after): the
// command runs with the caller's affinity, unchanged.
class CpuSpread {
 public:
  CpuSpread() = default;  // does nothing
  // Parent, before clone. Inactive when only the current CPU may be used.
  static CpuSpread prepare();
  // Parent, after clone: best effort (the child may already run elsewhere).
  void move_child(pid_t child) const;
  // Child, once released. Throws StepError("clone") if the inherited affinity cannot be restored.
  void restore_in_child() const;

 private:
  bool active_ = false;
  cpu_set_t inherited_{}, elsewhere_{};
};

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
